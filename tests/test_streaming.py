"""The streaming ASR stage, fed by hand: no model, no threads."""

import numpy as np

from coach.asr import AsrResult
from coach.events import (
    SAMPLE_RATE,
    AudioChunk,
    Partial,
    SpeechDiscarded,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    Utterance,
)
from coach.streaming import DecodeRequest, DecodeResult, StreamingAsr


def feed_audio(asr, channel, start, seconds, step=0.06):
    out = []
    t = start
    while t < start + seconds - 1e-9:
        n = round(step * SAMPLE_RATE)
        out += asr.handle(AudioChunk(channel, round(t, 3), np.ones(n, np.int16)))
        t += step
    return out


def requests(outputs):
    return [o for o in outputs if isinstance(o, DecodeRequest)]


def result(req, text, lang="en", rejected=None):
    return DecodeResult(req, AsrResult(text, lang, 0.95, rejected=rejected))


def test_partials_start_after_a_second_one_at_a_time():
    asr = StreamingAsr()
    asr.handle(SpeechStarted(channel="debtor", t=0.3, start=0.0))
    reqs = requests(feed_audio(asr, "debtor", 0.0, 3.0))
    assert len(reqs) == 1  # the worker has not answered: no second partial is queued
    assert reqs[0].kind == "partial" and reqs[0].fallback is None
    assert 1.0 <= reqs[0].end < 1.1
    out = asr.handle(result(reqs[0], "the check is"))
    assert isinstance(out[0], Partial) and out[0].text == "the check is" and out[0].stable == ""
    assert len(requests(feed_audio(asr, "debtor", 3.0, 0.6))) == 1  # answered: the next one


def test_unsure_language_falls_back_to_the_speakers_last():
    asr = StreamingAsr()
    for channel, start, lang in (("collector", 0.0, "zh"), ("debtor", 3.0, "en")):
        asr.handle(SpeechStarted(channel=channel, t=start + 0.3, start=start))
        feed_audio(asr, channel, start, 1.0)
        [req] = asr.handle(
            SpeechEnded(channel=channel, t=start + 1.0, start=start, end=start + 0.8)
        )
        asr.handle(result(req, "好" if lang == "zh" else "ok", lang=lang))
    asr.handle(SpeechStarted(channel="debtor", t=5.3, start=5.0))
    [req] = asr.handle(SpeechEnded(channel="debtor", t=6.0, start=5.0, end=5.8))
    assert req.fallback == "en"  # the debtor's own last language, not the call's


def test_no_partials_in_a_pause():
    asr = StreamingAsr()
    asr.handle(SpeechStarted(channel="debtor", t=0.3, start=0.0))
    [partial] = requests(feed_audio(asr, "debtor", 0.0, 1.1))
    asr.handle(result(partial, "I"))
    [spec] = asr.handle(SpeechPaused(channel="debtor", t=1.25, start=0.0, end=1.1))
    assert spec.kind == "final"
    assert requests(feed_audio(asr, "debtor", 1.1, 0.3)) == []  # silence: nothing new to decode
    asr.handle(SpeechResumed(channel="debtor", t=1.45, start=0.0))
    assert [r.kind for r in requests(feed_audio(asr, "debtor", 1.4, 0.6))] == ["partial"]


def test_speculative_final_is_used_when_speech_really_ended():
    asr = StreamingAsr()
    asr.handle(SpeechStarted(channel="debtor", t=0.3, start=0.2))
    feed_audio(asr, "debtor", 0.0, 1.8)
    [req] = asr.handle(SpeechPaused(channel="debtor", t=1.8, start=0.2, end=1.6))
    assert req.kind == "final" and req.end == 1.6
    assert len(req.audio) == round((1.6 + 0.15 - (0.2 - 0.2)) * SAMPLE_RATE)
    assert asr.handle(result(req, "I already paid.")) == []  # held until the hangover ends
    [utt] = asr.handle(SpeechEnded(channel="debtor", t=2.1, start=0.2, end=1.6))
    assert isinstance(utt, Utterance)
    assert (utt.text, utt.start, utt.end, utt.lang, utt.channel) == (
        "I already paid.",
        0.2,
        1.6,
        "en",
        "debtor",
    )
    assert asr.pending == 0


def test_speech_that_resumes_is_decoded_again():
    asr = StreamingAsr()
    asr.handle(SpeechStarted(channel="collector", t=0.3, start=0.2))
    feed_audio(asr, "collector", 0.0, 3.5)
    [spec] = asr.handle(SpeechPaused(channel="collector", t=1.8, start=0.2, end=1.6))
    asr.handle(result(spec, "hello"))
    [final] = asr.handle(SpeechEnded(channel="collector", t=3.5, start=0.2, end=3.0))
    assert final.kind == "final" and final.end == 3.0
    [utt] = asr.handle(result(final, "hello, is this Mr Wang?"))
    assert utt.text == "hello, is this Mr Wang?" and utt.end == 3.0


