"""Shared test helpers. Tests that need the provisioned models skip with the reason when absent,
except in CI (CI=true), where a missing model is a failure: CI provisions them first."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

from coach.events import SAMPLE_RATE, AudioChunk

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "coach" / "data" / "sample_call.flac"
SAMPLE_REF = ROOT / "coach" / "data" / "sample_call.yaml"

# Calls replayed by the tests (and their audio) go to a store of the test run's own, never into
# the user's: the store and events log live under the user data dir.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="coach-test-data-")


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


def _provisioned(resolve_name: str, name: str) -> str:
    """A provisioned model's folder; skip with the reason locally, fail in CI (CI=true)."""
    from coach import models

    try:
        return getattr(models, resolve_name)(name, models_dir())
    except (models.ModelMissing, models.ModelError) as err:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provision models first: {err}")
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def whisper_path() -> str:
    return _provisioned("resolve_asr_model", "whisper-base")


@pytest.fixture(scope="session")
def embedding_path() -> str:
    return _provisioned("resolve_embedding_model", "embeddinggemma-300m")


@pytest.fixture(scope="session")
def embedder(embedding_path):
    """The encoder the coach runs with by default (the int8 ONNX copy on a CPU), shared."""
    import click

    from coach.config import Config
    from coach.match_cli import load_embedder

    try:
        return load_embedder(Config())
    except click.ClickException as err:
        if os.environ.get("CI"):
            pytest.fail(f"CI must provision models first: {err.message}")
        pytest.skip(err.message)


@pytest.fixture(scope="session")
def matcher(embedder):
    """The real matcher: EmbeddingGemma over the shipped phrasebank, default configuration.

    Example vectors go to the same on-disk cache the CLI uses, so the phrasebank is embedded once
    per machine, not once per test process."""
    from coach import phrasebank as pb
    from coach.match_cli import embedding_cache
    from coach.matcher import Matcher, MatcherConfig

    cfg = MatcherConfig()
    return Matcher(pb.load(pb.default_root()), embedder, cfg, embedding_cache(embedder))


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server for the session (skipped locally without the binaries; in CI,
    where setup installs them, their absence is a failure)."""
    from tests.pg import PgServer, binaries

    if binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs PostgreSQL: scripts/setup.sh installs Debian's postgresql")
        pytest.skip("PostgreSQL server binaries not installed")
    server = PgServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """A fresh, empty store of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'calls.db'}"
    server = request.getfixturevalue("pg_server")
    return server.create_database(f"t_{os.urandom(6).hex()}")
