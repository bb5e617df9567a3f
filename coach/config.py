"""Configuration: one YAML file, every section optional, defaults that work on a 2-core laptop.

Model choice is configuration, not code: ``models.asr`` is a provisioned name (``whisper-base``),
a local folder, or a hub id / faster-whisper size (``large-v3``) for users who have the hub, and
``models.device`` can be ``cuda`` where there is a GPU.

Looked up in order: ``--config PATH``, ``$COACH_CONFIG``, ``<user config dir>/coach/config.yaml``.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import platformdirs
import yaml

from coach.asr import AsrConfig
from coach.board import BoardConfig
from coach.compliance.config import ComplianceConfig
from coach.delivery.config import DeliveryConfig
from coach.matcher import MatcherConfig
from coach.store.config import StoreConfig
from coach.streaming import StreamingConfig
from coach.vad import VadConfig


class ConfigError(Exception):
    """A bad configuration file; ``str()`` is one line naming the file and the key."""


@dataclass(frozen=True)
class ModelsConfig:
    asr: str = "whisper-base"
    embedding: str = "embeddinggemma-300m"
    # auto: the int8 ONNX copy `coach models pull` builds, on the CPU when it exists; else torch
    # (sentence-transformers: GPUs, hub ids, other encoders). onnx / torch force one.
    embedding_runtime: str = "auto"
    dir: str | None = None  # where provisioned models live; default: see coach.models
    device: str = "cpu"  # "cuda" / "auto" for users with a GPU
    compute_type: str = "int8"
    # Intra-op threads for Whisper and the embedder; 0: half the logical cores, 1 to 4. On the
    # 2-vCPU machine in README's benchmark, 2 threads made every decode ~30 % slower than 1
    # (threads waiting on each other); the other half stays free for capture, VAD and the UI.
    cpu_threads: int = 0

    def __post_init__(self) -> None:
        if self.cpu_threads < 0:
            raise ValueError("cpu_threads must be 0 (auto) or a positive number")

    @property
    def threads(self) -> int:
        if self.cpu_threads > 0:
            return self.cpu_threads
        return max(1, min(4, (os.cpu_count() or 2) // 2))


@dataclass(frozen=True)
class AudioConfig:
    stereo: tuple[str, str] = ("collector", "debtor")  # left, right
    collector_device: str | None = None
    debtor_device: str | None = None
    stereo_device: str | None = None


@dataclass(frozen=True)
class OverlayConfig:
    enabled: bool = True  # shown when a display exists; false: terminal view only
    width: int = 460  # pixels; the height follows the text
    opacity: float = 0.92
    font_scale: float = 1.0
    click_through: bool = False  # start click-through (toggle with the hotkey)
    linger_s: float = 3.0  # after a replayed call ends, before the window closes
    # pynput's syntax; global, because the overlay never has the keyboard focus
    hotkeys: dict[str, str] = field(
        default_factory=lambda: {
            "dismiss": "<ctrl>+<alt>+d",
            "pin": "<ctrl>+<alt>+p",
            "recall": "<ctrl>+<alt>+r",
            "click_through": "<ctrl>+<alt>+t",
            "recap": "<ctrl>+<alt>+e",  # the end-of-call checklist
        }
    )
    # the event feed other screens attach to (coach overlay --connect); port 0: none
    feed_host: str = "127.0.0.1"
    feed_port: int = 47100
    feed_token: str = ""  # required when feed_host is not loopback
    board: BoardConfig = field(default_factory=BoardConfig)


@dataclass(frozen=True)
class Config:
    models: ModelsConfig = field(default_factory=ModelsConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    vad: VadConfig = field(default_factory=VadConfig)
    asr: AsrConfig = field(default_factory=AsrConfig)
    streaming: StreamingConfig = field(default_factory=StreamingConfig)
    matcher: MatcherConfig = field(default_factory=MatcherConfig)
    overlay: OverlayConfig = field(default_factory=OverlayConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    compliance: ComplianceConfig = field(default_factory=ComplianceConfig)
    events_dir: str | None = None


def default_path() -> Path:
    return Path(platformdirs.user_config_dir("coach")) / "config.yaml"


def load(path: str | Path | None = None) -> Config:
    """Read the configuration; a missing default file means all defaults."""
    explicit = path or os.environ.get("COACH_CONFIG")
    file = Path(explicit) if explicit else default_path()
    if not file.exists():
        if explicit:
            raise ConfigError(f"{file}: config file not found — check the path")
        return Config()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        raise ConfigError(f"{where}: not valid YAML ({getattr(err, 'problem', err)})") from None
    return from_dict(data, str(file))


def from_dict(data: dict[str, Any], origin: str = "config") -> Config:
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected a mapping of sections (models, audio, vad, asr…)")
    return _build(Config, data, origin, "")


def _build(cls: type, data: dict[str, Any], origin: str, prefix: str):
    known = {f.name: f for f in dataclasses.fields(cls)}
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if key not in known:
            raise ConfigError(f"{origin}: unknown setting '{name}' (known: {', '.join(known)})")
        default = (
            known[key].default_factory()
            if known[key].default_factory is not dataclasses.MISSING
            else known[key].default
        )  # type: ignore[misc]  # noqa: E501
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise ConfigError(f"{origin}: '{name}' must be a mapping")
            kwargs[key] = _build(type(default), value, origin, f"{name}.")
            continue
        value = _checked(value, hints[key], origin, name)
        if isinstance(default, dict) and isinstance(value, dict):
            kwargs[key] = {**default, **value}  # e.g. one hotkey changed, the others kept
        elif isinstance(default, tuple) and isinstance(value, list):
            kwargs[key] = tuple(value)
        else:
            kwargs[key] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{origin}: {prefix.rstrip('.') or 'config'}: {err}") from None


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _checked(value: Any, hint: Any, origin: str, name: str) -> Any:
    """The value if it fits the setting's type, otherwise a ConfigError saying what was
    expected: a wrong type would surface mid-call, as a crash in the stage that reads it. YAML's
    near misses are taken as meant: ``1e-3`` (text to YAML) for a number, a bare number (device
    index ``3``, a collector id) for text."""
    if hint is float and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if numeric and not _fits(value, hint) and _fits("", hint):
        return str(value)
    if not _fits(value, hint):
        raise ConfigError(f"{origin}: '{name}' must be {_describe(hint)}, not {value!r}")
    return value


def _fits(value: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, a) for a in args)
    if origin is Literal:
        return value in args
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin is dict:
        return isinstance(value, dict) and all(
            _fits(k, args[0]) and _fits(v, args[1]) for k, v in value.items()
        )
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            return False
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return len(value) == len(args) and all(map(_fits, value, args))
        return all(_fits(v, args[0]) for v in value)
    return True  # a type this check does not know: the dataclass decides


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(map(repr, args))
    if origin is dict:
        return f"a mapping of {_describe(args[0])} to {_describe(args[1])}"
    if origin in (tuple, list):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return f"a list of {len(args)}: " + ", ".join(_describe(a) for a in args)
        return f"a list of {_describe(args[0])}"
    names = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    return "null" if hint is type(None) else names.get(hint, getattr(hint, "__name__", str(hint)))