def test_final_answer_arriving_after_the_end():
    asr = StreamingAsr()
    asr.handle(SpeechStarted(channel="debtor", t=0.3, start=0.0))
    feed_audio(asr, "debtor", 0.0, 1.0)
    [spec] = asr.handle(SpeechPaused(channel="debtor", t=0.9, start=0.0, end=0.75))
    assert asr.handle(SpeechEnded(channel="debtor", t=1.2, start=0.0, end=0.75)) == []
    [utt] = asr.handle(result(spec, "对，我是。", lang="zh"))
    assert utt.text == "对，我是。" and utt.lang == "zh"


def test_rejected_and_too_short_speech_is_discarded():
    asr = StreamingAsr()
    asr.handle(SpeechStarted(channel="debtor", t=0.3, start=0.0))
    feed_audio(asr, "debtor", 0.0, 1.2)
    [req] = asr.handle(SpeechEnded(channel="debtor", t=1.2, start=0.0, end=0.7))
    [gone] = asr.handle(result(req, "字幕由Amara.org社群提供", rejected="phantom phrase"))
    assert isinstance(gone, SpeechDiscarded) and gone.reason == "phantom phrase"
    asr.handle(SpeechStarted(channel="debtor", t=2.3, start=2.0))
    feed_audio(asr, "debtor", 1.2, 1.2)
    [short] = asr.handle(SpeechEnded(channel="debtor", t=2.4, start=2.0, end=2.2))
    assert isinstance(short, SpeechDiscarded) and short.reason == "too short"


def test_debtor_finals_go_first():
    def req(channel, kind):
        return DecodeRequest(channel, "x", kind, np.zeros(1, np.float32), 1.0)

    order = sorted(
        [
            req("collector", "partial"),
            req("debtor", "partial"),
            req("collector", "final"),
            req("debtor", "final"),
        ],
        key=lambda r: r.priority,
    )
    assert [(r.channel, r.kind) for r in order] == [
        ("debtor", "final"),
        ("collector", "final"),
        ("debtor", "partial"),
        ("collector", "partial"),
    ]


def test_a_long_turn_is_decoded_in_pieces_cut_at_its_inner_pauses():
    asr = StreamingAsr()
    asr.handle(SpeechStarted(channel="collector", t=0.3, start=0.0))
    [first] = requests(feed_audio(asr, "collector", 0.0, 2.6))
    asr.handle(result(first, "Hello"))
    [short] = asr.handle(SpeechPaused(channel="collector", t=1.3, start=0.0, end=1.0))
    asr.handle(result(short, "Hello,"))
    asr.handle(SpeechResumed(channel="collector", t=1.4, start=0.0))  # 1 s: too short a piece
    [spec] = asr.handle(SpeechPaused(channel="collector", t=2.6, start=0.0, end=2.5))
    assert spec.begin == 0.0
    asr.handle(SpeechResumed(channel="collector", t=2.8, start=0.0))  # resumed before the answer
    asr.handle(result(spec, "Hello, this is Anna from Crestline."))
    [partial] = requests(feed_audio(asr, "collector", 2.6, 2.6))
    assert partial.begin == 2.575  # only the audio after the committed piece
    [p] = asr.handle(result(partial, "I'm calling about"))
    assert p.text == "Hello, this is Anna from Crestline. I'm calling about"
    [final] = asr.handle(SpeechEnded(channel="collector", t=5.5, start=0.0, end=5.0))
    assert final.begin == 2.575
    assert len(final.audio) == round((5.0 + 0.15 - 2.575) * SAMPLE_RATE)
    [utt] = asr.handle(result(final, "I'm calling about your card."))
    assert utt.text == "Hello, this is Anna from Crestline. I'm calling about your card."
    assert (utt.start, utt.end) == (0.0, 5.0)


def test_mandarin_pieces_join_without_spaces_and_a_noisy_last_piece_is_dropped():
    asr = StreamingAsr()
    asr.handle(SpeechStarted(channel="debtor", t=0.3, start=0.0))
    feed_audio(asr, "debtor", 0.0, 4.0)
    [spec] = asr.handle(SpeechPaused(channel="debtor", t=2.6, start=0.0, end=2.5))
    asr.handle(result(spec, "我这个月手头紧", lang="zh"))
    asr.handle(SpeechResumed(channel="debtor", t=2.8, start=0.0))
    [final] = asr.handle(SpeechEnded(channel="debtor", t=4.0, start=0.0, end=3.5))
    assert final.fallback == "zh"  # the turn's language so far
    [utt] = asr.handle(result(final, "嗯", lang="zh", rejected="low confidence"))
    assert isinstance(utt, Utterance) and utt.text == "我这个月手头紧" and utt.lang == "zh"
