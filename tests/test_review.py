"""`coach review` through HTTP (FastAPI's TestClient over a store the recorder filled): the call
list and its filters, a call's page, its audio, verdicts, the token, the exports; and the store
commands of the CLI (export, purge, phrasebank suggest)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.exceptions import StarletteDeprecationWarning

from coach.cli import cli
from coach.events import CallEnded, CallStarted
from coach.phrasebank import default_root, load
from coach.review.app import EXPORT_FIELDS, create_app
from coach.store.config import StoreConfig
from coach.store.db import Store
from coach.store.recorder import CallRecorder
from tests.test_store import record_call, utt

with warnings.catch_warnings():  # Starlette would rather see httpx2; httpx works the same here
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


# What the backend does not change is tested against SQLite only.
sqlite_only = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def categories() -> dict[str, str]:
    book = load(default_root())
    return {c.id: c.title["en"] for c in book.categories.values()}


def fill(store: Store, tmp_path: Path) -> Store:
    """Two recorded calls with everything (amy on 1 Nov, bo on 10 Nov) and a calm Mandarin one
    (bo on 15 Nov): no card, no flag, no audio."""
    record_call(store, tmp_path, "a", "2026-11-01T10:00:00+00:00", "amy")
    record_call(store, tmp_path, "b", "2026-11-10T10:00:00+00:00", "bo")
    rec = CallRecorder(store, StoreConfig(collector="bo", keep_audio=False))
    rec.emit(
        CallStarted(
            channel="call",
            t=0.0,
            call_id="calm",
            source="x.wav",
            started_at="2026-11-15T10:00:00+00:00",
        )
    )
    rec.emit(utt("debtor", "z1", 0.0, 2.0, "我下周五转五百", "zh"))
    rec.emit(CallEnded(channel="call", t=3.0, call_id="calm"))
    return store


@pytest.fixture
def store(store_url, tmp_path) -> Store:
    return fill(Store.open(store_url), tmp_path)


@pytest.fixture
def client(store, categories) -> TestClient:
    return TestClient(create_app(store, categories, reviewer="qa1"))


def listed(html: str) -> list[str]:
    return re.findall(r'<a class="call" href="/calls/([^"]+)"', html)


def counts(html: str) -> dict[str, int]:
    chips = re.search(r'<p id="counts">(.*?)</p>', html, re.S).group(1)
    return {k: int(n) for k, n in re.findall(r">(\w+) (\d+)</a>", chips)}


def shown_ids(store: Store, call_id: str = "a") -> dict[str, int]:
    return {s["utterance_id"]: s["id"] for s in store.call(call_id)["shown"] if s["kind"] == "card"}


# --- the list -----------------------------------------------------------------------------------


def test_list_shows_every_call_newest_first_with_flag_counts(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert listed(page.text) == ["calm", "b", "a"]
    assert '<b id="total">3</b>' in page.text
    assert counts(page.text) == {
        "compliance": 2,
        "long_silence": 2,
        "low_confidence": 2,
        "unmatched_excuse": 2,
    }
    assert "<option >amy</option><option >bo</option>" in page.text  # the collector filter
    assert '<option value="check_in_mail" >Check is in the mail</option>' in page.text


FILTERS = [  # (query, the calls listed)
    ("flag=compliance", ["b", "a"]),
    ("flagged=1", ["b", "a"]),
    ("collector=amy", ["a"]),
    ("collector=bo", ["calm", "b"]),
    ("category=check_in_mail", ["b", "a"]),
    ("category=cash_flow", []),
    ("since=2026-11-05&until=2026-11-12", ["b"]),
    ("since=2026-11-05", ["calm", "b"]),
    ("until=2026-11-05", ["a"]),
    ("flag=compliance&collector=bo", ["b"]),
    ("flag=&collector=&since=&until=&category=", ["calm", "b", "a"]),  # the form, left empty
]


def test_list_filters_change_the_rows(client):
    for query, calls in FILTERS:
        page = client.get(f"/?{query}")
        assert page.status_code == 200, query
        assert listed(page.text) == calls, query
        assert f'<b id="total">{len(calls)}</b>' in page.text, query


def test_list_counts_follow_the_filter_and_the_form_keeps_it(client):
    page = client.get("/?collector=bo&flag=compliance")
    assert counts(page.text) == {
        "compliance": 1,
        "long_silence": 1,
        "low_confidence": 1,
        "unmatched_excuse": 1,
    }
    assert '<option value="compliance" selected>' in page.text
    assert "<option selected>bo</option>" in page.text
    assert 'class="chip flag on" href="/?flag=compliance"' in page.text
    assert 'href="/export.csv?collector=bo&amp;flag=compliance"' in page.text
    assert counts(client.get("/?collector=nobody").text) == {}


# --- one call -----------------------------------------------------------------------------------


def test_call_page_shows_the_transcript_in_time_order(client):
    page = client.get("/calls/a")
    assert page.status_code == 200
    html = page.text
    transcript = html[html.index('<div id="transcript">') : html.index("<script>")]
    said = re.findall(r'<div class="said (\w+) [cd]" data-utterance="(\w+)">', transcript)
    assert said == [("debtor", "d1"), ("collector", "c1"), ("debtor", "d2"), ("debtor", "d3")]
    times = [float(t) for t in re.findall(r'<span class="t" data-t="([\d.]+)">', transcript)]
    assert times == sorted(times) and len(times) == 8  # 4 utterances, 2 cards, a cue, an alert
    # an utterance sits at the moment it was said, shown as m:ss.s
    assert '<span class="t" data-t="0.1">0:00.1</span>' in transcript
    assert '<span class="t" data-t="18.5">0:18.5</span>' in transcript
    # what the collector was shown
    assert "<b>card · Check in the mail · 0.97</b><br>Which day did you mail it?" in transcript
    assert "<b>card · Check in the mail · 0.60</b>" in transcript
    assert "<b>cue · slow_down</b><br>Slow down" in transcript
    assert "<b>alert · us.threat_arrest</b><br>Never threaten arrest" in transcript
    # the card number was masked before it was stored
    assert "my card number is [card] okay" in transcript and "masked: card" in transcript
    assert "4111" not in html
    # only a debtor utterance without a card can be marked a missed excuse
    assert re.findall(r'class="verdict missed" data-call="a" data-utterance="(\w+)"', html) == [
        "d1"
    ]


def test_call_page_has_the_timeline_flags_audio_and_metrics(client):
    html = client.get("/calls/a").text
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert svg.startswith('<svg id="timeline"')
    assert svg.count('class="talk"') == 4 and svg.count('class="flag"') == 4
    assert 'class="silence" data-t="6.00"' in svg
    flags = html[html.index('<ul id="flags">') : html.index("</ul>", html.index('<ul id="flags">'))]
    for kind in ("long_silence", "compliance", "low_confidence", "unmatched_excuse"):
        assert f'<span class="chip flag">{kind}</span>' in flags
    assert '<span class="t" data-t="6.0">0:06.0</span>' in flags
    assert '<ul id="alerts"><li><b>us.threat_arrest</b> ×1' in html
    assert '<audio id="audio-debtor" preload="metadata" src="/audio/a/debtor"' in html
    assert 'id="audio-collector"' not in html  # the collector said too little to keep
    assert "talk: collector 0.8 s, debtor 6.2 s (collector 11%)" in html
    assert 'href="/calls/a/export.jsonl"' in html


def test_a_call_without_audio_or_flags_and_one_still_running(client, store):
    html = client.get("/calls/calm").text
    assert "我下周五转五百" in html and "no audio kept for this call" in html
    assert '<ul id="flags"><li class="muted">none</li></ul>' in html
    rec = CallRecorder(store, StoreConfig(collector="cy", keep_audio=False))
    rec.emit(
        CallStarted(
            channel="call",
            t=0.0,
            call_id="live",
            source="live",
            started_at="2026-11-20T10:00:00+00:00",
        )
    )
    rec.emit(utt("collector", "u1", 0.0, 2.0, "Hello, this is Cy from the bank."))
    assert listed(client.get("/").text)[0] == "live"
    page = client.get("/calls/live")  # no metrics until it ends: the page still opens
    assert page.status_code == 200 and "Hello, this is Cy from the bank." in page.text
    assert "no metrics yet" in page.text


@sqlite_only
def test_unknown_call_is_404(client):
    assert client.get("/calls/nope").status_code == 404
    assert client.get("/calls/nope/export.jsonl").status_code == 404


@sqlite_only
def test_audio_is_served_as_ogg_and_can_be_sought(client):
    audio = client.get("/audio/a/debtor")
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/ogg"
    assert audio.content.startswith(b"OggS") and len(audio.content) > 1000
    part = client.get("/audio/a/debtor", headers={"Range": "bytes=100-199"})  # what <audio> asks
    assert part.status_code == 206 and part.content == audio.content[100:200]
    assert client.get("/audio/a/collector").status_code == 404
    assert client.get("/audio/calm/debtor").status_code == 404
    assert client.get("/audio/nope/debtor").status_code == 404


@sqlite_only
def test_audio_file_gone_is_404(client, store):
    Path(store.call("b")["audio"][0]["path"]).unlink()
    assert client.get("/audio/b/debtor").status_code == 404


# --- verdicts -----------------------------------------------------------------------------------


def test_verdicts_are_stored_and_shown(client, store):
    cards = shown_ids(store)

    def post(**body):
        return client.post("/api/verdicts", json={"call_id": "a", **body})

    r = post(utterance_id="d2", shown_id=cards["d2"], verdict="right", category="cash_flow")
    assert r.status_code == 200 and r.json()["verdict"] == "right"
    r = post(
        utterance_id="d3", shown_id=cards["d3"], verdict="wrong_category", category="check_in_mail"
    )
    assert r.json() == {
        "id": r.json()["id"],
        "verdict": "wrong_category",
        "category": "check_in_mail",
    }
    r = post(utterance_id="d3", shown_id=cards["d3"], verdict="should_be_none")
    assert r.status_code == 200
    assert post(utterance_id="d1", verdict="missed_excuse", category="cash_flow").status_code == 200

    got = [
        (v["utterance_id"], v["shown_id"], v["verdict"], v["category"], v["reviewer"])
        for v in store.call("a")["verdicts"]
    ]
    assert got == [
        ("d2", cards["d2"], "right", None, "qa1"),  # "right" needs no category: none is kept
        ("d3", cards["d3"], "wrong_category", "check_in_mail", "qa1"),
        ("d3", cards["d3"], "should_be_none", None, "qa1"),
        ("d1", None, "missed_excuse", "cash_flow", "qa1"),
    ]
    assert store.call("a")["verdicts"][1]["text"] == "I sent something"
    html = client.get("/calls/a").text  # each card shows its latest verdict
    assert '<span class="saved">saved: right</span>' in html
    assert '<span class="saved">saved: should_be_none</span>' in html
    assert '<span class="saved">missed excuse → cash_flow</span>' in html
    assert store.call("b")["verdicts"] == []


BAD_VERDICTS = [  # (body, status, what the answer says)
    ({"utterance_id": "d2", "verdict": "maybe"}, 422, "verdict must be one of"),
    ({"utterance_id": "d3", "verdict": "wrong_category"}, 422, "needs the right category"),
    ({"utterance_id": "d1", "verdict": "missed_excuse", "category": ""}, 422, "needs the"),
    (
        {"utterance_id": "d3", "verdict": "wrong_category", "category": "nope"},
        422,
        "unknown category nope",
    ),
    ({"utterance_id": "zz", "verdict": "right"}, 404, "no utterance zz in call a"),
    ({"call_id": "nope", "utterance_id": "d2", "verdict": "right"}, 404, "no utterance"),
    ({"verdict": "right"}, 422, "utterance_id"),
]


def test_bad_verdicts_are_refused(client, store):
    for body, status, says in BAD_VERDICTS:
        r = client.post("/api/verdicts", json={"call_id": "a", **body})
        assert r.status_code == status, body
        assert says in json.dumps(r.json()["detail"]), body
    assert store.call("a")["verdicts"] == []


# --- the token ----------------------------------------------------------------------------------


@sqlite_only
def test_token_once_then_the_cookie(store, categories):
    app = create_app(store, categories, token="s3cret")
    browser = TestClient(app)
    for path in ("/", "/calls/a", "/audio/a/debtor", "/export.jsonl"):
        assert browser.get(path).status_code == 401, path
    assert browser.post("/api/verdicts", json={}).status_code == 401
    assert "a token is needed" in browser.get("/").text
    assert TestClient(app).get("/?token=guess").status_code == 401
    assert TestClient(app, cookies={"coach_token": "guess"}).get("/").status_code == 401

    first = browser.get("/?token=s3cret")
    assert first.status_code == 200 and listed(first.text) == ["calm", "b", "a"]
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("coach_token=s3cret") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    assert browser.get("/calls/a").status_code == 200  # the cookie alone now
    assert browser.get("/audio/a/debtor").status_code == 200
    r = browser.post(
        "/api/verdicts",
        json={
            "call_id": "a",
            "utterance_id": "d1",
            "verdict": "missed_excuse",
            "category": "cash_flow",
        },
    )
    assert r.status_code == 200
    assert browser.get("/?token=wrong").status_code == 401  # a wrong token is never let through


# --- exports ------------------------------------------------------------------------------------


def test_export_jsonl_one_call_per_line_with_filters(client):
    r = client.get("/export.jsonl")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    assert 'filename="calls.jsonl"' in r.headers["content-disposition"]
    calls = [json.loads(line) for line in r.text.splitlines()]
    assert [c["id"] for c in calls] == ["calm", "b", "a"]
    a = calls[2]
    assert [u["utterance_id"] for u in a["utterances"]] == ["d1", "c1", "d2", "d3"]
    assert sorted(f["kind"] for f in a["flags"]) == [
        "compliance",
        "long_silence",
        "low_confidence",
        "unmatched_excuse",
    ]
    assert "4111" not in r.text and "我下周五转五百" in r.text  # UTF-8, not \u escapes
    bo = client.get("/export.jsonl?collector=bo&flag=compliance").text.splitlines()
    assert [json.loads(line)["id"] for line in bo] == ["b"]
    assert client.get("/export.jsonl?collector=nobody").text == ""


def test_export_csv_one_row_per_utterance(client, store):
    cards = shown_ids(store)
    client.post(
        "/api/verdicts",
        json={
            "call_id": "a",
            "utterance_id": "d3",
            "shown_id": cards["d3"],
            "verdict": "wrong_category",
            "category": "check_in_mail",
        },
    )
    r = client.get("/export.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="calls.csv"' in r.headers["content-disposition"]
    assert r.text.splitlines()[0] == ",".join(EXPORT_FIELDS)
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(row["call_id"], row["channel"]) for row in rows] == [
        ("calm", "debtor"),
        *[(c, ch) for c in "ba" for ch in ("debtor", "collector", "debtor", "debtor")],
    ]
    by = {(row["call_id"], row["text"]): row for row in rows}
    d2, d3 = by[("a", "the check is in the mail")], by[("a", "I sent something")]
    assert (d2["card"], float(d2["score"]), d2["verdict"]) == ("check_in_mail", 0.97, "")
    assert (d3["card"], d3["verdict"], d3["corrected"]) == (
        "already_paid",
        "wrong_category",
        "check_in_mail",
    )
    assert by[("a", "Thank you.")]["card"] == "" and by[("calm", "我下周五转五百")]["lang"] == "zh"
    assert float(by[("a", "my card number is [card] okay")]["start"]) == pytest.approx(0.1)
    assert "4111" not in r.text
    only_a = list(csv.DictReader(io.StringIO(client.get("/export.csv?collector=amy").text)))
    assert {row["call_id"] for row in only_a} == {"a"} and len(only_a) == 4


@sqlite_only
def test_export_one_call(client):
    r = client.get("/calls/b/export.jsonl")
    assert r.status_code == 200 and 'filename="b.jsonl"' in r.headers["content-disposition"]
    (line,) = r.text.splitlines()
    call = json.loads(line)
    assert call["id"] == "b" and call["collector"] == "bo" and len(call["utterances"]) == 4
    assert call["audio"][0]["channel"] == "debtor"


# --- the CLI over the same store ----------------------------------------------------------------


@pytest.fixture
def cli_store(tmp_path, monkeypatch) -> tuple[Store, str]:
    """A SQLite store the CLI finds through $COACH_STORE_URL (and defaults for everything else,
    whatever the user's own config file says)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    config = tmp_path / "config.yaml"
    config.write_text("{}\n", encoding="utf-8")
    monkeypatch.setenv("COACH_CONFIG", str(config))
    monkeypatch.setenv("COACH_STORE_URL", url)
    return Store.open(url), url


def coach(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def test_cli_store_export_csv_and_jsonl(cli_store, tmp_path):
    store, _ = cli_store
    fill(store, tmp_path)
    store.add_verdict("a", "d1", "missed_excuse", None, "cash_flow")
    out = tmp_path / "out" / "calls.csv"
    out.parent.mkdir()
    result = coach("store", "export", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert list(rows[0]) == list(EXPORT_FIELDS) and len(rows) == 9
    d1 = next(r for r in rows if r["call_id"] == "a" and r["start"] == "0.1")
    assert (d1["text"], d1["verdict"], d1["corrected"]) == (
        "my card number is [card] okay",
        "missed_excuse",
        "cash_flow",
    )
    assert "4111" not in out.read_text(encoding="utf-8")

    result = coach("store", "export", "--collector", "bo", "--flag", "compliance")
    assert result.exit_code == 0
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["b"]
    result = coach("store", "export", "--call", "calm")
    assert json.loads(result.stdout)["utterances"][0]["text"] == "我下周五转五百"
    result = coach("store", "export", "--call", "nope")
    assert result.exit_code == 2 and "no call 'nope'" in result.stderr


def test_cli_phrasebank_suggest(cli_store, tmp_path):
    store, _ = cli_store
    record_call(store, tmp_path, "a", "2026-11-01T10:00:00+00:00", "amy")
    cards = shown_ids(store)
    result = coach("phrasebank", "suggest")
    assert result.exit_code == 0 and "no suggestions" in result.stderr
    store.add_verdict("a", "d2", "right", cards["d2"])  # teaches nothing
    store.add_verdict("a", "d3", "wrong_category", cards["d3"], "check_in_mail")
    store.add_verdict("a", "d1", "missed_excuse", None, "cash_flow")

    result = coach("phrasebank", "suggest")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    book = load(default_root())
    assert lines == [  # the missed excuse held a masked card number: no use as an example
        f"# {book.categories['check_in_mail'].file} — examples.en",
        "    - I sent something    # card was wrong; call a",
    ]
    store.add_verdict("a", "d3", "wrong_category", cards["d3"], "check_in_mail")  # twice
    result = coach("phrasebank", "suggest", "--jsonl", "--mark-used")
    got = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(g["category"], g["text"], g["verdict"]) for g in got] == [
        ("check_in_mail", "I sent something", "wrong_category"),
    ]
    assert "no suggestions" in coach("phrasebank", "suggest").stderr  # taken into the YAML
    assert len(coach("phrasebank", "suggest", "--all", "--jsonl").stdout.splitlines()) == 1


def test_cli_store_purge_deletes_old_calls_and_their_audio(cli_store, tmp_path):
    store, _ = cli_store
    now = dt.datetime.now(dt.UTC)
    old = (now - dt.timedelta(days=100)).isoformat(timespec="seconds")
    record_call(store, tmp_path, "old", old)
    record_call(store, tmp_path, "new", now.isoformat(timespec="seconds"))
    old_audio = Path(store.call("old")["audio"][0]["path"])
    new_audio = Path(store.call("new")["audio"][0]["path"])
    assert old_audio.is_file() and new_audio.is_file()

    result = coach("store", "purge", "--days", "30", "--yes")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("purged 1 calls started before ")
    assert result.stdout.rstrip().endswith("(1 audio files)")
    assert store.call("old") is None and store.call("new") is not None
    assert not old_audio.exists() and not old_audio.parent.exists()
    assert new_audio.is_file()
    assert "purged 0 calls" in coach("store", "purge", "--days", "30", "--yes").stdout
