"""The stand-in's oauth.v2.access refuses what Slack refuses, and its teams keep apart."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.slack import FakeSlack

PARTNER = "T0PARTNER9"


@pytest.fixture(scope="module")
def fake():
    with FakeSlack() as fake:
        fake.add_team(PARTNER, "Partner")
        fake.add_channel("C0PARTNER9", "partner", team=PARTNER)
        fake.add_channel("C0HOME0009", "home")
        fake.add_oauth_app("1.2", "secret", rotation=True, expires_in=60)
        yield fake


def error_of(call, **kwargs) -> str:
    with pytest.raises(SlackApiError) as refused:
        call(**kwargs)
    return refused.value.response["error"]


def test_a_code_is_exchanged_once_for_the_teams_token(fake):
    client = WebClient(base_url=fake.api_url)
    code = fake.grant("1.2", PARTNER, "U0ADMIN")
    answer = client.oauth_v2_access(client_id="1.2", client_secret="secret", code=code)
    assert answer["access_token"].startswith("xoxb-") and answer["team"]["id"] == PARTNER
    assert answer["authed_user"] == {"id": "U0ADMIN"} and answer["expires_in"] == 60
    assert answer["bot_user_id"] and answer["app_id"] and answer["scope"]
    again = {"client_id": "1.2", "client_secret": "secret", "code": code}
    assert error_of(client.oauth_v2_access, **again) == "invalid_code"
    partner = WebClient(token=answer["access_token"], base_url=fake.api_url)
    assert partner.auth_test()["team_id"] == PARTNER
    assert partner.chat_postMessage(channel="C0PARTNER9", text="hi")["ok"]
    assert error_of(partner.chat_postMessage, channel="C0HOME0009", text="hi") == (
        "channel_not_found"
    )
    refreshed = client.oauth_v2_access(
        client_id="1.2",
        client_secret="secret",
        grant_type="refresh_token",
        refresh_token=answer["refresh_token"],
    )
    assert refreshed["access_token"] != answer["access_token"]


def test_wrong_credentials_are_refused_with_slacks_errors(fake):
    client = WebClient(base_url=fake.api_url)
    code = fake.grant("1.2", PARTNER, "U0ADMIN", redirect_uri="https://a.example/back")
    wrong = {"client_id": "1.2", "code": code}
    assert error_of(client.oauth_v2_access, client_secret="nope", **wrong) == "bad_client_secret"
    assert error_of(client.oauth_v2_access, client_secret="secret", client_id="9.9", code=code) == (
        "invalid_client_id"
    )
    assert (
        error_of(
            client.oauth_v2_access,
            client_secret="secret",
            redirect_uri="https://elsewhere.example/",
            **wrong,
        )
        == "bad_redirect_uri"
    )
    refresh = {"grant_type": "refresh_token", "refresh_token": "xoxe-1-made-up"}
    assert error_of(client.oauth_v2_access, client_id="1.2", client_secret="secret", **refresh) == (
        "invalid_refresh_token"
    )
