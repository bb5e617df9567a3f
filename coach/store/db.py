"""The call store: one class over SQLAlchemy Core, SQLite by default, PostgreSQL by URL.

SQLite runs in WAL mode with ``synchronous=NORMAL``: every write is its own committed
transaction, which survives the coach being killed (the OS still has the WAL); only a power cut
may lose the last commits. ``secure_delete`` makes a purge overwrite what it deletes.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from coach.store import schema as s

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The store cannot be opened or written; ``str()`` is one line saying what to do."""


@dataclass(frozen=True)
class CallFilter:
    flag: str | None = None  # calls with at least one flag of this kind
    since: str | None = None  # ISO date/time, inclusive
    until: str | None = None  # ISO date/time, exclusive
    collector: str | None = None
    category: str | None = None  # calls where a card of this category was shown
    flagged: bool = False  # only calls with any flag


def default_url() -> str:
    folder = Path(platformdirs.user_data_dir("coach"))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'calls.db'}"


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _where_safe(url: str) -> str:
    """The URL without its password, for messages."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, creds = head.partition("://")
    return f"{scheme}://{creds.split(':')[0]}@{tail}"


class Store:
    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.url = url

    # --- opening ------------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        url = url or os.environ.get("COACH_STORE_URL") or default_url()
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        try:
            # a database that does not answer must not hold a call up for long
            extra = {"connect_args": {"connect_timeout": 3}} if "postgresql" in url else {}
            engine = create_engine(url, pool_pre_ping=True, **extra)
        except (ArgumentError, NoSuchModuleError) as err:
            raise StoreError(
                f"store url '{_where_safe(url)}' is not usable ({err}) — use "
                "sqlite:///PATH or postgresql://USER@HOST/DB in store.url"
            ) from None
        if engine.dialect.name == "sqlite":
            if engine.url.database and engine.url.database != ":memory:":
                Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
            event.listen(engine, "connect", _sqlite_pragmas)
        try:
            with engine.begin() as conn:
                s.migrate(conn)
        except (OperationalError, RuntimeError) as err:
            first = str(getattr(err, "orig", err)).strip().splitlines()[0]
            raise StoreError(
                f"cannot open the call store '{_where_safe(url)}' ({first}) — check store.url "
                "and that the database is running"
            ) from None
        return cls(engine, url)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def version(self) -> int:
        with self.engine.connect() as conn:
            return s.current_version(conn)

    # --- writing a call as it happens ---------------------------------------------------------

    def _write(self, stmt) -> Any:
        with self.engine.begin() as conn:
            return conn.execute(stmt)

    def begin_call(
        self, call_id: str, started_at: str, source: str, collector: str = "", account: str = ""
    ) -> None:
        self._write(
            insert(s.calls).values(
                id=call_id,
                started_at=started_at,
                source=source,
                collector=collector,
                account=account,
                metrics={},
            )
        )

    def add_utterance(self, **row: Any) -> None:
        self._write(insert(s.utterances).values(**row))

    def add_shown(self, **row: Any) -> int:
        return self._write(insert(s.shown).values(**row)).inserted_primary_key[0]

    def add_flag(
        self,
        call_id: str,
        kind: str,
        t: float,
        detail: str = "",
        shown_id: int | None = None,
        utterance_id: str | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(s.flags).values(
                    call_id=call_id,
                    kind=kind,
                    t=t,
                    detail=detail,
                    shown_id=shown_id,
                    utterance_id=utterance_id,
                )
            )
            row = conn.execute(select(s.calls.c.flag_kinds).where(s.calls.c.id == call_id)).one()
            kinds = row.flag_kinds or ","
            conn.execute(
                update(s.calls)
                .where(s.calls.c.id == call_id)
                .values(
                    flag_count=s.calls.c.flag_count + 1,
                    flag_kinds=kinds if f",{kind}," in kinds else f"{kinds}{kind},",
                )
            )

    def update_call(self, call_id: str, **fields: Any) -> None:
        self._write(update(s.calls).where(s.calls.c.id == call_id).values(**fields))

    def set_audio(
        self, call_id: str, channel: str, path: str, seconds: float, silenced: list[list[float]]
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(s.audio).where(s.audio.c.call_id == call_id, s.audio.c.channel == channel)
            )
            conn.execute(
                insert(s.audio).values(
                    call_id=call_id, channel=channel, path=path, seconds=seconds, silenced=silenced
                )
            )

    # --- reading ------------------------------------------------------------------------------

    def _filtered(self, query, f: CallFilter):
        c = s.calls.c
        if f.flag:
            query = query.where(c.flag_kinds.like(f"%,{f.flag},%"))
        if f.flagged:
            query = query.where(c.flag_count > 0)
        if f.since:
            query = query.where(c.started_at >= f.since)
        if f.until:
            query = query.where(c.started_at < f.until)
        if f.collector:
            query = query.where(c.collector == f.collector)
        if f.category:
            query = query.where(c.categories.like(f"%,{f.category},%"))
        return query

    def list_calls(
        self, f: CallFilter = CallFilter(), limit: int = 100, offset: int = 0
    ) -> tuple[list[dict], int]:
        """Calls matching the filter, newest first, and how many match in all."""
        with self.engine.connect() as conn:
            total = conn.execute(self._filtered(select(func.count()).select_from(s.calls), f))
            rows = conn.execute(
                self._filtered(select(s.calls), f)
                .order_by(s.calls.c.started_at.desc(), s.calls.c.id)
                .limit(limit)
                .offset(offset)
            )
            return [dict(r._mapping) for r in rows], total.scalar() or 0

    def flag_counts(self, f: CallFilter = CallFilter()) -> dict[str, int]:
        """How many of the filtered calls carry each kind of flag."""
        ids = self._filtered(select(s.calls.c.id), f).subquery()
        query = (
            select(s.flags.c.kind, func.count(func.distinct(s.flags.c.call_id)))
            .where(s.flags.c.call_id.in_(select(ids.c.id)))
            .group_by(s.flags.c.kind)
        )
        with self.engine.connect() as conn:
            return dict(sorted((kind, n) for kind, n in conn.execute(query)))

    def collectors(self) -> list[str]:
        with self.engine.connect() as conn:
            query = select(s.calls.c.collector).distinct().order_by(s.calls.c.collector)
            return [r for (r,) in conn.execute(query) if r]

    def call(self, call_id: str) -> dict | None:
        """One call with everything recorded about it, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(select(s.calls).where(s.calls.c.id == call_id)).first()
            if row is None:
                return None
            out = dict(row._mapping)
            for name, table, order in (
                ("utterances", s.utterances, s.utterances.c.start),
                ("shown", s.shown, s.shown.c.t),
                ("flags", s.flags, s.flags.c.t),
                ("verdicts", s.verdicts, s.verdicts.c.id),
                ("audio", s.audio, s.audio.c.channel),
            ):
                rows = conn.execute(select(table).where(table.c.call_id == call_id).order_by(order))
                out[name] = [dict(r._mapping) for r in rows]
            return out

    def add_verdict(
        self,
        call_id: str,
        utterance_id: str,
        verdict: str,
        shown_id: int | None = None,
        category: str | None = None,
        reviewer: str = "",
    ) -> int:
        """Record QA's judgement of a card (or of an utterance that got none)."""
        if verdict not in s.VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(s.VERDICTS)}")
        if verdict in ("wrong_category", "missed_excuse") and not category:
            raise ValueError(f"a '{verdict}' verdict needs the right category")
        with self.engine.begin() as conn:
            utt = conn.execute(
                select(s.utterances.c.text, s.utterances.c.lang).where(
                    s.utterances.c.call_id == call_id, s.utterances.c.utterance_id == utterance_id
                )
            ).first()
            if utt is None:
                raise LookupError(f"no utterance {utterance_id} in call {call_id}")
            return conn.execute(
                insert(s.verdicts).values(
                    call_id=call_id,
                    shown_id=shown_id,
                    utterance_id=utterance_id,
                    verdict=verdict,
                    category=category if verdict != "right" else None,
                    text=utt.text,
                    lang=utt.lang,
                    reviewer=reviewer,
                    at=now_iso(),
                )
            ).inserted_primary_key[0]

    def verdict_rows(self, include_used: bool = False) -> list[dict]:
        """Verdicts that teach the phrasebank something (all but "right"), oldest first."""
        query = select(s.verdicts).where(s.verdicts.c.verdict != "right")
        if not include_used:
            query = query.where(s.verdicts.c.used.is_(False))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query.order_by(s.verdicts.c.id))]

    def mark_used(self, ids: list[int]) -> None:
        if ids:
            self._write(update(s.verdicts).where(s.verdicts.c.id.in_(ids)).values(used=True))

    def iter_calls(self, f: CallFilter = CallFilter(), batch: int = 200) -> Iterator[dict]:
        """Every matching call in full, for export (a batch of ids at a time)."""
        offset = 0
        while True:
            rows, _ = self.list_calls(f, limit=batch, offset=offset)
            for row in rows:
                full = self.call(row["id"])
                if full is not None:
                    yield full
            if len(rows) < batch:
                return
            offset += batch

    # --- retention ----------------------------------------------------------------------------

    def purge(self, before: str) -> tuple[int, list[str]]:
        """Delete every call that started before ``before`` (ISO), with all its rows; return
        the number of calls and the audio files they had (the caller deletes those)."""
        with self.engine.begin() as conn:
            old = select(s.calls.c.id).where(s.calls.c.started_at < before)
            ids = [r for (r,) in conn.execute(old)]
            paths = [
                p for (p,) in conn.execute(select(s.audio.c.path).where(s.audio.c.call_id.in_(ids)))
            ]
            for table in (s.audio, s.verdicts, s.flags, s.shown, s.utterances):
                conn.execute(delete(table).where(table.c.call_id.in_(ids)))
            conn.execute(delete(s.calls).where(s.calls.c.id.in_(ids)))
        if self.engine.dialect.name == "sqlite":  # and out of the WAL file too
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return len(ids), paths


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "secure_delete=ON",
        "busy_timeout=5000",  # the review page reads while a call writes
    ):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()
