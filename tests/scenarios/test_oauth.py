"""Installed in several workspaces (OAuth): a partner installs the app in its own workspace,
its provider channel there gets its cards with that workspace's token, and removing the
app forgets the workspace. With only SLACK_BOT_TOKEN none of it is there."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text

from bot.directory.network import parse_network
from sandbox import requests
from server.oauth import BOT_SCOPES, OAuthConfig
from tests.harness import Harness
from tests.network import ADVISER, COORD_CHANNEL, ESOL_CHANNEL, NETWORK_YAML
from tests.scenarios.helpers import refer
from tests.test_manifest import MANIFEST

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-test-secret"
PARTNER = "T0PARTNER1"
PARTNER_CHANNEL = "C0PARTNER1"  # the ESOL hub's channel, in its own workspace
PARTNER_ADMIN = "UPARTADM1"
PARTNER_STAFF = "UPARTSTF1"
STATE_COOKIE = "slack-app-oauth-state"
OAUTH_TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")


def partner_network():
    return parse_network(
        NETWORK_YAML.replace(
            f"channel: {ESOL_CHANNEL}\n", f"channel: {PARTNER_CHANNEL}\n    team: {PARTNER}\n"
        ),
        source="test network",
    )


@pytest.fixture
def partner(fake):
    fake.add_team(PARTNER, "Riverside ESOL Hub")
    fake.add_user(PARTNER_ADMIN, name="pat")
    fake.add_user(PARTNER_STAFF, name="priya")
    fake.add_channel(PARTNER_CHANNEL, "handovers", members=[PARTNER_STAFF], team=PARTNER)
    fake.add_oauth_app(CLIENT_ID, CLIENT_SECRET, scope=",".join(BOT_SCOPES))
    return fake


def make_app(fake, db, clock, *, oauth: bool = True, minutes: int = 120) -> Harness:
    config = OAuthConfig(CLIENT_ID, CLIENT_SECRET, db, token_rotation_expiration_minutes=minutes)
    return Harness(
        fake=fake,
        engine=db,
        network=partner_network(),
        clock=clock,
        oauth=config if oauth else None,
    )


@pytest.fixture
def oauth_slack(partner, db, clock):
    harness = make_app(partner, db, clock)
    yield harness
    harness.executor.drain()
    harness.executor.shutdown()
    with db.begin() as connection:  # not the bot's own tables, so the db fixture leaves them
        for table in OAUTH_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))


def start_install(slack) -> str:
    """GET /slack/install, as the partner's admin's browser: the state Slack will bring back."""
    response = slack.http.get("/slack/install")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "slack.com",
        "/oauth/v2/authorize",
    )
    query = parse_qs(location.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == MANIFEST["oauth_config"]["scopes"]["bot"]
    (state,) = query["state"]
    assert f"{STATE_COOKIE}={state}" in response.headers["Set-Cookie"]
    return state


def come_back(slack, *, code: str | None, state: str | None, cookie: str | None = None):
    """Slack redirects the admin's browser back to the app, with the state cookie."""
    query = "&".join(f"{k}={v}" for k, v in (("code", code), ("state", state)) if v is not None)
    headers = {"Cookie": f"{STATE_COOKIE}={cookie or state}"} if (cookie or state) else {}
    return slack.http.get(f"/slack/oauth_redirect?{query}", headers=headers)


def install(slack, fake) -> None:
    state = start_install(slack)
    response = come_back(slack, code=fake.grant(CLIENT_ID, PARTNER, PARTNER_ADMIN), state=state)
    assert response.status_code == 200, response.get_data(as_text=True)


def partner_command(slack, fake, text: str = "help"):
    fields = requests.slash_command(
        team=PARTNER,
        user=PARTNER_STAFF,
        channel=PARTNER_CHANNEL,
        text=text,
        response_url=fake.response_url(PARTNER_STAFF, PARTNER_CHANNEL),
        trigger_id=fake.issue_trigger_id(PARTNER_STAFF),
    )
    return slack.send(requests.form(fields))


def partner_event(slack, event: dict):
    return slack.send(requests.event(requests.event_callback(team=PARTNER, event=event)))


def authorized(response) -> bool:
    return response.status_code == 200 and "/handover" in response.get_data(as_text=True)


def test_a_partner_installs_the_app_in_its_own_workspace(oauth_slack, partner):
    assert not authorized(partner_command(oauth_slack, partner))
    install(oauth_slack, partner)
    (access,) = partner.calls_to("oauth.v2.access")
    assert access.ok and access.args["code"].endswith(f"{PARTNER}.code")
    assert "client_secret" not in access.args
    assert authorized(partner_command(oauth_slack, partner))
    # Its requests were answered with its own installation's token.
    assert {c.team for c in partner.calls_to("auth.test")} <= {PARTNER, partner.team_id}


