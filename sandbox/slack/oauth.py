"""Several teams, and the app installed in them: ``oauth.v2.access`` as Slack answers it.

The fake's workspace is the home team's; other teams are added beside it, each with
channels of its own (``FakeSlack.add_channel(team=...)``). A token speaks for one team:
the home bot token for the home team, an installation's token for the team that installed
the app. What a browser would do at slack.com (an admin approving the install) is
``FakeSlack.grant``: the code Slack would put in the redirect back to the app.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

from .args import text_arg
from .errors import SlackError


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    bot_user_id: str

    @property
    def bot_id(self) -> str:
        return "B" + self.bot_user_id.lstrip("UW")

    @property
    def domain(self) -> str:
        return self.name.lower().replace(" ", "-")


@dataclass
class OAuthApp:
    """A distributable app's credentials, as its Basic Information page shows them."""

    app_id: str
    client_id: str
    client_secret: str
    scope: str = "commands,chat:write"
    rotation: bool = False  # token rotation on: tokens expire and come with a refresh token
    expires_in: int = 43200  # seconds, Slack's 12 hours


@dataclass(frozen=True)
class Grant:
    client_id: str
    team: str
    user: str
    redirect_uri: str | None


class Installs:
    """Teams, apps, one-time codes, and the team each token speaks for."""

    def __init__(self, home: Team, home_token: str, wall_clock: Callable[[], float] = time.time):
        self.home = home
        self.home_token = home_token
        self.teams: dict[str, Team] = {home.id: home}
        self.apps: dict[str, OAuthApp] = {}
        self.wall_clock = wall_clock
        self._numbers = itertools.count(1)
        self.clear()

    def clear(self) -> None:
        """Forget every installation (the home bot token stays)."""
        self.tokens: dict[str, str] = {self.home_token: self.home.id}  # token -> team
        self.expires: dict[str, float] = {}  # token -> when it stops working
        self.codes: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, tuple[str, str]] = {}  # -> (client_id, team)

    def team_of(self, token: str) -> str | None:
        return self.tokens.get(token)

    def check(self, token: str) -> str:
        """The team a token speaks for, or Slack's refusal."""
        team = self.tokens.get(token)
        if team is None:
            raise SlackError("invalid_auth")
        if token in self.expires and self.wall_clock() >= self.expires[token]:
            raise SlackError("token_expired")
        return team

    def grant(self, client_id: str, team: str, user: str, redirect_uri: str | None) -> str:
        code = f"{next(self._numbers)}.{team}.code"
        self.codes[code] = Grant(client_id, team, user, redirect_uri)
        return code

    def revoke(self, team: str) -> None:
        """The team removed the app: its tokens stop working."""
        for token in [t for t, owner in self.tokens.items() if owner == team]:
            if token != self.home_token:
                del self.tokens[token]
        for refresh in [r for r, (_, owner) in self.refresh_tokens.items() if owner == team]:
            del self.refresh_tokens[refresh]

    def expire(self, team: str) -> None:
        """The team's tokens have expired (as after 12 hours with token rotation)."""
        now = self.wall_clock()
        for token, owner in self.tokens.items():
            if owner == team and token != self.home_token:
                self.expires[token] = now

    def auth_test(self, team_id: str) -> dict:
        team = self.teams[team_id]
        return {
            "url": f"https://{team.domain}.slack.com/",
            "team": team.name,
            "user": "bot",
            "team_id": team.id,
            "user_id": team.bot_user_id,
            "bot_id": team.bot_id,
            "is_enterprise_install": False,
        }

    # oauth.v2.access

    def access(self, args: dict) -> dict:
        app = self.apps.get(text_arg(args, "client_id"))
        if app is None:
            raise SlackError("invalid_client_id")
        if text_arg(args, "client_secret") != app.client_secret:
            raise SlackError("bad_client_secret")
        grant_type = text_arg(args, "grant_type") or "authorization_code"
        if grant_type == "refresh_token":
            return self._refresh(app, text_arg(args, "refresh_token"))
        if grant_type != "authorization_code":
            raise SlackError("invalid_grant_type")
        grant = self.codes.get(text_arg(args, "code"))
        if grant is None or grant.client_id != app.client_id:
            raise SlackError("invalid_code")
        redirect_uri = text_arg(args, "redirect_uri")
        if grant.redirect_uri and redirect_uri and redirect_uri != grant.redirect_uri:
            raise SlackError("bad_redirect_uri")
        del self.codes[text_arg(args, "code")]  # a code is good once
        return {
            **self._issue(app, grant.team),
            "authed_user": {"id": grant.user},
        }

    def _refresh(self, app: OAuthApp, refresh_token: str) -> dict:
        owner = self.refresh_tokens.pop(refresh_token, None)
        if owner is None or owner[0] != app.client_id:
            raise SlackError("invalid_refresh_token")
        return self._issue(app, owner[1])

    def _issue(self, app: OAuthApp, team_id: str) -> dict:
        team = self.teams[team_id]
        number = next(self._numbers)
        token = f"xoxb-{team.id}-{number}"
        self.tokens[token] = team.id
        answer = {
            "ok": True,
            "app_id": app.app_id,
            "access_token": token,
            "token_type": "bot",
            "scope": app.scope,
            "bot_user_id": team.bot_user_id,
            "team": {"id": team.id, "name": team.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if app.rotation:
            refresh = f"xoxe-1-{team.id}-{number}"
            self.refresh_tokens[refresh] = (app.client_id, team.id)
            self.expires[token] = self.wall_clock() + app.expires_in
            answer |= {"refresh_token": refresh, "expires_in": app.expires_in}
        return answer


def with_client_credentials(args: dict, authorization: str) -> dict:
    """client_id and client_secret from HTTP Basic auth, where the client sent them so."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return args
    try:
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return args
    return {**args, "client_id": client_id, "client_secret": secret}
