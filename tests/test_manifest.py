"""The Slack app manifest asks for what the app uses: the command, its events, its scopes."""

from pathlib import Path

import yaml

from bot.ids import COMMAND
from handlers import register_all

MANIFEST = yaml.safe_load((Path(__file__).parent.parent / "manifest.yaml").read_text())


class Recorder:
    """Stands in for a Bolt app to see what the handlers listen to."""

    def __init__(self):
        self.commands, self.events = [], []

    def command(self, name):
        self.commands.append(name)
        return lambda f: f

    def event(self, name):
        self.events.append(name)
        return lambda f: f

    def action(self, _):
        return lambda f: f

    view = options = action

    def error(self, f):
        return f

    middleware = error


def test_the_manifest_declares_every_command_and_event_the_app_listens_to():
    app = Recorder()
    register_all(app)
    declared = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert app.commands == [COMMAND] == declared
    assert set(app.events) == set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_the_manifest_asks_only_for_the_scopes_the_app_uses():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    # commands: /handover; chat:write: every message; channels/groups:read: conversations.members;
    # *:history: the outbox looking for a post whose answer was lost, before posting again
    # files:write: the digest's files and audit exports; im:write: the DM an export goes to;
    # users:read: names in an export
    assert scopes == {
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
    }


def test_installing_asks_for_the_manifests_scopes_and_comes_back_to_its_redirect_url():
    from server.oauth import BOT_SCOPES, REDIRECT_PATH

    assert list(BOT_SCOPES) == MANIFEST["oauth_config"]["scopes"]["bot"]
    redirects = MANIFEST["oauth_config"]["redirect_urls"]
    assert redirects == ["https://handover.example.org/slack/oauth_redirect"]
    assert all(url.endswith(REDIRECT_PATH) for url in redirects)
