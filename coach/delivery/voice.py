"""How loud and how high the collector speaks, frame by frame, from the audio itself.

Computed as audio arrives (on the pipeline's thread, never PortAudio's), vectorised over the
frames of a chunk, so that judging an utterance later only takes medians of stored numbers:
- level: RMS of a 32 ms frame in dBFS;
- pitch: the lag of the strongest normalised autocorrelation peak between 70 and 400 Hz (the
  range of adult speaking voices), kept only where that peak is clear (a voiced frame).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from coach.events import SAMPLE_RATE, AudioChunk

FRAME = 512  # 32 ms at 16 kHz
MIN_LAG, MAX_LAG = SAMPLE_RATE // 400, SAMPLE_RATE // 70
VOICED = 0.45  # normalised autocorrelation peak above which a frame has a pitch
SILENT_DB = -50.0  # frames quieter than this are not speech


class VoiceTrack:
    """Level and pitch per frame of one channel, for the last ``keep_s`` seconds."""

    def __init__(self, keep_s: float = 120.0) -> None:
        self._frames: deque[tuple[float, float, float]] = deque(
            maxlen=int(keep_s * SAMPLE_RATE / FRAME)
        )  # (time, dBFS, Hz or nan)
        self._carry = np.zeros(0, np.float32)
        self._carry_start = 0.0

    def push(self, chunk: AudioChunk) -> None:
        samples = np.concatenate([self._carry, chunk.samples.astype(np.float32) / 32768.0])
        start = chunk.start - len(self._carry) / SAMPLE_RATE if len(self._carry) else chunk.start
        n = len(samples) // FRAME
        self._carry = samples[n * FRAME :]
        if n == 0:
            return
        frames = samples[: n * FRAME].reshape(n, FRAME)
        db, hz = analyse(frames)
        times = start + np.arange(n) * FRAME / SAMPLE_RATE
        self._frames.extend(zip(times.tolist(), db.tolist(), hz.tolist(), strict=True))

    def summary(self, start: float, end: float) -> tuple[float | None, float | None]:
        """Median level (dBFS) of the speech frames and median pitch (Hz) of the voiced ones
        between ``start`` and ``end``; None where there is not enough to say."""
        picked = [(db, hz) for t, db, hz in self._frames if start <= t < end and db > SILENT_DB]
        if len(picked) < 8:  # a quarter of a second of speech
            return None, None
        levels = np.array([db for db, _ in picked])
        pitches = np.array([hz for _, hz in picked if hz == hz])  # drop NaN
        level = float(np.median(levels))
        pitch = float(np.median(pitches)) if len(pitches) >= 5 else None
        return level, pitch


def analyse(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """dBFS and pitch (Hz, NaN when unvoiced) of each row of ``frames``."""
    rms = np.sqrt(np.mean(frames**2, axis=1)) + 1e-9
    db = 20 * np.log10(rms)
    centred = frames - frames.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(centred * np.hanning(FRAME), n=2 * FRAME, axis=1)
    ac = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, : MAX_LAG + 1]
    ac = ac / (ac[:, :1] + 1e-12)
    window = ac[:, MIN_LAG : MAX_LAG + 1]
    lag = window.argmax(axis=1) + MIN_LAG
    peak = window.max(axis=1)
    hz = np.where((peak > VOICED) & (db > SILENT_DB), SAMPLE_RATE / lag, np.nan)
    return db, hz
