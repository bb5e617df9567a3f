"""The store's settings (kept apart so that reading the config does not load SQLAlchemy)."""

from __future__ import annotations

from dataclasses import dataclass, field

from coach.store.flags import FlagConfig


@dataclass(frozen=True)
class StoreConfig:
    enabled: bool = True
    url: str | None = None  # sqlite:///PATH or postgresql://USER@HOST/DB; default: SQLite in
    #                         the user data dir
    keep_audio: bool = True  # compressed audio per channel, PII spans silenced
    audio_dir: str | None = None  # default: <user data dir>/coach/audio
    retention_days: int = 90  # `coach store purge` deletes calls older than this
    collector: str = ""  # who is calling (the list's filter); default: the login name
    account: str = ""  # the account being worked, when the softphone does not say
    redact_pad_s: float = 0.5  # silence this much around a redacted span's estimated time
    flags: FlagConfig = field(default_factory=FlagConfig)
