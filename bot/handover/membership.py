"""Who is in a provider's channel: asked of Slack, remembered for a minute."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.workspaces import NotInstalled, Workspaces

log = logging.getLogger(__name__)


class ChannelMembers:
    """``conversations.members`` with a short cache: a card's clicks come in bursts."""

    def __init__(
        self,
        client: WebClient,
        clock: Clock,
        ttl: timedelta = timedelta(seconds=60),
        *,
        workspaces: Workspaces | None = None,
    ):
        self.client = client
        # A partner's channel in its own workspace is asked with that workspace's token.
        self.workspaces = workspaces
        self.clock = clock
        self.ttl = ttl
        self._cache: dict[str, tuple[object, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def __call__(self, channel: str, user_id: str) -> bool:
        return user_id in self.members(channel)

    def members(self, channel: str) -> frozenset[str]:
        now = self.clock.now()
        with self._lock:
            cached = self._cache.get(channel)
        if cached and now - cached[0] < self.ttl:
            return cached[1]
        members = self._fetch(channel)
        with self._lock:
            self._cache[channel] = (now, members)
        return members

    def forget(self, channel: str | None = None) -> None:
        with self._lock:
            if channel is None:
                self._cache.clear()
            else:
                self._cache.pop(channel, None)

    def _fetch(self, channel: str) -> frozenset[str]:
        members: set[str] = set()
        cursor = None
        try:
            client = self.client
            if self.workspaces is not None:
                client = self.workspaces.client_for_channel(channel, home=self.client)
            while True:
                response = client.conversations_members(channel=channel, cursor=cursor, limit=200)
                members.update(response.get("members", []))
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return frozenset(members)
        except SlackApiError as exc:
            # A channel we cannot read has no members we can vouch for: refuse, don't guess.
            log.warning("cannot list members of %s: %s", channel, exc.response.get("error"))
            return frozenset()
        except NotInstalled as exc:
            log.warning("cannot list members of %s: %s", channel, exc)
            return frozenset()
