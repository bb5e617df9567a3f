"""Streaming transcription as a plain stage: audio and speech events in, decode requests and
partial/final utterance events out.

The stage never runs Whisper itself. It asks for decodes (:class:`DecodeRequest`) and is handed
their results (:class:`DecodeResult`); the runner decides where they run (inline for a
deterministic replay, on the one ASR worker thread live). That keeps this logic testable by
pushing items in, with no model and no threads.

Per utterance:
- a partial every ``partial_interval_s`` of new speech once ``first_partial_s`` has been heard, at
  most one in flight per channel, and never sooner than ``partial_interval_s`` after the previous
  partial's result (a slow worker lowers the partial rate instead of starving the finals);
- the final decode starts at SpeechPaused (speculatively, while the VAD hangover runs) and is used
  at SpeechEnded if the speech really ended there; otherwise it is decoded again;
- every decode detects the language (it shares Whisper's encoder pass, so it costs little); when
  detection is unsure the speaker's last language is kept (``fallback``);
- a long turn is decoded in *pieces* cut at its inner pauses: when speech resumes after a pause
  that closed at least ``min_piece_s`` of speech, that pause's speculative final is kept as the
  text of the piece, and later partials and finals decode only the audio after it. The final at
  the end of a long turn then decodes its last piece, not the whole turn, and partials stop
  growing with the turn, so they block the worker for less time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from coach.asr import AsrResult
from coach.events import (
    SAMPLE_RATE,
    AudioChunk,
    Event,
    Partial,
    SpeechDiscarded,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
    Utterance,
)
from coach.stability import HypothesisBuffer

DecodeKind = Literal["partial", "final"]


@dataclass(frozen=True)
class StreamingConfig:
    partials: bool = True
    first_partial_s: float = 1.0
    partial_interval_s: float = 0.5
    pad_s: float = 0.2  # audio before the first voiced frame handed to Whisper
    tail_s: float = 0.15  # and after the last one (a pause is known to be this long)
    min_utterance_s: float = 0.3  # shorter speech is a click or a breath, not words
    # an inner pause commits the speech before it as a piece of at least this length (0: never);
    # shorter pieces give Whisper too little context, and are decoded again with what follows
    min_piece_s: float = 2.5


@dataclass(frozen=True, eq=False)
class DecodeRequest:
    channel: str
    utterance_id: str
    kind: DecodeKind
    audio: np.ndarray  # float32, 16 kHz
    end: float  # call seconds: speech end (final) or end of the audio so far (partial)
    fallback: str | None = None  # the language to keep when detection is unsure
    begin: float = 0.0  # call seconds where the decoded piece begins (the utterance's start)

    @property
    def priority(self) -> int:
        """Lower runs first: finals before partials, the debtor before the collector."""
        return (0 if self.kind == "final" else 2) + (0 if self.channel == "debtor" else 1)


@dataclass(frozen=True)
class DecodeResult:
    request: DecodeRequest
    result: AsrResult


@dataclass
class _Utterance:
    id: str
    channel: str
    start: float
    hyp: HypothesisBuffer = field(default_factory=HypothesisBuffer)
    last_partial_end: float = 0.0
    partial_in_flight: bool = False
    last_partial_text: str = ""
    paused: bool = False  # in the silence after SpeechPaused: no partials, nothing new is said
    final_requested: float | None = None  # speech end of the final decode in flight
    finals: dict[float, tuple[float, AsrResult]] = field(default_factory=dict)  # end -> begin, …
    ended: SpeechEnded | None = None
    pieces: list[tuple[float, float, AsrResult]] = field(default_factory=list)  # begin, end, text
    piece_start: float = 0.0  # where the audio not yet in a piece begins
    last_pause: float | None = None
    resumed_after: set[float] = field(default_factory=set)  # pause ends that speech went on from

    def before(self, begin: float) -> list[AsrResult]:
        """The committed pieces that end where a decode starting at ``begin`` takes over."""
        return [r for _, end, r in self.pieces if end < begin]


class _ChannelAudio:
    """The recent audio of one channel, enough to cut out the utterance being spoken."""

    def __init__(self) -> None:
        self._parts: list[np.ndarray] = []
        self.start = 0.0  # call seconds of the first kept sample
        self.end = 0.0

    def append(self, chunk: AudioChunk) -> None:
        if not self._parts:
            self.start = chunk.start
        self._parts.append(chunk.samples)
        self.end = chunk.end

    def slice(self, a: float, b: float) -> np.ndarray:
        data = np.concatenate(self._parts) if self._parts else np.zeros(0, np.int16)
        self._parts = [data]
        i = max(0, round((a - self.start) * SAMPLE_RATE))
        j = max(i, round((b - self.start) * SAMPLE_RATE))
        return data[i:j].astype(np.float32) / 32768.0

    def keep_after(self, t: float) -> None:
        """Forget audio before ``t`` (call seconds)."""
        if not self._parts or t <= self.start:
            return
        data = np.concatenate(self._parts)
        drop = min(len(data), round((t - self.start) * SAMPLE_RATE))
        self._parts = [data[drop:]]
        self.start += drop / SAMPLE_RATE


Output = Event | DecodeRequest


class StreamingAsr:
    """Turns speech segments into partial and final utterance events."""

    def __init__(self, config: StreamingConfig | None = None) -> None:
        self.config = config or StreamingConfig()
        self._audio: dict[str, _ChannelAudio] = {}
        self._speaking: dict[str, _Utterance] = {}  # channel -> utterance being spoken
        self._open: dict[str, _Utterance] = {}  # id -> every utterance without its final yet
        self._ids = itertools.count(1)
        self._last_lang: dict[str, str] = {}  # channel (and "call") -> language of its last final
        self.now = 0.0  # call seconds of audio captured so far, on any channel

    @property
    def pending(self) -> int:
        """Utterances still waiting for their final text."""
        return len(self._open)

    def handle(self, item: AudioChunk | Event | DecodeResult) -> list[Output]:
        if isinstance(item, AudioChunk):
            return list(self._on_audio(item))
        if isinstance(item, DecodeResult):
            return list(self._on_result(item))
        if isinstance(item, SpeechStarted):
            return self._on_start(item)
        if isinstance(item, SpeechPaused):
            return list(self._on_pause(item))
        if isinstance(item, SpeechResumed):
            if utt := self._speaking.get(item.channel):
                utt.paused = False
                if utt.last_pause is not None:
                    utt.resumed_after.add(utt.last_pause)
                    self._commit(utt, utt.last_pause)
            return []
        if isinstance(item, SpeechEnded):
            return list(self._on_end(item))
        return []

    # --- audio and speech events --------------------------------------------------------------

    def _on_audio(self, chunk: AudioChunk) -> Iterable[Output]:
        self.now = max(self.now, chunk.end)
        audio = self._audio.setdefault(chunk.channel, _ChannelAudio())
        audio.append(chunk)
        utt = self._speaking.get(chunk.channel)
        if utt is None:
            # Requests carry their own copy of the audio, so between utterances only the
            # stretch a coming SpeechStarted can reach back into is kept (onset window + pad).
            audio.keep_after(chunk.end - 1.0)
            return
        cfg = self.config
        heard = chunk.end - utt.start
        if (
            cfg.partials
            and not utt.paused
            and not utt.partial_in_flight
            and heard >= cfg.first_partial_s
            and chunk.end - utt.last_partial_end >= cfg.partial_interval_s
        ):
            utt.partial_in_flight = True
            utt.last_partial_end = chunk.end
            yield self._request(utt, "partial", chunk.end)

    def _on_start(self, ev: SpeechStarted) -> list[Output]:
        utt = _Utterance(
            id=f"{ev.channel[0]}{next(self._ids):04d}",
            channel=ev.channel,
            start=ev.start,
            piece_start=ev.start,
        )
        self._speaking[ev.channel] = utt
        self._open[utt.id] = utt
        return []

    def _on_pause(self, ev: SpeechPaused) -> Iterable[Output]:
        utt = self._speaking.get(ev.channel)
        if utt is not None:
            utt.paused = True
            utt.last_pause = ev.end
        if utt is not None and ev.end - utt.start >= self.config.min_utterance_s:
            yield self._request_final(utt, ev.end)

    def _on_end(self, ev: SpeechEnded) -> Iterable[Output]:
        utt = self._speaking.pop(ev.channel, None)
        if utt is None:
            return
        utt.ended = ev
        if ev.end - utt.start < self.config.min_utterance_s:
            yield from self._close(utt, utt.start, None, reason="too short")
        elif ev.end in utt.finals:
            yield from self._close(utt, *utt.finals[ev.end])
        elif utt.final_requested != ev.end:
            yield self._request_final(utt, ev.end)

    # --- decode results -----------------------------------------------------------------------

    def _on_result(self, res: DecodeResult) -> Iterable[Output]:
        req, result = res.request, res.result
        utt = self._open.get(req.utterance_id)
        if utt is None:
            return
        if req.kind == "partial":
            utt.partial_in_flight = False
            # The next partial waits a full interval after this result: on a slow CPU the
            # worker then still has room for finals instead of decoding partials back to back.
            utt.last_partial_end = max(utt.last_partial_end, self.now)
            if utt.ended is None and result.rejected is None:
                yield from self._partial(utt, req, result)
            return
        utt.finals[req.end] = (req.begin, result)
        if utt.final_requested == req.end:
            utt.final_requested = None
        if utt.ended is not None and utt.ended.end == req.end:
            yield from self._close(utt, req.begin, result)
        elif utt.ended is None and req.end in utt.resumed_after:
            self._commit(utt, req.end)

    def _commit(self, utt: _Utterance, pause: float) -> None:
        """Keep the speculative final of ``pause`` as a piece, once speech went on after it."""
        if pause not in utt.finals or self.config.min_piece_s <= 0:
            return
        begin, result = utt.finals[pause]
        if begin != utt.piece_start or pause - begin < self.config.min_piece_s:
            return
        if result.rejected is None:
            utt.pieces.append((begin, pause, result))
            # the pause lasted at least the VAD's pause_ms: start the next piece inside it
            utt.piece_start = round(pause + self.config.tail_s / 2, 3)

    def _partial(self, utt: _Utterance, req: DecodeRequest, result: AsrResult) -> Iterable[Event]:
        result = joined([*utt.before(req.begin), result])
        stable, text = utt.hyp.update(result.text)
        if text == utt.last_partial_text:
            return
        utt.last_partial_text = text
        yield Partial(
            channel=utt.channel,
            t=round(self.now, 3),
            utterance_id=utt.id,
            start=utt.start,
            end=round(req.end, 3),
            lang=result.lang,
            text=text,
            stable=stable,
        )

    def _close(
        self, utt: _Utterance, begin: float, result: AsrResult | None, reason: str = ""
    ) -> Iterable[Event]:
        self._open.pop(utt.id, None)
        if result is not None and (earlier := utt.before(begin)):
            # the last piece alone may be noise ("嗯…"): the committed pieces still stand
            result = joined(earlier if result.rejected else [*earlier, result])
        ended = utt.ended
        assert ended is not None
        span = dict(
            channel=utt.channel,
            t=round(self.now, 3),
            utterance_id=utt.id,
            start=utt.start,
            end=ended.end,
        )
        if result is None or result.rejected:
            yield SpeechDiscarded(
                **span,
                reason=reason or str(result and result.rejected),
                text=result.text if result else "",
            )
            return
        self._last_lang[utt.channel] = self._last_lang["call"] = result.lang
        yield Utterance(
            **span,
            lang=result.lang,
            text=result.text,
            lang_prob=round(result.lang_prob, 3),
            avg_logprob=round(result.avg_logprob, 3),
            no_speech_prob=round(result.no_speech_prob, 3),
        )

    # --- requests -----------------------------------------------------------------------------

    def _request_final(self, utt: _Utterance, end: float) -> DecodeRequest:
        utt.final_requested = end
        return self._request(utt, "final", end)

    def _request(self, utt: _Utterance, kind: DecodeKind, end: float) -> DecodeRequest:
        cfg = self.config
        tail = cfg.tail_s if kind == "final" else 0.0
        begin = utt.piece_start
        pad = cfg.pad_s if begin == utt.start else 0.0  # a later piece starts inside a pause
        audio = self._audio[utt.channel].slice(begin - pad, end + tail)
        fallback = (
            (utt.pieces[0][2].lang if utt.pieces else None)
            or self._last_lang.get(utt.channel)
            or self._last_lang.get("call")
        )
        return DecodeRequest(utt.channel, utt.id, kind, audio, round(end, 3), fallback, begin)


def joined(parts: list[AsrResult]) -> AsrResult:
    """One result for consecutive pieces of a turn: texts joined, the longest piece's language."""
    if len(parts) == 1:
        return parts[0]
    main = max(parts, key=lambda r: len(r.text))
    text = ""
    for r in parts:
        if not text:
            text = r.text
        elif r.lang == "zh" or main.lang == "zh":
            text += r.text if text[-1] in "，。！？、,.!?" else "，" + r.text
        else:
            text += " " + r.text
    weights = [max(1, len(r.text)) for r in parts]
    return replace(
        main,
        text=text,
        avg_logprob=sum(r.avg_logprob * w for r, w in zip(parts, weights, strict=True))
        / sum(weights),
        no_speech_prob=min(r.no_speech_prob for r in parts),
        compression_ratio=max(r.compression_ratio for r in parts),
        seconds=sum(r.seconds for r in parts),
    )
