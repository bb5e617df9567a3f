"""The event feed: what the overlay shows, on a local websocket, for other screens to show too.

A running coach serves it (``overlay.feed_port``); ``coach overlay --connect`` or a web softphone
page attaches to it. Only what the overlay shows travels (status, cards, cues, alerts, call start
and end), never transcripts or audio: call content stays on the machine unless the user binds the
feed to another address, which then needs a token (``?token=...`` in the URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import threading
from collections import deque
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from coach.events import CALL, Event, Status, from_json

log = logging.getLogger(__name__)
SHOWN = frozenset({"status", "card", "cue", "alert", "call_started", "call_ended"})


class FeedError(Exception):
    """The feed cannot start (port taken, unsafe address); ``str()`` is one line."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class EventFeed:
    """A sink that serves the shown events to every attached client, newest state first."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str = "") -> None:
        if not is_loopback(host) and not token:
            raise FeedError(
                f"overlay.feed_host {host} is not loopback: set overlay.feed_token too, or keep "
                "the feed on 127.0.0.1"
            )
        self.host, self.token = host, token
        self._clients: set = set()
        # replayed to a screen that attaches mid-call, so it shows the current state at once
        self._recent: deque[str] = deque(maxlen=16)
        self._loop = asyncio.new_event_loop()
        self._server = None
        started = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(port, started, failure), name="event-feed", daemon=True
        )
        self._thread.start()
        started.wait(10)
        if failure:
            raise FeedError(f"event feed on {host}:{port}: {failure[0]}") from None
        self.port: int = self._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def emit(self, event: Event) -> None:
        if event.type not in SHOWN:
            return
        message = event.to_json()
        self._loop.call_soon_threadsafe(self._publish, message)

    def close(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._thread.join(5)

    # --- on the feed's thread ------------------------------------------------------------------

    def _run(self, port: int, started: threading.Event, failure: list) -> None:
        from websockets.asyncio.server import serve

        async def main() -> None:
            try:
                self._server = await serve(self._attach, self.host, port, max_size=2**16)
            except OSError as err:
                failure.append(OSError(err.strerror or str(err)))
                return
            finally:
                started.set()
            await self._server.serve_forever()

        with contextlib.suppress(asyncio.CancelledError):
            self._loop.run_until_complete(main())

    def _publish(self, message: str) -> None:
        from websockets.asyncio.server import broadcast

        self._recent.append(message)
        broadcast(self._clients, message)  # never waits on a slow client

    async def _attach(self, ws) -> None:
        if self.token:
            query = parse_qs(urlsplit(ws.request.path).query)
            if not hmac.compare_digest(query.get("token", [""])[0], self.token):
                await ws.close(4401, "token required")
                return
        for message in list(self._recent):
            await ws.send(message)
        self._clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            self._clients.discard(ws)


def follow(url: str, push: Callable[[Event], None], stop: threading.Event) -> None:
    """Show a running coach's events through ``push`` until ``stop``; reconnect when it restarts.

    Connection trouble is shown as status, never raised: a second screen waits for its coach."""
    from websockets.exceptions import ConnectionClosed, InvalidURI
    from websockets.sync.client import connect

    waiting = False
    while not stop.is_set():
        try:
            with connect(url, open_timeout=3, max_size=2**16) as ws:
                waiting = False
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        message = ws.recv(timeout=0.5)
                        try:
                            push(from_json(message))  # type: ignore[arg-type]
                        except (ValueError, TypeError) as err:
                            log.warning("feed: skipped a bad event: %s", err)
        except InvalidURI as err:
            push(Status(channel=CALL, t=0.0, state="lost", detail=f"bad feed URL: {err}"))
            return
        except (OSError, ConnectionClosed, TimeoutError) as err:
            if not waiting:
                push(Status(channel=CALL, t=0.0, state="loading", detail=f"waiting for {url}"))
                log.info("feed %s: %s", url, err)
            waiting = True
            stop.wait(1.0)
