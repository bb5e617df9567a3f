"""Live capture for real: a PulseAudio null sink plays the sample call, ``coach run`` records its
monitor source through PortAudio, and the same utterances come out."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE, SAMPLE_REF
from tests.scoring import assign, error_report, load_reference
from tests.test_replay import MAX_LIVE_CER_ZH, MAX_WER_EN

pytestmark = pytest.mark.live


@pytest.fixture
def pulse(tmp_path):
    """A private PulseAudio daemon with a null sink named ``softphone``."""
    if not shutil.which("pulseaudio"):
        if os.environ.get("CI"):
            pytest.fail("CI installs pulseaudio (scripts/setup.sh)")
        pytest.skip("pulseaudio is not installed")
    env = {
        **os.environ,
        "PULSE_RUNTIME_PATH": str(tmp_path / "pulse"),
        "HOME": str(tmp_path),
        # a private HOME for PulseAudio, but the user's cache: the phrasebank's vectors
        # are embedded once (minutes on 2 cores), not once per live test
        "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache"),
    }
    daemon = subprocess.Popen(
        [
            "pulseaudio",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disallow-exit",
            "--log-target=stderr",
            "-n",
            "--load=module-native-protocol-unix",
            "--load=module-null-sink sink_name=softphone",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            probe = subprocess.run(
                ["pactl", "list", "short", "sources"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if "softphone.monitor" in probe.stdout:
                break
            time.sleep(0.1)
        else:
            pytest.fail("the PulseAudio daemon did not come up")
        yield env
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def test_live_capture_from_a_monitor_source(pulse, tmp_path, whisper_path):
    ref = load_reference(SAMPLE_REF)
    events_path = tmp_path / "live.jsonl"
    duration = ref["audio"]["duration"] + 8
    coach = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coach",
            "run",
            "--stereo",
            "pulse:softphone.monitor",
            "--duration",
            str(duration),
            "--quiet",
            "--events",
            str(events_path),
        ],
        env=pulse,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Wait until the models are loaded and capture has started; on a fresh machine that includes
    # embedding the phrasebank once (about a minute on 2 cores), later runs read it from cache.
    for _ in range(3000):
        if events_path.exists() and '"listening"' in events_path.read_text():
            break
        if coach.poll() is not None:
            pytest.fail(f"coach run exited: {coach.stderr.read()}")
        time.sleep(0.1)
    else:
        coach.kill()
        pytest.fail("coach run never reported listening within 300 s")
    subprocess.run(
        ["paplay", "--device=softphone", str(SAMPLE)], env=pulse, check=True, timeout=duration + 30
    )
    _, stderr = coach.communicate(timeout=duration + 120)
    assert coach.returncode == 0, stderr
    assert "Traceback" not in stderr

    events = [json.loads(line) for line in events_path.read_text().splitlines()]
    finals = [e for e in events if e["type"] == "utterance"]
    assert finals, stderr
    # the live clock starts when capture starts; the sample starts playing a little later
    offset = finals[0]["start"] - ref["turns"][0]["start"]
    assert -0.5 <= offset < 30
    shifted = [{**u, "start": u["start"] - offset, "end": u["end"] - offset} for u in finals]
    scores, stray = assign(ref["turns"], shifted)
    assert stray == []
    for s in scores:
        assert len(s.finals) == 1, (s.turn["text"], [u["text"] for u in s.finals])
        assert s.finals[0]["lang"] == s.turn["lang"], (s.turn["text"], s.finals[0])
    cer, wer, report = error_report(scores)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    assert cer <= MAX_LIVE_CER_ZH and wer <= MAX_WER_EN, report
    assert any(e["type"] == "partial" for e in events)
    lost = [e for e in events if e["type"] == "status" and e["state"] == "lost"]
    assert lost == []
