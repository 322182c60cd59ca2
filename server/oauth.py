"""Installing the app in several workspaces (OAuth): the stores, Bolt's settings, authorize.

With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET the app is distributable: ``GET /slack/install``
sends a partner's admin to Slack, ``GET /slack/oauth_redirect`` brings them back and the
installation is kept in the bot's own database (slack_sdk's SQLAlchemy stores, tables made by
migration 0019). The network's own workspace still speaks with SLACK_BOT_TOKEN.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.context import BoltContext
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy.engine import Engine

from bot.workspaces import Workspaces

log = logging.getLogger(__name__)

# What the app asks a workspace for: the manifest's oauth_config.scopes.bot
# (tests/test_manifest.py keeps the two the same).
BOT_SCOPES = (
    "commands",
    "chat:write",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "im:history",
    "files:write",
    "im:write",
    "users:read",
)
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# How long a partner's admin has between /slack/install and coming back from Slack.
STATE_SECONDS = 600


@dataclass(frozen=True)
class OAuthConfig:
    """What installing in several workspaces needs: the app's credentials and its database."""

    client_id: str
    client_secret: str
    engine: Engine
    # A token due to expire within this many minutes is refreshed before it is used.
    token_rotation_expiration_minutes: int = 120

    def installation_store(self) -> SQLAlchemyInstallationStore:
        return SQLAlchemyInstallationStore(client_id=self.client_id, engine=self.engine)

    def state_store(self) -> SQLAlchemyOAuthStateStore:
        return SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=self.engine)

    def rotator(self, client: WebClient) -> TokenRotator:
        # oauth.v2.access at the same Slack the bot speaks to (a stand-in in tests).
        return TokenRotator(
            client_id=self.client_id,
            client_secret=self.client_secret,
            client=WebClient(base_url=client.base_url, timeout=client.timeout),
        )


def oauth_config(settings, engine: Engine) -> OAuthConfig:
    """From the settings (``Settings.require`` has checked both are there)."""
    return OAuthConfig(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        engine=engine,
    )


class HomeOrInstalled(InstallationStoreAuthorize):
    """Bolt's authorize from the installation store, refreshing rotated tokens; except that
    the network's own workspace is answered with SLACK_BOT_TOKEN, as without OAuth."""

    def __init__(self, *, workspaces: Workspaces, config: OAuthConfig, client: WebClient):
        super().__init__(
            logger=log,
            installation_store=workspaces.store,
            client_id=config.client_id,
            client_secret=config.client_secret,
            token_rotation_expiration_minutes=config.token_rotation_expiration_minutes,
            client=config.rotator(client).client,
        )
        self.workspaces = workspaces

    def __call__(self, *, context: BoltContext, enterprise_id, team_id, user_id, **actor):
        home = self.workspaces.home_team
        if home is not None and team_id == home:
            return self._home()
        found = super().__call__(
            context=context, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
            **actor,
        )  # fmt: skip
        if found is None and context.get(SHARED_CHANNEL):
            # A partner's member in a Slack Connect channel of ours: Slack names their own
            # team, which need not have installed the app; ours answers, as without OAuth.
            return self._home()
        return found

    def _home(self) -> AuthorizeResult:
        return AuthorizeResult.from_auth_test_response(
            auth_test_response=self.workspaces.home_auth, bot_token=self.workspaces.home.token
        )


SHARED_CHANNEL = "in_shared_channel"


def mark_shared_channel(body: dict, context: BoltContext, next) -> None:
    """Before authorizing: whether the request comes from a Slack Connect channel."""
    context[SHARED_CHANNEL] = bool(body.get("is_ext_shared_channel"))
    next()


def oauth_settings(config: OAuthConfig, workspaces: Workspaces) -> OAuthSettings:
    return OAuthSettings(
        client_id=config.client_id,
        client_secret=config.client_secret,
        scopes=list(BOT_SCOPES),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        # Straight on to Slack (with the state in a cookie), no page of our own first.
        install_page_rendering_enabled=False,
        installation_store=workspaces.store,
        token_rotation_expiration_minutes=config.token_rotation_expiration_minutes,
        state_store=config.state_store(),
        state_expiration_seconds=STATE_SECONDS,
    )
