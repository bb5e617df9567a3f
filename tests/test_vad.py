import numpy as np

from coach.events import SAMPLE_RATE, AudioChunk, SpeechEnded, SpeechPaused, SpeechStarted
from coach.vad import VadConfig, VadStage
from tests.conftest import marker_chunks, marker_classifier


def run(pattern, config=None):
    stage = VadStage(config or VadConfig(), classifier=marker_classifier)
    events = [ev for chunk in marker_chunks("debtor", pattern) for ev in stage.push(chunk)]
    total = sum(d for d, _ in pattern)
    return events + stage.flush(total)


def kinds(events):
    return [type(e).__name__ for e in events]


def test_one_utterance_with_voiced_edges():
    events = run([(0.51, False), (1.2, True), (1.0, False)])
    assert kinds(events) == ["SpeechStarted", "SpeechPaused", "SpeechEnded"]
    start, paused, ended = events
    assert start.start == 0.51 and ended.start == 0.51
    assert abs(ended.end - 1.71) < 0.031  # edge of the last voiced 30 ms frame
    assert paused.end == ended.end and paused.t < ended.t
    assert abs(ended.t - ended.end - 0.5) < 0.031  # hangover
    assert all(e.channel == "debtor" for e in events)


def test_pause_inside_a_sentence_does_not_split_it():
    events = run([(0.3, False), (1.0, True), (0.33, False), (1.0, True), (1.0, False)])
    assert kinds(events).count("SpeechStarted") == 1
    assert kinds(events).count("SpeechEnded") == 1
    # the short pause did announce a possible end, which the ASR may decode speculatively,
    # and then said the speaker went on
    assert kinds(events) == [
        "SpeechStarted",
        "SpeechPaused",
        "SpeechResumed",
        "SpeechPaused",
        "SpeechEnded",
    ]


def test_turn_gap_splits():
    events = run([(0.3, False), (1.0, True), (0.8, False), (1.0, True), (1.0, False)])
    ends = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ends) == 2 and ends[0].end < ends[1].start


def test_click_does_not_start_speech():
    assert run([(0.5, False), (0.09, True), (1.0, False)]) == []


def test_long_speech_is_cut_for_whisper():
    events = run([(0.3, False), (25.0, True), (1.0, False)], VadConfig(max_utterance_s=10))
    ends = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ends) == 3
    assert all(e.end - e.start <= 10.0 + 1e-6 for e in ends)
    starts = [e for e in events if isinstance(e, SpeechStarted)]
    assert [round(s.start, 2) for s in starts[1:]] == [round(e.end, 2) for e in ends[:-1]]


def test_flush_closes_open_speech():
    events = run([(0.3, False), (2.0, True)])
    assert kinds(events)[-1] == "SpeechEnded"


def test_chunk_sizes_do_not_matter():
    pattern = [(0.33, False), (0.9, True), (0.9, False)]
    stage_a = VadStage(VadConfig(), classifier=marker_classifier)
    a = [e for c in marker_chunks("collector", pattern, 0.01) for e in stage_a.push(c)]
    stage_b = VadStage(VadConfig(), classifier=marker_classifier)
    b = [e for c in marker_chunks("collector", pattern, 0.25) for e in stage_b.push(c)]
    assert [(type(e), e.start) for e in a] == [(type(e), e.start) for e in b]


def test_webrtcvad_hears_nothing_in_silence_and_hiss():
    rng = np.random.default_rng(0)
    hiss = (rng.normal(0, 30, SAMPLE_RATE * 3)).astype(np.int16)  # about -60 dBFS
    stage = VadStage(VadConfig())
    events = stage.push(AudioChunk("debtor", 0.0, hiss)) + stage.push(
        AudioChunk("debtor", 3.0, np.zeros(SAMPLE_RATE, np.int16))
    )
    assert not any(isinstance(e, SpeechStarted | SpeechPaused) for e in events)