def test_a_wrong_missing_or_replayed_state_or_code_is_a_plain_page_not_a_500(oauth_slack, partner):
    code = partner.grant(CLIENT_ID, PARTNER, PARTNER_ADMIN)
    state = start_install(oauth_slack)
    refusals = [
        come_back(oauth_slack, code=code, state=None),
        come_back(oauth_slack, code=code, state="forged-state"),
        come_back(oauth_slack, code=code, state="forged-state", cookie="forged-state"),
    ]
    used = start_install(oauth_slack)
    assert come_back(oauth_slack, code=code, state=used).status_code == 200
    refusals.append(come_back(oauth_slack, code=code, state=used))  # the state is spent
    refusals.append(come_back(oauth_slack, code=None, state=state))
    other = start_install(oauth_slack)
    refusals.append(come_back(oauth_slack, code="not-a-code", state=other))
    for response in refusals:
        assert 400 <= response.status_code < 500, response.status_code
        assert response.headers["Content-Type"].startswith("text/html")
    assert [c.error for c in partner.calls_to("oauth.v2.access") if not c.ok] == ["invalid_code"]


@pytest.mark.parametrize(
    "event",
    [
        {"type": "app_uninstalled"},
        {"type": "tokens_revoked", "tokens": {"bot": ["UBOTPARTNER1"]}},
    ],
    ids=["app_uninstalled", "tokens_revoked"],
)
def test_removing_the_app_forgets_the_workspace(oauth_slack, partner, db, event):
    install(oauth_slack, partner)
    assert authorized(partner_command(oauth_slack, partner))
    partner.uninstall(PARTNER)
    assert partner_event(oauth_slack, event).status_code == 200
    with db.connect() as connection:
        for table in ("slack_installations", "slack_bots"):
            count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            assert count == 0, table
    assert not authorized(partner_command(oauth_slack, partner))


def posts_to(fake, channel: str):
    return [c for c in fake.calls_to("chat.postMessage") if c.args.get("channel") == channel]


def test_a_card_for_a_partners_channel_goes_with_that_workspaces_token(oauth_slack, partner):
    install(oauth_slack, partner)
    refer(oauth_slack, needs=["esol"], age_band="25-29")
    (card,) = partner.messages(PARTNER_CHANNEL)
    assert "HO-0001" in card["text"]
    (post,) = [c for c in posts_to(partner, PARTNER_CHANNEL) if c.ok]
    assert post.team == PARTNER and post.token in partner.tokens_of(PARTNER)
    assert not [c for c in posts_to(partner, PARTNER_CHANNEL) if not c.ok]
    # The adviser hears in the home workspace, with the home token.
    dms = [c for c in partner.calls_to("chat.postMessage") if c.args["channel"] == ADVISER]
    assert dms and {c.team for c in dms} == {partner.team_id}


def test_the_home_token_cannot_post_in_a_partners_channel(partner):
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=partner.bot_token, base_url=partner.api_url)
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel=PARTNER_CHANNEL, text="hello")
    assert refused.value.response["error"] == "channel_not_found"


def test_a_card_waits_for_a_partner_that_has_not_installed_the_app(oauth_slack, partner):
    oauth_slack.errors_expected = True
    refer(oauth_slack, needs=["esol"], age_band="25-29")
    assert partner.messages(PARTNER_CHANNEL) == []
    told = " ".join(m["text"] for m in partner.messages(COORD_CHANNEL))
    assert "not installed" in told
    install(oauth_slack, partner)
    oauth_slack.app.bot.outbox.release(PARTNER_CHANNEL)
    oauth_slack.app.bot.outbox.deliver()
    assert len(partner.messages(PARTNER_CHANNEL)) == 1


def test_an_expired_token_is_refreshed_before_the_card_is_posted(partner, db, clock):
    partner.add_oauth_app(CLIENT_ID, CLIENT_SECRET, scope=",".join(BOT_SCOPES), rotation=True)
    slack = make_app(partner, db, clock)
    try:
        install(slack, partner)
        (first,) = partner.tokens_of(PARTNER)
        # Twelve hours on: Slack no longer takes the token, and the store says it expired.
        partner.expire_tokens(PARTNER)
        with db.begin() as connection:
            for table in ("slack_installations", "slack_bots"):
                connection.execute(text(f"UPDATE {table} SET bot_token_expires_at = '2001-01-01'"))
        refer(slack, needs=["esol"], age_band="25-29")
        assert len(partner.messages(PARTNER_CHANNEL)) == 1
        refreshes = [
            c
            for c in partner.calls_to("oauth.v2.access")
            if c.args.get("grant_type") == "refresh_token"
        ]
        assert refreshes and all(c.ok for c in refreshes)
        (post,) = posts_to(partner, PARTNER_CHANNEL)
        assert post.ok and post.token != first and post.team == PARTNER
        assert not [c for c in partner.calls if c.error == "token_expired"]
    finally:
        slack.executor.drain()
        slack.executor.shutdown()
        with db.begin() as connection:
            for table in OAUTH_TABLES:
                connection.execute(text(f"DELETE FROM {table}"))


def test_with_only_the_bot_token_there_is_no_installing_and_one_workspace(fake, db, clock):
    fake.add_channel(PARTNER_CHANNEL, "handovers-esol", members=[])
    slack = make_app(fake, db, clock, oauth=False)
    try:
        assert slack.http.get("/slack/install").status_code == 404
        assert slack.http.get("/slack/oauth_redirect?code=x&state=y").status_code == 404
        refer(slack, needs=["esol"], age_band="25-29")
        (post,) = posts_to(fake, PARTNER_CHANNEL)
        assert post.ok and post.team == fake.team_id and post.token == fake.bot_token
    finally:
        slack.executor.drain()
        slack.executor.shutdown()
