"""A coach killed with SIGKILL mid-call loses no final utterance: the real pipeline (Whisper,
the matcher) replays the sample call into a SQLite store and is killed after a few utterances."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from coach.store.db import CallFilter, Store
from tests.conftest import SAMPLE

pytestmark = pytest.mark.models


def utterances_in(db) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM utterances").fetchone()[0]
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def test_kill_9_mid_call_loses_no_final_utterance(whisper_path, embedding_path, tmp_path):
    db, events = tmp_path / "calls.db", tmp_path / "events.jsonl"
    env = {**os.environ, "COACH_STORE_URL": f"sqlite:///{db}", "XDG_DATA_HOME": str(tmp_path)}
    env.setdefault("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))  # the embedding cache
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "coach",
            "replay",
            str(SAMPLE),
            "--quiet",
            "--no-partials",
            "--events",
            str(events),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 300
        while utterances_in(db) < 4:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no utterances stored in 300 s"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    logged = [
        e["utterance_id"]
        for line in events.read_text().splitlines()
        if (e := json.loads(line))["type"] == "utterance"
    ]
    store = Store.open(f"sqlite:///{db}")  # opens after the crash (WAL recovered)
    (row,), total = store.list_calls(CallFilter())
    call = store.call(row["id"])
    stored = [u["utterance_id"] for u in call["utterances"]]
    assert total == 1 and call["end_reason"] is None  # the call never ended
    assert len(stored) >= 4 and set(logged) <= set(stored)
    assert len(stored) < 13  # killed mid-call, not after it (the sample call has 13 turns)
