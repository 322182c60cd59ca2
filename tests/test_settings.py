"""Settings (bot/settings.py): one sentence saying what to set before the bot will start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import Mode, Settings

ENV_EXAMPLE = Path(__file__).resolve().parent.parent / ".env.example"

VARIABLES = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_API_URL",
    "DATABASE_URL",
    "NETWORK_FILE",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """Neither the developer's environment nor a .env in the working directory leaks in."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def refusal(mode: Mode, **values) -> str:
    with pytest.raises(ConfigError) as caught:
        settings(**values).require(mode)
    message = str(caught.value)
    assert "\n" not in message
    return message


SOCKET_READY = {"slack_bot_token": "xoxb-1-2-abc", "slack_app_token": "xapp-1-A1-abc"}
HTTP_READY = {"slack_bot_token": "xoxb-1-2-abc", "slack_signing_secret": "8f14e45fceea167a"}


def test_defaults_without_any_setting():
    empty = settings()
    assert empty.database_url == "sqlite:///handover.db"
    assert empty.network_file == "network.yaml"
    assert empty.api_url is None


def test_socket_mode_with_nothing_set_names_both_tokens_in_one_sentence():
    assert refusal(Mode.SOCKET) == (
        "Set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (in the environment or .env) to run in "
        "Socket Mode; .env.example says where each comes from."
    )


def test_http_mode_with_nothing_set_names_the_bot_token_and_signing_secret():
    assert refusal(Mode.HTTP) == (
        "Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (in the environment or .env) to run in "
        "HTTP mode; .env.example says where each comes from."
    )


@pytest.mark.parametrize(
    ("mode", "given", "missing", "not_named"),
    [
        (Mode.SOCKET, {"slack_bot_token": "xoxb-1"}, "SLACK_APP_TOKEN", "SLACK_BOT_TOKEN"),
        (Mode.SOCKET, {"slack_app_token": "xapp-1"}, "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"),
        (Mode.HTTP, {"slack_bot_token": "xoxb-1"}, "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN"),
        (Mode.HTTP, {"slack_signing_secret": "s3cret"}, "SLACK_BOT_TOKEN", "SIGNING"),
    ],
)
def test_only_the_missing_variable_is_named(mode, given, missing, not_named):
    message = refusal(mode, **given)
    assert message.startswith(f"Set {missing} (in the environment or .env)")
    assert not_named not in message


def test_http_mode_does_not_ask_for_the_app_token_nor_socket_mode_for_the_signing_secret():
    assert "SLACK_APP_TOKEN" not in refusal(Mode.HTTP)
    assert "SLACK_SIGNING_SECRET" not in refusal(Mode.SOCKET)
    settings(**SOCKET_READY).require(Mode.SOCKET)
    settings(**HTTP_READY).require(Mode.HTTP)


def test_a_blank_token_counts_as_missing():
    message = refusal(Mode.SOCKET, slack_bot_token="   ", slack_app_token="xapp-1")
    assert message.startswith("Set SLACK_BOT_TOKEN (")


def test_a_copied_env_example_left_blank_names_what_to_fill_in():
    with pytest.raises(ConfigError) as caught:
        Settings(_env_file=ENV_EXAMPLE).require(Mode.SOCKET)
    assert str(caught.value).startswith("Set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (")


def test_settings_are_read_from_a_dot_env_file(tmp_path):
    env = tmp_path / "custom.env"
    env.write_text(
        "SLACK_BOT_TOKEN=xoxb-from-file\nSLACK_APP_TOKEN=xapp-from-file\n"
        "NETWORK_FILE=borough.yaml\n",
        encoding="utf-8",
    )
    loaded = Settings(_env_file=env)
    loaded.require(Mode.SOCKET)
    assert loaded.network_file == "borough.yaml"


@pytest.mark.parametrize("token", ["xoxp-1-user-token", "xapp-1-A1-abc", "abc"])
def test_a_bot_token_that_is_not_a_bot_token_is_refused(token):
    message = refusal(Mode.SOCKET, slack_bot_token=token, slack_app_token="xapp-1")
    assert message == "SLACK_BOT_TOKEN should start with xoxb-: check you copied the right token."


@pytest.mark.parametrize("token", ["xoxb-1-2-abc", "xoxp-1", "connections:write"])
def test_an_app_token_that_is_not_an_app_level_token_is_refused(token):
    message = refusal(Mode.SOCKET, slack_bot_token="xoxb-1", slack_app_token=token)
    assert message == "SLACK_APP_TOKEN should start with xapp-: check you copied the right token."


