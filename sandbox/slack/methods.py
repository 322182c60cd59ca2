"""The Web API method table: argument checks from Slack's reference, then the method.

``methods.json`` holds, per method, the required arguments, rate tier and documented
error names, extracted once from Slack's API reference so tests never need it at run time.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import zoneinfo
from collections.abc import Callable
from pathlib import Path

from . import chat, files, views
from .args import bool_arg, int_arg, is_missing, list_arg, text_arg
from .errors import SlackError, invalid_arguments
from .state import Channel, User, Workspace

REFERENCE: dict[str, dict] = json.loads(
    (Path(__file__).with_name("methods.json")).read_text(encoding="utf-8")
)["methods"]

# When a required argument is missing Slack often answers the argument's own not-found
# error rather than invalid_arguments; use it where the method documents it.
_MISSING_ARG_ERRORS = {"channel": "channel_not_found", "user": "user_not_found"}

MAX_MEMBERS_PAGE = 1000

Method = Callable[[Workspace, dict], dict]


def is_known(name: str) -> bool:
    return name in METHODS


def dispatch(ws: Workspace, name: str, args: dict) -> dict:
    """Run one authenticated call; raises SlackError for any refusal."""
    method = METHODS.get(name)
    if method is None:
        raise SlackError("unknown_method")
    check_required(name, args)
    return {"ok": True, **method(ws, args)}


def check_required(name: str, args: dict) -> None:
    reference = REFERENCE[name]
    for arg in reference["required"]:
        if not is_missing(args, arg):
            continue
        specific = _MISSING_ARG_ERRORS.get(arg)
        if specific in reference["errors"]:
            raise SlackError(specific)
        raise invalid_arguments(f"missing required field: {arg}")


def auth_test(ws: Workspace, args: dict) -> dict:
    bot = ws.users[ws.bot_user_id]
    return {
        "url": f"https://{ws.domain}.slack.com/",
        "team": ws.team_name,
        "user": bot.name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def _visible(ws: Workspace, args: dict) -> Channel:
    channel = ws.visible_channel(text_arg(args, "channel"))
    if channel is None:
        raise SlackError("channel_not_found")
    return channel


def conversations_info(ws: Workspace, args: dict) -> dict:
    channel = _visible(ws, args)
    info = _channel_object(ws, channel)
    if bool_arg(args, "include_num_members"):
        info["num_members"] = len(channel.members)
    return {"channel": info}


def _channel_object(ws: Workspace, channel: Channel) -> dict:
    if channel.is_im:
        return {
            "id": channel.id,
            "created": channel.created,
            "is_im": True,
            "is_org_shared": False,
            "user": channel.im_user,
            "is_open": True,
        }
    return {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "created": channel.created,
        "is_channel": not channel.is_private,
        "is_group": channel.is_private,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "is_archived": False,
        "is_general": False,
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "is_member": ws.bot_user_id in channel.members,
        "context_team_id": ws.team_id,
    }


def conversations_members(ws: Workspace, args: dict) -> dict:
    channel = _visible(ws, args)
    limit = int_arg(args, "limit", default=100, error="invalid_limit")
    if not 1 <= limit <= MAX_MEMBERS_PAGE:
        raise SlackError("invalid_limit")
    start = _decode_cursor(text_arg(args, "cursor"), len(channel.members))
    end = start + limit
    next_cursor = _encode_cursor(end) if end < len(channel.members) else ""
    return {
        "members": channel.members[start:end],
        "response_metadata": {"next_cursor": next_cursor},
    }


def _encode_cursor(offset: int) -> str:
    # Opaque like Slack's cursors, so apps cannot get away with building their own.
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str, size: int) -> int:
    if not cursor:
        return 0
    try:
        label, _, number = base64.b64decode(cursor, validate=True).decode().partition(":")
        offset = int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise SlackError("invalid_cursor") from None
    if label != "offset" or not 0 <= offset <= size:
        raise SlackError("invalid_cursor")
    return offset


def conversations_open(ws: Workspace, args: dict) -> dict:
    channel = _dm_to_open(ws, args)
    if bool_arg(args, "return_im"):
        return {"channel": _channel_object(ws, channel)}
    return {"channel": {"id": channel.id}}


def _dm_to_open(ws: Workspace, args: dict) -> Channel:
    if not is_missing(args, "channel"):
        channel = ws.visible_channel(text_arg(args, "channel"))
        if channel is None or not channel.is_im:
            raise SlackError("channel_not_found")
        return channel
    users = list_arg(args, "users")
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > 1:
        raise invalid_arguments("the fake does not model group DMs (mpim)")
    if users[0] not in ws.users:
        raise SlackError("user_not_found")
    return ws.open_dm(users[0])


def users_info(ws: Workspace, args: dict) -> dict:
    user = ws.users.get(text_arg(args, "user"))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user_object(ws, user)}


def user_object(ws: Workspace, user: User) -> dict:
    return {
        "id": user.id,
        "team_id": ws.team_id,
        "name": user.name,
        "deleted": False,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": user.tz,
        "tz_offset": _utc_offset_seconds(user.tz),
        "is_bot": user.is_bot,
        "is_app_user": False,
        "is_admin": False,
        "is_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "profile": {
            "real_name": user.real_name,
            "real_name_normalized": user.real_name,
            "display_name": user.display_name,
            "display_name_normalized": user.display_name,
            "email": user.email,
            "team": ws.team_id,
        },
    }


def _utc_offset_seconds(tz: str) -> int:
    try:
        offset = datetime.datetime.now(zoneinfo.ZoneInfo(tz)).utcoffset()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset else 0


METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    # No token: the app's own credentials (sandbox/slack/oauth.py; the fake adds Basic auth's).
    "oauth.v2.access": lambda ws, args: ws.installs.access(args),
    "conversations.info": conversations_info,
    "conversations.members": conversations_members,
    "conversations.open": conversations_open,
    "users.info": users_info,
    **chat.METHODS,
    **views.METHODS,
    **files.METHODS,
}
