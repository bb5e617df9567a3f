"""Bad input through the real command: one line on stderr, exit 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import ROOT


def coach(*args: str, env: dict | None = None, timeout: int = 300):
    return subprocess.run(
        [sys.executable, "-m", "coach", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=False,
    )


def assert_one_line_error(proc, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coach: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_missing_call_file(tmp_path):
    assert_one_line_error(coach("replay", str(tmp_path / "nope.wav")), "no such file")


def test_corrupt_call_file(tmp_path):
    bad = tmp_path / "call.wav"
    bad.write_bytes(b"RIFF\x00\x00garbage" * 10)
    assert_one_line_error(coach("replay", str(bad)), str(bad), "not a readable audio file")


def test_missing_model_says_how_to_fix(tmp_path):
    call = tmp_path / "call.wav"
    sf.write(call, np.zeros((16000, 2)), 16000)
    proc = coach("replay", "--quiet", str(call), env={"COACH_MODELS_DIR": str(tmp_path)})
    assert_one_line_error(proc, "coach models pull")


def test_bad_config(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("vad:\n  hangover: 2\n")
    assert_one_line_error(coach("--config", str(cfg), "replay", "x.wav"), "vad.hangover")


def test_unknown_capture_device():
    assert_one_line_error(coach("run", "--stereo", "no-such-device-xyz", "--quiet"))


def test_run_without_any_device_configured():
    assert_one_line_error(coach("run", "--quiet"), "--stereo")


def test_devices_lists_or_explains():
    proc = coach("devices")
    assert "Traceback" not in proc.stderr
    if proc.returncode != 0:  # CI has no sound card and may have no sound server
        assert_one_line_error(proc)


@pytest.mark.models
def test_call_without_speech(tmp_path, whisper_path):
    call = tmp_path / "quiet.wav"
    hiss = np.random.default_rng(1).normal(0, 0.001, (16000 * 4, 2))
    sf.write(call, hiss, 16000)
    proc = coach("replay", "--quiet", "--events", str(tmp_path / "e.jsonl"), str(call))
    assert_one_line_error(proc, "no speech")
    assert (tmp_path / "e.jsonl").read_text().count('"type":"call_ended"') == 1
