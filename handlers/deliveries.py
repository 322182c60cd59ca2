"""Slack's retries and duplicate deliveries are applied once, whichever replica gets them.

Slack retries an event it thinks we missed (``X-Slack-Retry-Num``, ``X-Slack-Retry-Reason``:
over HTTP as headers, and Bolt mirrors them for Socket Mode), and an interaction can arrive
twice. Each delivery that changes something is claimed by a key in ``slack_delivery``
before any listener runs: the event's ``event_id``; a click's ``trigger_id`` and
``action_ts``; a form's view id, hash and values. A second delivery of the same key is
acknowledged calmly and not applied. Transitions are also compare-and-set on a version,
so this is the first line, not the only one: it keeps a retry from saying "already
accepted" to the person who accepted, or from publishing App Home twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.modals import notice_modal
from bot.ids import Act, Callback
from storage import queries

log = logging.getLogger(__name__)

# Forms whose handling stores nothing (the referral's first step), or that are already
# idempotent with a better answer than "already received" (Send: keyed by the view id,
# it answers a repeat with the same "sent" modal).
UNKEYED_VIEWS = {Callback.NEW_HANDOVER, Callback.CHOOSE}
# Clicks that only open a form change nothing, and Slack opens one view per trigger_id:
# the trigger is their key, so they claim no row (no write before their acknowledgement),
# and a repeat is refused by Slack (exchanged_trigger_id), which open_form takes calmly.
FORM_CLICKS = {Act.ACCEPT, Act.DECLINE, Act.OUTCOME, Act.OPEN_NEW, Act.POST_REFER_BUTTON}
REMEMBER = timedelta(hours=1)  # Slack retries within minutes (at once, 1 min, 5 min)
FORGET_EVERY = timedelta(minutes=10)
KEY = "delivery_key"
KEY_LENGTH = 96  # slack_delivery.key

ALREADY = (
    "That was already received, and it was done once. Nothing was changed twice; "
    "the card and your DMs show where things stand."
)


def delivery_key(body: dict) -> str | None:
    """What identifies one delivery of this request, or None when it needs no key."""
    key = _key(body)
    if key is None or (key.isprintable() and len(key) <= KEY_LENGTH):
        return key
    # Ids Slack never sends (a forged NUL, an overlong trigger id) still name one delivery,
    # in a form the database can store.
    return "digest:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _key(body: dict) -> str | None:
    kind = body.get("type")
    if kind == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    if kind == "block_actions" and body.get("trigger_id"):
        actions = [a for a in body.get("actions") or [] if isinstance(a, dict)]
        if actions and all(a.get("action_id") in FORM_CLICKS for a in actions):
            return None
        stamps = ",".join(a.get("action_ts") or "" for a in body.get("actions") or [])
        return f"action:{body['trigger_id']}:{stamps}"
    if kind == "view_submission":
        view = body.get("view") or {}
        if view.get("callback_id") in UNKEYED_VIEWS or not view.get("id"):
            return None
        # The hash changes only when the bot updates the view; the values when the person
        # changes an answer (after inline errors, say): both together mean "the same".
        values = json.dumps((view.get("state") or {}).get("values"), sort_keys=True)
        digest = hashlib.sha256(f"{view['id']}|{view.get('hash')}|{values}".encode())
        return f"view:{view['id']}:{digest.hexdigest()[:40]}"
    return None


def open_form(client: WebClient, trigger_id: str, view: dict) -> None:
    """Open a form for a click; the same click delivered again finds it open already."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as error:
        if error.response.get("error") != "exchanged_trigger_id":
            raise
        log.info("a click delivered again: the form it opens is open already")


def _retry(req: BoltRequest) -> tuple[str, str] | None:
    attempt = (req.headers.get("x-slack-retry-num") or [None])[0]
    # Socket Mode's envelopes say retry_attempt 0 on the first delivery, and Bolt mirrors
    # it as this header: only 1 and up are retries.
    if attempt is None or attempt == "0":
        return None
    return attempt, (req.headers.get("x-slack-retry-reason") or ["unknown"])[0]


def _already(body: dict) -> BoltResponse:
    if body.get("type") == "view_submission":
        answer = {"response_action": "update", "view": notice_modal("Already received", ALREADY)}
        return BoltResponse(
            status=200, body=json.dumps(answer), headers={"content-type": "application/json"}
        )
    # x-slack-no-retry: this one is settled, however it is answered.
    return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})


class Deliveries:
    """The global middleware: claim, or recognise a repeat and answer it calmly."""

    def __init__(self):
        self.last_forget = None

    def middleware(self, req: BoltRequest, body: dict, context, next) -> BoltResponse | None:
        key = delivery_key(body)
        if key is None:
            return next()
        bot = context["bot"]
        now = bot.clock.now()
        retry = _retry(req)
        with bot.handovers.sessions() as session:
            claimed = queries.claim_delivery(session=session, key=key, at=now)
            if claimed and (self.last_forget is None or now - self.last_forget > FORGET_EVERY):
                self.last_forget = now
                queries.forget_deliveries(session=session, before=now - REMEMBER)
        if not claimed:
            if retry:
                log.info("Slack retry %s (%s) of %s: already taken, not applied again", *retry, key)
            else:
                log.info("duplicate delivery of %s: already taken, not applied again", key)
            return _already(body)
        if retry:
            log.info("Slack retry %s (%s) of %s: the first never arrived; handling it", *retry, key)
        context[KEY] = key
        return next()


def release(context) -> None:
    """The delivery failed before it was acknowledged (so it changed nothing): forget it,
    so that sending it again (the same answers after inline errors, say) is handled."""
    key = (context or {}).get(KEY)
    bot = (context or {}).get("bot")
    if key is None or bot is None:
        return
    with bot.handovers.sessions() as session:
        queries.release_delivery(session=session, key=key)


def register(app: App) -> None:
    deliveries = Deliveries()

    def applied_once(req: BoltRequest, body: dict, context, next):
        return deliveries.middleware(req, body, context, next)

    app.middleware(applied_once)
