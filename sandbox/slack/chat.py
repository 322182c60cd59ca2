"""chat.* methods and response_url posts: everything that puts a message somewhere."""

from __future__ import annotations

from dataclasses import dataclass

from . import blockkit
from .args import bool_arg, int_arg, text_arg
from .errors import SlackError
from .state import Channel, Ephemeral, Message, ResponseUrl, Workspace

MAX_TEXT = 40_000
# Slack lets an app use a response_url five times within 30 minutes.
RESPONSE_URL_USES = 5
RESPONSE_URL_SECONDS = 30 * 60


@dataclass
class Content:
    """The visible parts of a message, validated."""

    text: str
    blocks: list | None  # None when the call did not send blocks
    attachments: list | None


def read_content(args: dict) -> Content:
    """Validate text, blocks and attachments the way chat.postMessage does.

    Stricter than Slack on purpose: blocks without a non-empty top-level ``text`` are
    refused with ``no_text``, because the project requires a notification/screen-reader
    fallback on every message.
    """
    text = text_arg(args, "text")
    blocks = _decoded_list(args, "blocks", "invalid_blocks_format")
    attachments = _decoded_list(args, "attachments", "invalid_attachments")
    if blocks and not text.strip():
        raise SlackError("no_text", ["[ERROR] blocks need a top-level text fallback"])
    if not text.strip() and not blocks and not attachments:
        raise SlackError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    problems = blockkit.validate_message_blocks(blocks)
    if problems:
        raise SlackError("invalid_blocks", [f"[ERROR] {problem}" for problem in problems])
    return Content(text=text, blocks=blocks, attachments=attachments)


def _decoded_list(args: dict, key: str, error: str) -> list | None:
    # The server has already JSON-decoded strings; a string left here was not valid JSON.
    value = args.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, list):
        raise SlackError(error)
    return value


def postable_channel(ws: Workspace, args: dict) -> Channel:
    """The channel a bot may post in (or read the history of), refusing as Slack does."""
    channel = ws.visible_channel(text_arg(args, "channel"))
    if channel is None:
        raise SlackError("channel_not_found")
    if ws.bot_user_id not in channel.members:
        raise SlackError("not_in_channel")
    return channel


def thread_parent(ws: Workspace, channel: Channel, args: dict) -> str | None:
    """The thread_ts to reply in, which must be a top-level message of this channel.

    Replying to a reply's ts is refused too: apps must keep the parent's ts.
    """
    thread_ts = text_arg(args, "thread_ts")
    if not thread_ts:
        return None
    parent = ws.find_message(channel.id, thread_ts)
    if parent is None or parent.thread_ts is not None:
        raise SlackError("thread_not_found")
    return thread_ts


def api_message(ws: Workspace, message: Message, *, metadata: bool = False) -> dict:
    """A message object as the Web API returns it."""
    body = {
        "type": "message",
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "team": ws.team_id,
    }
    if message.user == ws.bot_user_id:
        body.update(bot_id=ws.bot_id, app_id=ws.app_id)
    if message.blocks:
        body["blocks"] = message.blocks
    if message.attachments:
        body["attachments"] = message.attachments
    if message.thread_ts:
        body["thread_ts"] = message.thread_ts
    if metadata and message.metadata:
        body["metadata"] = message.metadata
    return body


def post_message(ws: Workspace, args: dict) -> dict:
    channel = postable_channel(ws, args)
    content = read_content(args)
    thread_ts = thread_parent(ws, channel, args)
    message = ws.post(
        channel.id,
        user=ws.bot_user_id,
        text=content.text,
        blocks=content.blocks or [],
        attachments=content.attachments,
        thread_ts=thread_ts,
        metadata=read_metadata(args),
    )
    return {"channel": channel.id, "ts": message.ts, "message": api_message(ws, message)}


def read_metadata(args: dict) -> dict | None:
    """Message metadata: an object with a string event_type and an object event_payload."""
    value = args.get("metadata")
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise SlackError("invalid_metadata_format")
    if not isinstance(value.get("event_type"), str) or not isinstance(
        value.get("event_payload", {}), dict
    ):
        raise SlackError("invalid_metadata_schema")
    return value


def history(ws: Workspace, args: dict) -> dict:
    """conversations.history: top-level messages, newest first, between oldest and latest."""
    channel = postable_channel(ws, args)
    found = _between(ws.top_level(channel.id), args)
    return _page(ws, found, args)


def replies(ws: Workspace, args: dict) -> dict:
    """conversations.replies: the parent then its replies, oldest first."""
    channel = postable_channel(ws, args)
    parent = ws.find_message(channel.id, text_arg(args, "ts"))
    if parent is None:
        raise SlackError("thread_not_found")
    thread = [parent, *ws.replies(channel.id, parent.ts)]
    return _page(ws, list(reversed(_between(thread, args))), args, newest_first=False)


def _between(messages: list[Message], args: dict) -> list[Message]:
    oldest = float(text_arg(args, "oldest") or 0)
    latest = float(text_arg(args, "latest") or "inf")
    kept = [m for m in messages if oldest <= float(m.ts) <= latest]
    return sorted(kept, key=lambda m: float(m.ts), reverse=True)


