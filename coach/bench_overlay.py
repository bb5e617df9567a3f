"""``coach bench overlay``: event → pixels latency and the overlay's CPU cost, as JSON.

Latency is from ``OverlaySink.emit`` on a pipeline-like thread to the end of the window's paint
of that card (Qt then hands the backing store to the window system). CPU is this process's CPU
time (all threads) over a stretch of event-loop time: with no window, with the window showing
only its status line (an idle call), and with a card counting down.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time

import click

from coach.events import Card


def _card(i: int) -> Card:
    lang = "zh" if i % 2 else "en"
    return Card(
        channel="debtor",
        t=float(i),
        utterance_id=f"bench{i}",
        start=0.0,
        end=1.0,
        lang=lang,
        text="…",
        category="cash_flow",
        title="手头紧" if lang == "zh" else "Short on money",
        score=0.9,
        rebuttal=(
            f"第{i}张:今天先还一部分,剩下的我们帮您做分期。"
            if lang == "zh"
            else f"Card {i}: could you pay part of it today and split the rest?"
        ),
        follow_up="今天能先还多少?" if lang == "zh" else "How much could you pay today?",
        cue_text="停顿——数到五" if lang == "zh" else "Pause — count to five",
        countdown_s=5.0,
    )


class _CpuProbe:
    """CPU time of this process over a stretch of wall time, as percent of one core."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def percent(self) -> float:
        return round(100 * (time.process_time() - self.cpu) / (time.perf_counter() - self.wall), 3)


def one_run(events: int, idle_s: float) -> dict:
    """One pass, all inside one Qt event loop: a second ``exec()`` in the same process stops
    waking up for events posted from other threads, so the phases are chained on timers."""
    from PySide6.QtCore import QTimer

    from coach.config import OverlayConfig
    from coach.overlay import OverlaySink, OverlayWindow, application, display_available

    if not display_available():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = application()
    cpu: dict[str, float] = {}
    sent: dict[str, float] = {}
    latencies: list[float] = []
    state: dict = {}
    wait = round(idle_s * 1000)

    def no_window_done() -> None:
        cpu["no_window"] = state["probe"].percent()
        window = state["window"] = OverlayWindow(OverlayConfig())
        window.show()
        window.painted.connect(on_paint)
        state["sink"] = OverlaySink(window)
        state["probe"] = _CpuProbe()
        QTimer.singleShot(wait, idle_done)

    def idle_done() -> None:
        cpu["idle_call"] = state["probe"].percent()
        threading.Thread(target=pipeline, daemon=True).start()

    def pipeline() -> None:
        for i in range(events):
            time.sleep(0.2)
            card = _card(i)
            sent[card.rebuttal] = time.perf_counter()
            state["sink"].emit(card)

    def on_paint(at: float) -> None:
        began = sent.pop(state["window"].frame.body, None)
        if began is None:
            return
        latencies.append(at - began)
        if len(latencies) == events:
            state["window"].push(_card(events))  # a card with its countdown running
            state["probe"] = _CpuProbe()
            QTimer.singleShot(wait, card_done)

    def card_done() -> None:
        cpu["card_counting_down"] = state["probe"].percent()
        state["window"].close()
        app.quit()

    state["probe"] = _CpuProbe()
    QTimer.singleShot(wait, no_window_done)
    app.exec()
    ms = sorted(1000 * x for x in latencies)
    return {
        "platform": app.platformName(),
        "events": len(ms),
        "event_to_paint_ms": {
            "p50": round(statistics.median(ms), 2),
            "p95": round(ms[int(0.95 * (len(ms) - 1))], 2),
            "max": round(ms[-1], 2),
        },
        "cpu_percent": cpu,
    }


@click.command("overlay")
@click.option("--runs", default=3, show_default=True, help="Passes; medians reported.")
@click.option("--events", default=40, show_default=True, help="Cards timed per pass.")
@click.option("--idle", "idle_s", default=10.0, show_default=True, help="Seconds per CPU probe.")
def bench_overlay(runs: int, events: int, idle_s: float) -> None:
    """Event → pixels latency and the overlay's CPU use (JSON on stdout)."""
    results = []
    for i in range(runs):  # a fresh process per run: one Qt event loop each (see one_run)
        proc = subprocess.run(
            [sys.executable, "-m", "coach.bench_overlay", str(events), str(idle_s)],
            capture_output=True,
            text=True,
            timeout=120 + 4 * idle_s + events,
        )
        if proc.returncode != 0:
            raise click.ClickException(f"overlay run failed: {proc.stderr.strip()[-500:]}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        click.echo(f"run {i + 1}/{runs}: {json.dumps(results[-1])}", err=True)

    def median(*path: str) -> float:
        values = []
        for r in results:
            for key in path:
                r = r[key]
            values.append(r)
        return round(statistics.median(values), 3)

    summary = {
        "benchmark": "overlay",
        "platform": results[0]["platform"],
        "runs": runs,
        "events_per_run": events,
        "median": {
            "event_to_paint_p50_ms": median("event_to_paint_ms", "p50"),
            "event_to_paint_p95_ms": median("event_to_paint_ms", "p95"),
            "cpu_percent_no_window": median("cpu_percent", "no_window"),
            "cpu_percent_idle_call": median("cpu_percent", "idle_call"),
            "cpu_percent_card_counting_down": median("cpu_percent", "card_counting_down"),
        },
        "per_run": results,
    }
    click.echo(json.dumps(summary, indent=2))


if __name__ == "__main__":
    print(json.dumps(one_run(int(sys.argv[1]), float(sys.argv[2]))))
