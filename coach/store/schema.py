"""The call store's tables and their versioned migrations (SQLite and PostgreSQL alike).

The schema is SQLAlchemy Core, so one definition serves both databases. Migrations are an ordered
list of steps; ``schema_version`` records the last one applied, and :func:`migrate` applies the
rest inside the caller's transaction (both databases have transactional DDL), so a store written
by an older coach is upgraded in place when it is opened, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    inspect,
    select,
)

metadata = MetaData()

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

calls = Table(
    "calls",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("started_at", String(32), nullable=False, index=True),  # ISO 8601 UTC: sorts as text
    Column("ended_at", String(32)),
    Column("source", Text, nullable=False),
    Column("collector", String(120), nullable=False, default="", index=True),
    Column("account", String(120), nullable=False, default=""),
    Column("duration_s", Float, nullable=False, default=0.0),
    Column("end_reason", Text),  # NULL while the call is running (or if the coach was killed)
    Column("langs", String(16), nullable=False, default=""),  # "en", "zh", "en,zh"
    Column("categories", Text, nullable=False, default=""),  # ",a,b," for LIKE filters
    Column("flag_kinds", Text, nullable=False, default=""),  # ",kind,..." for LIKE filters
    Column("flag_count", Integer, nullable=False, default=0),
    Column("metrics", JSON, nullable=False, default=dict),  # delivery metrics (talk ratio, ...)
    Column("commitment", JSON),  # the debtor's promise to pay, when one was captured
)

utterances = Table(
    "utterances",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(32), ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    Column("utterance_id", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("start", Float, nullable=False),
    Column("end", Float, nullable=False),
    Column("t", Float, nullable=False),
    Column("lang", String(8), nullable=False),
    Column("text", Text, nullable=False),  # redacted before it is written
    Column("pii", String(120), nullable=False, default=""),  # kinds masked, e.g. "card,phone"
    Column("avg_logprob", Float),
    Index("ix_utterances_call", "call_id", "start"),
)

# Everything the collector was shown: cards, cues and alerts, as they were raised.
shown = Table(
    "shown",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(32), ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),  # card / cue / alert
    Column("t", Float, nullable=False),
    Column("channel", String(16), nullable=False),
    Column("utterance_id", String(64)),
    Column("key", String(64), nullable=False),  # category / cue id / rule id
    Column("title", Text, nullable=False, default=""),
    Column("text", Text, nullable=False, default=""),  # rebuttal / cue text / alert text
    Column("said", Text, nullable=False, default=""),  # the (redacted) words that raised it
    Column("score", Float),
    Column("lang", String(8), nullable=False, default=""),
    Column("final", Boolean, nullable=False, default=True),
    Column("detail", JSON, nullable=False, default=dict),
    Index("ix_shown_call", "call_id", "t"),
)

flags = Table(
    "flags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(32), ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("t", Float, nullable=False),  # the moment in the call it points at
    Column("detail", Text, nullable=False, default=""),
    Column("shown_id", Integer),
    Column("utterance_id", String(64)),
    Index("ix_flags_call", "call_id"),
    Index("ix_flags_kind", "kind"),
)

verdicts = Table(
    "verdicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(32), ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    Column("shown_id", Integer),  # the card judged; NULL for a missed excuse
    Column("utterance_id", String(64), nullable=False),
    Column("verdict", String(24), nullable=False),
    Column("category", String(64)),  # the corrected category (wrong category / missed excuse)
    Column("text", Text, nullable=False),  # the debtor's (redacted) words, for suggestions
    Column("lang", String(8), nullable=False),
    Column("reviewer", String(120), nullable=False, default=""),
    Column("at", String(32), nullable=False),
    Column("used", Boolean, nullable=False, default=False),  # accepted into the phrasebank
    Index("ix_verdicts_call", "call_id"),
)

audio = Table(
    "audio",
    metadata,
    Column("call_id", String(32), ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    Column("channel", String(16), primary_key=True),
    Column("path", Text, nullable=False),  # OGG Vorbis file in the store's audio folder
    Column("seconds", Float, nullable=False, default=0.0),
    Column("silenced", JSON, nullable=False, default=list),  # [[start, end], ...] redacted spans
)

VERDICTS = ("right", "wrong_category", "should_be_none", "missed_excuse")


def _v1(conn: Connection) -> None:
    metadata.create_all(conn, tables=[calls, utterances, shown, flags, verdicts, audio])


# Append new steps here; never edit or reorder a step that has shipped.
MIGRATIONS: list[Callable[[Connection], None]] = [_v1]
LATEST = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    if not inspect(conn).has_table("schema_version"):
        return 0
    return conn.execute(select(schema_version.c.version)).scalar() or 0


def migrate(conn: Connection) -> int:
    """Bring the schema up to :data:`LATEST`; return the version found before."""
    found = current_version(conn)
    if found > LATEST:
        raise RuntimeError(
            f"the store has schema version {found}, newer than this coach ({LATEST}) — "
            "upgrade the coach"
        )
    if found == 0:
        schema_version.create(conn, checkfirst=True)
        conn.execute(schema_version.insert().values(version=0))
    for version in range(found + 1, LATEST + 1):
        MIGRATIONS[version - 1](conn)
        conn.execute(schema_version.update().values(version=version))
    return found