def _page(ws: Workspace, found: list[Message], args: dict, *, newest_first=True) -> dict:
    limit = max(1, min(int_arg(args, "limit", default=100, error="invalid_limit"), 999))
    shown = found[:limit] if newest_first else found[-limit:][::-1]
    metadata = bool_arg(args, "include_all_metadata")
    return {
        "messages": [api_message(ws, m, metadata=metadata) for m in shown],
        "has_more": len(found) > limit,
    }


def update(ws: Workspace, args: dict) -> dict:
    channel = ws.visible_channel(text_arg(args, "channel"))
    if channel is None:
        raise SlackError("channel_not_found")
    message = ws.find_message(channel.id, text_arg(args, "ts"))
    if message is None:
        raise SlackError("message_not_found")
    if message.user != ws.bot_user_id:
        raise SlackError("cant_update_message")
    content = read_content(args)
    _apply(message, content)
    return {
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": api_message(ws, message),
    }


def _apply(message: Message, content: Content) -> None:
    # As in Slack, blocks and attachments left out of an update are kept.
    message.text = content.text
    if content.blocks is not None:
        message.blocks = content.blocks
    if content.attachments is not None:
        message.attachments = content.attachments


def post_ephemeral(ws: Workspace, args: dict) -> dict:
    channel = postable_channel(ws, args)
    user = text_arg(args, "user")
    if user not in channel.members:
        raise SlackError("user_not_in_channel")
    content = read_content(args)
    ephemeral = Ephemeral(
        ts=ws.next_ts(),
        channel=channel.id,
        user=user,
        text=content.text,
        blocks=content.blocks or [],
        source="chat.postEphemeral",
        thread_ts=thread_parent(ws, channel, args),
    )
    ws.ephemerals.append(ephemeral)
    return {"message_ts": ephemeral.ts}


def get_permalink(ws: Workspace, args: dict) -> dict:
    channel = ws.visible_channel(text_arg(args, "channel"))
    if channel is None:
        raise SlackError("channel_not_found")
    message = ws.find_message(channel.id, text_arg(args, "message_ts"))
    if message is None:
        raise SlackError("message_not_found")
    digits = message.ts.replace(".", "")
    permalink = f"https://{ws.domain}.slack.com/archives/{channel.id}/p{digits}"
    if message.thread_ts:
        permalink += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": permalink}


METHODS = {
    "conversations.history": history,
    "conversations.replies": replies,
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
}


# response_url


def use_response_url(ws: Workspace, token: str) -> ResponseUrl:
    """The response_url behind ``token``, counting this use.

    Slack answers these posts with an HTTP status and a plain-text error, not JSON.
    """
    url = ws.response_urls.get(token)
    if url is None:
        raise SlackError("invalid_token", status=404)
    expired = ws.clock() - url.issued_at > RESPONSE_URL_SECONDS
    if expired or url.uses >= RESPONSE_URL_USES:
        raise SlackError("expired_url", status=404)
    url.uses += 1
    return url


def respond(ws: Workspace, url: ResponseUrl, payload: dict) -> None:
    """Apply one response_url post: delete, replace, post in channel, or show ephemerally.

    Only an interaction with a message has an original to replace or delete (Slack's
    "Modifying messages": the response_url "can also be used to update the original
    interactive message"). A slash command's response_url has none: Slack ignores
    ``replace_original`` there and shows the reply as a new message, so a "working…"
    note sent through it stays on screen. ``delete_original`` with nothing to delete is
    refused, so an app cannot believe it removed something that is still shown.
    """
    if bool_arg(payload, "delete_original"):
        _delete_original(ws, url)
        return
    try:
        content = read_content(payload)
    except SlackError as refusal:
        refusal.status = 400
        raise
    if bool_arg(payload, "replace_original") and url.message_ts is not None:
        _replace_original(ws, url, content)
    elif payload.get("response_type") == "in_channel":
        ws.post(
            url.channel,
            user=ws.bot_user_id,
            text=content.text,
            blocks=content.blocks or [],
            attachments=content.attachments,
            thread_ts=text_arg(payload, "thread_ts") or None,
        )
    else:
        ws.ephemerals.append(_ephemeral(ws, url, content))


def _ephemeral(ws: Workspace, url: ResponseUrl, content: Content) -> Ephemeral:
    return Ephemeral(
        ts=ws.next_ts(),
        channel=url.channel,
        user=url.user,
        text=content.text,
        blocks=content.blocks or [],
        source="response_url",
    )


def _original(ws: Workspace, url: ResponseUrl) -> Message | Ephemeral:
    """The message the interaction came from: a channel message, or an ephemeral one
    shown to the same user (where "only visible to you" buttons live)."""
    found: Message | Ephemeral | None = None
    if url.message_ts is not None:
        found = ws.find_message(url.channel, url.message_ts) or next(
            (
                e
                for e in ws.ephemerals
                if e.ts == url.message_ts and e.user == url.user and e.channel == url.channel
            ),
            None,
        )
    if found is None:
        raise SlackError("message_not_found", status=404)
    return found


def _replace_original(ws: Workspace, url: ResponseUrl, content: Content) -> None:
    original = _original(ws, url)
    # The whole message is replaced, not merged as chat.update does.
    original.text = content.text
    original.blocks = content.blocks or []
    if isinstance(original, Message):
        original.attachments = content.attachments


def _delete_original(ws: Workspace, url: ResponseUrl) -> None:
    original = _original(ws, url)
    if isinstance(original, Message):
        ws.delete_message(original)
    else:
        ws.ephemerals.remove(original)
