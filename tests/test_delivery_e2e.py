"""End to end: a call generated from the sample call's real speech in which the collector rushes
(two turns played 1.6× fast) and cuts in on the debtor; the real pipeline (Whisper, the matcher,
the delivery stage) must raise "slow down" and "you're talking over them" at those moments."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import soxr
import yaml

from tests.conftest import SAMPLE, SAMPLE_REF

pytestmark = pytest.mark.models
RATE = 16_000
FAST = 1.6


def rushed_call(path) -> dict:
    """Turns 0–6 of the sample call laid out again: turns 2 and 4 (the collector, Mandarin)
    sped up, and turn 4 starting 2 s before the debtor's turn 3 ends. Returns the times."""
    ref = yaml.safe_load(SAMPLE_REF.read_text(encoding="utf-8"))
    audio, rate = sf.read(SAMPLE, dtype="float32")
    audio = soxr.resample(audio, rate, RATE)
    side = {"collector": 0, "debtor": 1}
    out = np.zeros((RATE * 60, 2), np.float32)
    cursor, times = 0.5, {}
    for i, turn in enumerate(ref["turns"][:7]):
        clip = audio[int(turn["start"] * RATE) : int(turn["end"] * RATE), side[turn["channel"]]]
        if i in (2, 4):  # rushed: faster (and, as with a rushed voice, higher)
            clip = soxr.resample(clip, RATE * FAST, RATE)
        start = cursor - 2.0 if i == 4 else cursor  # cut in on the debtor
        at = int(start * RATE)
        out[at : at + len(clip), side[turn["channel"]]] += clip
        times[i] = (start, start + len(clip) / RATE)
        cursor = start + len(clip) / RATE + 0.8
    sf.write(path, out[: int((cursor + 1.0) * RATE)], RATE)
    return times


def test_rushing_and_talking_over_raise_their_cues_at_the_right_moments(
    whisper_path, embedding_path, tmp_path
):
    times = rushed_call(tmp_path / "rushed.wav")
    events = tmp_path / "events.jsonl"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "coach",
            "replay",
            str(tmp_path / "rushed.wav"),
            "--quiet",
            "--no-store",
            "--events",
            str(events),
        ],
        check=True,
        capture_output=True,
    )
    cues = [
        e for line in events.read_text().splitlines() if (e := json.loads(line))["type"] == "cue"
    ]
    by_id: dict[str, list[float]] = {}
    for cue in cues:
        by_id.setdefault(cue["cue"], []).append(cue["t"])
    overlap_start = times[4][0]
    # the collector cut in at turn 4: flagged once both have spoken together for a second
    (talk_over,) = by_id["talk_over_collector"]
    assert overlap_start + 0.9 <= talk_over <= times[3][1] + 1.0, (talk_over, times)
    # two rushed turns in a row: "slow down" when the second one's text is final, not before
    (slow,) = by_id["slow_down"]
    assert times[4][1] <= slow <= times[4][1] + 3.0, (slow, times)
    assert "talk_over_debtor" not in by_id
