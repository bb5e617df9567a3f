"""The delivery stage, fed timed events (and audio for level/pitch): which cues fire, when, and
that a calm, well-paced call gets none of the corrective ones."""

from __future__ import annotations

import numpy as np

from coach.delivery.config import DeliveryConfig
from coach.delivery.stage import DeliveryStage, is_question
from coach.events import (
    SAMPLE_RATE,
    AudioChunk,
    CallStarted,
    Card,
    Cue,
    Metrics,
    Partial,
    SpeechEnded,
    SpeechStarted,
    Utterance,
)


def stage(**cfg) -> DeliveryStage:
    s = DeliveryStage(
        lambda cue, lang: f"{cue}:{lang}" + (" {name}" if cue == "use_name" else ""),
        DeliveryConfig(**cfg),
    )
    s.handle(CallStarted(channel="call", t=0.0, call_id="c", source="test", started_at=""))
    return s


def say(channel: str, start: float, end: float, text: str, lang: str = "en") -> Utterance:
    return Utterance(
        channel=channel,
        t=end + 0.6,
        utterance_id=f"{channel}-{start}",
        start=start,
        end=end,
        lang=lang,
        text=text,
    )


def cues(s: DeliveryStage, events) -> list[tuple[str, float]]:
    out = []
    for event in events:
        out += [(e.cue, e.t) for e in s.handle(event) if isinstance(e, Cue)]
    return out


CALM = [  # ~150 wpm English, ~4 chars/s Mandarin, turns taken in order, one question
    say("collector", 0.0, 4.5, "Good morning, this is Anna from First Bank calling for Mr Lee."),
    say("debtor", 4.8, 6.0, "Yes, speaking."),
    say("collector", 7.0, 11.0, "I'm calling about the card balance that was due last month."),
    say("debtor", 11.8, 14.0, "Right, I know, it's been a hard month."),
    say("collector", 15.0, 19.0, "我理解，我们可以一起看看有什么办法。", "zh"),
    say("debtor", 19.8, 22.0, "好的，你说。", "zh"),
]


def test_a_calm_call_gets_no_corrective_cue():
    s = stage()
    assert cues(s, CALM) == []
    question = say("collector", 23.0, 26.0, "How much could you pay this week?")
    assert cues(s, [question]) == [("pause_count_five", 26.6)]  # ask, then count to five
    assert s.summary()["questions_asked"] == 1


def test_slow_down_needs_sustained_speed_and_does_not_flicker():
    s = stage()
    fast = "so what we need to do today is set up the payment right now and get this done okay"
    rushed = [say("collector", t, t + 3.0, fast) for t in (0.0, 5.0, 10.0, 15.0)]  # 360 wpm
    got = cues(s, rushed[:1])
    assert got == []  # one fast sentence is not a habit
    assert cues(s, rushed[1:]) == [("slow_down", 8.6)]  # once, not on every fast sentence


def test_mandarin_pace_is_in_characters_per_second():
    s = stage()
    quick = "您这个月的账单已经逾期了我们需要您今天马上处理一下好吗"  # 26 chars in 3 s
    got = cues(s, [say("collector", t, t + 3.0, quick + "。", "zh") for t in (0.0, 4.0)])
    assert ("slow_down", 7.6) in got


def test_breaking_the_silence_after_a_question():
    s = stage()
    cues(s, [say("collector", 0.0, 3.0, "When can you pay?")])
    early = SpeechStarted(channel="collector", t=4.8, start=4.5)
    assert cues(s, [early]) == [("let_silence_work", 4.8)]
    s = stage()
    cues(s, [say("collector", 0.0, 3.0, "When can you pay?"), say("debtor", 3.5, 4.0, "Um.")])
    assert cues(s, [SpeechStarted(channel="collector", t=4.8, start=4.5)]) == []


def test_silence_after_an_excuse_card():
    s = stage()
    card = Card(
        channel="debtor",
        t=6.5,
        utterance_id="d",
        start=3.0,
        end=6.0,
        lang="en",
        text="the check is in the mail",
        category="check_in_mail",
        title="",
        score=0.9,
        rebuttal="",
        follow_up="",
    )
    assert cues(s, [card, SpeechStarted(channel="collector", t=7.5, start=7.2)]) == [
        ("let_silence_work", 7.5)
    ]


def test_talk_over_is_attributed_to_who_cut_in():
    s = stage()
    events = [
        SpeechStarted(channel="debtor", t=5.2, start=5.0),
        SpeechStarted(channel="collector", t=6.2, start=6.0),
        Partial(
            channel="debtor",
            t=6.6,
            utterance_id="d",
            start=5.0,
            end=6.6,
            lang="en",
            text="I was",
            stable="I",
        ),
        Partial(
            channel="debtor",
            t=7.2,
            utterance_id="d",
            start=5.0,
            end=7.2,
            lang="en",
            text="I was saying",
            stable="I was",
        ),
        Partial(
            channel="debtor",
            t=7.8,
            utterance_id="d",
            start=5.0,
            end=7.8,
            lang="en",
            text="I was saying that",
            stable="I was saying",
        ),
    ]
    assert cues(s, events) == [("talk_over_collector", 7.2)]  # once per overlap
    s.handle(SpeechEnded(channel="collector", t=8.0, start=6.0, end=7.9))
    s.handle(SpeechStarted(channel="collector", t=9.2, start=9.0))
    assert (
        cues(
            s,
            [
                Partial(
                    channel="debtor",
                    t=10.5,
                    utterance_id="d",
                    start=5.0,
                    end=10.5,
                    lang="en",
                    text="x",
                    stable="x",
                )
            ],
        )
        == []
    )  # within repeat_after_s


