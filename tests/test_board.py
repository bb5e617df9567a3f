"""The board's rules, by pushing events in at chosen times (no Qt, no threads)."""

from __future__ import annotations

from dataclasses import replace

from coach.board import Board, BoardConfig
from coach.events import CALL, Alert, CallEnded, CallStarted, Card, Cue, Status

CFG = BoardConfig(card_hold_s=10, cue_hold_s=4, alert_hold_s=15, fade_s=1.5, cue_stale_s=6)


def card(uid="d0001", category="in_the_mail", countdown=5.0, lang="en", final=True):
    return Card(
        channel="debtor",
        t=1.0,
        utterance_id=uid,
        start=0.0,
        end=1.0,
        lang=lang,
        text="the check is in the mail",
        category=category,
        title="Check in the mail",
        score=0.9,
        rebuttal="Thank you. What is the check number and the date you sent it?",
        follow_up="Which bank is it drawn on?",
        cue="pause_count_five",
        cue_text="Pause — count to five",
        countdown_s=countdown,
        final=final,
    )


def cue(text="Slow down", countdown=None):
    return Cue(
        channel="collector",
        t=1.0,
        cue="slow_down",
        text=text,
        lang="en",
        countdown_s=countdown,
        detail="212 wpm",
    )


def alert():
    return Alert(
        channel="collector",
        t=1.0,
        rule="us.threat_arrest",
        severity="stop",
        text="Don't threaten arrest",
        lang="en",
        basis="12 CFR 1006.18",
    )


def test_a_card_shows_title_rebuttal_follow_up_and_its_countdown():
    b = Board(CFG)
    b.push(card(), now=100.0)
    f = b.frame(100.0)
    assert (f.kind, f.title, f.follow_up, f.cue_text) == (
        "card",
        "Check in the mail",
        "Which bank is it drawn on?",
        "Pause — count to five",
    )
    assert f.body.startswith("Thank you.")
    assert [b.frame(100.0 + s).countdown for s in (0, 0.5, 1.0, 3.2, 4.99, 5.0, 6)] == [
        5,
        5,
        4,
        2,
        1,
        None,
        None,
    ]


def test_held_long_enough_to_read_then_fades_then_goes():
    b = Board(CFG)
    b.push(card(), now=0.0)
    assert b.frame(8.0).opacity == 1.0
    assert 0 < b.frame(9.5).opacity < 1.0
    assert b.frame(10.0).kind is None


def test_reading_time_holds_a_long_card_longer():
    b = Board(CFG)
    b.push(replace(card(), rebuttal="word " * 60), now=0.0)  # 300 characters: ~17 s to read
    assert b.frame(15.0).kind == "card"


def test_priority_alert_over_card_over_cue():
    b = Board(CFG)
    b.push(cue(), now=0.0)
    assert b.frame(0.1).kind == "cue"
    b.push(card(), now=0.5)
    assert b.frame(0.6).kind == "card"
    b.push(cue("Lower your pitch"), now=1.0)  # lower: waits
    assert b.frame(1.1).kind == "card"
    b.push(alert(), now=2.0)
    f = b.frame(2.1)
    assert (f.kind, f.severity, f.body) == ("alert", "stop", "Don't threaten arrest")
    b.push(card(uid="d0002"), now=3.0)
    assert b.frame(3.1).kind == "alert"


def test_a_waiting_cue_shows_when_the_card_goes_unless_stale():
    b = Board(CFG)
    b.push(card(countdown=None), now=0.0)
    b.push(cue(), now=6.0)  # the card ends at 10: the cue is 4 s old, still fresh
    assert b.frame(10.0).body == "Slow down"
    b2 = Board(CFG)
    b2.push(card(countdown=None), now=0.0)
    b2.push(cue(), now=2.0)  # 8 s old when the card ends: dropped
    assert b2.frame(10.0).kind is None


def test_same_utterance_card_updates_in_place_without_restarting_the_countdown():
    b = Board(CFG)
    b.push(card(final=False), now=0.0)
    b.push(card(final=True), now=2.0)
    assert b.frame(2.1).countdown == 3
    b.push(card(category="no_money"), now=3.0)  # a stronger match replaces: a fresh countdown
    assert b.frame(3.1).countdown == 5


def test_pin_dismiss_recall():
    b = Board(CFG)
    b.push(card(), now=0.0)
    b.pin(now=1.0)
    assert b.frame(60.0).kind == "card" and b.frame(60.0).pinned
    b.push(card(uid="d0002"), now=61.0)  # a pinned card stays
    assert b.frame(61.0).title == "Check in the mail"
    b.push(alert(), now=62.0)
    assert b.frame(62.0).kind == "alert"
    b.dismiss(now=63.0)
    assert b.frame(63.0).kind == "card"  # the pinned card comes back after the alert
    b.pin(now=64.0)  # unpinned: a fresh hold
    assert b.frame(64.0 + 11).kind is None
    b.recall(now=80.0)
    assert b.frame(80.0).kind == "card" and b.frame(80.0).countdown == 5
    b.dismiss(now=81.0)
    assert b.frame(81.0).kind is None


def test_status_line_loading_listening_lost_silent_and_notices():
    b = Board(CFG)
    assert b.frame(0).status_level == "loading"
    b.push(Status(channel=CALL, t=0, state="loading", detail="loading Whisper"), now=0)
    assert b.frame(0).status == "loading Whisper…"
    b.push(Status(channel="collector", t=0, state="listening", detail="mic"), now=1)
    b.push(Status(channel="debtor", t=0, state="listening", detail="monitor"), now=1)
    assert (b.frame(1).status, b.frame(1).status_level) == (
        "collector listening · debtor listening",
        "ok",
    )
    b.push(Status(channel="debtor", t=5, state="silent"), now=5)
    assert b.frame(5).status_level == "warn"
    b.push(Status(channel="debtor", t=6, state="lost", detail="unplugged"), now=6)
    assert (b.frame(6).status, b.frame(6).status_level) == (
        "collector listening · debtor lost",
        "error",
    )
    b.push(Status(channel="debtor", t=9, state="recovered"), now=9)
    assert b.frame(9).status_level == "ok"
    b.push(Status(channel=CALL, t=9, state="warning", detail="phrasebank edit refused"), now=9)
    assert b.frame(10).status == "phrasebank edit refused"
    assert b.frame(20).status == "collector listening · debtor listening"
    b.push(CallEnded(channel=CALL, t=30, call_id="c1"), now=30)
    assert b.frame(30).status == "call ended"


def test_a_replayed_call_counts_as_listening():
    b = Board(CFG)
    b.push(CallStarted(channel=CALL, t=0, call_id="c1", source="x.flac", started_at=""), now=0)
    assert b.frame(0).status == "collector listening · debtor listening"


def test_next_change_sleeps_when_idle_and_ticks_for_countdown_and_fade():
    b = Board(CFG)
    assert b.next_change(0.0) is None
    b.push(card(), now=0.0)
    assert b.next_change(0.2) == 1.0  # the countdown's next second
    assert b.next_change(6.5) == 8.5  # then the start of the fade
    assert abs(b.next_change(9.0) - 9.05) < 1e-9  # fading
    assert b.next_change(10.0) is None
