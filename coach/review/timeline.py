"""The call's timeline as an inline SVG: who talked when, silences, pace, and the flags.

Drawn on the server (no chart library in the page): a 1-hour call is a few hundred rectangles.
Every mark carries ``data-t`` so a click jumps the audio there.
"""

from __future__ import annotations

from html import escape

from coach.delivery.stage import units  # the pace the delivery coach judges

WIDTH, LANE, TOP = 1000, 18, 14
COLOURS = {"collector": "#2b7bb9", "debtor": "#d08c1a"}


def pace(text: str, lang: str, seconds: float) -> float | None:
    """Words per minute (en) or characters per second (zh) of one utterance."""
    if seconds < 1.0:
        return None
    n = units(text, lang)
    return n / seconds if lang == "zh" else n * 60 / seconds


def timeline_svg(call: dict) -> str:
    length = max([call.get("duration_s") or 0.0] + [u["end"] for u in call["utterances"]]) or 1.0
    x = WIDTH / length

    def mark(kind: str, t0: float, t1: float, y: float, h: float, fill: str, title: str) -> str:
        return (
            f'<rect class="{kind}" data-t="{t0:.2f}" x="{t0 * x:.1f}" y="{y}" '
            f'width="{max(1.0, (t1 - t0) * x):.1f}" height="{h}" fill="{fill}">'
            f"<title>{escape(title)}</title></rect>"
        )

    parts, labels = [], []  # the lane labels go last, over the marks, so talk never hides them
    for a, b in (call.get("metrics") or {}).get("silences", []):
        parts.append(mark("silence", a, b, TOP, LANE * 2 + 4, "#eee", f"silence {b - a:.0f} s"))
    for row, channel in enumerate(("collector", "debtor")):
        y = TOP + row * (LANE + 4)
        labels.append(f'<text x="2" y="{y + 13}" class="lane">{channel}</text>')
        for u in call["utterances"]:
            if u["channel"] == channel:
                parts.append(
                    mark(
                        "talk",
                        u["start"],
                        u["end"],
                        y,
                        LANE,
                        COLOURS[channel],
                        f"{u['start']:.1f}s {u['text'][:80]}",
                    )
                )
    # pace of the collector, as dots: higher is faster, the band is the comfortable range
    py, ph = TOP + 2 * (LANE + 4) + 8, 40
    labels.append(f'<text x="2" y="{py + 12}" class="lane">pace</text>')
    for u in call["utterances"]:
        if u["channel"] != "collector":
            continue
        p = pace(u["text"], u["lang"], u["end"] - u["start"])
        if p is None:
            continue
        share = min(1.0, p / (8.0 if u["lang"] == "zh" else 240.0))  # top of the scale
        label = f"{p:.1f} chars/s" if u["lang"] == "zh" else f"{p:.0f} wpm"
        parts.append(
            f'<circle class="pace" data-t="{u["start"]:.2f}" cx="{u["start"] * x:.1f}" '
            f'cy="{py + ph * (1 - share):.1f}" r="3"><title>{label}</title></circle>'
        )
    for f in call["flags"]:
        parts.append(
            f'<path class="flag" data-t="{f["t"]:.2f}" '
            f'd="M{f["t"] * x:.1f},{TOP - 2} l-5,-9 h10 z">'
            f"<title>{escape(f['kind'])}: {escape(f['detail'])}</title></path>"
        )
    height = py + ph + 6
    return (
        f'<svg id="timeline" viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="none" '
        f'width="100%" height="{height}">{"".join(parts + labels)}</svg>'
    )
