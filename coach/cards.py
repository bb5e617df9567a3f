"""The card stage: debtor partials and utterances in, rebuttal ``Card`` events out.

Rules that keep cards from flickering:
- a partial is matched on its *stable* text only, and a card from partials needs two consecutive
  partial decisions that agree on the category;
- per utterance, a card once shown is never retracted: a later decision of "none" leaves it, and
  only a different category with a clearly higher score replaces it (``Card.replaces``);
- the final utterance is matched again; it raises a card when the partials did not.

The phrasebank is watched while the coach runs: a valid edit swaps in a freshly trained matcher,
an invalid one is refused with file:line (a ``Status`` warning) and the last good one keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from coach import phrasebank as pb
from coach.events import CALL, Card, Event, Partial, Status, Unmatched, Utterance
from coach.matcher import Decision, Matcher

log = logging.getLogger(__name__)

REPLACE_MARGIN = 0.1  # a different category must beat the shown card's score by this much


@dataclass
class _Shown:
    pending: str | None = None  # category of the last partial decision, awaiting agreement
    matched_text: str = ""
    card: Card | None = None


class CardStage:
    """Listener that turns debtor speech into cards (see the module docstring for the rules)."""

    def __init__(self, matcher: Callable[[], Matcher], paced: bool = False) -> None:
        self._matcher = matcher  # a callable, so that a reload can swap the matcher underneath
        self._paced = paced  # live/realtime: matching time counts as captured audio
        self._utterances: dict[str, _Shown] = {}
        self.notices: deque[tuple[str, str]] = deque()  # (state, detail) from the reloader

    def notify(self, state: str, detail: str) -> None:
        """Queue a status line (thread-safe); it is emitted with the next event's time."""
        self.notices.append((state, detail))

    def handle(self, event: Event) -> Iterable[Event]:
        out: list[Event] = []
        while self.notices:
            state, detail = self.notices.popleft()
            out.append(Status(channel=CALL, t=event.t, state=state, detail=detail))  # type: ignore[arg-type]
        if event.channel != "debtor" or not isinstance(event, Partial | Utterance):
            return out
        state = self._utterances.setdefault(event.utterance_id, _Shown())
        if isinstance(event, Partial):
            card = self._on_partial(event, state)
        else:
            card = self._on_final(event, state)
            self._utterances.pop(event.utterance_id, None)
        if card:
            out.append(card)
        return out

    def _on_partial(self, event: Partial, state: _Shown) -> Card | None:
        text = event.stable.strip()
        matcher = self._matcher()
        if len(pb.normalise(text)) < matcher.cfg.partial_min_chars or text == state.matched_text:
            return None
        state.matched_text = text
        began = time.perf_counter()
        decision = matcher.decide([text], [event.lang])[0]
        agreed = decision.category is not None and decision.category == state.pending
        state.pending = decision.category
        if not agreed:
            return None
        return self._show(event, decision, state, final=False, began=began)

    def _on_final(self, event: Utterance, state: _Shown) -> Card | None:
        began = time.perf_counter()
        matcher = self._matcher()
        decision = matcher.decide([event.text], [event.lang])[0]
        if decision.category is None:
            return self._near_miss(event, decision, state, matcher.cfg.near_miss)
        return self._show(event, decision, state, final=True, began=began)

    @staticmethod
    def _near_miss(
        event: Utterance, decision: Decision, state: _Shown, bound: float
    ) -> Unmatched | None:
        """An utterance the matcher rejected although its best excuse category still scored
        ``bound`` or more (unless a partial of it already got a card): QA should hear it."""
        if state.card or decision.best is None or decision.score < bound:
            return None
        return Unmatched(
            channel=event.channel,
            t=event.t,
            utterance_id=event.utterance_id,
            start=event.start,
            end=event.end,
            lang=decision.lang,
            text=event.text,
            best=decision.best,
            score=round(decision.score, 4),
            reason=decision.reason,
        )

    def _show(
        self,
        event: Partial | Utterance,
        decision: Decision,
        state: _Shown,
        final: bool,
        began: float,
    ) -> Card | None:
        shown = state.card
        if shown is not None and (
            decision.category == shown.category or decision.score < shown.score + REPLACE_MARGIN
        ):
            return None
        texts = self._matcher().card_texts(decision)
        elapsed = time.perf_counter() - began if self._paced else 0.0
        card = Card(
            channel=event.channel,
            t=round(event.t + elapsed, 3),
            utterance_id=event.utterance_id,
            start=event.start,
            end=event.end,
            lang=decision.lang,
            text=decision.text,
            category=decision.category or "",
            score=round(decision.score, 4),
            final=final,
            replaces=shown.category if shown else None,
            **texts,  # type: ignore[arg-type]
        )
        state.card = card
        return card


class PhrasebankWatcher:
    """Polls the phrasebank's YAML files and swaps in a new matcher after a valid edit."""

    def __init__(
        self,
        root: Path,
        build: Callable[[pb.Phrasebank], Matcher],
        initial: Matcher,
        notify: Callable[[str, str], None],
        interval_s: float = 2.0,
    ) -> None:
        self.root = root
        self.current = initial
        self._build = build
        self._notify = notify
        self._interval = interval_s
        self._signature = self.signature()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="phrasebank-watch", daemon=True)

    def start(self) -> PhrasebankWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def signature(self) -> tuple:
        # the excuse phrasebank only: eval sets and the compliance packs are not the matcher's
        skip = {"eval", "compliance", "commitments"}
        files = [
            p for p in self.root.rglob("*.yaml") if not skip & set(p.relative_to(self.root).parts)
        ]
        stats = []
        for path in sorted(files):
            try:
                st = path.stat()
                stats.append((str(path), st.st_mtime_ns, st.st_size))
            except OSError:  # deleted between listing and stat: the next poll sees it
                continue
        return tuple(stats)

    def check(self) -> bool:
        """Reload if the files changed; True when a new matcher was swapped in."""
        signature = self.signature()
        if signature == self._signature:
            return False
        self._signature = signature
        try:
            book = pb.load(self.root)
            matcher = self._build(book)
        except pb.PhrasebankError as err:
            log.warning("phrasebank edit refused: %s", err)
            self._notify("warning", f"phrasebank edit refused, keeping the last good one: {err}")
            return False
        except Exception as err:  # noqa: BLE001 - never let a reload take the coach down
            log.exception("phrasebank reload failed")
            self._notify("warning", f"phrasebank reload failed, keeping the last good one: {err}")
            return False
        self.current = matcher
        self._notify("info", f"phrasebank reloaded: {len(book.categories)} categories")
        return True

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.check()
