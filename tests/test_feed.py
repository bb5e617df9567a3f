"""The local websocket feed: a second screen attaches to a running coach and shows its cues."""

from __future__ import annotations

import threading
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from coach.events import CALL, Card, Partial, Status, from_json
from coach.feed import EventFeed, FeedError, follow
from tests.test_overlay import ZH_CARD


@pytest.fixture
def feed():
    f = EventFeed("127.0.0.1", 0)
    yield f
    f.close()


def test_attached_screens_get_what_the_overlay_shows_and_no_transcripts(feed):
    feed.emit(Status(channel="debtor", t=0.0, state="listening"))
    feed.emit(ZH_CARD)  # before anyone attached: replayed on attach
    time.sleep(0.1)
    with connect(feed.url) as ws:
        assert from_json(ws.recv(timeout=2)).type == "status"
        assert from_json(ws.recv(timeout=2)) == ZH_CARD
        feed.emit(
            Partial(
                channel="debtor",
                t=1,
                utterance_id="d1",
                start=0,
                end=1,
                lang="zh",
                text="我的身份证号是",
                stable=True,
            )
        )
        feed.emit(Status(channel=CALL, t=2.0, state="info", detail="phrasebank reloaded"))
        assert from_json(ws.recv(timeout=2)).detail == "phrasebank reloaded"


def test_a_port_in_use_is_one_clear_error(feed):
    with pytest.raises(FeedError, match=f"127.0.0.1:{feed.port}"):
        EventFeed("127.0.0.1", feed.port)


def test_another_address_needs_a_token():
    with pytest.raises(FeedError, match="feed_token"):
        EventFeed("0.0.0.0", 0)
    f = EventFeed("0.0.0.0", 0, token="s3cret")
    try:
        f.emit(ZH_CARD)
        time.sleep(0.1)
        with connect(f"ws://127.0.0.1:{f.port}/?token=s3cret") as ws:
            assert isinstance(from_json(ws.recv(timeout=2)), Card)
        with (
            connect(f"ws://127.0.0.1:{f.port}/?token=wrong") as ws,
            pytest.raises(ConnectionClosed),
        ):
            ws.recv(timeout=2)
    finally:
        f.close()


def test_follow_waits_for_the_coach_and_shows_its_events():
    got: list = []
    stop = threading.Event()
    probe = EventFeed("127.0.0.1", 0)
    port = probe.port
    probe.close()  # nothing listens there yet
    thread = threading.Thread(target=follow, args=(f"ws://127.0.0.1:{port}", got.append, stop))
    thread.start()
    try:
        time.sleep(0.5)
        assert got and got[0].state == "loading" and "waiting for" in got[0].detail
        feed = EventFeed("127.0.0.1", port)
        feed.emit(ZH_CARD)
        deadline = time.monotonic() + 5
        while ZH_CARD not in got and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ZH_CARD in got
        feed.close()
    finally:
        stop.set()
        thread.join(5)
