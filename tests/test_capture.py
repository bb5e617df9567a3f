"""Capture-side checks that need no device: a channel with no signal at all is reported."""

from __future__ import annotations

from coach.live import SignalWatch


def test_no_signal_for_thirty_seconds_is_silent_and_sound_clears_it():
    watch = SignalWatch(after_s=30)
    changes = []
    for step in range(0, 400):  # 40 s of blocks every 0.1 s: 5 s of line noise, then nothing
        now = step / 10
        peak = 0.003 if now < 5 else 0.0
        changes.append((now, watch.feed("debtor", peak, now)))
    changes.append((41.0, watch.feed("debtor", 0.2, 41.0)))
    states = [(round(t, 1), s) for t, s in changes if s]
    assert states == [(34.9, "silent"), (41.0, "listening")]  # 30 s after the last noise


def test_quiet_line_noise_and_speech_pauses_never_count():
    watch = SignalWatch(after_s=30)
    # a speaker silent for a minute on a live line still carries noise around -60 dBFS
    assert all(watch.feed("collector", 0.001, t / 10) is None for t in range(600))
