"""The call pipeline: source → VAD → streaming ASR → listeners → sinks, read top-down in ``Call``.

Two ways to run the same stages:

- ``lockstep`` (``coach replay`` without ``--realtime``): one thread; each decode runs the moment
  it is asked for, before the next audio block. Deterministic: what you get is what a coach with an
  infinitely fast CPU would emit, so tests and QA replays are repeatable.
- threaded (live capture, ``--realtime``): the source runs on its own thread (the audio callback
  only copies), one ASR worker thread runs decodes by priority (finals before partials, debtor
  before collector) — or two, one for finals and one for partials (``asr.lanes: 2``) —, and the
  call thread owns all stage state, so stages need no locks.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from coach.asr import AsrResult
from coach.events import (
    CALL,
    AudioChunk,
    CallEnded,
    CallStarted,
    Event,
    Request,
    Status,
    Utterance,
)
from coach.streaming import DecodeRequest, DecodeResult, StreamingAsr, StreamingConfig
from coach.vad import VadConfig, VadStage

log = logging.getLogger(__name__)


class Source(Protocol):
    name: str
    started_at: str
    warnings: list[str]
    end_reason: str  # why blocks() ended: end of the recording, --duration, ...

    def blocks(self) -> Iterator[list[AudioChunk | Event]]: ...

    def stop(self) -> None: ...


class Listener(Protocol):
    """A stage downstream of the transcript (matcher, delivery coach, compliance guard).

    A stage (or sink) that also defines ``audio(chunk)`` gets every audio chunk first, on the
    pipeline's thread, before the events cut from that audio.
    """

    def handle(self, event: Event) -> Iterable[Event]: ...


class Sink(Protocol):
    def emit(self, event: Event) -> None: ...

    def close(self) -> None: ...


class Transcribe(Protocol):
    def transcribe(
        self, audio, lang: str | None = None, final: bool = True, fallback: str | None = None
    ) -> AsrResult: ...


@dataclass
class DecodeStat:
    channel: str
    kind: str
    audio_s: float
    compute_s: float


@dataclass
class CallReport:
    call_id: str
    audio_s: float = 0.0
    wall_s: float = 0.0
    events: int = 0
    utterances: int = 0
    decodes: list[DecodeStat] = field(default_factory=list)
    reason: str = "end of audio"


def run_decode(transcriber: Transcribe, req: DecodeRequest) -> DecodeResult:
    """One decode; an ASR failure becomes a rejected result, never a dead call."""
    began = time.perf_counter()
    try:
        result = transcriber.transcribe(req.audio, final=req.kind == "final", fallback=req.fallback)
    except Exception as err:  # noqa: BLE001 - one bad stretch of audio must not end the call
        log.exception("decode failed on %s %s", req.channel, req.utterance_id)
        result = AsrResult(
            "",
            "",
            0.0,
            rejected=f"asr error: {err}",
            seconds=time.perf_counter() - began,
        )
    return DecodeResult(req, result)


class _Worker:
    """The ASR worker: runs requests by priority on its own thread — or, with two lanes, finals
    on one thread and partials on another, so a final never waits behind a running partial."""

    def __init__(
        self, transcriber: Transcribe, deliver: Callable[[DecodeResult], None], lanes: int = 1
    ) -> None:
        self._transcriber = transcriber
        self._deliver = deliver
        finals = queue.PriorityQueue()
        partials = queue.PriorityQueue() if lanes > 1 else finals
        self._queues: dict[str, queue.PriorityQueue] = {"final": finals, "partial": partials}
        self._lanes = [finals] if partials is finals else [finals, partials]
        self._order = 0
        self._latest: dict[tuple[str, str], int] = {}  # newest request per utterance and kind
        self._threads = [
            threading.Thread(target=self._loop, args=(q,), name=f"asr-lane{i}", daemon=True)
            for i, q in enumerate(self._lanes)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, req: DecodeRequest) -> None:
        self._order += 1
        self._latest[(req.utterance_id, req.kind)] = self._order
        self._queues[req.kind].put((req.priority, self._order, req))

    def close(self) -> None:
        for lane in self._lanes:
            lane.put((99, 0, None))
        for thread in self._threads:
            thread.join(timeout=30)

    def _loop(self, requests: queue.PriorityQueue) -> None:
        while True:
            _, order, req = requests.get()
            if req is None:
                return
            key = (req.utterance_id, req.kind)  # one lane per kind: no other thread pops it
            if self._latest.get(key, order) > order:
                continue  # a later pause of the same utterance superseded this decode
            self._latest.pop(key, None)
            self._deliver(run_decode(self._transcriber, req))


class Call:
    """One call through the pipeline."""

    def __init__(
        self,
        transcriber: Transcribe,
        listeners: Iterable[Listener] = (),
        sinks: Iterable[Sink] = (),
        vad: VadConfig | None = None,
        streaming: StreamingConfig | None = None,
        vad_stage: VadStage | None = None,
        call_id: str | None = None,
        lanes: int = 1,
    ) -> None:
        self.transcriber = transcriber
        self.lanes = lanes  # decode threads when threaded (AsrConfig.lanes)
        self.vad = vad_stage or VadStage(vad or VadConfig())
        self.asr = StreamingAsr(streaming)
        self.listeners = list(listeners)
        self.sinks = list(sinks)
        self.report = CallReport(call_id or uuid.uuid4().hex[:12])
        self._submit: Callable[[DecodeRequest], None] = self._decode_inline
        self._requests: queue.SimpleQueue[str] = queue.SimpleQueue()

    def request(self, action: str) -> None:
        """Take the collector's request (an overlay hotkey, on another thread): it enters the
        call as a ``Request`` event before the next piece of audio, stamped with the call time."""
        self._requests.put(action)

    # --- running ------------------------------------------------------------------------------

    def run(self, source: Source, lockstep: bool = True) -> CallReport:
        began = time.perf_counter()
        self._emit(
            CallStarted(
                channel=CALL,
                t=0.0,
                call_id=self.report.call_id,
                source=source.name,
                started_at=source.started_at,
            )
        )
        for warning in source.warnings:
            self._emit(Status(channel=CALL, t=0.0, state="warning", detail=warning))
        try:
            if lockstep:
                for block in source.blocks():
                    for item in block:
                        self._on_item(item)
            else:
                self._run_threaded(source)
            self.report.reason = source.end_reason
        except KeyboardInterrupt:
            source.stop()
            self.report.reason = "stopped by user"
        self._finish()
        self.report.wall_s = time.perf_counter() - began
        return self.report

    def _run_threaded(self, source: Source) -> None:
        inbox: queue.Queue = queue.Queue()
        worker = _Worker(self.transcriber, inbox.put, self.lanes)
        self._submit = worker.submit
        done = object()

        def pump() -> None:
            try:
                for block in source.blocks():
                    for item in block:
                        inbox.put(item)
            except Exception as err:  # noqa: BLE001 - report, then end the call cleanly
                log.exception("audio source failed")
                inbox.put(Status(channel=CALL, t=self.asr.now, state="lost", detail=str(err)))
            inbox.put(done)

        threading.Thread(target=pump, name="audio-source", daemon=True).start()
        try:
            while (item := inbox.get()) is not done:
                self._on_item(item)
            # End of audio: close open speech, then wait for the decodes still owed.
            self._flush_vad()
            while self.asr.pending:
                try:
                    self._on_item(inbox.get(timeout=120))
                except queue.Empty:  # a decode that never returns must not hang the coach
                    log.error("gave up waiting for %d final decodes", self.asr.pending)
                    break
        finally:
            source.stop()
            worker.close()
            self._submit = self._decode_inline

    def _finish(self) -> None:
        self._flush_vad()
        self._emit(
            CallEnded(
                channel=CALL,
                t=round(self.asr.now, 3),
                call_id=self.report.call_id,
                reason=self.report.reason,
            )
        )
        self.report.audio_s = self.asr.now
        for sink in self.sinks:
            try:
                sink.close()
            except Exception:  # noqa: BLE001
                log.exception("sink %r failed to close", sink)

    def _flush_vad(self) -> None:
        for ev in self.vad.flush(self.asr.now):
            self._emit(ev)

    # --- dispatch -----------------------------------------------------------------------------

    def _on_item(self, item: AudioChunk | Event | DecodeResult) -> None:
        while not self._requests.empty():
            action = self._requests.get_nowait()
            self._emit(Request(channel="collector", t=round(self.asr.now, 3), action=action))
        if isinstance(item, AudioChunk):
            # stages and sinks that use audio (delivery's voice level, the store) have audio()
            for user in (*self.listeners, *self.sinks):
                if take := getattr(user, "audio", None):
                    try:
                        take(item)
                    except Exception:  # noqa: BLE001 - a full disk must not stop the call
                        log.exception("%r failed on audio", user)
            self._dispatch(self.asr.handle(item))  # audio first: speech events cut from it
            for ev in self.vad.push(item):
                self._emit(ev)
        elif isinstance(item, DecodeResult):
            req, res = item.request, item.result
            self.report.decodes.append(
                DecodeStat(req.channel, req.kind, len(req.audio) / 16000, res.seconds)
            )
            self._dispatch(self.asr.handle(item))
        else:
            self._emit(item)

    def _dispatch(self, outputs: Iterable[Event | DecodeRequest]) -> None:
        for out in outputs:
            if isinstance(out, DecodeRequest):
                self._submit(out)
            else:
                self._emit(out)

    def _decode_inline(self, req: DecodeRequest) -> None:
        self._on_item(run_decode(self.transcriber, req))

    def _emit(self, first: Event) -> None:
        """Send an event to the sinks and every stage; what they answer is emitted in turn."""
        pending = deque([first])
        while pending:
            event = pending.popleft()
            self.report.events += 1
            self.report.utterances += isinstance(event, Utterance)
            for sink in self.sinks:
                try:
                    sink.emit(event)
                except Exception:  # noqa: BLE001 - a broken view must not stop the call
                    log.exception("sink %r failed on %s", sink, event.type)
            self._dispatch(self.asr.handle(event))
            for listener in self.listeners:
                try:
                    pending.extend(listener.handle(event))
                except Exception:  # noqa: BLE001
                    log.exception("listener %r failed on %s", listener, event.type)
