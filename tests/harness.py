"""Drive the real app the way Slack does: signed HTTP requests in, Web API calls out.

Requests go through the app's real WSGI endpoint (signature checks included);
the app's Web API calls go over HTTP to the fake Slack. ``drain()`` waits for
the work a listener does after ``ack()``, so tests never sleep.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import timedelta
from typing import Any

from werkzeug.test import Client

from bot.delivery.outbox import Pacing
from sandbox import requests
from server.factory import create_app, make_client
from server.web import wsgi_app

SIGNING_SECRET = "test-signing-secret"
# The test databases' key for residents' details (HANDOVER_DATA_KEYS); tests/storage/test_crypto.py
# makes its own to try rotation and wrong keys.
DATA_KEY = "0s0mhq7hcGuV9WKm5-BwWa5yqMNZLpYKrQ7YnuT6v1A="
TEAM = "T0001"
# How HTTP mode carries each kind of Socket Mode envelope's payload.
ENCODINGS = {
    "slash_commands": requests.form,
    "interactive": requests.interaction,
    "events_api": requests.event,
}


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt runs listeners here; tests wait until every one has finished."""

    def __init__(self):
        super().__init__(max_workers=8, thread_name_prefix="listener")
        self._pending: set[Future] = set()
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = super().submit(fn, *args, **kwargs)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def drain(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                pending = set(self._pending)
            if not pending:
                return
            _, not_done = wait(pending, timeout=max(0.0, deadline - time.monotonic()))
            if not_done:
                raise TimeoutError(f"{len(not_done)} listeners still running")


class ErrorLog(logging.Handler):
    """Collects errors logged by the app, so a scenario fails on an unexpected one."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def sign(body: str | bytes, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict:
    return requests.sign(body, secret=secret, timestamp=timestamp)


class Harness:
    def __init__(
        self,
        *,
        fake,
        engine,
        network,
        clock,
        notify=None,
        callback_token=None,
        public_url=None,
        oauth=None,
        signing_secret: str | None = SIGNING_SECRET,
    ):
        self.fake = fake
        self.network = network
        self.clock = clock
        self.executor = TrackingExecutor()
        self.app = create_app(
            network=network,
            engine=engine,
            client=make_client(fake.bot_token, fake.api_url),
            signing_secret=signing_secret,
            clock=clock,
            listener_executor=self.executor,
            # Tests check pacing, and posting to several channels at once, where it is the
            # point (tests/scenarios/test_outbox.py, tests/delivery/): here one sender, so
            # a failure injected for "the next post" meets the same post every run.
            pacing=Pacing(pace=timedelta(0), senders=1),
            notify=notify,
            notify_callback_token=callback_token,
            public_url=public_url,
            oauth=oauth,
        )
        self.http = Client(wsgi_app(self.app, engine))

    # -- raw requests ---------------------------------------------------------------------

    def post(self, body: str | bytes, content_type: str, headers: dict | None = None, **sign_args):
        signed = sign(body, **sign_args) if headers is None else headers
        response = self.http.post(
            "/slack/events", data=body, headers={**signed, "Content-Type": content_type}
        )
        self.executor.drain()
        return response

    def send(self, encoded: tuple[str, str], **sign_args):
        return self.post(*encoded, **sign_args)

    def deliver(self, kind: str, payload: dict):
        """One request from Slack, of a Socket Mode envelope's ``kind``: here POSTed and
        signed as HTTP mode gets it (tests/socket_harness.py sends it over the socket)."""
        return self.send(ENCODINGS[kind](payload))

    @staticmethod
    def answer(response) -> dict:
        """The JSON body of an acknowledgement ({} for an empty ack)."""
        body = response.get_data(as_text=True)
        return json.loads(body) if body.strip() else {}

    # -- what people do in Slack ----------------------------------------------------------

    def command(self, user: str, text: str = "", channel: str = "C0GENERAL1"):
        fields = requests.slash_command(
            team=TEAM,
            user=user,
            channel=channel,
            text=text,
            response_url=self.fake.response_url(user, channel),
            trigger_id=self.fake.issue_trigger_id(user),
        )
        return self.deliver("slash_commands", fields)

    def click(
        self,
        user: str,
        action_id: str,
        *,
        value: str | None = None,
        selected: str | None = None,
        message: dict | None = None,
        channel: str | None = None,
        home: bool = False,
        view: dict | None = None,
    ):
        """A button (``value``) or select (``selected``) on a message, in App Home, or in a
        modal (``view``)."""
        action: dict[str, Any] = {"action_id": action_id, "block_id": "b"}
        if selected is not None:
            action["type"] = "static_select"
            action["selected_option"] = {
                "value": selected,
                "text": {"type": "plain_text", "text": "x"},
            }
        else:
            action["type"] = "button"
            action["value"] = value
        payload = requests.block_actions(
            team=TEAM,
            user=user,
            trigger_id=self.fake.issue_trigger_id(user),
            action=action,
            channel=channel,
            message=message,
            response_url=None
            if home or view
            else self.fake.response_url(user, channel, message["ts"]),
            view=view or ({"type": "home", "id": "VHOME"} if home else None),
        )
        return self.deliver("interactive", payload)

    def click_button(self, user: str, message: dict, channel: str, label: str):
        """Click the button with this label on a message the bot posted."""
        for block in message.get("blocks", []):
            for element in [*block.get("elements", []), block.get("accessory") or {}]:
                if element.get("type") == "button" and element["text"]["text"] == label:
                    return self.click(
                        user,
                        element["action_id"],
                        value=element.get("value"),
                        message=message,
                        channel=channel,
                    )
        raise AssertionError(f"no button {label!r} on message: {message.get('text')}")

    def submit(self, user: str, answers: dict[str, Any], view: dict | None = None):
        """Submit the user's open modal with ``answers`` (block_id -> value), as Slack would."""
        if view is None:
            open_views = self.fake.open_views(user)
            assert open_views, f"{user} has no modal open"
            view = open_views[-1]
        response = self.deliver("interactive", submission(self.fake, user, view, answers))
        # Do with the acknowledgement what Slack does: close, update or show errors.
        if response.status_code == 200:
            self.fake.answer_view_submission(user, self.answer(response))
        return response

    def notify_receipt(self, receipt: dict | bytes, token: str | None):
        """GOV.UK Notify's delivery receipt, as Notify posts it to the callback."""
        body = receipt if isinstance(receipt, bytes) else json.dumps(receipt).encode()
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.http.post("/notify/callback", data=body, headers=headers)
        self.executor.drain()
        return response

    def event(self, event: dict):
        return self.deliver("events_api", requests.event_callback(team=TEAM, event=event))

    def open_home(self, user: str):
        payload = requests.app_home_opened(team=TEAM, user=user, dm_channel="D0HOME")
        return self.deliver("events_api", payload)


def submission(fake, user: str, view: dict, answers: dict[str, Any]) -> dict:
    """The ``view_submission`` payload of ``user`` submitting ``view`` with ``answers``."""
    return requests.view_submission(
        team=TEAM,
        user=user,
        trigger_id=fake.issue_trigger_id(user),
        view={"id": "VSUBMIT", **view},
        values=fill(view, answers),
    )


def fill(view: dict, answers: dict[str, Any]) -> dict:
    """view.state.values for these answers, shaped by each input's element type, like Slack.

    An input left unanswered keeps its initial value, as it does in Slack.
    """
    values: dict[str, dict] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        block_id = block["block_id"]
        kind = element["type"]
        state: dict[str, Any] = {"type": kind}
        answered = block_id in answers
        answer = answers.get(block_id)
        if kind == "plain_text_input":
            state["value"] = answer if answered else element.get("initial_value")
        elif kind == "datepicker":
            state["selected_date"] = answer if answered else element.get("initial_date")
        elif kind == "conversations_select":
            state["selected_conversation"] = (
                answer if answered else element.get("initial_conversation")
            )
        elif kind in ("static_select", "radio_buttons"):
            if answered:
                state["selected_option"] = _option(element, answer) if answer is not None else None
            else:
                state["selected_option"] = element.get("initial_option")
        elif kind in ("multi_static_select", "checkboxes"):
            if answered:
                state["selected_options"] = [_option(element, a) for a in (answer or [])]
            else:
                state["selected_options"] = element.get("initial_options") or []
        else:
            raise AssertionError(f"fill() does not know {kind}")
        values[block_id] = {element["action_id"]: state}
    unknown = set(answers) - set(values)
    assert not unknown, f"no inputs {unknown} in the modal"
    return values


def _option(element: dict, value: str) -> dict:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group["options"]
    for option in options:
        if option["value"] == value:
            return option
    # Slack would only send an offered option; tests that forge one say so explicitly.
    return {"value": value, "text": {"type": "plain_text", "text": value}}
