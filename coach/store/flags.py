"""Why a call needs a human: flags raised from what happened in it, each pointing at a moment.

Pure logic over events (no database), so each rule is tested by pushing events in. Flags that
depend on one event are raised as it passes; those about the shape of the whole conversation
(silences, talk-over) are computed once the call has ended, from all utterance times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.events import Alert, Card, Commitment, Cue, Event, Metrics, Unmatched, Utterance

FLAG_KINDS = {
    "low_confidence": "a card shown with low confidence",
    "unmatched_excuse": "sounded like an excuse, matched nothing",
    "compliance": "a compliance alert",
    "long_silence": "a long silence",
    "talk_over": "both sides talking at once",
    "raised_voice": "a raised voice",
    "dismissed_card": "the collector dismissed a card",
    "no_commitment": "no promise to pay captured",
}


@dataclass(frozen=True)
class FlagConfig:
    low_confidence: float = 0.85  # a card scoring under this is worth a second look
    long_silence_s: float = 12.0  # neither side speaking, between the first and last words
    talk_over_s: float = 1.5  # both sides speaking at once for this long
    raised_voice_cues: tuple[str, ...] = ("stay_calm",)  # the delivery stage's "too loud" cue


@dataclass(frozen=True)
class Flag:
    kind: str
    t: float  # call seconds
    detail: str
    utterance_id: str | None = None


@dataclass
class Conversation:
    """Utterance spans per channel, kept for the end-of-call rules and the metrics."""

    spans: dict[str, list[tuple[float, float]]] = field(
        default_factory=lambda: {"collector": [], "debtor": []}
    )

    def add(self, u: Utterance) -> None:
        self.spans.setdefault(u.channel, []).append((u.start, u.end))

    def talk_s(self, channel: str) -> float:
        return sum(end - start for start, end in self.spans.get(channel, []))

    def silences(self, at_least_s: float) -> list[tuple[float, float]]:
        """Stretches with neither side speaking, between the first and the last utterance."""
        merged: list[list[float]] = []
        for start, end in sorted(s for spans in self.spans.values() for s in spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return [
            (a[1], b[0])
            for a, b in zip(merged, merged[1:], strict=False)
            if b[0] - a[1] >= at_least_s
        ]

    def overlaps(self, at_least_s: float) -> list[tuple[float, float, str]]:
        """(start, end, who interrupted) for each stretch both sides spoke at once."""
        out = []
        for c_start, c_end in self.spans.get("collector", []):
            for d_start, d_end in self.spans.get("debtor", []):
                start, end = max(c_start, d_start), min(c_end, d_end)
                if end - start >= at_least_s:
                    out.append((start, end, "collector" if c_start > d_start else "debtor"))
        return sorted(out)

    def metrics(self) -> dict:
        collector, debtor = self.talk_s("collector"), self.talk_s("debtor")
        silences = self.silences(3.0)
        return {
            "talk_s": {"collector": round(collector, 1), "debtor": round(debtor, 1)},
            "talk_ratio": round(collector / (collector + debtor), 3)
            if collector + debtor
            else None,
            "silences": [[round(a, 2), round(b, 2)] for a, b in silences],
            "longest_silence_s": round(max((b - a for a, b in silences), default=0.0), 1),
            "talk_over": [[round(a, 2), round(b, 2), who] for a, b, who in self.overlaps(0.5)],
        }


class FlagRules:
    def __init__(self, cfg: FlagConfig | None = None) -> None:
        self.cfg = cfg or FlagConfig()
        self.conversation = Conversation()
        self._coached = False  # the delivery stage runs (it sends Metrics): promises are tracked
        self._promised = False

    def on_event(self, event: Event) -> list[Flag]:
        cfg = self.cfg
        if isinstance(event, Utterance):
            self.conversation.add(event)
        elif isinstance(event, Metrics):
            self._coached = True
        elif isinstance(event, Commitment):
            self._promised = True
        elif isinstance(event, Card) and event.final and event.score < cfg.low_confidence:
            return [
                Flag(
                    "low_confidence",
                    event.start,
                    f"{event.category} card at {event.score:.2f}",
                    event.utterance_id,
                )
            ]
        elif isinstance(event, Unmatched):
            return [
                Flag(
                    "unmatched_excuse",
                    event.start,
                    f"closest: {event.best} at {event.score:.2f} ({event.reason})",
                    event.utterance_id,
                )
            ]
        elif isinstance(event, Alert):
            return [Flag("compliance", event.t, f"{event.rule}: {event.text}", event.utterance_id)]
        elif isinstance(event, Cue) and event.cue in cfg.raised_voice_cues:
            return [Flag("raised_voice", event.t, f"{event.text} {event.detail}".strip())]
        return []

    def at_end(self) -> list[Flag]:
        conv = self.conversation
        flags = [
            Flag("long_silence", start, f"{end - start:.0f} s of silence")
            for start, end in conv.silences(self.cfg.long_silence_s)
        ]
        flags += [
            Flag("talk_over", start, f"{end - start:.1f} s, {who} talked over the other side")
            for start, end, who in conv.overlaps(self.cfg.talk_over_s)
        ]
        debtor = conv.spans.get("debtor", [])
        if self._coached and debtor and not self._promised:  # points at the debtor's last words
            flags.append(Flag("no_commitment", debtor[-1][0], "the call ended without a promise"))
        return flags
