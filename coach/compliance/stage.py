"""The compliance stage: the call's events in, ``Alert`` events out.

What it reacts to:
- collector ``Partial``: its *stable* text is checked as it grows, so a threat is caught while it
  is being said. A pattern hit alerts at once; a classifier hit needs two consecutive partial
  checks that agree (as cards do), because a half-said lawful sentence can look like a threat;
- ``Utterance`` of either side: the final text gets the same ``Guard.check`` decision the CLI gives;
- ``Card`` with category ``third_party`` on the debtor channel: a third party is on the line, so
  the debt may not be mentioned (``when: third_party`` rules) until the debtor says who they are;
- ``CallStarted``: the call's local start time against the quiet-hours window;
- every event's ``t``: deadline rules alert on the first event past their deadline.

An alert is raised at most once per utterance and rule (a partial's alert is not repeated by the
final), and each deadline or quiet-hours rule at most once per call.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from coach.compliance.config import ComplianceConfig, ComplianceError
from coach.compliance.guard import Decision, Guard
from coach.compliance.packs import Rule
from coach.events import CALL, Alert, CallStarted, Card, Event, Partial, SpeechStarted, Utterance
from coach.phrasebank import normalise

log = logging.getLogger(__name__)

THIRD_PARTY = "third_party"  # the matcher's category id (shared/excuse-taxonomy.md)


def parse_window(window: tuple[str, str] | list[str]) -> tuple[dt.time, dt.time]:
    """``("22:00", "08:00")`` -> two times; a window may wrap past midnight."""
    try:
        start, end = (dt.time.fromisoformat(str(s).strip()) for s in window)
    except (TypeError, ValueError):
        raise ComplianceError(
            f"compliance.quiet_hours: expected two HH:MM times like [22:00, 08:00], got {window}"
        ) from None
    return start, end


def in_window(moment: dt.time, start: dt.time, end: dt.time) -> bool:
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end


def local_time(started_at: str) -> dt.time | None:
    """The wall-clock time a call started, in this machine's time zone (naive = already local)."""
    try:
        moment = dt.datetime.fromisoformat(started_at)
    except (TypeError, ValueError):
        return None
    return (moment.astimezone() if moment.tzinfo else moment).time()