def test_monologue_and_talk_ratio():
    s = stage()
    statement = "Let me explain the terms of the plan and what happens with the balance next."
    got = cues(s, [say("collector", t, t + 9.0, statement) for t in range(0, 80, 10)])
    assert ("monologue", 49.6) in got  # 45 s with no question and no word from the debtor
    assert ("talk_ratio", 69.6) in got  # judged once 60 s have been said
    assert s.summary()["talk_ratio"] == 1.0


def voiced(start: float, seconds: float, f0: float, amp: float) -> list[AudioChunk]:
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    wave = amp * (np.sin(2 * np.pi * f0 * t) + 0.5 * np.sin(2 * np.pi * 2 * f0 * t))
    samples = (wave * 32767 / 1.5).astype(np.int16)
    step = SAMPLE_RATE // 10
    return [
        AudioChunk("collector", start + i / SAMPLE_RATE, samples[i : i + step])
        for i in range(0, len(samples), step)
    ]


def test_a_raised_voice_and_a_high_pitch_against_the_collectors_own_baseline():
    s = stage()
    got = []
    plan = [(140, 0.1)] * 3 + [(140, 0.4), (190, 0.1), (190, 0.1)]  # louder, then higher twice
    for i, (f0, amp) in enumerate(plan):
        start = i * 4.0
        for chunk in voiced(start, 2.5, f0, amp):
            s.audio(chunk)
        got += cues(s, [say("collector", start, start + 2.5, "I hear you, okay.")])
    assert [c for c, _ in got] == ["stay_calm", "lower_pitch"]
    assert got[0][1] == 15.1 and got[1][1] == 23.1


def test_name_reminder_and_overuse():
    s = stage(debtor_name="王建国")
    got = cues(
        s,
        [
            say("collector", 0.0, 3.0, "您好,我是银行的客服。", "zh"),
            say("debtor", 100.0, 101.0, "嗯。", "zh"),
        ],
    )
    assert got == [("use_name", 101.6)]
    s = stage(debtor_name="Mr Smith")
    lines = [
        say("collector", t, t + 3.0, "Mr Smith, as I said, Smith, listen.") for t in range(0, 36, 6)
    ]
    assert cues(s, lines) == [("name_overuse", 33.6)]  # 6 of 6 utterances


def test_metrics_follow_each_utterance():
    s = stage()
    out = s.handle(CALM[0])
    (metrics,) = [e for e in out if isinstance(e, Metrics)]
    assert metrics.values["talk_s"] == {"collector": 4.5, "debtor": 0.0}
    assert metrics.values["pace_median_en"] == 160.0  # 12 words in 4.5 s


def test_questions():
    assert is_question("When can you pay?") and is_question("您看今天能先还一部分吗")
    assert not is_question("I'll call you tomorrow.")


def test_a_promise_is_confirmed_back_and_the_recap_shows_what_is_missing():
    from coach.delivery.promise import CommitmentStage
    from coach.events import Commitment

    s = CommitmentStage(
        lambda cue, lang: {
            "confirm_commitment": "Confirm: {summary}",
            "recap": "Recap: {checklist}",
        }[cue]
    )
    s.handle(
        CallStarted(
            channel="call", t=0.0, call_id="c", source="x", started_at="2026-11-23T10:00:00+00:00"
        )
    )  # a Monday
    out = s.handle(say("debtor", 10.0, 12.0, "Okay, I'll pay 500 on Friday."))
    promise, cue = out
    assert isinstance(promise, Commitment) and promise.amount == 500.0
    assert promise.date == "2026-11-27" and promise.missing == ("method",)
    assert cue.text == "Confirm: 500 · Fri 27 Nov · method?"
    (later, _) = s.handle(say("debtor", 14.0, 15.0, "I'll pay it by card."))
    assert (later.amount, later.method, later.missing) == (500.0, "card", ())  # parts add up
    s.handle(say("collector", 16.0, 19.0, "I'll call you Friday to confirm it went through."))
    (recap,) = s.handle(say("collector", 20.0, 21.0, "Thank you, goodbye."))
    assert recap.cue == "recap"
    assert recap.text == (
        "Recap: ✓ amount  ✓ date  ✓ method  ✓ who calls whom  ✗ consequences stated"
    )
    assert recap.detail == "consequences stated"
    assert s.handle(say("collector", 22.0, 23.0, "Bye now.")) == []  # not twice in a row
    from coach.events import Request

    (asked,) = s.handle(Request(channel="collector", t=24.0, action="recap"))  # the hotkey: always
    assert asked.cue == "recap" and asked.t == 24.0 and asked.detail == "consequences stated"
