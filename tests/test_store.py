"""The call store, against SQLite and a real PostgreSQL server: migrations, the recorder (events
pushed in, as the pipeline sends them), redaction of text and audio, filters, verdicts, purge."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import create_engine, text

from coach.events import (
    SAMPLE_RATE,
    Alert,
    AudioChunk,
    CallEnded,
    CallStarted,
    Card,
    Cue,
    SpeechEnded,
    SpeechStarted,
    Unmatched,
    Utterance,
)
from coach.store.config import StoreConfig
from coach.store.db import CallFilter, Store, StoreError
from coach.store.recorder import CallRecorder
from coach.store.schema import LATEST

CARD_SAID = "my card number is 4111 1111 1111 1111 okay"


def tone(seconds: float, start: float, channel: str = "debtor") -> list[AudioChunk]:
    """A 440 Hz tone in 0.1 s chunks: audible everywhere, so silenced spans show as zeros."""
    n = round(seconds * SAMPLE_RATE)
    wave = (np.sin(2 * np.pi * 440 * np.arange(n) / SAMPLE_RATE) * 8000).astype(np.int16)
    step = SAMPLE_RATE // 10
    return [
        AudioChunk(channel, start + i / SAMPLE_RATE, wave[i : i + step]) for i in range(0, n, step)
    ]


def utt(channel: str, uid: str, start: float, end: float, said: str, lang: str = "en"):
    return Utterance(
        channel=channel, t=end + 0.5, utterance_id=uid, start=start, end=end, lang=lang, text=said
    )


def card(uid: str, category: str, score: float, start: float, end: float) -> Card:
    return Card(
        channel="debtor",
        t=end + 0.6,
        utterance_id=uid,
        start=start,
        end=end,
        lang="en",
        text="the check is in the mail",
        category=category,
        title="Check in the mail",
        score=score,
        rebuttal="Which day did you mail it?",
        follow_up="The check number?",
    )


def record_call(
    store: Store, tmp_path, call_id: str = "c1", started: str | None = None, collector: str = "amy"
) -> Store:
    """A 20 s call: a card number read out, a confident card, a weak card, a cue, an alert, an
    excuse that matched nothing, and a 12+ s silence."""
    cfg = StoreConfig(collector=collector, audio_dir=str(tmp_path / "audio"))
    rec = CallRecorder(store, cfg)
    rec.emit(
        CallStarted(
            channel="call",
            t=0.0,
            call_id=call_id,
            source="test.wav",
            started_at=started or "2026-11-20T09:00:00+00:00",
        )
    )
    for chunk in tone(2.0, 0.0):
        rec.audio(chunk)
    rec.emit(SpeechStarted(channel="debtor", t=0.3, start=0.1))
    for chunk in tone(4.0, 2.0):
        rec.audio(chunk)
    rec.emit(SpeechEnded(channel="debtor", t=5.6, start=0.1, end=5.0))
    for chunk in tone(14.0, 6.0):
        rec.audio(chunk)
    rec.emit(utt("debtor", "d1", 0.1, 5.0, CARD_SAID))
    rec.emit(utt("collector", "c1", 5.2, 6.0, "Thank you."))
    rec.emit(utt("debtor", "d2", 18.5, 19.5, "the check is in the mail"))
    rec.emit(card("d2", "check_in_mail", 0.97, 18.5, 19.5))
    rec.emit(utt("debtor", "d3", 19.6, 19.9, "I sent something"))
    rec.emit(card("d3", "already_paid", 0.6, 19.6, 19.9))
    rec.emit(Cue(channel="collector", t=19.0, cue="slow_down", text="Slow down", detail="210 wpm"))
    rec.emit(
        Alert(
            channel="collector",
            t=19.2,
            rule="us.threat_arrest",
            severity="stop",
            text="Never threaten arrest",
            utterance_id="c1",
        )
    )
    rec.emit(
        Unmatched(
            channel="debtor",
            t=20.0,
            utterance_id="d3",
            start=19.6,
            end=19.9,
            lang="en",
            text="I sent something",
            best="already_paid",
            score=0.5,
            reason="low score",
        )
    )
    rec.emit(CallEnded(channel="call", t=20.0, call_id=call_id))
    return store


def test_migrations_are_versioned_and_idempotent(store_url):
    store = Store.open(store_url)
    assert store.version == LATEST
    store.close()
    assert Store.open(store_url).version == LATEST  # reopening applies nothing twice
    engine = create_engine(store.engine.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = 99"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this coach"):
        Store.open(store_url)


def test_recorder_writes_a_redacted_call(store_url, tmp_path):
    store = record_call(Store.open(store_url), tmp_path)
    call = store.call("c1")
    assert call is not None and call["end_reason"] == "end of audio"
    assert call["collector"] == "amy" and call["langs"] == "en"
    said = {u["utterance_id"]: u for u in call["utterances"]}
    assert said["d1"]["text"] == "my card number is [card] okay" and said["d1"]["pii"] == "card"
    assert "4111" not in str(call)
    kinds = [s["kind"] for s in call["shown"]]
    assert sorted(kinds) == ["alert", "card", "card", "cue"]
    flags = {f["kind"]: f for f in call["flags"]}
    assert set(flags) == {"low_confidence", "unmatched_excuse", "compliance", "long_silence"}
    assert flags["low_confidence"]["utterance_id"] == "d3"
    assert flags["long_silence"]["t"] == pytest.approx(6.0)
    assert call["metrics"]["talk_s"] == {"collector": 0.8, "debtor": 6.2}
    assert call["categories"] == ",already_paid,check_in_mail,"


def test_audio_is_kept_with_the_card_number_silenced(store_url, tmp_path):
    store = record_call(Store.open(store_url), tmp_path)
    (track,) = store.call("c1")["audio"]
    assert track["channel"] == "debtor" and track["seconds"] == pytest.approx(20.0, abs=0.05)
    (span,) = track["silenced"]
    # "4111 … 1111" sits in characters 18-37 of 42 over 0.1-5.0 s; padded by 0.5 s
    assert 1.6 < span[0] < 2.3 and 4.4 < span[1] <= 5.0
    audio, rate = sf.read(track["path"], dtype="int16")
    assert rate == SAMPLE_RATE and len(audio) == pytest.approx(20 * SAMPLE_RATE, abs=800)

    def loudness(a: float, b: float) -> float:
        return float(np.abs(audio[int(a * rate) : int(b * rate)]).mean())

    assert loudness(span[0] + 0.1, span[1] - 0.1) < 50  # lossy codec: near, not exactly, zero
    assert loudness(0.0, span[0] - 0.2) > 2000 and loudness(span[1] + 0.2, 18.0) > 2000


def test_each_utterance_is_committed_when_it_is_said(store_url, tmp_path):
    """Another connection sees a final utterance while the call is still running."""
    rec = CallRecorder(Store.open(store_url), StoreConfig(keep_audio=False))
    rec.emit(CallStarted(channel="call", t=0.0, call_id="live", source="live", started_at=""))
    rec.emit(utt("debtor", "d1", 0.0, 1.0, "我下周五转五百", "zh"))
    other = Store.open(store_url)
    (row,) = other.call("live")["utterances"]
    assert row["text"] == "我下周五转五百" and row["lang"] == "zh"
    assert other.call("live")["end_reason"] is None  # still running


def test_list_filters_and_counts(store_url, tmp_path):
    store = Store.open(store_url)
    record_call(store, tmp_path, "a", "2026-11-01T10:00:00+00:00", "amy")
    record_call(store, tmp_path, "b", "2026-11-10T10:00:00+00:00", "bo")
    rec = CallRecorder(store, StoreConfig(collector="bo", keep_audio=False))
    rec.emit(
        CallStarted(
            channel="call",
            t=0.0,
            call_id="calm",
            source="x",
            started_at="2026-11-15T10:00:00+00:00",
        )
    )
    rec.emit(utt("collector", "u", 0.0, 2.0, "Hello, this is Bo from the bank."))
    rec.emit(CallEnded(channel="call", t=3.0, call_id="calm"))

    def ids(**kw) -> list[str]:
        rows, total = store.list_calls(CallFilter(**kw))
        assert total == len(rows)
        return [r["id"] for r in rows]

    assert ids() == ["calm", "b", "a"]  # newest first
    assert ids(flag="compliance") == ["b", "a"]
    assert ids(flagged=True) == ["b", "a"]
    assert ids(collector="bo") == ["calm", "b"]
    assert ids(category="check_in_mail", since="2026-11-05") == ["b"]
    assert ids(until="2026-11-05") == ["a"]
    assert store.flag_counts(CallFilter(collector="bo"))["compliance"] == 1
    assert store.collectors() == ["amy", "bo"]


def test_verdicts_become_suggestions(store_url, tmp_path):
    store = record_call(Store.open(store_url), tmp_path)
    shown = {s["utterance_id"]: s["id"] for s in store.call("c1")["shown"] if s["kind"] == "card"}
    store.add_verdict("c1", "d2", "right", shown["d2"])
    store.add_verdict("c1", "d3", "wrong_category", shown["d3"], "check_in_mail")
    store.add_verdict("c1", "d1", "missed_excuse", None, "cash_flow")
    with pytest.raises(ValueError, match="needs the right category"):
        store.add_verdict("c1", "d1", "missed_excuse")
    with pytest.raises(LookupError):
        store.add_verdict("c1", "nope", "right")
    rows = store.verdict_rows()
    assert [(r["verdict"], r["category"], r["text"]) for r in rows] == [
        ("wrong_category", "check_in_mail", "I sent something"),
        ("missed_excuse", "cash_flow", "my card number is [card] okay"),
    ]
    store.mark_used([r["id"] for r in rows])
    assert store.verdict_rows() == [] and len(store.verdict_rows(include_used=True)) == 2


def test_purge_deletes_old_calls_for_real(store_url, tmp_path):
    store = Store.open(store_url)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=100)).isoformat(timespec="seconds")
    record_call(store, tmp_path, "old", old)
    record_call(store, tmp_path, "new", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(days=90)).isoformat(timespec="seconds")
    n, paths = store.purge(cutoff)
    assert n == 1 and len(paths) == 1 and "old" in paths[0]
    assert store.call("old") is None and store.call("new") is not None
    with store.engine.connect() as conn:
        for table in ("utterances", "shown", "flags", "verdicts", "audio"):
            left = conn.execute(text(f"SELECT count(*) FROM {table} WHERE call_id = 'old'"))
            assert left.scalar() == 0, table
    if store_url.startswith("sqlite"):  # secure_delete + checkpoint: not in the file's bytes
        store.close()
        raw = b"".join(p.read_bytes() for p in tmp_path.glob("calls.db*"))
        assert raw.count(b"Thank you.") == 1  # the new call's copy only


def test_bad_store_url_is_one_line():
    with pytest.raises(StoreError, match="store url") as err:
        Store.open("mysql+nosuchdriver://x@y/z")
    assert "\n" not in str(err.value)
    with pytest.raises(StoreError, match="check store.url") as err:
        Store.open("postgresql://nobody@127.0.0.1:1/none")
    assert "\n" not in str(err.value)


def test_a_database_lost_mid_call_does_not_stop_the_recorder(tmp_path, caplog):
    store = Store.open(f"sqlite:///{tmp_path / 'calls.db'}")
    rec = CallRecorder(store, StoreConfig(audio_dir=str(tmp_path / "audio")))
    rec.emit(CallStarted(channel="call", t=0.0, call_id="x", source="live", started_at=""))
    rec.emit(SpeechStarted(channel="debtor", t=0.2, start=0.0))
    for chunk in tone(3.0, 0.0):  # speech held back until its transcript is known …
        rec.audio(chunk)
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE utterances"))  # as good as a server gone away
    rec.emit(utt("debtor", "d1", 0.0, 1.0, "hello"))
    rec.emit(utt("debtor", "d2", 1.0, 2.0, "hello again"))  # not tried again
    rec.emit(CallEnded(channel="call", t=3.0, call_id="x"))
    assert rec.failed
    assert any("call store failed" in r.message for r in caplog.records)
    # … and, as it can no longer be redacted, dropped rather than written as it was
    rec.close()
    track = tmp_path / "audio" / "x" / "debtor.ogg"
    assert not track.exists() or sf.info(track).duration < 0.1


def test_a_card_the_collector_dismissed_is_flagged(store_url, tmp_path):
    from coach.config import Config
    from coach.sinks import Dismissals
    from coach.store_cli import recording

    cfg = dataclasses.replace(Config(), store=StoreConfig(url=store_url, keep_audio=False))
    dismissals = Dismissals()
    (rec,) = recording(cfg, [dismissals])
    rec.emit(CallStarted(channel="call", t=0.0, call_id="d", source="live", started_at=""))
    rec.emit(utt("debtor", "d2", 3.0, 5.0, "the check is in the mail"))
    shown_card = card("d2", "check_in_mail", 0.93, 3.0, 5.0)
    rec.emit(shown_card)
    dismissals(shown_card)  # as the overlay's hotkey does, from its own thread
    (flag,) = rec.store.call("d")["flags"]
    assert (flag["kind"], flag["t"], flag["utterance_id"]) == ("dismissed_card", 3.0, "d2")
    assert flag["shown_id"] == rec.store.call("d")["shown"][0]["id"]
