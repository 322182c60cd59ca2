"""Drive the real app as Slack does in Socket Mode: the same Slack-shaped payloads as
tests/harness.py, delivered as envelopes over the stand-in's WebSocket, and answered by
acks instead of HTTP responses.

The app connects the way ``python app.py`` does (Bolt's SocketModeHandler: it asks
``apps.connections.open`` with the app-level token for the socket's URL), and its Web
API calls go to the same stand-in Slack, so a modal opened over the socket is in the same
workspace the tests look at.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from slack_bolt.adapter.socket_mode import SocketModeHandler

from sandbox.slack.socket import SocketMode
from tests.harness import Harness

WAIT_FOR_ACK = 10  # seconds; whether it came within Slack's 3 is the stand-in's to record


class Acked:
    """An ack, read as tests read an HTTP response (``Harness.answer`` works on both)."""

    def __init__(self, envelope):
        self.envelope = envelope
        self.payload = envelope.ack
        # Like HTTP mode's 200 for an answer in time; nothing came back at all is no 200.
        self.status_code = 200 if envelope.ack is not None else 504

    def get_data(self, as_text: bool = False) -> str:
        return json.dumps(self.payload) if self.payload else ""

    @property
    def json(self) -> dict:
        return self.payload or {}


class SocketHarness(Harness):
    """The real app, connected over Socket Mode to the stand-in: ``connect()`` first."""

    def __init__(self, *, fake, engine, network, clock, **options):
        # Socket Mode has no signatures, as in production (app.py builds it without one).
        super().__init__(
            fake=fake, engine=engine, network=network, clock=clock, signing_secret=None, **options
        )
        self.socket: SocketMode = fake.socket_mode
        self.handler: SocketModeHandler | None = None

    def connect(self) -> SocketHarness:
        self.handler = SocketModeHandler(self.app, self.fake.app_token)
        self.handler.connect()
        self.socket.wait_connected()
        return self

    def close(self) -> None:
        if self.handler is None:
            return
        # The client stops reading a connection only when it closes (or after its 3 s
        # receive timeout): hang up first, so stopping it is quick.
        self.handler.client.auto_reconnect_enabled = False
        self.socket.hang_up()
        self.handler.close()
        self.handler = None

    def deliver(self, kind: str, payload: dict) -> Acked:
        envelope = self.socket.deliver(kind, payload)
        self.socket.wait_ack(envelope, WAIT_FOR_ACK)
        # Bolt acks before the listener's work after ack() is done: wait for that too.
        self.executor.drain()
        return Acked(envelope)


class RemoteBot(Harness):
    """A bot in another process (``python app.py``), driven over the stand-in's socket:
    the same people doing the same things, and no app here. What the bot does after an
    ack is looked for with ``eventually``."""

    def __init__(self, fake):  # no app of its own to build
        self.fake = fake
        self.socket: SocketMode = fake.socket_mode

    def deliver(self, kind: str, payload: dict) -> Acked:
        envelope = self.socket.deliver(kind, payload)
        self.socket.wait_ack(envelope, WAIT_FOR_ACK)
        return Acked(envelope)

    def submit(self, user: str, answers: dict, view: dict | None = None):
        # A command or a click opens its modal after the ack: wait for it to be there.
        if view is None:
            eventually(lambda: self.fake.open_views(user), what=f"a modal for {user}")
        return super().submit(user, answers, view)


def eventually(condition: Callable[[], object], timeout: float = 10, what: str = "it"):
    """The condition's value once it is true (for work another process does after its
    ack); an AssertionError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.02)
