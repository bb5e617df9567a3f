"""What the collector sees, decided in one place: one cue at a time, by priority.

The board is fed events (cards, cues, alerts, status) and asked, at any moment, for the
:class:`Frame` to show. The overlay and the terminal view both draw frames, so they show the same
thing. The board has no Qt and no threads and takes the time as an argument, so its rules are
tested by pushing events in at chosen times.

Rules (design.md, "Who uses it"):
- Priority: compliance alert > rebuttal card > delivery cue. A newer item of the same or a higher
  priority replaces the one shown; a lower one waits while the shown one is fresh and is dropped if
  it goes stale first (a "slow down" from ten seconds ago is noise).
- An item is held long enough to read (a base time, or the reading time of its text, or its
  countdown plus a little, whichever is longest), fades over its last ``fade_s``, then goes.
- Pin keeps the shown item until unpinned; only an alert goes over it, and the pinned item comes
  back after the alert. Dismiss clears what is shown; recall shows the last card again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from coach.events import CALL, Alert, CallEnded, CallStarted, Card, Cue, Event, Status

PRIORITY = {"alert": 3, "card": 2, "cue": 1}
Item = Card | Cue | Alert


@dataclass(frozen=True)
class BoardConfig:
    card_hold_s: float = 10.0
    cue_hold_s: float = 4.0
    alert_hold_s: float = 15.0
    fade_s: float = 1.5
    cue_stale_s: float = 6.0  # a waiting lower-priority item older than this is dropped
    # glance-reading speed: what a collector can take in while listening
    read_chars_per_s: dict[str, float] = field(default_factory=lambda: {"zh": 7.0, "en": 18.0})
    notice_s: float = 8.0  # how long a warning stays on the status line


@dataclass(frozen=True)
class Frame:
    """Everything one glance at the overlay shows. ``kind`` None: only the status line."""

    kind: str | None = None
    title: str = ""
    body: str = ""  # the rebuttal, the alert or the cue: the large text
    follow_up: str = ""  # the smaller line under it
    cue_text: str = ""  # a card's paired delivery cue
    countdown: int | None = None  # whole seconds left of a countdown
    lang: str = ""
    severity: str = ""
    opacity: float = 1.0
    pinned: bool = False
    status: str = ""
    status_level: str = "ok"  # ok | loading | warn | error
    tag: str = ""  # small print for logs: the category and score, the cue's measure, the basis


@dataclass
class _Shown:
    item: Item
    since: float
    until: float
    pinned: bool = False

    @property
    def kind(self) -> str:
        return self.item.type


def _texts(item: Item) -> str:
    if isinstance(item, Card):
        return item.rebuttal + item.follow_up + item.cue_text
    return item.text


class Board:
    def __init__(self, config: BoardConfig | None = None) -> None:
        self.config = config or BoardConfig()
        self._shown: _Shown | None = None
        self._pending: tuple[Item, float] | None = None  # (item, when it arrived)
        self._under_alert: _Shown | None = None  # a pinned item an alert went over
        self._last_card: Card | None = None
        self._channels: dict[str, tuple[str, str]] = {}  # channel -> (state, detail)
        self._loading: str | None = "starting"
        self._notice: tuple[str, str, float] | None = None  # (text, level, until)
        self._ended = False

    # --- input ---------------------------------------------------------------------------------

    def push(self, event: Event, now: float) -> bool:
        """Take one event; True when what is shown may have changed."""
        self._expire(now)
        if isinstance(event, Card | Cue | Alert):
            return self._offer(event, now)
        if isinstance(event, Status):
            return self._status(event, now)
        if isinstance(event, CallStarted):
            self._loading, self._ended = None, False
            for channel in event.channels:
                self._channels.setdefault(channel, ("listening", ""))
            return True
        if isinstance(event, CallEnded):
            self._ended = True
            return True
        return False

    def dismiss(self, now: float) -> Item | None:
        """Take down what is shown; return it (the store flags a dismissed card for QA)."""
        self._expire(now)
        gone = self._shown.item if self._shown is not None else None
        self._shown, self._pending = self._under_alert, None
        self._under_alert = None
        return gone

    def pin(self, now: float) -> None:
        """Pin what is shown, or unpin it (it then gets a fresh hold)."""
        self._expire(now)
        if self._shown is not None:
            self._shown.pinned = not self._shown.pinned
            self._shown.until = (
                math.inf if self._shown.pinned else now + self._hold(self._shown.item)
            )

    def recall(self, now: float) -> None:
        """Show the last card again (unless an alert is up)."""
        self._expire(now)
        if self._last_card is not None and not (self._shown and self._shown.kind == "alert"):
            self._shown = _Shown(self._last_card, now, now + self._hold(self._last_card))

    # --- output --------------------------------------------------------------------------------

    def frame(self, now: float) -> Frame:
        self._expire(now)
        status, level = self._status_line(now)
        shown = self._shown
        if shown is None:
            return Frame(status=status, status_level=level)
        item, cfg = shown.item, self.config
        left = shown.until - now
        opacity = 1.0 if left >= cfg.fade_s else max(0.0, left / cfg.fade_s)
        frame = Frame(
            kind=item.type,
            lang=item.lang,
            opacity=round(opacity, 2),
            pinned=shown.pinned,
            status=status,
            status_level=level,
        )
        countdown_s = None
        if isinstance(item, Card):
            frame = replace(
                frame,
                title=item.title,
                body=item.rebuttal,
                follow_up=item.follow_up,
                cue_text=item.cue_text,
                tag=f"{item.category} {item.score:.2f}" + ("" if item.final else " partial"),
            )
            countdown_s = item.countdown_s
        elif isinstance(item, Cue):
            frame = replace(frame, body=item.text, tag=item.detail)
            countdown_s = item.countdown_s
        else:
            frame = replace(
                frame, title=item.rule, body=item.text, severity=item.severity, tag=item.basis
            )
        if countdown_s:
            remaining = math.ceil(countdown_s - (now - shown.since) - 1e-9)
            frame = replace(frame, countdown=remaining if remaining > 0 else None)
        return frame

    def next_change(self, now: float) -> float | None:
        """When the frame will next change by itself (countdown, fade, expiry), or None.

        The overlay sleeps until then: an idle call costs no timer ticks at all."""
        self._expire(now)
        times: list[float] = []
        if self._shown is not None:
            shown, fade = self._shown, self.config.fade_s
            if math.isinf(shown.until):
                pass  # pinned: no fade
            elif shown.until - fade > now:
                times.append(shown.until - fade)
            else:
                times.append(min(shown.until, now + 0.05))  # fading: about 20 steps a second
            countdown = getattr(shown.item, "countdown_s", None)
            if countdown:
                ticks = math.floor(now - shown.since) + 1
                if ticks <= countdown:
                    times.append(shown.since + ticks)
        if self._notice is not None:
            times.append(self._notice[2])
        return min(times) if times else None

    @property
    def last_card(self) -> Card | None:
        return self._last_card

    # --- rules ---------------------------------------------------------------------------------

    def _hold(self, item: Item) -> float:
        cfg = self.config
        base = {"card": cfg.card_hold_s, "cue": cfg.cue_hold_s, "alert": cfg.alert_hold_s}
        reading = len(_texts(item)) / cfg.read_chars_per_s.get(item.lang, 12.0)
        countdown = (getattr(item, "countdown_s", None) or 0) + cfg.fade_s + 1.0
        return max(base[item.type], reading + cfg.fade_s, countdown)

    def _offer(self, item: Item, now: float) -> bool:
        if isinstance(item, Card):
            self._last_card = item
        shown = self._shown
        if (
            isinstance(item, Card)
            and shown is not None
            and isinstance(shown.item, Card)
            and shown.item.utterance_id == item.utterance_id
        ):
            # The same utterance's card again (final after partial, or a stronger match):
            # a confirmation keeps its countdown running instead of restarting it.
            since = shown.since if shown.item.category == item.category else now
            until = math.inf if shown.pinned else max(shown.until, since + self._hold(item))
            self._shown = _Shown(item, since, until, shown.pinned)
            return True
        if shown is None:
            self._show(item, now)
            return True
        rank, current = PRIORITY[item.type], PRIORITY[shown.kind]
        if rank > current or (rank == current and not shown.pinned):
            if shown.pinned and item.type == "alert":
                self._under_alert = shown
            self._show(item, now)
            return True
        self._pending = (item, now)
        return False

    def _show(self, item: Item, now: float) -> None:
        self._shown = _Shown(item, now, now + self._hold(item))
        if self._pending and PRIORITY[self._pending[0].type] <= PRIORITY[item.type]:
            self._pending = None

    def _expire(self, now: float) -> None:
        if self._shown is not None and now >= self._shown.until:
            self._shown, self._under_alert = self._under_alert, None
        if self._notice is not None and now >= self._notice[2]:
            self._notice = None
        if self._shown is None and self._pending is not None:
            item, since = self._pending
            self._pending = None
            if now - since < self.config.cue_stale_s:
                self._shown = _Shown(item, now, now + self._hold(item))

    def _status(self, event: Status, now: float) -> bool:
        if event.channel == CALL:
            if event.state == "loading":
                self._loading = event.detail or "loading"
            elif event.state in ("ready", "listening"):
                self._loading = None
            elif event.state in ("warning", "info"):
                level = "warn" if event.state == "warning" else "ok"
                self._notice = (event.detail, level, now + self.config.notice_s)
            elif event.state == "lost":
                self._loading = None
                self._channels = {c: ("lost", event.detail) for c in self._channels or ("call",)}
            return True
        self._loading = None
        self._channels[event.channel] = (event.state, event.detail)
        return True

    def _status_line(self, now: float) -> tuple[str, str]:
        if self._notice is not None:
            return self._notice[0], self._notice[1]
        if self._ended:
            return "call ended", "ok"
        if self._loading is not None:
            return f"{self._loading}…", "loading"
        if not self._channels:
            return "waiting for audio…", "loading"
        parts, level = [], "ok"
        for channel, (state, _) in self._channels.items():
            state = "listening" if state in ("recovered", "ready") else state
            parts.append(f"{channel} {state}")
            if state == "lost":
                level = "error"
            elif state == "silent" and level == "ok":
                level = "warn"
        return " · ".join(parts), level