@pytest.mark.parametrize("url", ["slack.com/api", "localhost:8080/api", "ftp://example.org/api/"])
def test_a_slack_api_url_that_is_not_http_is_refused(url):
    message = refusal(Mode.SOCKET, slack_api_url=url, **SOCKET_READY)
    assert message == "SLACK_API_URL must be an http(s) URL such as https://slack.com/api/."


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8765/api", "http://127.0.0.1:8765/api/"),
        ("https://slack.com/api/", "https://slack.com/api/"),
    ],
)
def test_api_url_always_ends_with_a_slash(url, expected):
    configured = settings(slack_api_url=url, **HTTP_READY)
    configured.require(Mode.HTTP)
    assert configured.api_url == expected


def test_an_empty_slack_api_url_means_slack_itself():
    configured = settings(slack_api_url="", **SOCKET_READY)
    configured.require(Mode.SOCKET)
    assert configured.api_url is None


def test_the_environment_is_read_when_no_value_is_given(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://db/handover")
    configured = settings()
    configured.require(Mode.HTTP)
    assert configured.database_url == "postgresql+psycopg://db/handover"


def test_secrets_are_not_shown_when_settings_are_printed_or_logged():
    configured = settings(**SOCKET_READY, slack_signing_secret="8f14e45fceea167a")
    shown = repr(configured) + str(configured)
    assert "xoxb-1-2-abc" not in shown
    assert "xapp-1-A1-abc" not in shown
    assert "8f14e45fceea167a" not in shown


def test_a_token_pasted_with_stray_whitespace_is_still_the_token():
    ready = settings(slack_bot_token="  xoxb-1-2-abc\n", slack_app_token="xapp-1-A1-abc ")
    ready.require(Mode.SOCKET)
    assert ready.slack_bot_token.get_secret_value() == "xoxb-1-2-abc"


def test_the_mode_may_be_given_by_name():
    assert "SLACK_APP_TOKEN" in refusal("socket", slack_bot_token="xoxb-1")


def test_public_url_is_required_for_a_provider_with_only_an_email_address():
    import pytest

    from bot.directory.network import parse_network
    from bot.errors import ConfigError
    from bot.settings import Settings
    from sandbox import notify_templates
    from tests.network import NETWORK_YAML

    only_email = NETWORK_YAML.replace(
        "providers:\n",
        "providers:\n  - id: able\n    name: Able Works\n    email: team@able.example.org\n"
        "    services: [cv]\n",
        1,
    )
    network = parse_network(only_email + notify_templates.network_section(), source="n")
    key = "test-" + "11111111-1111-1111-1111-111111111111-22222222-2222-2222-2222-222222222222"
    with pytest.raises(ConfigError, match=r"Set PUBLIC_URL .* \(able\)"):
        Settings(_env_file=None, notify_api_key=key).page_url(network)
    with pytest.raises(ConfigError, match="http"):
        Settings(_env_file=None, public_url="handover.example.org").page_url(network)
    with pytest.raises(ConfigError, match=r"NOTIFY_API_KEY and notify\.templates\.provider_email"):
        Settings(_env_file=None, public_url="https://h.example.org").page_url(network)
    ready = Settings(_env_file=None, public_url="https://h.example.org/", notify_api_key=key)
    assert ready.page_url(network) == "https://h.example.org"


def test_a_provider_needs_a_channel_or_an_email_address_and_a_real_one():
    import pytest

    from bot.directory.network import parse_network
    from bot.errors import ConfigError
    from tests.network import NETWORK_YAML

    neither = NETWORK_YAML.replace(
        "providers:\n", "providers:\n  - id: lost\n    name: Lost\n    services: [cv]\n", 1
    )
    with pytest.raises(ConfigError, match=r"needs a `channel:` .* or an `email:`"):
        parse_network(neither, source="n")
    wrong = NETWORK_YAML.replace(
        "providers:\n",
        "providers:\n  - id: bad\n    name: Bad\n    email: not-an-address\n    services: [cv]\n",
        1,
    )
    with pytest.raises(ConfigError, match=r"`providers\.0\.email` \(line \d+\) .*not an e-mail"):
        parse_network(wrong, source="n")
