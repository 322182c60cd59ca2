"""The one error handler: a clear message where the user is, and an id for the log."""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from sqlalchemy.exc import DBAPIError

from bot.blocks.modals import notice_modal
from bot.errors import DomainError, InvalidInput
from handlers.deliveries import release

log = logging.getLogger("handover")

DAMAGED = "That request was damaged or out of date, so nothing was done. Please try again."
_SLACK_ID = re.compile(r"^[A-Z0-9]{2,32}$")


# What each event the bot listens to must carry for its listener to act on it.
EVENT_FIELDS = {
    "app_home_opened": ("user",),
    "member_joined_channel": ("user", "channel"),
    "channel_unarchive": ("channel",),
    "group_unarchive": ("channel",),
}


def _incomplete_event(body: dict) -> str | None:
    """What an event lacks, if anything: Slack always sends these fields, so one without
    them is not Slack's, or not for us, and is ignored."""
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "no event"
    for field in EVENT_FIELDS.get(event["type"], ()):
        if not isinstance(event.get(field), str) or not event[field]:
            return f"{event['type']} without {field}"
    return None


def _damaged(body: dict) -> str | None:
    """What is wrong with a request every listener relies on the shape of, if anything.

    Slack always sends these; checking them once here keeps every listener free to read
    ``body["user"]["id"]`` and its one action without guarding each access.
    """
    kind = body.get("type")
    if kind not in ("block_actions", "view_submission") and "command" not in body:
        return None  # events and anything else: their listeners read what they need
    user = body.get("user_id") if "command" in body else (body.get("user") or {})
    user_id = user.get("id") if isinstance(user, dict) else user
    if not isinstance(user_id, str) or not _SLACK_ID.match(user_id):
        return "no user"
    # A command need not open anything; a click or a submission always comes with one.
    if "command" not in body and not isinstance(body.get("trigger_id"), str):
        return "no trigger_id"
    if kind == "block_actions":
        actions = body.get("actions")
        if not (isinstance(actions, list) and actions and isinstance(actions[0], dict)):
            return "no action"
    if kind == "view_submission":
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("id"), str):
            return "no view"
        if not isinstance((view.get("state") or {}).get("values", {}), dict):
            return "no values"
    return None


# Slack ignores the body of these acknowledgements: what goes wrong is said elsewhere.
UNREAD_ACKS = ("block_actions", "block_suggestion")


def refuse_damaged(body: dict, next, client: WebClient, respond) -> BoltResponse | None:
    """Middleware: a malformed request gets a plain answer instead of a listener's crash."""
    if isinstance(body, dict) and body.get("type") == "event_callback":
        if (lacking := _incomplete_event(body)) is None:
            return next()
        log.debug("ignored an event: %s", lacking)
        return BoltResponse(status=200, body="")
    if not isinstance(body, dict) or (what := _damaged(body)) is None:
        return next()
    log.warning("refused a damaged %s request: %s", body.get("type") or "command", what)
    if body.get("type") == "block_actions":
        _tell(body, client, respond, DAMAGED)
        return BoltResponse(status=200, body="")
    if body.get("type") == "view_submission":
        answer = {"response_action": "update", "view": notice_modal("Not done", DAMAGED)}
    else:
        answer = {"response_type": "ephemeral", "text": DAMAGED}
    return BoltResponse(
        status=200, body=json.dumps(answer), headers={"content-type": "application/json"}
    )


def _unexpected(error: Exception, body: dict) -> str:
    """Log it with an id, and the sentence that gives the person the same id."""
    incident = "E-" + secrets.token_hex(3)
    log.exception("unexpected error %s while handling %s", incident, body.get("type") or "command")
    done = "submission" if body.get("type") == "view_submission" else "click"
    if isinstance(error, DBAPIError):
        return (
            f"The bot cannot reach its records just now ({incident}), so nothing was changed "
            f"by this {done}. Please try again in a few minutes; tell the coordinators if it "
            "keeps happening."
        )
    return (
        f"Something went wrong on our side ({incident}). Nothing was changed by this {done}; "
        "please try again, and tell the coordinators if it keeps happening."
    )


def handle_error(
    error: Exception, body: dict, response, client: WebClient, respond, context=None
) -> BoltResponse | None:
    body = body if isinstance(body, dict) else {}
    message = error.message if isinstance(error, DomainError) else _unexpected(error, body)
    # Not yet acknowledged: the answer goes in the HTTP response itself...
    if response is not None:
        # Nothing was done, so the same delivery again is not a duplicate to ignore.
        _release(context)
        if body.get("type") not in UNREAD_ACKS:
            return _in_response(error, body, message)
        # ...unless Slack ignores that response: then where the person acted, and a plain ack.
        _tell(body, client, respond, message)
        answer = {"options": []} if body.get("type") == "block_suggestion" else None
        return BoltResponse(
            status=200,
            body=json.dumps(answer) if answer else "",
            headers={"content-type": "application/json"} if answer else {},
        )
    _tell(body, client, respond, message)
    return None


