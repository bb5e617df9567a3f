"""Where events go: a JSON-lines log and the terminal view of the two-sided transcript."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from coach.events import (
    CallEnded,
    CallStarted,
    Card,
    Event,
    Partial,
    SpeechDiscarded,
    Status,
    Utterance,
)


class JsonlSink:
    """One JSON object per line, flushed per event so a crash loses nothing already emitted."""

    def __init__(self, path: str | Path | IO[str]) -> None:
        if isinstance(path, str | Path):
            self._file: IO[str] = open(path, "w", encoding="utf-8")  # noqa: SIM115
            self._owned = True
        else:
            self._file, self._owned = path, False

    def emit(self, event: Event) -> None:
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

    def __init__(self, console: Console | None = None, rows: int = 14) -> None:
        self.console = console or Console(stderr=False)
        self._rows = rows
        self._lines: list[tuple[float, str, Text]] = []
        self._partials: dict[str, Partial] = {}
        self._status = "starting"
        self._card: Card | None = None
        self._live: Live | None = None
        if self.console.is_terminal:
            self._live = Live(
                self._render(), console=self.console, refresh_per_second=8, transient=False
            )
            self._live.start()

    def emit(self, event: Event) -> None:
        if isinstance(event, CallStarted):
            self._print(Text(f"call {event.call_id}: {event.source}", style="bold"))
        elif isinstance(event, Status):
            self._status = f"{event.channel}: {event.state} {event.detail}".strip()
            if event.state in ("warning", "lost", "recovered"):
                self._print(Text(f"! {self._status}", style="magenta"))
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
        elif isinstance(event, Card):
            self._card = event
            if self._live is None:
                self._print(self._card_text(event))
        elif isinstance(event, SpeechDiscarded):
            self._partials.pop(event.channel, None)
        elif isinstance(event, CallEnded):
            self._print(Text(f"call ended at {_stamp(event.t)} ({event.reason})", style="bold"))
        if self._live is not None:
            self._live.update(self._render())

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _print(self, text: Text) -> None:
        (self._live.console if self._live else self.console).print(text)

    def _render(self) -> Group:
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
        parts: list = [table]
        if self._card is not None:
            parts.append(self._card_text(self._card))
        return Group(*parts, Text(self._status, style="dim"))

    @staticmethod
    def _card_text(card: Card) -> Text:
        """A rebuttal card in a few lines: what was heard, what to say, what to ask, how."""
        text = Text.assemble(
            (f"▶ {card.title} ", "bold green"),
            (f"[{card.category} {card.score:.2f}{'' if card.final else ', partial'}]\n", "dim"),
            ("  say: ", "dim"),
            (card.rebuttal + "\n", "bold"),
            ("  ask: ", "dim"),
            card.follow_up,
        )
        if card.cue_text:
            text.append(f"\n  ⏸ {card.cue_text}", style="magenta")
        return text


def default_console() -> Console:
    return Console(file=sys.stdout)
