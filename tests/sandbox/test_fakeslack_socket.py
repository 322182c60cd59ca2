"""The stand-in Socket Mode, driven by slack_sdk's own (builtin) Socket Mode client."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.response import SocketModeResponse

from sandbox.requests import API_APP_ID
from sandbox.slack import FakeSlack
from tests.sandbox.test_fakeslack import FakeClock

NO_ACK = object()


@contextmanager
def connected(fake: FakeSlack, answer=lambda request: None) -> Iterator[list]:
    """A client that acks every envelope with ``answer(request)``; yields what it got."""
    web = WebClient(token=fake.bot_token, base_url=fake.api_url)
    client = SocketModeClient(app_token=fake.app_token, web_client=web)
    received: list = []

    def listener(client, request) -> None:
        received.append(request)
        payload = answer(request)
        if payload is NO_ACK:
            return
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=payload)
        )

    client.socket_mode_request_listeners.append(listener)
    client.connect()
    try:
        fake.socket_mode.wait_connected()
        yield received
    finally:
        # The client stops reading a connection only when it closes (or after its 3 s
        # receive timeout): hang up first, so stopping it is quick.
        client.auto_reconnect_enabled = False
        fake.socket_mode.hang_up()
        client.close()


def test_connections_open_takes_the_app_level_token_only(fake):
    web = WebClient(base_url=fake.api_url)
    url = web.apps_connections_open(app_token=fake.app_token)["url"]
    assert url.startswith("ws://127.0.0.1:") and "/link/?ticket=" in url
    for token, error in [
        (fake.bot_token, "not_allowed_token_type"),
        ("xapp-1-A0OTHER-nope", "invalid_auth"),
    ]:
        with pytest.raises(SlackApiError) as refused:
            web.apps_connections_open(app_token=token)
        assert refused.value.response["error"] == error
    # And the app-level token is no good for the Web API's other methods.
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=fake.app_token, base_url=fake.api_url).auth_test()
    assert refused.value.response["error"] == "not_allowed_token_type"


def test_envelopes_are_shaped_as_slacks_and_acks_carry_the_answer(fake):
    socket = fake.socket_mode
    with connected(fake, lambda r: {"text": "hi"} if r.accepts_response_payload else None) as got:
        command = socket.deliver("slash_commands", {"command": "/handover", "text": ""})
        click = socket.deliver("interactive", {"type": "block_actions", "actions": []})
        form = socket.deliver("interactive", {"type": "view_submission", "view": {}})
        event = socket.deliver("events_api", {"type": "event_callback", "event_id": "Ev1"})
        answers = [socket.wait_ack(e, 5) for e in (command, click, form, event)]
    assert answers == [{"text": "hi"}, {}, {"text": "hi"}, {}]
    assert [(r.type, r.accepts_response_payload, r.retry_attempt) for r in got] == [
        ("slash_commands", True, 0),
        ("interactive", False, 0),
        ("interactive", True, 0),
        ("events_api", False, 0),
    ]
    hello = socket.frames[0]
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": API_APP_ID}
    assert set(hello["debug_info"]) == {"host", "build_number", "approximate_connection_time"}
    envelope = socket.frames[1]
    assert set(envelope) == {
        "envelope_id",
        "type",
        "payload",
        "accepts_response_payload",
        "retry_attempt",
        "retry_reason",
    }
    assert socket.problems() == [] and socket.unacknowledged() == []


def test_a_refresh_reconnects_and_an_ack_lost_with_the_old_connection_is_retried(fake):
    socket = fake.socket_mode
    with connected(fake) as got:
        socket.drop_next_ack()
        lost = socket.deliver("events_api", {"type": "event_callback", "event_id": "Ev1"})
        until(lambda: lost.attempts[0].lost)
        # One reconnect (no warning first): the retry goes at once on the new connection.
        socket.refresh(warning=False)
        waiting = socket.deliver("events_api", {"type": "event_callback", "event_id": "Ev2"})
        assert socket.wait_ack(waiting, 5) == {} and socket.wait_ack(lost, 5) == {}
    reasons = [f["reason"] for f in socket.frames if f["type"] == "disconnect"]
    assert reasons == ["refresh_requested"]
    assert socket.connections == 2
    # Ev1 again, as Slack retries it; Ev2 waited for the new connection.
    assert sorted((r.payload["event_id"], r.retry_attempt, r.retry_reason) for r in got) == [
        ("Ev1", 0, ""),
        ("Ev1", 1, "timeout"),
        ("Ev2", 0, ""),
    ]
    assert socket.problems() == []


def test_late_and_missing_acks_are_kept_and_a_lost_one_is_not_the_apps_fault():
    clock = FakeClock()  # the stand-in's clock: three seconds pass without waiting them
    release = threading.Event()

    def answer(request):
        if request.payload.get("slow"):
            release.wait(5)
        return NO_ACK if request.payload.get("ignored") else None

    with FakeSlack(clock=clock) as fake, connected(fake, answer):
        socket = fake.socket_mode
        late = socket.deliver("events_api", {"slow": True})
        clock.advance(4)
        release.set()
        assert socket.wait_ack(late, 5) == {}
        socket.drop_next_ack()
        lost = socket.deliver("events_api", {"lost": True})
        ignored = socket.deliver("events_api", {"ignored": True})
        until(lambda: lost.attempts[0].lost and ignored.attempts)
        clock.advance(4)
        problems = socket.problems()
    assert problems == [
        f"events_api {late.id} (attempt 0) acknowledged after 4.0 s",
        f"events_api {ignored.id} (attempt 0) never acknowledged",
    ]


def until(condition, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.01)
