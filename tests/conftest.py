"""Shared test helpers. Tests that need the provisioned models skip with the reason when absent,
except in CI (CI=true), where a missing model is a failure: CI provisions them first."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from coach.events import SAMPLE_RATE, AudioChunk

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "coach" / "data" / "sample_call.flac"
SAMPLE_REF = ROOT / "coach" / "data" / "sample_call.yaml"


def marker_chunks(channel: str, pattern: list[tuple[float, bool]], block_s: float = 0.06):
    """Chunks whose samples are 1000 where ``pattern`` says speech, 0 elsewhere.

    Paired with :func:`marker_classifier`, this drives the VAD state machine exactly.
    """
    samples = np.concatenate(
        [np.full(round(d * SAMPLE_RATE), 1000 if on else 0, np.int16) for d, on in pattern]
    )
    step = round(block_s * SAMPLE_RATE)
    return [
        AudioChunk(channel, i / SAMPLE_RATE, samples[i : i + step])
        for i in range(0, len(samples), step)
    ]


def marker_classifier():
    return lambda frame: bool(np.frombuffer(frame, np.int16).any())


def models_dir() -> Path:
    from coach.models import default_models_dir

    return default_models_dir()


@pytest.fixture(scope="session")
def whisper_path() -> str:
    from coach.models import ModelError, ModelMissing, resolve_asr_model

    try:
        return resolve_asr_model("whisper-base", models_dir())
    except (ModelMissing, ModelError) as err:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provision models first: {err}")
        pytest.skip(str(err))
