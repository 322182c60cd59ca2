"""Slack's side of a request to the app: payloads shaped and signed as Slack does.

The sandbox sends these to the bot's real HTTP endpoint, and the scenario tests
send the same ones, so both exercise the path Slack itself would.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

API_APP_ID = "A0SANDBOX"


def sign(body: str | bytes, *, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack adds: v0 HMAC-SHA256 of ``v0:timestamp:body`` (the raw bytes)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    raw = body.encode() if isinstance(body, str) else body
    basestring = f"v0:{timestamp}:".encode() + raw
    digest = hmac.new(secret.encode(), basestring, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


def form(fields: dict[str, str]) -> tuple[str, str]:
    return urlencode(fields), "application/x-www-form-urlencoded"


def interaction(payload: dict[str, Any]) -> tuple[str, str]:
    """Interactions arrive as a form with one field, ``payload``, holding JSON."""
    return form({"payload": json.dumps(payload)})


def event(payload: dict[str, Any]) -> tuple[str, str]:
    return json.dumps(payload), "application/json"


def slash_command(
    *,
    team: str,
    user: str,
    channel: str,
    text: str,
    response_url: str,
    trigger_id: str,
    command: str = "/handover",
) -> dict[str, str]:
    return {
        "token": "unused-verification-token",
        "team_id": team,
        "channel_id": channel,
        "user_id": user,
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def block_actions(
    *,
    team: str,
    user: str,
    trigger_id: str,
    action: dict[str, Any],
    channel: str | None = None,
    message: dict | None = None,
    response_url: str | None = None,
    view: dict | None = None,
) -> dict[str, Any]:
    """A click on a message (``channel`` and ``message``) or in a view (``view``)."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": team},
        "user": {"id": user},
        "api_app_id": API_APP_ID,
        "trigger_id": trigger_id,
        "actions": [{"action_ts": f"{time.time():.6f}", **action}],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["view"] = view
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel,
        }
        payload["channel"] = {"id": channel}
        payload["message"] = message
        payload["response_url"] = response_url
    return payload


def view_submission(
    *, team: str, user: str, trigger_id: str, view: dict, values: dict
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": team},
        "user": {"id": user},
        "api_app_id": API_APP_ID,
        "trigger_id": trigger_id,
        "view": {**view, "state": {"values": values}},
    }


def view_closed(*, team: str, user: str, view: dict, is_cleared: bool) -> dict[str, Any]:
    """A modal the person closed, sent only for views that asked ``notify_on_close``;
    ``is_cleared`` when its whole stack closed at once."""
    return {
        "type": "view_closed",
        "team": {"id": team},
        "user": {"id": user},
        "api_app_id": API_APP_ID,
        "view": view,
        "is_cleared": is_cleared,
    }


def app_home_opened(*, team: str, user: str, dm_channel: str) -> dict[str, Any]:
    return event_callback(
        team=team,
        event={"type": "app_home_opened", "user": user, "channel": dm_channel, "tab": "home"},
    )


def event_callback(*, team: str, event: dict[str, Any]) -> dict[str, Any]:
    """Any Events API event, wrapped as Slack delivers it."""
    return {
        "token": "unused-verification-token",
        "team_id": team,
        "api_app_id": API_APP_ID,
        "type": "event_callback",
        "event_id": f"Ev{time.time_ns()}",
        "event_time": int(time.time()),
        "event": event,
    }
