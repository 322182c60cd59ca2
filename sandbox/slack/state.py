"""The fake workspace: who and what exists, independent of HTTP and of method rules.

Methods in ``chat.py``, ``views.py`` and ``methods.py`` decide what Slack would refuse;
this module only holds the state they read and change, so a future browser sandbox can
render the same model.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

# Slack message timestamps are "seconds.microseconds" strings. A counter (not the clock)
# keeps them unique and strictly increasing even for calls in the same microsecond.
_TS_EPOCH_MICROS = 1_700_000_000_000_000
_TS_STEP_MICROS = 100


@dataclass
class User:
    id: str
    name: str
    real_name: str
    display_name: str
    is_bot: bool = False
    tz: str = "Europe/London"
    email: str | None = None


@dataclass
class Channel:
    id: str
    name: str | None  # None for direct messages, which have no name in Slack
    members: list[str]  # includes the bot's user id when the bot is a member
    is_private: bool = False
    im_user: str | None = None  # the human side of a bot DM
    created: int = 1_700_000_000
    team: str | None = None  # another team's channel (sandbox/slack/oauth.py); None: home

    @property
    def is_im(self) -> bool:
        return self.im_user is not None


@dataclass
class Message:
    ts: str
    channel: str
    user: str
    text: str
    blocks: list = field(default_factory=list)
    attachments: list | None = None
    thread_ts: str | None = None  # set on replies only; top-level messages have None
    files: list[str] = field(default_factory=list)  # ids of UploadedFile shared with it
    # The app's message metadata ({"event_type", "event_payload"}), returned by history
    # and replies only when asked with include_all_metadata.
    metadata: dict | None = None

    def summary(self) -> dict:
        """The shape tests read through ``FakeSlack.messages()``."""
        summary = {
            "ts": self.ts,
            "channel": self.channel,
            "user": self.user,
            "text": self.text,
            "blocks": self.blocks,
        }
        if self.thread_ts:
            summary["thread_ts"] = self.thread_ts
        if self.attachments is not None:
            summary["attachments"] = self.attachments
        if self.files:
            summary["files"] = list(self.files)
        return summary


@dataclass
class UploadedFile:
    id: str
    name: str
    title: str
    length: int
    alt_text: str | None = None
    mimetype: str = "application/octet-stream"
    content: bytes | None = None  # None until the bytes are POSTed to the upload URL
    completed: bool = False

    def summary(self, base_url: str) -> dict:
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "mimetype": self.mimetype,
            "size": self.length,
            "url_private": f"{base_url}/files/{self.id}",
        }


@dataclass
class Ephemeral:
    ts: str
    channel: str
    user: str
    text: str
    blocks: list
    source: str  # "chat.postEphemeral" or "response_url"
    thread_ts: str | None = None

    def summary(self) -> dict:
        summary = {
            "ts": self.ts,
            "channel": self.channel,
            "user": self.user,
            "text": self.text,
            "blocks": self.blocks,
            "source": self.source,
        }
        if self.thread_ts:
            summary["thread_ts"] = self.thread_ts
        return summary


@dataclass
class View:
    """A modal on some user's stack, or a user's App Home.

    ``payload`` is the full view object exactly as the Web API returns it.
    """

    id: str
    user: str | None
    payload: dict

    @property
    def hash(self) -> str:
        return self.payload["hash"]

    @property
    def external_id(self) -> str:
        return self.payload.get("external_id") or ""


@dataclass
class Trigger:
    id: str
    user: str | None
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    token: str
    user: str
    channel: str
    # The message (in the channel, or ephemeral) the interaction came from; None for a
    # slash command, which has no original message to replace or delete.
    message_ts: str | None
    issued_at: float
    uses: int = 0


class Workspace:
    """Users, channels, messages, views and one-time tokens of one fake team."""

    def __init__(self, *, team_id: str, team_name: str, bot_user_id: str, clock: Callable):
        self.team_id = team_id
        self.team_name = team_name
        self.domain = team_name.lower().replace(" ", "-")
        self.bot_user_id = bot_user_id
        self.bot_id = "B" + bot_user_id.lstrip("UW")
        self.app_id = "A" + bot_user_id.lstrip("UW")
        self.clock = clock
        self.base_url = ""  # where the fake is served, for upload and file URLs
        # None: timestamps from a counter (repeatable tests); else e.g. time.time for the sandbox.
        self.wall_clock: Callable[[], float] | None = None
        self.last_ts = 0
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self._counter = itertools.count(1)
        self.clear_activity()

    def clear_activity(self) -> None:
        """Forget everything that happened; keep who and where (users, channels)."""
        self.messages: dict[str, list[Message]] = {}  # channel id -> posts and replies
        self.ephemerals: list[Ephemeral] = []
        self.modal_stacks: dict[str | None, list[View]] = {}  # user -> root first
        self.homes: dict[str, View] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.files: dict[str, UploadedFile] = {}

    # ids and timestamps

    def peek_counter(self) -> int:
        """The next number ids and timestamps will use (for saving the workspace)."""
        value = next(self._counter)
        self._counter = itertools.count(value)
        return value

    def restart_counter(self, value: int) -> None:
        self._counter = itertools.count(value)

    def next_ts(self) -> str:
        micros = _TS_EPOCH_MICROS + _TS_STEP_MICROS * next(self._counter)
        if self.wall_clock is not None:
            # The sandbox shows real times; still strictly increasing, like Slack's.
            micros = max(int(self.wall_clock() * 1_000_000), self.last_ts + 1)
        self.last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter):010d}"

    def new_hash(self) -> str:
        return f"{next(self._counter)}.{secrets.token_hex(4)}"

    # channels

    def dm_channel_id(self, user_id: str) -> str:
        return "D" + user_id

    def open_dm(self, user_id: str) -> Channel:
        channel_id = self.dm_channel_id(user_id)
        if channel_id not in self.channels:
            self.channels[channel_id] = Channel(
                id=channel_id, name=None, members=[user_id, self.bot_user_id], im_user=user_id
            )
        return self.channels[channel_id]

    def resolve_channel(self, channel: str) -> Channel | None:
        """A channel id, a DM id, or a user id standing for the bot's DM with that user."""
        if channel in self.channels:
            return self.channels[channel]
        if channel in self.users:
            return self.open_dm(channel)
        if channel.startswith("D") and channel[1:] in self.users:
            return self.open_dm(channel[1:])
        return None

    def visible_channel(self, channel: str) -> Channel | None:
        """Like resolve_channel, but private channels the bot is not in do not exist for it."""
        found = self.resolve_channel(channel)
        if found and found.is_private and self.bot_user_id not in found.members:
            return None
        return found

    # messages

    def post(self, channel: str, *, user: str, text: str, blocks: list, **extra) -> Message:
        message = Message(
            ts=self.next_ts(), channel=channel, user=user, text=text, blocks=blocks, **extra
        )
        self.messages.setdefault(channel, []).append(message)
        return message

    def find_message(self, channel: str, ts: str) -> Message | None:
        return next((m for m in self.messages.get(channel, []) if m.ts == ts), None)

    def top_level(self, channel: str) -> list[Message]:
        return [m for m in self.messages.get(channel, []) if m.thread_ts is None]

    def replies(self, channel: str, thread_ts: str) -> list[Message]:
        return [m for m in self.messages.get(channel, []) if m.thread_ts == thread_ts]

    def delete_message(self, message: Message) -> None:
        self.messages[message.channel].remove(message)

    # views

    def open_modals(self) -> list[View]:
        return [view for stack in self.modal_stacks.values() for view in stack]

    def find_view(self, *, view_id: str = "", external_id: str = "") -> View | None:
        for view in [*self.open_modals(), *self.homes.values()]:
            if view_id and view.id == view_id:
                return view
            if external_id and view.external_id == external_id:
                return view
        return None

    # one-time tokens handed to the app inside interaction payloads

    def issue_trigger(self, user: str | None) -> Trigger:
        trigger_id = f"{next(self._counter)}.{self.team_id}.{secrets.token_hex(8)}"
        trigger = Trigger(id=trigger_id, user=user, issued_at=self.clock())
        self.triggers[trigger_id] = trigger
        return trigger

    def issue_response_url(self, user: str, channel: str, message_ts: str | None) -> ResponseUrl:
        token = secrets.token_urlsafe(12)
        url = ResponseUrl(token, user, channel, message_ts, issued_at=self.clock())
        self.response_urls[token] = url
        return url