def _release(context) -> None:
    try:
        release(context)
    except Exception as error:  # the database is what failed, most likely
        log.warning("could not forget a failed delivery: %s", type(error).__name__)


def _in_response(error: Exception, body: dict, message: str) -> BoltResponse:
    if body.get("type") == "view_submission":
        if isinstance(error, InvalidInput):
            answer = {"response_action": "errors", "errors": dict(error.errors)}
        else:
            answer = {"response_action": "update", "view": notice_modal("Not done", message)}
    else:
        answer = {"response_type": "ephemeral", "text": message}
    return BoltResponse(
        status=200, body=json.dumps(answer), headers={"content-type": "application/json"}
    )


def _where(body: dict) -> tuple[str | None, str | None]:
    """(the user, the channel they acted in) from whatever this payload carries."""
    user = body.get("user") if isinstance(body.get("user"), dict) else {}
    user_id = user.get("id") or body.get("user_id")
    channel = body.get("channel") if isinstance(body.get("channel"), dict) else {}
    container = body.get("container") if isinstance(body.get("container"), dict) else {}
    channel_id = channel.get("id") or container.get("channel_id") or body.get("channel_id")
    return _slack_id(user_id), _slack_id(channel_id)


def _slack_id(value: object) -> str | None:
    return value if isinstance(value, str) and _SLACK_ID.match(value) else None


def _tell(body: dict, client: WebClient, respond, message: str) -> None:
    """Privately, in the place the person acted: the response_url, an ephemeral message in
    the channel, or (App Home and modals have no channel to answer in) the bot's DM."""
    user_id, channel_id = _where(body)
    try:
        if respond is not None and (body.get("response_url") or body.get("response_urls")):
            respond(text=message, response_type="ephemeral", replace_original=False)
        elif user_id and channel_id:
            client.chat_postEphemeral(channel=channel_id, user=user_id, text=message)
        elif user_id:
            client.chat_postMessage(channel=user_id, text=message)
    except Exception:
        log.exception("could not tell %s about an error", user_id)


@contextmanager
def after_ack(body: dict, client: WebClient, respond) -> Iterator[None]:
    """Work done after ``ack()`` reports its errors through the same handler.

    Bolt's runner, when a listener raises after acknowledging, can clear the
    acknowledgement it has not yet sent and leave Slack waiting 3 seconds for
    nothing; catching here keeps the fast ack and the clear message.
    """
    try:
        yield
    except Exception as error:
        handle_error(error, body, None, client, respond)


def acknowledged(work: Callable[[Any, dict, dict, WebClient], None]):
    """A block action listener that acks at once, then does ``work(bot, body, action, client)``."""

    def listener(ack, body: dict, client: WebClient, respond, context) -> None:
        ack()
        with after_ack(body, client, respond):
            action = (body.get("actions") or [{}])[0]
            work(context["bot"], body, action, client)

    # Bolt names listeners in its logs; keep the work's name (not __wrapped__: Bolt would
    # then read the work's arguments instead of the listener's).
    listener.__name__ = listener.__qualname__ = work.__name__
    return listener


def taken_late(context, body: dict) -> bool:
    """One of the bot's listeners took this request and did not acknowledge it within
    Bolt's three seconds, so Bolt offers it to the catch-alls below; it is still at work
    (the request's ack says so: server.acks), and may well succeed. Logged when so."""
    if not getattr(context.get("ack"), "late", False):
        return False
    kind = body.get("type") or "request"
    log.warning("a %s took longer than Slack's 3 seconds; it is still being done", kind)
    return True


def unknown_action(ack, body: dict, client: WebClient, respond, context) -> None:
    """A button this version of the bot does not know (an old message, or a forged one)."""
    ack()
    if taken_late(context, body):
        return
    with after_ack(body, client, respond):
        raise DomainError("That button is out of date, so nothing was done.")


def unknown_view(ack, body: dict, context) -> None:
    if taken_late(context, body):
        ack()  # Slack has stopped waiting: whatever is answered now is not shown
        return
    ack(response_action="update", view=notice_modal("Not done", DAMAGED))


def no_suggestions(ack) -> None:
    """A select asking for options the bot does not offer (it loads none from outside):
    an empty list, rather than an unhandled request logged with what was typed."""
    ack(options=[])


def register_fallbacks(app: App) -> None:
    anything = re.compile(".*", re.DOTALL)
    app.action(anything)(unknown_action)
    app.view(anything)(unknown_view)
    app.options(anything)(no_suggestions)


def register(app: App) -> None:
    app.error(handle_error)
    app.middleware(refuse_damaged)
