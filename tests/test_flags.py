"""Flag rules, pushed events in: each flag points at the moment that needs a human."""

from __future__ import annotations

from coach.events import Card, Cue, Utterance
from coach.store.flags import FlagConfig, FlagRules


def utt(channel: str, start: float, end: float) -> Utterance:
    return Utterance(
        channel=channel,
        t=end + 0.5,
        utterance_id=f"{channel}{start}",
        start=start,
        end=end,
        lang="en",
        text="words",
    )


def test_talk_over_is_attributed_to_who_cut_in():
    rules = FlagRules()
    for u in (
        utt("debtor", 0.0, 6.0),
        utt("collector", 3.0, 8.0),
        utt("collector", 10.0, 11.0),
        utt("debtor", 10.5, 11.5),
    ):
        rules.on_event(u)
    (flag,) = rules.at_end()  # 3 s at 3.0; the 0.5 s overlap at 10.5 is under the threshold
    assert (flag.kind, flag.t) == ("talk_over", 3.0)
    assert "collector talked over" in flag.detail


def test_a_calm_call_has_no_flags():
    rules = FlagRules()
    flags = []
    for u in (utt("collector", 0.0, 4.0), utt("debtor", 4.6, 7.0), utt("collector", 8.0, 12.0)):
        flags += rules.on_event(u)
    card = Card(
        channel="debtor",
        t=7.5,
        utterance_id="d",
        start=4.6,
        end=7.0,
        lang="en",
        text="x",
        category="cash_flow",
        title="",
        score=0.93,
        rebuttal="",
        follow_up="",
    )
    flags += rules.on_event(card)
    flags += rules.on_event(Cue(channel="collector", t=9.0, cue="slow_down", text="Slow down"))
    assert flags + rules.at_end() == []
    assert rules.conversation.metrics()["talk_ratio"] == round(8 / 10.4, 3)


def test_raised_voice_cue_and_silence_threshold_are_configurable():
    rules = FlagRules(FlagConfig(long_silence_s=3.0, raised_voice_cues=("lower_voice",)))
    (flag,) = rules.on_event(
        Cue(channel="collector", t=5.0, cue="lower_voice", text="Lower your voice", detail="+9 dB")
    )
    assert (flag.kind, flag.t, flag.detail) == ("raised_voice", 5.0, "Lower your voice +9 dB")
    rules.on_event(utt("collector", 0.0, 2.0))
    rules.on_event(utt("debtor", 5.5, 6.0))
    assert [(f.kind, f.t) for f in rules.at_end()] == [("long_silence", 2.0)]
