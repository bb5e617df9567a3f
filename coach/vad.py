"""Voice activity per channel: 30 ms frames in, speech started / paused / ended events out.

webrtcvad classifies each frame; a little state machine turns the jittery per-frame flags into
utterances:

- onset: ``onset_ms`` of voiced frames within the last ``onset_window_ms`` starts speech (a click
  or a cough does not);
- pause: ``pause_ms`` of non-speech after the last voiced frame emits SpeechPaused, so the ASR can
  start on the final text while the hangover runs (SpeechResumed if the speaker goes on);
- end: ``hangover_ms`` of non-speech ends the utterance. The hangover is longer than the pauses
  people make inside a sentence (150–400 ms at commas and breaths) and shorter than a turn gap;
- an utterance longer than ``max_utterance_s`` is cut, because Whisper sees at most 30 s.

Reported ``start``/``end`` are the edges of the voiced frames, not of the hangover.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from coach.events import (
    SAMPLE_RATE,
    AudioChunk,
    Channel,
    Event,
    SpeechEnded,
    SpeechPaused,
    SpeechResumed,
    SpeechStarted,
)

FrameClassifier = Callable[[bytes], bool]


@dataclass(frozen=True)
class VadConfig:
    aggressiveness: int = 2  # webrtcvad 0 (lenient) … 3 (strict)
    frame_ms: int = 30
    onset_ms: int = 150
    onset_window_ms: int = 300
    pause_ms: int = 150
    hangover_ms: int = 500
    max_utterance_s: float = 20.0

    def __post_init__(self) -> None:
        if self.frame_ms not in (10, 20, 30):
            raise ValueError("vad.frame_ms must be 10, 20 or 30")
        if not 0 <= self.aggressiveness <= 3:
            raise ValueError("vad.aggressiveness must be 0..3")
        if not self.pause_ms < self.hangover_ms:
            raise ValueError("vad.pause_ms must be shorter than vad.hangover_ms")


def webrtc_classifier(aggressiveness: int) -> FrameClassifier:
    import webrtcvad

    vad = webrtcvad.Vad(aggressiveness)
    return lambda frame: vad.is_speech(frame, SAMPLE_RATE)


class ChannelVad:
    """Segments one channel's audio into utterances."""

    def __init__(self, channel: Channel, config: VadConfig, classify: FrameClassifier) -> None:
        self.channel = channel
        self.config = config
        self._classify = classify
        self._frame_len = SAMPLE_RATE * config.frame_ms // 1000
        self._frame_s = config.frame_ms / 1000
        self._pending = np.zeros(0, dtype=np.int16)  # samples not yet making a whole frame
        self._pending_start = 0.0
        window = max(1, config.onset_window_ms // config.frame_ms)
        self._recent: deque[tuple[float, bool]] = deque(maxlen=window)  # (frame start, voiced)
        self._onset_frames = max(1, config.onset_ms // config.frame_ms)
        self.in_speech = False
        self._start = 0.0
        self._last_voiced_end = 0.0
        self._paused_sent = False

    def push(self, chunk: AudioChunk) -> list[Event]:
        if not len(self._pending):
            self._pending_start = chunk.start
        self._pending = np.concatenate([self._pending, chunk.samples])
        events: list[Event] = []
        n_frames = len(self._pending) // self._frame_len
        for i in range(n_frames):
            frame = self._pending[i * self._frame_len : (i + 1) * self._frame_len]
            start = self._pending_start + i * self._frame_s
            events.extend(self._on_frame(start, self._classify(frame.tobytes())))
        self._pending = self._pending[n_frames * self._frame_len :]
        self._pending_start += n_frames * self._frame_s
        return events

    def flush(self, t: float) -> list[Event]:
        """End any open utterance (end of the recording, or the call stopped)."""
        if not self.in_speech:
            return []
        return self._end(t)

    def _on_frame(self, start: float, voiced: bool) -> list[Event]:
        end = start + self._frame_s
        self._recent.append((start, voiced))
        if not self.in_speech:
            if sum(v for _, v in self._recent) < self._onset_frames:
                return []
            self.in_speech = True
            self._start = next(s for s, v in self._recent if v)
            self._last_voiced_end = end
            self._paused_sent = False
            return [
                SpeechStarted(channel=self.channel, t=round(end, 3), start=round(self._start, 3))
            ]

        if voiced:
            self._last_voiced_end = end
            events: list[Event] = []
            if self._paused_sent:
                self._paused_sent = False
                events.append(
                    SpeechResumed(
                        channel=self.channel, t=round(end, 3), start=round(self._start, 3)
                    )
                )
            if end + self._frame_s - self._start > self.config.max_utterance_s + 1e-9:
                # Cut here and go on as a new utterance; the speaker has not stopped.
                events += self._end(end)
                self.in_speech = True
                self._start = end
                events.append(
                    SpeechStarted(channel=self.channel, t=round(end, 3), start=round(end, 3))
                )
            return events

        silence_ms = (end - self._last_voiced_end) * 1000
        if silence_ms >= self.config.hangover_ms - 1e-6:
            return self._end(end)
        if silence_ms >= self.config.pause_ms - 1e-6 and not self._paused_sent:
            self._paused_sent = True
            return [self._span(SpeechPaused, end)]
        return []

    def _end(self, t: float) -> list[Event]:
        self.in_speech = False
        self._recent.clear()
        return [self._span(SpeechEnded, t)]

    def _span(self, cls: type[SpeechPaused] | type[SpeechEnded], t: float) -> Event:
        return cls(
            channel=self.channel,
            t=round(t, 3),
            start=round(self._start, 3),
            end=round(self._last_voiced_end, 3),
        )


class VadStage:
    """One :class:`ChannelVad` per channel; audio chunks in, speech events out."""

    def __init__(
        self, config: VadConfig, classifier: Callable[[], FrameClassifier] | None = None
    ) -> None:
        make = classifier or (lambda: webrtc_classifier(config.aggressiveness))
        self._config = config
        self._make = make
        self._channels: dict[str, ChannelVad] = {}

    def push(self, chunk: AudioChunk) -> list[Event]:
        vad = self._channels.get(chunk.channel)
        if vad is None:
            vad = self._channels[chunk.channel] = ChannelVad(
                chunk.channel, self._config, self._make()
            )
        return vad.push(chunk)

    def flush(self, t: float) -> list[Event]:
        return [ev for vad in self._channels.values() for ev in vad.flush(t)]
