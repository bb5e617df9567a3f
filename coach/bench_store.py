"""``coach bench store``: the call store's costs, as JSON.

- write: one final utterance through the recorder (redaction + one committed INSERT), per store
  URL given (SQLite in a temporary folder by default; add ``--url postgresql://…``);
- review: the time to serve one call page of a generated 1-hour call, and the first page of the
  call list over 10,000 generated calls (in-process HTTP through FastAPI's test client, so the
  figure is the server's: query + template, not a browser's paint).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import click
from sqlalchemy import insert

from coach.events import CallEnded, CallStarted, Card, Utterance
from coach.store import schema as s
from coach.store.config import StoreConfig
from coach.store.db import Store
from coach.store.recorder import CallRecorder

SAYINGS = [
    ("en", "I can't pay this month, my hours got cut"),
    ("zh", "我现在手头有点紧,这个月实在周转不开"),
    ("en", "okay so what's the amount again"),
    ("zh", "你们能不能下周再打过来"),
]


def ms_summary(values: list[float], digits: int = 3) -> dict:
    """Median, p95 and max of timings in seconds, as milliseconds (shared by the benchmarks)."""
    values = sorted(values)
    return {
        "median_ms": round(statistics.median(values) * 1000, digits),
        "p95_ms": round(values[int(0.95 * (len(values) - 1))] * 1000, digits),
        "max_ms": round(values[-1] * 1000, digits),
    }


def bench_writes(url: str, n: int) -> dict:
    store = Store.open(url)
    rec = CallRecorder(store, StoreConfig(keep_audio=False))
    call_id = f"bench-{random.getrandbits(40):x}"
    rec.emit(CallStarted(channel="call", t=0.0, call_id=call_id, source="bench", started_at=""))
    times = []
    for i in range(n):
        lang, text = SAYINGS[i % len(SAYINGS)]
        event = Utterance(
            channel="debtor" if i % 2 else "collector",
            t=i * 4.0 + 3.5,
            utterance_id=f"u{i}",
            start=i * 4.0,
            end=i * 4.0 + 3.0,
            lang=lang,
            text=f"{text} {i}",
        )
        began = time.perf_counter()
        rec.emit(event)
        times.append(time.perf_counter() - began)
    rec.emit(CallEnded(channel="call", t=n * 4.0, call_id=call_id))
    store.close()
    return {"store": store.engine.dialect.name, "utterances": n, **ms_summary(times)}


def one_hour_call(store: Store) -> str:
    """A call of 900 turns (one every 4 s), a card on every fifth debtor turn, recorded through
    the recorder as a real call would be."""
    rec = CallRecorder(store, StoreConfig(keep_audio=False))
    rec.emit(CallStarted(channel="call", t=0.0, call_id="hour", source="bench", started_at=""))
    for i in range(900):
        lang, text = SAYINGS[i % len(SAYINGS)]
        channel = "debtor" if i % 2 else "collector"
        start = i * 4.0
        rec.emit(
            Utterance(
                channel=channel,
                t=start + 3.5,
                utterance_id=f"u{i}",
                start=start,
                end=start + 3.0,
                lang=lang,
                text=text,
            )
        )
        if channel == "debtor" and i % 10 == 1:
            rec.emit(
                Card(
                    channel="debtor",
                    t=start + 3.6,
                    utterance_id=f"u{i}",
                    start=start,
                    end=start + 3.0,
                    lang=lang,
                    text=text,
                    category="cash_flow",
                    title="Short on cash",
                    score=0.8,
                    rebuttal="Could you pay part today?",
                    follow_up="How much today?",
                )
            )
    rec.emit(CallEnded(channel="call", t=3600.0, call_id="hour"))
    return "hour"


def many_calls(store: Store, n: int) -> None:
    """``n`` call rows (with a flag on every third), inserted in bulk."""
    began = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows, flag_rows = [], []
    for i in range(n):
        kinds = ",compliance," if i % 3 == 0 else ""
        rows.append(
            {
                "id": f"c{i:05d}",
                "source": "bench",
                "collector": f"agent{i % 25}",
                "started_at": (began + dt.timedelta(minutes=7 * i)).isoformat(timespec="seconds"),
                "duration_s": 300.0,
                "end_reason": "end of audio",
                "langs": "zh",
                "categories": ",cash_flow,",
                "flag_kinds": kinds,
                "flag_count": int(bool(kinds)),
                "metrics": {},
            }
        )
        if kinds:
            flag_rows.append(
                {"call_id": f"c{i:05d}", "kind": "compliance", "t": 10.0, "detail": "bench"}
            )
    with store.engine.begin() as conn:
        conn.execute(insert(s.calls), rows)
        conn.execute(insert(s.flags), flag_rows)


def bench_review(runs: int) -> dict:
    with warnings.catch_warnings():  # starlette's note about httpx2 is not ours to act on
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from coach.review.app import create_app

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        hour = Store.open(f"sqlite:///{Path(tmp) / 'hour.db'}")
        one_hour_call(hour)
        lots = Store.open(f"sqlite:///{Path(tmp) / 'lots.db'}")
        many_calls(lots, 10_000)
        for name, store, path in (
            ("call_page_1h", hour, "/calls/hour"),
            ("list_10000_calls", lots, "/"),
            ("list_10000_calls_filtered", lots, "/?flag=compliance&collector=agent3"),
        ):
            client = TestClient(create_app(store, {"cash_flow": "Short on cash"}))
            client.get(path)  # warm: templates compiled, pages cached by the OS
            times, size = [], 0
            for _ in range(runs):
                began = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - began)
                size = len(response.content)
                assert response.status_code == 200, response.text[:200]
            out[name] = {**ms_summary(times), "bytes": size}
    return out


@click.command("store")
@click.option(
    "--url",
    "urls",
    multiple=True,
    help="Store URL to time writes on (repeatable; default: a temporary SQLite).",
)
@click.option("--utterances", default=300, show_default=True)
@click.option("--runs", default=5, show_default=True, help="Page loads timed per page.")
def bench_store(urls: tuple[str, ...], utterances: int, runs: int) -> None:
    """Store write cost per utterance and review page load times, JSON on stdout."""
    with tempfile.TemporaryDirectory() as tmp:
        targets = list(urls) or [f"sqlite:///{Path(tmp) / 'bench.db'}"]
        writes = [bench_writes(url, utterances) for url in targets]
    result = {
        "benchmark": "store",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "write_per_utterance": writes,
        "review": bench_review(runs),
    }
    click.echo(json.dumps(result, indent=2))
