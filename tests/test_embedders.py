"""The two embedding runtimes: the int8 ONNX copy `coach models pull` builds, and PyTorch.

Unit tests check the export's integrity rules on a fabricated folder; the rest run the real
EmbeddingGemma in both runtimes."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import replace
from pathlib import Path

import click
import numpy as np
import pytest

from coach import int8_export, models
from coach.config import Config
from coach.match_cli import load_embedder

SENTENCES = [
    "我现在手头紧",
    "嗯",
    "我最近一直在出差,人在外地,等我回去再说吧。",
    "你们再打电话我就投诉你们",
    "the check is in the mail, I sent it last week",
    "ok",
    "I lost my job two months ago and I can't pay right now",
    "can you give me until Friday?",
    "我十五号发工资 then I'll pay",
]


def _fake_export(folder: Path, source: Path) -> None:
    folder.mkdir(parents=True)
    files = {}
    for name in int8_export.FILES:
        (folder / name).write_bytes(name.encode() * 10)
        data = (folder / name).read_bytes()
        files[name] = {"size": len(data), "sha256": models.hash_file(folder / name)}
    info = {"format": int8_export.FORMAT, "source": int8_export._source_stamp(source)}
    (folder / int8_export.INFO).write_text(json.dumps({**info, "files": files}))


def test_export_check_names_the_first_problem(tmp_path: Path) -> None:
    source = tmp_path / "embeddinggemma-300m"
    source.mkdir()
    (source / "model.safetensors").write_bytes(b"w" * 100)
    folder = int8_export.folder_for(tmp_path, "embeddinggemma-300m")
    assert int8_export.check(folder, source) == f"{folder} is missing"

    _fake_export(folder, source)
    assert int8_export.check(folder, source) is None
    assert int8_export.check(folder, source, full=True) is None

    (folder / "head.npz").write_bytes(b"x" * 10 * len(b"head.npz"))  # same size, other bytes
    assert int8_export.check(folder, source) is None  # sizes only, as at every start
    assert "sha256 does not match" in int8_export.check(folder, source, full=True)

    (folder / "tokenizer.json").write_bytes(b"short")
    assert "tokenizer.json: size expected" in int8_export.check(folder, source)

    (source / "model.safetensors").write_bytes(b"w" * 101)  # the source model changed
    assert "built from another copy" in int8_export.check(folder, source)

    info = json.loads((folder / int8_export.INFO).read_text())
    (folder / int8_export.INFO).write_text(json.dumps({**info, "format": 0}))
    assert "another version of the coach" in int8_export.check(folder)


def test_models_list_shows_the_int8_copy(tmp_path: Path) -> None:
    statuses = {s.name: s for s in models.list_models(tmp_path)}
    assert statuses["embeddinggemma-300m-int8"].state == "missing"
    assert statuses["embeddinggemma-300m-int8"].kind == "embedding (int8 ONNX)"


def test_an_unknown_runtime_is_one_line() -> None:
    cfg = Config()
    cfg = replace(cfg, models=replace(cfg.models, embedding_runtime="tensorflow"))
    with pytest.raises(click.ClickException, match="use one of: auto, onnx, torch"):
        load_embedder(cfg)


# --- the real model ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def without_export(embedding_path: str, tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A models folder holding the real EmbeddingGemma but a damaged int8 copy."""
    folder = tmp_path_factory.mktemp("models")
    source = Path(embedding_path)
    os.symlink(source, folder / source.name)
    (folder / f"{source.name}{int8_export.SUFFIX}").mkdir()
    cfg = Config()
    return replace(cfg, models=replace(cfg.models, dir=str(folder)))


@pytest.mark.models
def test_forced_onnx_without_the_export_says_how_to_build_it(without_export: Config) -> None:
    cfg = replace(without_export, models=replace(without_export.models, embedding_runtime="onnx"))
    with pytest.raises(click.ClickException, match="run: coach models pull"):
        load_embedder(cfg)


@pytest.mark.models
def test_runtimes_agree_and_auto_falls_back_with_a_warning(
    embedder, without_export: Config, caplog: pytest.LogCaptureFixture
) -> None:
    from coach.embedders import OnnxEmbedder, TorchEmbedder

    assert isinstance(embedder, OnnxEmbedder)  # the default on a CPU, once models are pulled
    with caplog.at_level(logging.WARNING):
        torch = load_embedder(without_export)
    assert isinstance(torch, TorchEmbedder)
    assert "using PyTorch" in caplog.text and "coach models pull" in caplog.text
    assert torch.fingerprint != embedder.fingerprint  # the example caches must not mix

    int8, fp32 = embedder.encode(SENTENCES), torch.encode(SENTENCES)
    cosine = (int8 * fp32).sum(1)
    assert cosine.min() >= 0.97, cosine  # measured 0.98-0.995 on these
    # Nearest neighbours survive quantisation: each sentence's closest other sentence is the same.
    np.fill_diagonal(s8 := int8 @ int8.T, -1)
    np.fill_diagonal(s32 := fp32 @ fp32.T, -1)
    assert (s8.argmax(1) == s32.argmax(1)).mean() >= 0.75


@pytest.mark.models
def test_a_text_gets_the_same_vector_alone_or_among_others(embedder) -> None:
    embedder.forget()
    together = embedder.encode(SENTENCES)
    embedder.forget()
    alone = np.stack([embedder.encode([s])[0] for s in SENTENCES])
    assert np.allclose(together, alone, atol=1e-6)


def test_the_memo_keeps_the_texts_used_last() -> None:
    """A long reply's partials touch its early clauses again and again; those must outlive the
    texts seen once (least recently used goes first)."""
    from coach.embedders import RECENT, Embedder

    class Counting(Embedder):
        dim = 2

        def __init__(self) -> None:
            super().__init__()
            self.encoded: list[str] = []

        def _encode(self, texts: list[str]) -> np.ndarray:
            self.encoded += texts
            return np.ones((len(texts), 2), np.float32)

    embedder = Counting()
    embedder.encode(["first clause"])
    for i in range(RECENT):  # one new text per partial, the early clause touched each time
        embedder.encode(["first clause", f"partial {i}"])
    embedder.encode(["first clause", "partial 0"])
    assert embedder.encoded.count("first clause") == 1
    assert embedder.encoded.count("partial 0") == 2  # seen once, then pushed out
