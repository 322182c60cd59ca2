"""Settings from the environment (and a ``.env`` file), checked before anything starts."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError
from storage import crypto


class Mode(StrEnum):
    SOCKET = "socket"
    HTTP = "http"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_api_url: str | None = None
    # OAuth, so partners install the app in their own workspaces (README: "One workspace or
    # several"); the bot token stays the network's own workspace's.
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    # Comma-separated Fernet keys, newest first: the first encrypts residents' details, all
    # decrypt (so a new key goes in front, then `python -m storage.crypto rotate`).
    handover_data_keys: SecretStr | None = None
    # GOV.UK Notify, for messages to residents: without a key the bot sends them none.
    notify_api_key: SecretStr | None = None
    notify_base_url: str | None = None  # default: Notify's own API
    notify_callback_token: SecretStr | None = None  # Notify's delivery receipts carry it
    # The bot's own public address (https://handover.example.org): the links in e-mails to
    # providers without Slack open their handovers' pages under it.
    public_url: str | None = None
    # What a scrape of GET /metrics must carry as a bearer token; unset: /metrics is open.
    metrics_token: SecretStr | None = None

    @field_validator(
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "slack_client_id",
        "slack_client_secret",
        "handover_data_keys",
        "notify_api_key",
        "notify_callback_token",
        "notify_base_url",
        "public_url",
        "metrics_token",
        mode="before",
    )
    @classmethod
    def _strip(cls, value):
        # A token pasted with a stray space or newline is still the token.
        return value.strip() if isinstance(value, str) else value

    database_url: str = "sqlite:///handover.db"
    network_file: str = "network.yaml"

    def require(self, mode: Mode) -> None:
        """Raise one sentence naming what is missing or malformed for this way of running."""
        mode = Mode(mode)
        needed = {"SLACK_BOT_TOKEN": (self.slack_bot_token, "xoxb-")}
        if mode is Mode.SOCKET:
            needed["SLACK_APP_TOKEN"] = (self.slack_app_token, "xapp-")
        else:
            needed["SLACK_SIGNING_SECRET"] = (self.slack_signing_secret, "")
        how = "Socket Mode" if mode is Mode.SOCKET else "HTTP mode"
        if self.oauth or _present(self.slack_client_secret):
            needed["SLACK_CLIENT_ID"] = (_secret(self.slack_client_id), "")
            needed["SLACK_CLIENT_SECRET"] = (self.slack_client_secret, "")
            how = f"{how} with OAuth (installed in several workspaces)"
        missing = [name for name, (value, _) in needed.items() if not _present(value)]
        if missing:
            raise ConfigError(
                f"Set {_and(missing)} (in the environment or .env) to run in {how}; "
                ".env.example says where each comes from."
            )
        for name, (value, prefix) in needed.items():
            if prefix and not value.get_secret_value().startswith(prefix):
                raise ConfigError(
                    f"{name} should start with {prefix}: check you copied the right token."
                )
        if self.slack_api_url and not self.slack_api_url.startswith(("http://", "https://")):
            raise ConfigError(
                "SLACK_API_URL must be an http(s) URL such as https://slack.com/api/."
            )

    def data_keys(self) -> list[str]:
        """The keys residents' details are encrypted with, or one sentence on what to do."""
        given = crypto.parse_keys(
            self.handover_data_keys.get_secret_value() if self.handover_data_keys else None
        )
        if not given:
            raise ConfigError(
                "Set HANDOVER_DATA_KEYS (in the environment or .env) so that residents' details "
                "are encrypted at rest: run `python -m storage.crypto new-key` to make a key."
            )
        try:
            crypto.make_cipher(given)
        except crypto.DataKeyError as error:
            reason = str(error)
            raise ConfigError(
                f"HANDOVER_DATA_KEYS is not valid: {reason[0].lower()}{reason[1:]}"
            ) from None
        return given

    def notify_key(self) -> str | None:
        """The Notify API key, checked (None: messages to residents are off)."""
        if not _present(self.notify_api_key):
            return None
        key = self.notify_api_key.get_secret_value()
        try:
            # Notify's keys end with the service id and the secret, two UUIDs.
            uuid.UUID(key[-73:-37]), uuid.UUID(key[-36:])
        except ValueError:
            raise ConfigError(
                "NOTIFY_API_KEY is not a GOV.UK Notify API key: copy the whole key Notify "
                "showed you when you created it (its name, then two long ids)."
            ) from None
        if self.notify_base_url and not self.notify_base_url.startswith(("http://", "https://")):
            raise ConfigError(
                "NOTIFY_BASE_URL must be an http(s) URL such as https://api.notifications.service.gov.uk."
            )
        return key

    def page_url(self, network) -> str | None:
        """PUBLIC_URL, checked: required when a provider has only an e-mail address, whose
        handovers can reach it only through GOV.UK Notify and a page of the bot's."""
        only_email = [p.id for p in network.providers if p.active and p.channel is None]
        url = (self.public_url or "").rstrip("/") or None
        if url and not url.startswith(("http://", "https://")):
            raise ConfigError(
                "PUBLIC_URL must be the bot's public http(s) address, such as "
                "https://handover.example.org."
            )
        if not only_email:
            return url
        if url is None:
            raise ConfigError(
                f"Set PUBLIC_URL (the bot's public https address) for the providers with only "
                f"an `email:` ({', '.join(only_email)}): their e-mails link to a page there."
            )
        if not _present(self.notify_api_key) or not network.notify.templates.provider_email:
            raise ConfigError(
                f"The providers with only an `email:` ({', '.join(only_email)}) get their "
                "handovers through GOV.UK Notify: set NOTIFY_API_KEY and "
                "notify.templates.provider_email in the network file (docs/notify-templates.md)."
            )
        return url

    @property
    def oauth(self) -> bool:
        """Whether the app is installed in several workspaces (a client id is given)."""
        return bool(self.slack_client_id)

    @property
    def api_url(self) -> str | None:
        if not self.slack_api_url:
            return None
        return self.slack_api_url if self.slack_api_url.endswith("/") else self.slack_api_url + "/"


def _present(value: SecretStr | None) -> bool:
    return value is not None and bool(value.get_secret_value().strip())


def _secret(value: str | None) -> SecretStr | None:
    return SecretStr(value) if value is not None else None


def _and(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "a setting"
        raise ConfigError(f"{name} is not valid: {error['msg']}.") from None
