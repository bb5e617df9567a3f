"""What is on disk: each model's state (present, missing, partial, corrupt) checked against
the manifest, and the model folder a configuration's model name resolves to."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from coach.models.manifest import (
    _BLOCK,
    _LABEL,
    STAMP_NAME,
    FileSpec,
    Kind,
    ModelError,
    ModelMissing,
    ModelSpec,
    Source,
    State,
    load_manifest,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelStatus:
    name: str
    kind: str
    path: Path
    state: State
    size: int  # bytes of the model's files found on disk
    source: str | None = None  # which manifest source the files match
    detail: str = ""  # the first problem found, as one line


def _bar(total: int, desc: str, enabled: bool) -> tqdm:
    return tqdm(
        total=total,
        desc=desc,
        unit="B",
        unit_scale=True,
        disable=not enabled or total == 0,
        dynamic_ncols=True,
    )


def hash_file(path: Path, bar: tqdm | None = None) -> str:
    """sha256 of a file, read in blocks (``bar`` advances by the bytes read)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
            if bar is not None:
                bar.update(len(block))
    return digest.hexdigest()


def _mismatch(what: str, expected: FileSpec, size: int, sha256: str | None = None) -> str:
    if size != expected.size:
        return f"{what}: size expected {expected.size} bytes, found {size}"
    return f"{what}: sha256 expected {expected.sha256[:16]}…, found {(sha256 or '')[:16]}…"


def read_stamp(folder: Path) -> dict[str, Any]:
    """A model folder's stamp (its files' sizes and hashes), or {} when missing or unreadable."""
    try:
        stamp = json.loads((folder / STAMP_NAME).read_text(encoding="utf-8"))
        return stamp if isinstance(stamp, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_stamp(folder: Path, source: Source) -> None:
    """Record that every file was hashed and matched, at its current size and mtime."""
    files = {}
    for f in source.files:
        st = (folder / f.path).stat()
        files[f.path] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": f.sha256}
    stamp = {"source": source.name, "files": files}
    try:
        (folder / STAMP_NAME).write_text(json.dumps(stamp, indent=1), encoding="utf-8")
    except OSError as err:  # a read-only install still works; it is just rehashed next time
        log.info("cannot write %s: %s", folder / STAMP_NAME, err)


def _pick_source(spec: ModelSpec, folder: Path, stamped: Any) -> Source:
    for source in spec.sources:
        if source.name == stamped:
            return source
    for source in spec.sources:
        if all((folder / f.path).is_file() for f in source.files):
            return source
    return spec.sources[0]


def _inspect(
    spec: ModelSpec, folder: Path, *, full: bool = False, progress: bool = False
) -> ModelStatus:
    """A model folder's state. Hashes only the files the stamp does not vouch for (all if full)."""
    if not folder.is_dir():
        return ModelStatus(spec.name, spec.kind, folder, "missing", 0)
    stamp = read_stamp(folder)
    source = _pick_source(spec, folder, stamp.get("source"))
    stats = {f.path: (folder / f.path).stat() for f in source.files if (folder / f.path).is_file()}
    size = sum(st.st_size for st in stats.values())

    def status(state: State, detail: str = "") -> ModelStatus:
        return ModelStatus(spec.name, spec.kind, folder, state, size, source.name, detail)

    for f in source.files:
        if f.path in stats and stats[f.path].st_size != f.size:
            return status("corrupt", _mismatch(str(folder / f.path), f, stats[f.path].st_size))
    absent = [f.path for f in source.files if f.path not in stats]
    if absent:
        return status("partial", f"{folder / absent[0]} is missing")
    vouched = stamp.get("files") if isinstance(stamp.get("files"), dict) else {}
    unchecked = [
        f
        for f in source.files
        if full
        or vouched.get(f.path)
        != {"size": f.size, "mtime_ns": stats[f.path].st_mtime_ns, "sha256": f.sha256}
    ]
    if unchecked:
        with _bar(sum(f.size for f in unchecked), f"verify {spec.name}", progress) as bar:
            for f in unchecked:
                digest = hash_file(folder / f.path, bar)
                if digest != f.sha256:
                    return status("corrupt", _mismatch(str(folder / f.path), f, f.size, digest))
        _write_stamp(folder, source)
    return status("present")


def list_models(models_dir: Path) -> list[ModelStatus]:
    """Every model in the manifest (and the int8 copies built from them) in ``models_dir``."""
    statuses = []
    for name, spec in load_manifest().items():
        statuses.append(_inspect(spec, models_dir / name))
        if spec.int8_export:
            statuses.append(_inspect_export(models_dir, name))
    return statuses


def _inspect_export(models_dir: Path, name: str, *, full: bool = False) -> ModelStatus:
    from coach import int8_export  # it builds on this module's hashing and stamps

    folder = int8_export.folder_for(models_dir, name)
    problem = int8_export.check(folder, models_dir / name, full=full)
    size = sum(f.stat().st_size for f in folder.glob("*") if f.is_file()) if folder.is_dir() else 0
    state: State = "present" if problem is None else "missing" if not folder.is_dir() else "corrupt"
    kind = "embedding (int8 ONNX)"
    return ModelStatus(folder.name, kind, folder, state, size, "built", problem or "")


# --- resolving what the configuration names ----------------------------------------------------


def resolve_asr_model(spec: str, models_dir: Path) -> str:
    """A manifest name -> its folder; a local folder -> itself; else a hub id / size, unchanged."""
    return _resolve(spec, models_dir, "asr", ("model.bin",))


def resolve_embedding_model(spec: str, models_dir: Path) -> str:
    """A manifest name -> its folder; a local folder -> itself; else a hub id, unchanged."""
    return _resolve(spec, models_dir, "embedding", ("modules.json", "config.json"))


def _looks_like_path(spec: str) -> bool:
    # Hub ids look like "org/name", so one "/" alone does not make a path.
    return (
        Path(spec).is_absolute()
        or spec.startswith(("./", "../", "~", ".\\", "..\\"))
        or "\\" in spec
        or spec in (".", "..")
    )


def _resolve(spec: str, models_dir: Path, kind: Kind, markers: tuple[str, ...]) -> str:
    label = _LABEL[kind]
    manifest = load_manifest()
    if spec in manifest:
        model = manifest[spec]
        if model.kind != kind:
            raise ModelError(
                f"'{spec}' is the manifest's {model.kind} model, not an {kind} model — "
                f"fix models.{kind} in the config"
            )
        status = _inspect(model, models_dir / spec)
        if status.state == "missing":
            raise ModelMissing(f"{label} '{spec}' is not in {models_dir} — run: coach models pull")
        if status.state == "partial":
            raise ModelMissing(
                f"{label} '{spec}' is incomplete ({status.detail}) — run: coach models pull"
            )
        if status.state == "corrupt":
            raise ModelError(
                f"{status.detail} — run: coach models pull --verify {spec}, or delete {status.path}"
            )
        return str(status.path.resolve())
    path = Path(spec).expanduser()
    if path.exists() or _looks_like_path(spec):
        if not path.is_dir():
            raise ModelMissing(
                f"{label} folder {path} does not exist — fix models.{kind} in the config, "
                f"or run: coach models pull and use one of: {', '.join(manifest)}"
            )
        if not any((path / m).is_file() for m in markers):
            raise ModelError(f"{path} is not a {label.lower()} folder (no {' or '.join(markers)})")
        return str(path.resolve())
    return spec  # a hub id or faster-whisper size name: the libraries fetch it themselves
