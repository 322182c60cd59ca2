"""A stand-in for Slack's Socket Mode: a WebSocket server on 127.0.0.1 that delivers
Slack's envelopes to a real Socket Mode client and reads its acknowledgements.

The app asks the Web API's ``apps.connections.open`` (with its app-level token) for a
``ws://`` URL holding a one-use ticket, and connects. Every connection is greeted with
``hello``; each request then arrives as an envelope shaped as Slack shapes it::

    {"envelope_id": ..., "type": "slash_commands" | "interactive" | "events_api",
     "payload": {...}, "accepts_response_payload": bool,
     "retry_attempt": 0, "retry_reason": ""}

and the app answers ``{"envelope_id": ..., "payload": {...}}`` within 3 seconds. Where
``accepts_response_payload`` is true the ack's payload is what Slack shows (a slash
command's reply, a view_submission's ``response_action``), kept as ``Envelope.ack``.

``refresh()`` does what Slack does every few hours: ``disconnect`` (``warning``, then
``refresh_requested``) and the connection closes; the client opens a new one. Nothing is
lost: an envelope sent while no connection is open waits for the next; one never
acknowledged is sent again, as Slack retries, with ``retry_attempt`` one more: 3 s after
it was sent, or at once on the next connection if its ack was lost with the one it went
on. Every late or missing ack is kept (``problems()``).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.protocol import State
from websockets.sync.server import ServerConnection, serve

from sandbox.requests import API_APP_ID

ACK_SECONDS = 3.0  # Slack's limit for an acknowledgement
# Envelope types, and which interactions Slack shows the ack's payload for.
SLASH_COMMANDS, INTERACTIVE, EVENTS_API = "slash_commands", "interactive", "events_api"
ANSWERED_INTERACTIONS = {"view_submission", "block_suggestion"}
RETRY_REASON = "timeout"  # the first attempt was never acknowledged
READING_SECONDS = 10  # how long a new connection may take to be read
MAX_RETRIES = 3  # as Slack: the first try, then three more


def _disconnect(reason: str, link: _Link) -> dict:
    return {
        "type": "disconnect",
        "reason": reason,
        "debug_info": {"host": f"applink-stand-in-{link.number}"},
    }


def accepts_response_payload(kind: str, payload: dict) -> bool:
    """Whether Slack uses the ack's payload: commands and form submissions, not clicks or
    events (their answers go through response_url or the Web API)."""
    if kind == SLASH_COMMANDS:
        return True
    return kind == INTERACTIVE and payload.get("type") in ANSWERED_INTERACTIONS


@dataclass
class Attempt:
    """One sending of an envelope, on one connection."""

    connection: int
    sent_at: float
    acked_at: float | None = None
    lost: bool = False  # its ack was dropped on the way (drop_next_ack): Slack never saw it


@dataclass
class Envelope:
    id: str
    type: str
    payload: dict
    accepts_response_payload: bool
    attempts: list[Attempt] = field(default_factory=list)
    ack: dict | None = None  # the ack's payload ({} for a bare ack); None until acked
    acked: threading.Event = field(default_factory=threading.Event)

    def frame(self) -> dict:
        retry = max(len(self.attempts) - 1, 0)
        return {
            "envelope_id": self.id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
            "retry_attempt": retry,
            "retry_reason": RETRY_REASON if retry else "",
        }


@dataclass
class _Link:
    number: int
    connection: ServerConnection
    open: bool = True
    # The client's receive loop answered a ping on it. slack_sdk's builtin client reads
    # one connection at a time: a frame sent on one it has not started reading (a
    # reconnect replaced it at once) would wait or be dropped, so none is sent before.
    live: bool = False
    retired: bool = False  # told to disconnect: nothing new is sent on it

    @property
    def usable(self) -> bool:
        return self.open and self.live and not self.retired


class SocketMode:
    """The WebSocket side of the stand-in Slack; FakeSlack's ``apps.connections.open``
    hands out its URLs. All state is guarded by one lock (each connection has a thread)."""

    def __init__(self, *, app_id: str = API_APP_ID, clock: Callable[[], float] = time.monotonic):
        self.app_id = app_id
        self.clock = clock
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._numbers = itertools.count(1)
        self._server = None
        self._thread: threading.Thread | None = None
        self._tickets: set[str] = set()
        self._links: list[_Link] = []
        self._envelopes: dict[str, Envelope] = {}
        self._drop_acks = 0
        self._refresh_on_drop = False
        self._strays: list[str] = []  # acks of envelopes never sent
        self.frames: list[dict] = []  # every frame sent, in order (hello, disconnect, ...)

    # lifecycle

    def start(self) -> SocketMode:
        self._server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._close_links()
        self._server.shutdown()
        self._thread.join(timeout=5)
        self._server = None

    @property
    def started(self) -> bool:
        return self._server is not None

    def reset(self) -> None:
        """Close every connection and forget every envelope, ticket and frame."""
        self._close_links()
        with self._lock:
            self._tickets.clear()
            self._links.clear()
            self._envelopes.clear()
            self._strays.clear()
            self._drop_acks = 0
            self._refresh_on_drop = False
            self.frames.clear()

    def open_url(self) -> str:
        """A new one-use WebSocket URL, as ``apps.connections.open`` answers."""
        host, port = self._server.socket.getsockname()[:2]
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets.add(ticket)
        return f"ws://{host}:{port}/link/?ticket={ticket}&app_id={self.app_id}"

    # what Slack sends

    def deliver(self, kind: str, payload: dict) -> Envelope:
        """Send one envelope now (or on the next connection, if none is open)."""
        envelope = Envelope(
            id=str(uuid.uuid4()),
            type=kind,
            payload=payload,
            accepts_response_payload=accepts_response_payload(kind, payload),
        )
        with self._lock:
            self._envelopes[envelope.id] = envelope
            self._flush()
        return envelope

    def wait_ack(self, envelope: Envelope, timeout: float = 10) -> dict | None:
        """The ack's payload once it arrives ({} for a bare ack), or None after ``timeout``."""
        envelope.acked.wait(timeout)
        return envelope.ack

    def refresh(self, *, warning: bool = True) -> None:
        """Slack's periodic refresh: on every connection ``disconnect`` with reason
        ``warning`` (unless not), then ``refresh_requested``, and Slack closes it. The
        client opens a new one; until it does, envelopes wait.

        slack_sdk's builtin client reconnects on each of the two, and closing the
        connection it opened for the first waits for its read to time out (3 s): call
        ``wait_settled()`` before sending what must be acked in time."""
        with self._lock:
            links = [link for link in self._links if link.open and not link.retired]
            for link in links:
                link.retired = True
                if warning:
                    self._send(link, _disconnect("warning", link))
                self._send(link, _disconnect("refresh_requested", link))
        for link in links:
            with contextlib.suppress(Exception):
                link.connection.close()

    def drop_next_ack(self, times: int = 1, *, refresh: bool = False) -> None:
        """The next ``times`` acks are lost on the way: the app did the work, Slack never
        heard, and sends the envelope again (3 s later, or on the next connection). With
        ``refresh`` the connection is refreshed as each is lost: the ack went with it."""
        with self._lock:
            self._drop_acks += times
            self._refresh_on_drop = refresh

    def wait_connected(self, count: int = 1, timeout: float = 10) -> None:
        """Until ``count`` connections have been greeted in all, one of them still usable."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not (len(self._links) >= count and self._current() is not None):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no Socket Mode connection {count} within {timeout} s")
                self._changed.wait(left)

    def wait_settled(self, timeout: float = 15, quiet: float = 0.5) -> None:
        """Until the client keeps one connection, read, and nothing has opened or closed
        for ``quiet`` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                seen = (len(self._links), sum(link.open for link in self._links))
                one = seen[1] == 1 and self._current() is not None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"Socket Mode did not settle within {timeout} s")
                if one and not self._changed.wait(min(quiet, left)):
                    if seen == (len(self._links), sum(link.open for link in self._links)):
                        return
                elif not one:
                    self._changed.wait(left)

    # what tests check

    @property
    def connections(self) -> int:
        """How many connections were greeted, in all."""
        with self._lock:
            return len(self._links)

    @property
    def envelopes(self) -> list[Envelope]:
        with self._lock:
            return list(self._envelopes.values())

    def unacknowledged(self) -> list[Envelope]:
        return [envelope for envelope in self.envelopes if envelope.ack is None]

    def problems(self) -> list[str]:
        """Every ack that came late or not at all (lost ones excepted), and every ack of an
        envelope never sent, in words."""
        now = self.clock()
        found: list[str] = []
        with self._lock:
            for envelope in self._envelopes.values():
                for number, attempt in enumerate(envelope.attempts):
                    what = f"{envelope.type} {envelope.id} (attempt {number})"
                    if attempt.lost:
                        continue
                    if attempt.acked_at is not None:
                        took = attempt.acked_at - attempt.sent_at
                        if took > ACK_SECONDS:
                            found.append(f"{what} acknowledged after {took:.1f} s")
                    elif envelope.ack is None and now - attempt.sent_at > ACK_SECONDS:
                        found.append(f"{what} never acknowledged")
            found += [f"ack of unknown envelope {stray}" for stray in self._strays]
        return found

    # the connections (each on its own server thread)

    def _handle(self, connection: ServerConnection) -> None:
        query = parse_qs(urlsplit(connection.request.path).query)
        ticket = (query.get("ticket") or [""])[0]
        with self._changed:
            if ticket not in self._tickets:
                # A ticket is good for one connection, as Slack's are.
                connection.close(1008, "invalid ticket")
                return
            self._tickets.discard(ticket)
            link = _Link(number=next(self._numbers), connection=connection)
            self._links.append(link)
            self._send(link, self._hello())
        # ack_on_close: a connection closed before its pong stops the wait too.
        answered = connection.ping(ack_on_close=True).wait(READING_SECONDS)
        if answered and connection.state is State.OPEN:
            with self._changed:
                link.live = True
                self._flush()
                self._changed.notify_all()
        try:
            for message in connection:
                self._receive(message)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                link.open = False
                self._flush()
                self._changed.notify_all()

    def _hello(self) -> dict:
        return {
            "type": "hello",
            "num_connections": sum(1 for link in self._links if link.open and not link.retired),
            "debug_info": {
                "host": "applink-stand-in",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _flush(self) -> None:
        """Send, on the newest connection, every envelope that is due."""
        with self._lock:
            link = self._current()
            if link is None:
                return
            for envelope in self._envelopes.values():
                if self._due(envelope):
                    self._send_envelope(link, envelope)

    def _due(self, envelope: Envelope) -> bool:
        if envelope.ack is not None or len(envelope.attempts) > MAX_RETRIES:
            return False
        if not envelope.attempts:
            return True
        last = envelope.attempts[-1]
        if self.clock() - last.sent_at >= ACK_SECONDS:
            return True
        gone = not next(link for link in self._links if link.number == last.connection).usable
        return last.lost and gone

    def _receive(self, message: str | bytes) -> None:
        try:
            frame = json.loads(message)
        except ValueError:
            return
        if not isinstance(frame, dict) or "envelope_id" not in frame:
            return
        with self._changed:
            envelope = self._envelopes.get(frame["envelope_id"])
            attempts = envelope.attempts if envelope else []
            waiting = [a for a in attempts if a.acked_at is None and not a.lost]
            if not waiting:
                self._strays.append(str(frame["envelope_id"]))
                return
            if self._drop_acks:
                self._drop_acks -= 1
                waiting[-1].lost = True
                if self._refresh_on_drop:
                    # One reconnect, at once: the retry is not held up by a second.
                    threading.Thread(
                        target=self.refresh, kwargs={"warning": False}, daemon=True
                    ).start()
                return
            waiting[0].acked_at = self.clock()
            if envelope.ack is None:
                envelope.ack = frame.get("payload") or {}
                envelope.acked.set()
            self._changed.notify_all()

    def _current(self) -> _Link | None:
        usable = [link for link in self._links if link.usable]
        return usable[-1] if usable else None

    def _send_envelope(self, link: _Link, envelope: Envelope) -> None:
        envelope.attempts.append(Attempt(connection=link.number, sent_at=self.clock()))
        self._send(link, envelope.frame())
        # Slack's retry, should the ack not come in time.
        timer = threading.Timer(ACK_SECONDS + 0.05, self._flush)
        timer.daemon = True
        timer.start()

    def _send(self, link: _Link, frame: dict) -> None:
        self.frames.append(frame)
        try:
            link.connection.send(json.dumps(frame))
        except ConnectionClosed:
            link.open = False

    def hang_up(self) -> None:
        """Close every connection, without a word (as when the network goes)."""
        self._close_links()

    def _close_links(self) -> None:
        with self._lock:
            links = list(self._links)
        for link in links:
            with contextlib.suppress(Exception):
                link.connection.close()
