"""The whole call runner with a stand-in transcriber (the real one: test_replay.py)."""

import io
import json
import threading

import numpy as np
import pytest
import soundfile as sf

from coach.asr import AsrResult
from coach.audio import FileSource
from coach.events import from_json
from coach.pipeline import Call, _Worker
from coach.sinks import JsonlSink
from coach.streaming import DecodeRequest
from coach.vad import VadConfig, VadStage
from tests.conftest import marker_classifier


class EchoTranscriber:
    """Says how long the audio was, so each utterance's text identifies it."""

    def __init__(self, fail_on=None):
        self.calls = 0
        self.fail_on = fail_on

    def transcribe(self, audio, lang=None, final=True, fallback=None):
        self.calls += 1
        if self.fail_on == self.calls:
            raise RuntimeError("boom")
        return AsrResult(f"{len(audio) / 16000:.1f} seconds", lang or "en", 0.99)


def call_file(tmp_path):
    rate = 16000
    left = np.zeros(rate * 8)
    right = np.zeros(rate * 8)
    left[rate * 1 : rate * 3] = 0.3  # collector speaks 1–3 s
    right[rate * 4 : int(rate * 6.5)] = 0.3  # debtor 4–6.5 s
    path = tmp_path / "call.wav"
    sf.write(path, np.stack([left, right], axis=1), rate)
    return path


def run_call(tmp_path, transcriber, threaded=False, lanes=1):
    out = io.StringIO()
    call = Call(
        transcriber,
        sinks=[JsonlSink(out)],
        vad_stage=VadStage(VadConfig(), classifier=marker_classifier),
        lanes=lanes,
    )
    report = call.run(FileSource(call_file(tmp_path), realtime=False), lockstep=not threaded)
    return [from_json(line) for line in out.getvalue().splitlines()], report


def test_lockstep_call_emits_each_turn_once_in_order(tmp_path):
    events, report = run_call(tmp_path, EchoTranscriber())
    finals = [e for e in events if e.type == "utterance"]
    assert [u.channel for u in finals] == ["collector", "debtor"]
    spans = [(u.start, u.end) for u in finals]
    for (start, end), (ref_start, ref_end) in zip(spans, [(1.0, 3.0), (4.0, 6.5)], strict=True):
        assert abs(start - ref_start) <= 0.03 and abs(end - ref_end) <= 0.03  # 30 ms frames
    # 0.2 s pad before, 0.15 s tail after: 2.35 s of audio, printed to 0.1 s
    assert finals[0].text.endswith(" seconds")
    assert abs(float(finals[0].text.split()[0]) - 2.35) <= 0.06
    assert events[0].type == "call_started" and events[-1].type == "call_ended"
    ts = [e.t for e in events]
    assert ts == sorted(ts)
    for u in finals:  # emitted at the end of the hangover, not before the speech ended
        assert u.t >= u.end
    assert any(e.type == "partial" for e in events)
    assert report.utterances == 2 and abs(report.audio_s - 8.0) < 0.01


@pytest.mark.parametrize("lanes", [1, 2])
def test_threaded_run_gives_the_same_finals(tmp_path, lanes):
    lock, _ = run_call(tmp_path, EchoTranscriber())
    threaded, _ = run_call(tmp_path, EchoTranscriber(), threaded=True, lanes=lanes)

    def finals(evs):
        return [(e.channel, e.start, e.end, e.text) for e in evs if e.type == "utterance"]

    assert finals(threaded) == finals(lock)


def test_a_failing_decode_does_not_end_the_call(tmp_path):
    events, _ = run_call(tmp_path, EchoTranscriber(fail_on=1))
    assert events[-1].type == "call_ended"
    assert len([e for e in events if e.type == "utterance"]) >= 1


def test_a_broken_sink_does_not_end_the_call(tmp_path):
    class Broken:
        def emit(self, event):
            raise OSError("disk full")

        def close(self):
            raise OSError("disk full")

    out = io.StringIO()
    call = Call(
        EchoTranscriber(),
        sinks=[Broken(), JsonlSink(out)],
        vad_stage=VadStage(VadConfig(), classifier=marker_classifier),
    )
    call.run(FileSource(call_file(tmp_path)))
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert sum(1 for x in lines if x["type"] == "utterance") == 2


def test_a_request_from_the_overlay_enters_the_call_at_the_current_call_time(tmp_path):
    """The recap hotkey: ``Call.request`` from another thread becomes a ``Request`` event before
    the next piece of audio, stamped with the call time, and stages answer it."""
    from coach.delivery.promise import CommitmentStage

    out = io.StringIO()
    stage = CommitmentStage(lambda cue, lang: "Recap: {checklist}")
    call = Call(
        EchoTranscriber(),
        listeners=[stage],
        sinks=[JsonlSink(out)],
        vad_stage=VadStage(VadConfig(), classifier=marker_classifier),
    )

    class Hotkey:  # presses the key when the collector's turn is transcribed
        def emit(self, event):
            if event.type == "utterance" and event.channel == "collector":
                press = threading.Thread(target=call.request, args=("recap",))
                press.start()
                press.join()

        def close(self):
            pass

    call.sinks.append(Hotkey())
    call.run(FileSource(call_file(tmp_path), realtime=False))
    events = [from_json(line) for line in out.getvalue().splitlines()]
    said = next(e for e in events if e.type == "utterance")
    (asked,) = [e for e in events if e.type == "request"]
    assert asked.action == "recap" and asked.channel == "collector"
    assert said.t <= asked.t <= said.t + 0.5  # taken in with the next chunks of audio
    (recap,) = [e for e in events if e.type == "cue" and e.cue == "recap"]
    assert recap.t == asked.t
    assert recap.text.startswith("Recap: ✗ amount") and "✗ consequences stated" in recap.text


class HeldPartials:
    """Partials block until released; finals return at once."""

    def __init__(self):
        self.release = threading.Event()
        self.partial_started = threading.Event()

    def transcribe(self, audio, lang=None, final=True, fallback=None):
        if not final:
            self.partial_started.set()
            self.release.wait(timeout=10)
        return AsrResult("final" if final else "partial", "en", 0.99)


def _request(kind, utterance="d0001"):
    return DecodeRequest("debtor", utterance, kind, np.zeros(1600, np.float32), 1.0)


def _final_behind_a_running_partial(lanes):
    """A worker busy on a (blocked) partial when a final arrives."""
    transcriber = HeldPartials()
    delivered = []
    worker = _Worker(transcriber, delivered.append, lanes=lanes)
    worker.submit(_request("partial"))
    assert transcriber.partial_started.wait(timeout=5)
    worker.submit(_request("final"))
    return transcriber, worker, delivered


def test_with_two_lanes_a_final_overtakes_a_running_partial():
    transcriber, worker, delivered = _final_behind_a_running_partial(lanes=2)
    for _ in range(200):  # the final lane is free: its result comes while the partial runs
        if delivered:
            break
        threading.Event().wait(0.01)
    assert [r.request.kind for r in delivered] == ["final"]
    transcriber.release.set()
    worker.close()
    assert [r.request.kind for r in delivered] == ["final", "partial"]


def test_with_one_lane_a_final_waits_for_the_running_partial():
    transcriber, worker, delivered = _final_behind_a_running_partial(lanes=1)
    threading.Event().wait(0.2)
    assert delivered == []
    transcriber.release.set()
    worker.close()
    assert [r.request.kind for r in delivered] == ["partial", "final"]