class ComplianceStage:
    """Listener that raises compliance alerts (see the module docstring for the rules)."""

    def __init__(
        self, guard: Guard, cfg: ComplianceConfig | None = None, paced: bool = False
    ) -> None:
        self.guard = guard
        self.cfg = cfg or guard.cfg
        self._paced = paced  # live/realtime: checking time counts as captured audio (as cards)
        self.check = guard.check  # the batch decision, shared with `coach compliance check`
        self._window = parse_window(self.cfg.quiet_hours)
        self._pack_lang = {p.name: p.lang for p in guard.packs}
        self._deadline_rules = [r for r in guard.rules.values() if r.kind == "deadline"]
        self._quiet_rules = [r for r in guard.rules.values() if r.kind == "quiet_hours"]
        self._start_call(0.0)

    def _start_call(self, t: float) -> None:
        self._call_start = t
        self._lang: str | None = None  # language of the latest utterance
        self._fired: set[tuple[str | None, str]] = set()  # (utterance_id, rule id)
        self._pending: dict[str, set[str]] = {}  # utterance -> classifier hits of its last partial
        self._checked: dict[str, str] = {}  # utterance -> stable text last checked
        self._third_party = False
        self._identity_at: float | None = None
        self._first_collector: float | None = None
        self._said: set[str] = set()  # deadline rules whose required words were said

    def handle(self, event: Event) -> list[Event]:
        out: list[Event] = []
        if isinstance(event, CallStarted):
            self._start_call(event.t)
            if event.source == "live":  # a recording's start is only its file's date: unknown
                out += self._quiet_hours(event)
        elif isinstance(event, Card):
            if event.channel == "debtor" and event.category == THIRD_PARTY:
                self._third_party = True
        elif isinstance(event, SpeechStarted):
            self._collector_spoke(event.channel, event.start)
        elif isinstance(event, Partial) and event.channel == "collector":
            self._collector_spoke(event.channel, event.start)
            out += self._on_partial(event)
        elif isinstance(event, Utterance) and event.channel in ("collector", "debtor"):
            self._collector_spoke(event.channel, event.start)
            out += self._on_final(event)
        out += self._deadlines(event.t)
        return out

    # --- what was said ---------------------------------------------------------------------------

    def _context(self, channel: str) -> frozenset[str]:
        return (
            frozenset({THIRD_PARTY})
            if self._third_party and channel == "collector"
            else frozenset()
        )

    def _on_partial(self, event: Partial) -> list[Event]:
        text = event.stable.strip()
        if (
            len(normalise(text)) < self.cfg.partial_min_chars
            or self._checked.get(event.utterance_id) == text
        ):
            return []
        self._checked[event.utterance_id] = text
        began = time.perf_counter()
        [decision] = self.check([(text, event.channel)], [event.lang], [self._context("collector")])
        self._said.update(decision.said)
        before = self._pending.get(event.utterance_id, set())
        self._pending[event.utterance_id] = {h.rule for h in decision.hits if h.source != "pattern"}
        agreed = [h for h in decision.hits if h.source == "pattern" or h.rule in before]
        return self._alerts(event, decision, {h.rule for h in agreed}, began)

    def _on_final(self, event: Utterance) -> list[Event]:
        if event.lang in ("zh", "en"):
            self._lang = event.lang
        context = self._context(event.channel)
        began = time.perf_counter()
        [decision] = self.check([(event.text, event.channel)], [event.lang], [context])
        self._said.update(decision.said)
        if decision.identity and event.channel == "debtor":
            if self._third_party or self._identity_at is None:  # the debtor came to the phone
                self._identity_at = event.end
            self._third_party = False
        out = self._alerts(event, decision, {h.rule for h in decision.hits}, began)
        self._pending.pop(event.utterance_id, None)
        self._checked.pop(event.utterance_id, None)
        self._fired = {(u, r) for u, r in self._fired if u != event.utterance_id}
        return out

    def _alerts(
        self, event: Partial | Utterance, decision: Decision, rules: set[str], began: float
    ) -> list[Event]:
        out: list[Event] = []
        t = round(event.t + time.perf_counter() - began, 3) if self._paced else event.t
        # Least important first: the overlay shows the newest alert, which should be the worst.
        for hit in reversed(decision.hits):
            key = (event.utterance_id, hit.rule)
            if hit.rule not in rules or key in self._fired:
                continue
            self._fired.add(key)
            out.append(
                Alert(
                    channel=event.channel,
                    t=t,
                    rule=hit.rule,
                    severity=hit.severity,  # type: ignore[arg-type]
                    text=hit.alert,
                    lang=decision.lang,
                    basis=hit.basis,
                    utterance_id=event.utterance_id,
                )
            )
        return out

    # --- the call's clock -------------------------------------------------------------------------

    def _collector_spoke(self, channel: str, start: float) -> None:
        if channel == "collector" and self._first_collector is None:
            self._first_collector = start

    def _deadline(self, rule: Rule) -> float | None:
        """Call seconds by which ``rule``'s words must have been said, or None (not running)."""
        limit = float(getattr(self.cfg, rule.deadline or "", 0.0))
        if rule.anchor == "identity":
            if self._third_party:  # telling a third party "this is a debt collector" is itself
                return None  # a disclosure: the clock waits until the debtor is on the line
            anchor = self._identity_at if self._identity_at is not None else self._call_start
            return anchor + limit
        if self._first_collector is None:
            return None
        return self._first_collector + limit

    def _deadlines(self, t: float) -> list[Event]:
        out: list[Event] = []
        for rule in self._deadline_rules:
            key = (None, rule.id)
            if rule.id in self._said or key in self._fired:
                continue
            deadline = self._deadline(rule)
            if deadline is None or t < deadline:
                continue
            self._fired.add(key)
            out.append(self._call_alert(rule, "collector", t))
        return out

    def _quiet_hours(self, event: CallStarted) -> list[Event]:
        moment = local_time(event.started_at)
        if moment is None or not self._quiet_rules or not in_window(moment, *self._window):
            return []
        out = []
        for rule in self._quiet_rules:
            self._fired.add((None, rule.id))
            out.append(self._call_alert(rule, CALL, event.t))
        return out

    def _call_alert(self, rule: Rule, channel: str, t: float) -> Alert:
        lang = self._lang or self._pack_lang.get(rule.pack, "en")
        window = "–".join(self.cfg.quiet_hours)
        return Alert(
            channel=channel,
            t=t,
            rule=rule.id,
            severity=rule.severity,  # type: ignore[arg-type]
            text=rule.alert_text(lang).replace("{window}", window),
            lang=lang,
            basis=rule.basis,
            utterance_id=None,
        )
