import json

from coach import events as ev


def test_every_event_round_trips_through_json():
    samples = [
        ev.CallStarted(
            channel="call",
            t=0.0,
            call_id="c1",
            source="x.flac",
            started_at="2026-11-23T01:00:00+00:00",
        ),
        ev.Status(channel="debtor", t=1.0, state="lost", detail="device gone"),
        ev.SpeechStarted(channel="debtor", t=1.2, start=0.9),
        ev.SpeechPaused(channel="debtor", t=2.2, start=0.9, end=2.05),
        ev.SpeechResumed(channel="debtor", t=2.3, start=0.9),
        ev.SpeechEnded(channel="debtor", t=2.5, start=0.9, end=2.05),
        ev.Partial(
            channel="debtor",
            t=2.0,
            utterance_id="d1",
            start=0.9,
            end=2.0,
            lang="zh",
            text="我现在手头",
            stable="我现在",
        ),
        ev.Utterance(
            channel="debtor",
            t=2.6,
            utterance_id="d1",
            start=0.9,
            end=2.05,
            lang="zh",
            text="我现在手头有点紧",
        ),
        ev.SpeechDiscarded(
            channel="collector", t=3.0, utterance_id="c2", start=2.0, end=2.2, reason="too short"
        ),
        ev.Card(
            channel="debtor",
            t=2.7,
            utterance_id="d1",
            start=0.9,
            end=2.05,
            lang="zh",
            text="我现在手头有点紧",
            category="cash_flow",
            title="手头紧",
            score=0.91,
            rebuttal="我们可以分期,今天先还一部分。",
            follow_up="今天能先还多少?",
            cue="pause_count_five",
            cue_text="停顿——数到五",
            countdown_s=5.0,
        ),
        ev.Cue(channel="collector", t=3.0, cue="slow_down", text="放慢语速", detail="6.1 字/秒"),
        ev.Alert(
            channel="collector",
            t=4.0,
            rule="cn.impersonation",
            severity="stop",
            text="不得冒充公检法",
            lang="zh",
            basis="催收工作指引",
            utterance_id="c2",
        ),
        ev.Unmatched(
            channel="debtor",
            t=8.5,
            utterance_id="d3",
            start=7.0,
            end=8.0,
            lang="en",
            text="I sent something",
            best="already_paid",
            score=0.5,
            reason="low score",
        ),
        ev.Commitment(
            channel="debtor",
            t=8.6,
            utterance_id="d4",
            text="下周五转五百",
            amount=500.0,
            currency="CNY",
            date="2026-11-27",
            when_text="下周五",
            method="bank_transfer",
            missing=(),
        ),
        ev.Metrics(channel="call", t=8.7, values={"talk_ratio": 0.6, "cues": {"slow_down": 1}}),
        ev.Request(channel="collector", t=8.8, action="recap"),
        ev.CallEnded(channel="call", t=9.0, call_id="c1"),
    ]
    assert {type(s) for s in samples} == set(ev.EVENT_TYPES.values())
    for event in samples:
        line = event.to_json()
        data = json.loads(line)
        assert data["type"] == event.type and "channel" in data and "t" in data
        assert ev.from_json(line) == event
    assert "我现在" in next(s for s in samples if s.type == "partial").to_json()  # not \u-escaped
