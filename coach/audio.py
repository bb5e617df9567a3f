"""Recorded calls as a source: decode, map channels to sides, resample to 16 kHz, stream in blocks.

A stereo recording is left = collector, right = debtor unless the configuration says otherwise; a
mono one is taken as the debtor only (the usual softphone export), with a warning. Files are
decoded and resampled block by block (libsndfile + soxr), so an hour-long call never sits in
memory, and ``realtime`` paces the blocks at wall-clock speed — the only honest way to measure
latency on a recording.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from coach.events import CALL, CHANNELS, SAMPLE_RATE, AudioChunk, Channel, Event, Status


class AudioInputError(Exception):
    """Bad audio input; ``str()`` is one line saying what, where and what to do."""


def to_int16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 1.0) * 32767.0).astype(np.int16)


class Resampler:
    """Streaming resampler of float32 frames (n, channels) to 16 kHz; a thin layer over soxr."""

    def __init__(self, rate: int, channels: int) -> None:
        self._stream = (
            soxr.ResampleStream(rate, SAMPLE_RATE, channels, dtype="float32", quality="HQ")
            if rate != SAMPLE_RATE
            else None
        )

    def __call__(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        block = np.ascontiguousarray(block, dtype=np.float32)
        if self._stream is None:
            return block
        return self._stream.resample_chunk(block, last=last)


class FileSource:
    """A recorded call, yielding per-channel chunks of ``block_s`` seconds in call order."""

    def __init__(
        self,
        path: str | Path,
        stereo: tuple[Channel, Channel] = ("collector", "debtor"),
        realtime: bool = False,
        block_s: float = 0.06,
    ) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.realtime = realtime
        self.block_s = block_s
        self.warnings: list[str] = []
        self.end_reason = "end of audio"
        self._stopped = False
        if not self.path.exists():
            raise AudioInputError(f"{self.path}: no such file — check the path")
        if self.path.is_dir():
            raise AudioInputError(f"{self.path}: is a folder, not an audio file")
        try:
            info = sf.info(str(self.path))
        except Exception as err:  # libsndfile raises several types for unreadable files
            reason = (
                str(err).splitlines()[-1].split(": ", 1)[-1] if str(err) else type(err).__name__
            )
            raise AudioInputError(
                f"{self.path}: not a readable audio file ({reason}) — use WAV, FLAC, MP3 or OGG"
            ) from None
        if info.frames == 0 or info.samplerate <= 0:
            raise AudioInputError(f"{self.path}: holds no audio samples")
        self.rate = info.samplerate
        self.duration = info.frames / info.samplerate
        if info.channels == 1:
            self.channels: tuple[Channel, ...] = ("debtor",)
            self.warnings.append(
                f"{self.path}: mono recording — treating it as the debtor's side only "
                "(no collector channel, so no delivery cues)"
            )
        elif info.channels == 2:
            if set(stereo) != set(CHANNELS):
                raise AudioInputError(f"stereo channel map {stereo} must name collector and debtor")
            self.channels = stereo
        else:
            raise AudioInputError(
                f"{self.path}: has {info.channels} channels — expected mono or stereo "
                "(left = collector, right = debtor)"
            )
        mtime = dt.datetime.fromtimestamp(self.path.stat().st_mtime, dt.UTC)
        self.started_at = (mtime - dt.timedelta(seconds=self.duration)).isoformat(
            timespec="seconds"
        )

    def stop(self) -> None:
        self._stopped = True

    def blocks(self) -> Iterator[list[AudioChunk | Event]]:
        """Yield one list per block: a chunk for each channel (and a status event on failure)."""
        resample = Resampler(self.rate, len(self.channels))
        emitted = 0  # 16 kHz samples yielded per channel
        began = time.monotonic()
        blocksize = max(1, round(self.block_s * self.rate))
        with sf.SoundFile(str(self.path)) as reader:
            remaining = reader.frames  # read by count: seeking at the end fails for some FLACs
            while not self._stopped:
                failure = None
                try:
                    block = reader.read(min(blocksize, remaining), dtype="float32", always_2d=True)
                except Exception as err:  # a corrupt frame mid-file: keep what was decoded
                    block, failure = np.zeros((0, len(self.channels)), np.float32), str(err)
                remaining -= len(block)
                last = remaining <= 0 or len(block) == 0 or failure is not None
                out = resample(block, last=last)
                if len(out):
                    start = emitted / SAMPLE_RATE
                    emitted += len(out)
                    if self.realtime:
                        delay = began + emitted / SAMPLE_RATE - time.monotonic()
                        if delay > 0:
                            time.sleep(delay)
                    yield [
                        AudioChunk(channel, start, to_int16(out[:, i]))
                        for i, channel in enumerate(self.channels)
                    ]
                if failure or (last and remaining > 0):
                    at = emitted / SAMPLE_RATE
                    reason = (failure or "file ends early").strip().splitlines()[-1]
                    detail = f"{self.path}: audio unreadable after {at:.1f} s ({reason})"
                    yield [Status(channel=CALL, t=round(at, 3), state="warning", detail=detail)]
                if last:
                    return


def read_call(path: str | Path) -> tuple[np.ndarray, int]:
    """The whole file as float32 (frames, channels) at its own rate; for tests and tools."""
    data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return data, rate
