"""The workspaces the bot speaks in, and the token it speaks with in each.

The network's own workspace (the home team) speaks with SLACK_BOT_TOKEN, as it always did.
With OAuth, a partner that installed the app in its own workspace is spoken to with the
bot token of its installation (slack_sdk's installation store), refreshed first when token
rotation is on and the token is about to expire. Which workspace a channel is in comes from
the network file (a provider's ``team:``), so the outbox's rows need not say.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import InstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator

log = logging.getLogger(__name__)

# What the outbox calls a channel whose workspace has not installed the app (or removed it):
# held like a channel Slack refuses, until the workspace installs it again.
NOT_INSTALLED = "not_installed"


class NotInstalled(Exception):
    """The workspace has not installed the app, or has removed it."""

    def __init__(self, team: str):
        super().__init__(f"the app is not installed in workspace {team}")
        self.team = team


class Workspaces:
    """The client for each workspace: the home one's, or an installation's."""

    def __init__(
        self,
        *,
        home: WebClient,
        store: InstallationStore | None = None,
        rotator: TokenRotator | None = None,
        rotate_within_minutes: int = 120,
        team_of: Callable[[str], str | None] = lambda channel: None,
    ):
        self.home = home
        self.store = store
        self.rotator = rotator
        self.rotate_within_minutes = rotate_within_minutes
        self.team_of = team_of
        self._home_auth = None
        self._lock = threading.Lock()

    @property
    def home_auth(self):
        """Slack's auth.test for SLACK_BOT_TOKEN (asked once); None when Slack cannot say."""
        if self._home_auth is None:
            with self._lock:
                if self._home_auth is None:
                    try:
                        self._home_auth = self.home.auth_test()
                    except SlackApiError as exc:
                        log.warning("could not tell the home workspace's team: %s", exc)
        return self._home_auth

    @property
    def home_team(self) -> str | None:
        """The network's own workspace's team id."""
        return self.home_auth.get("team_id") if self.home_auth is not None else None

    def is_home(self, team: str | None) -> bool:
        return not team or self.store is None or team == self.home_team

    def client_for_team(self, team: str | None, *, home: WebClient | None = None) -> WebClient:
        """The client to speak in ``team`` with: ``home`` (default the home client) for the
        home workspace or none; else the installation's token. Raises NotInstalled."""
        home = home or self.home
        if self.is_home(team):
            return home
        installation = self.store.find_installation(enterprise_id=None, team_id=team)
        if installation is None or not installation.bot_token:
            raise NotInstalled(team)
        if self.rotator is not None and installation.bot_refresh_token:
            refreshed = self.rotator.perform_token_rotation(
                installation=installation, minutes_before_expiration=self.rotate_within_minutes
            )
            if refreshed is not None:
                self.store.save(refreshed)
                installation = refreshed
        return WebClient(
            token=installation.bot_token,
            base_url=home.base_url,
            timeout=home.timeout,
            retry_handlers=list(home.retry_handlers),
        )

    def client_for_channel(self, channel: str, *, home: WebClient | None = None) -> WebClient:
        """The client for the workspace ``channel`` is in (the network file says)."""
        return self.client_for_team(self.team_of(channel), home=home)

    def uninstalled(self, team: str | None, enterprise: str | None = None) -> None:
        """The workspace removed the app: forget its installation and tokens."""
        if self.store is None or not team:
            return
        self.store.delete_all(enterprise_id=enterprise, team_id=team)
        log.info("the app was removed from workspace %s: its tokens are forgotten", team)

    def revoked(
        self,
        team: str | None,
        *,
        bots: bool,
        users: Iterable[str] = (),
        enterprise: str | None = None,
    ) -> None:
        """Slack revoked tokens of the workspace: forget them."""
        if self.store is None or not team:
            return
        for user in users:
            self.store.delete_installation(enterprise_id=enterprise, team_id=team, user_id=user)
        if bots:
            # The installation rows keep a copy of the bot token, which the store would go
            # on answering with: without its bot token the installation is of no use.
            self.store.delete_all(enterprise_id=enterprise, team_id=team)
        log.info("Slack revoked tokens of workspace %s: they are forgotten", team)
