"""Where events go: a JSON-lines log and the terminal view of the two-sided transcript.

The terminal view shows the same cues as the overlay: both draw the frames of a
:class:`coach.board.Board`, so priority, hold and countdown are decided in one place.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from coach.board import Board, BoardConfig, Frame
from coach.events import (
    Alert,
    CallEnded,
    CallStarted,
    Card,
    Cue,
    Event,
    Partial,
    SpeechDiscarded,
    Status,
    Utterance,
)


class JsonlSink:
    """One JSON object per line, flushed per event so a crash loses nothing already emitted."""

    def __init__(
        self, path: str | Path | IO[str], transform: Callable[[Event], Event] | None = None
    ) -> None:
        self._transform = transform  # e.g. redaction of transcripts before they reach the disk
        if isinstance(path, str | Path):
            self._file: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115
            self._owned = True
        else:
            self._file, self._owned = path, False

    def emit(self, event: Event) -> None:
        if self._transform:
            event = self._transform(event)
        self._file.write(event.to_json() + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._owned:
            self._file.close()


SIDE_STYLE = {"collector": "cyan", "debtor": "yellow"}


def _stamp(seconds: float) -> str:
    return f"{int(seconds // 60):02d}:{seconds % 60:04.1f}"


class TerminalView:
    """The live transcript: collector on the left, debtor on the right, partials dimmed.

    On a terminal it redraws in place (rich Live); piped or in CI it prints one line per final
    utterance, which is what a log reader wants.
    """

    def __init__(
        self,
        console: Console | None = None,
        rows: int = 14,
        board: BoardConfig | None = None,
        clock=time.monotonic,
    ) -> None:
        self.console = console or Console(stderr=False)
        self.board = Board(board)
        self._clock = clock
        self._rows = rows
        self._lines: list[tuple[float, str, Text]] = []
        self._partials: dict[str, Partial] = {}
        self._printed: tuple | None = None  # the last cue printed in log mode
        self._live: Live | None = None
        if self.console.is_terminal:
            # auto-refresh redraws the cue panel, so countdowns and fades move between events
            self._live = Live(self, console=self.console, refresh_per_second=4, transient=False)
            self._live.start()

    def emit(self, event: Event) -> None:
        self.board.push(event, self._clock())
        if isinstance(event, CallStarted):
            self._print(Text(f"call {event.call_id}: {event.source}", style="bold"))
        elif isinstance(event, Status):
            if event.state in ("warning", "lost", "recovered"):
                self._print(Text(f"! {event.channel}: {event.state} {event.detail}", "magenta"))
        elif isinstance(event, Partial):
            self._partials[event.channel] = event
        elif isinstance(event, Utterance):
            self._partials.pop(event.channel, None)
            line = Text.assemble(
                (f"[{_stamp(event.start)}] ", "dim"),
                (f"{event.channel:9} ", SIDE_STYLE.get(event.channel, "")),
                (f"({event.lang}) ", "dim"),
                event.text,
            )
            self._lines.append((event.start, event.channel, line))
            if self._live is None:
                self._print(line)
        elif isinstance(event, Card | Cue | Alert) and self._live is None:
            frame = self.board.frame(self._clock())
            shown = (frame.kind, frame.title, frame.body)
            if frame.kind and shown != self._printed:  # what the overlay now shows
                self._printed = shown
                self._print(frame_text(frame))
        elif isinstance(event, SpeechDiscarded):
            self._partials.pop(event.channel, None)
        elif isinstance(event, CallEnded):
            self._print(Text(f"call ended at {_stamp(event.t)} ({event.reason})", style="bold"))
        if self._live is not None:
            self._live.refresh()

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _print(self, text: Text) -> None:
        (self._live.console if self._live else self.console).print(text)

    def __rich__(self) -> Group:
        table = Table.grid(expand=True, padding=(0, 1))
        table.add_column("collector", ratio=1)
        table.add_column("debtor", ratio=1)
        for _, channel, line in sorted(self._lines[-self._rows :], key=lambda x: x[0]):
            cells = (line, Text("")) if channel == "collector" else (Text(""), line)
            table.add_row(*cells)
        pending = [Text(""), Text("")]
        for channel, partial in self._partials.items():
            pending[0 if channel == "collector" else 1] = Text(f"… {partial.text}", style="dim")
        table.add_row(*pending)
        frame = self.board.frame(self._clock())
        parts: list = [table]
        if frame.kind:
            parts.append(frame_text(frame))
        return Group(*parts, Text(f"● {frame.status}", style=STATUS_STYLE[frame.status_level]))


STATUS_STYLE = {"ok": "green", "loading": "dim", "warn": "yellow", "error": "bold red"}


def frame_text(frame: Frame) -> Text:
    """One board frame as a few terminal lines, the same content the overlay draws."""
    if frame.kind == "alert":
        head = ("STOP" if frame.severity == "stop" else "CAREFUL") + f" · {frame.title}"
        text = Text.assemble((f"■ {head} ", "bold white on red"), (f" {frame.tag}\n", "dim"))
        text.append(f"  {frame.body}", style="bold red")
        return text
    if frame.kind == "cue":
        text = Text.assemble(("◆ ", "yellow"), (frame.body, "bold yellow"))
        if frame.tag:
            text.append(f"  ({frame.tag})", style="dim")
    else:
        text = Text.assemble(
            (f"▶ {frame.title} ", "bold green"),
            (f"[{frame.tag}]\n", "dim"),
            ("  say: ", "dim"),
            (frame.body + "\n", "bold"),
            ("  ask: ", "dim"),
            frame.follow_up,
        )
        if frame.cue_text:
            text.append(f"\n  ⏸ {frame.cue_text}", style="yellow")
    if frame.countdown:
        text.append(f"  {frame.countdown}", style="bold yellow")
    if frame.pinned:
        text.append("  (pinned)", style="dim")
    return text


def default_console() -> Console:
    return Console(file=sys.stdout)


class Relay:
    """Passes what the collector does on the overlay (its window thread) to a part of the call
    made later. It rides in the call's list of sinks, ignoring events, so that part can find it
    and subscribe."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[Any], None]] = []

    def subscribe(self, take: Callable[[Any], None]) -> None:
        self._subscribers.append(take)

    def __call__(self, item: Any) -> None:
        for take in self._subscribers:
            take(item)

    def emit(self, event: Event) -> None:
        pass

    def close(self) -> None:
        pass


class Dismissals(Relay):
    """The cards, cues and alerts the collector dismissed; the call's recorder flags them."""


class Requests(Relay):
    """What the collector asked of the coach (``"recap"``); the call takes it in as a
    ``Request`` event (``Call.request``)."""


def take_requests(call: Any, sinks: list) -> None:
    """Let the overlay's request hotkeys reach ``call``."""
    for sink in sinks:
        if isinstance(sink, Requests):
            sink.subscribe(call.request)
