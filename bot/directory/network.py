"""The network file: the directory's facts, in YAML a coordinator can read.

Loading turns every mistake into one sentence naming the key and its line, so a
coordinator who edits the file can fix it without reading a traceback.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.directory.yamltext import YamlProblem, line_of, read_yaml
from bot.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_AGES = re.compile(r"^\s*(\d{1,3})\s*(?:-\s*(\d{1,3})|\+)\s*$")
_DISTRICT = re.compile(r"^[A-Z]{1,2}(\d[A-Z\d]?)?$")
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
_TEAM = re.compile(r"^T[A-Z0-9]{2,}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``4h``, ``2d`` -> timedelta (days are working days)."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration like 90s, 30m, 4h or 2d")
    if int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is no time at all: give a duration like 4h or 2d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_ages(text: str) -> tuple[int, int]:
    """``16-24`` or ``50+`` -> inclusive (low, high)."""
    match = _AGES.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not an age range like 16-24 or 50+")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else 150
    if high < low:
        raise ValueError(f"{text!r} ends before it starts")
    return low, high


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NetworkInfo(_Strict):
    name: str
    timezone: str = "Europe/London"
    working_hours: str = "Mon-Fri 09:00-17:00"

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone like Europe/London") from None
        return value

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        from bot.followup.worktime import parse_working_hours

        parse_working_hours(value)
        return value


class Reminders(_Strict):
    accept_within: str = "1d"
    escalate_after: str = "2d"
    contact_within: str = "2d"
    outcome_after: str = "14d"

    @field_validator("*")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    def duration(self, name: str) -> timedelta:
        return parse_duration(getattr(self, name))


class ProviderEntry(_Strict):
    id: str
    name: str
    # Where its handovers go: a Slack channel, an e-mail address (a provider without
    # Slack, which acts on each handover from a page of the bot's), or both.
    channel: str | None = None
    email: str | None = None
    # The Slack workspace its channel is in, when that is a partner's own workspace that
    # installed the app (OAuth); absent: the network's own workspace.
    team: str | None = None
    services: list[str] = Field(min_length=1)
    areas: list[str] | None = None
    ages: str | None = None
    description: str | None = None
    # What an adviser wants to know before referring (shown by /handover providers).
    hours: str | None = None  # opening / contact hours in plain words
    languages: list[str] | None = None  # languages the service is delivered in; absent = any
    # A note advisers read ("must be claiming, or about to claim, Universal Credit"); what
    # matching checks is `only_for`.
    eligibility: str | None = None
    # Keys of `circumstances`: it takes only residents with at least one of them.
    only_for: list[str] | None = None
    responds_within: str | None = None  # how quickly they usually pick up, e.g. 1d
    # false: listed but not sent handovers yet (e.g. imported, waiting for its channel)
    active: bool = True
    # Its own reminder times, where they differ from the network's (keys as in `reminders`).
    reminders: Reminders | None = None
    # Opt in to a short weekly line in its own channel: what is waiting on it.
    weekly_summary: bool = False

    @field_validator("responds_within")
    @classmethod
    def _responds(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _KEY.match(value):
            raise ValueError("must be lower-case letters, digits, '-' or '_'")
        return value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not _CHANNEL.match(value):
            raise ValueError(f"{value!r} is not a Slack channel id (like C0123ABCD)")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return validate_email(str(value).strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValueError(
                f"{value!r} is not an e-mail address (like team@example.org)"
            ) from None

    @model_validator(mode="after")
    def _reachable(self) -> ProviderEntry:
        if self.channel is None and self.email is None:
            raise ValueError(
                "needs a `channel:` (its Slack channel) or an `email:` (for a provider "
                "without Slack), or both"
            )
        if self.team is not None and self.channel is None:
            raise ValueError("has a `team:` but no `channel:` in it: give its channel too")
        return self

    @property
    def by_email_only(self) -> bool:
        return self.channel is None

    @field_validator("team")
    @classmethod
    def _team(cls, value: str | None) -> str | None:
        if value is not None and not _TEAM.match(value):
            raise ValueError(f"{value!r} is not a Slack workspace id (like T0PARTNER1)")
        return value

    @field_validator("areas")
    @classmethod
    def _areas(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("is empty: leave `areas` out for a provider that works anywhere")
        cleaned = [str(area).replace(" ", "").upper() for area in value]
        for area in cleaned:
            if not _DISTRICT.match(area):
                raise ValueError(f"{area!r} is not a postcode district (NW1) or area (NW)")
        return cleaned

    @field_validator("ages")
    @classmethod
    def _ages(cls, value: str | None) -> str | None:
        if value is not None:
            parse_ages(value)
        return value

    @property
    def age_range(self) -> tuple[int, int] | None:
        return parse_ages(self.ages) if self.ages else None


class Circumstance(_Strict):
    """One of the network's shared circumstances, written as a mapping when the label alone
    does not read well after "specialist for"."""

    label: str
    residents: str | None = None  # e.g. "disabled residents"


class Coordinators(_Strict):
    channel: str
    users: list[str] = Field(default_factory=list)

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str) -> str:
        if not _CHANNEL.match(value):
            raise ValueError(f"{value!r} is not a Slack channel id (like C0COORD1)")
        return value

    @field_validator("users")
    @classmethod
    def _users(cls, value: list[str]) -> list[str]:
        for user in value:
            if not _USER.match(user):
                raise ValueError(f"{user!r} is not a Slack user id (like U0COORD1)")
        return value


class DirectoryRules(_Strict):
    """How fresh the directory is kept: each provider confirms its entry this often.

    Calendar time, unlike the reminders: ``90d`` is ninety days, weekends included.
    """

    confirm_every: str = "90d"

    @field_validator("confirm_every")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def confirm_period(self) -> timedelta:
        return parse_duration(self.confirm_every)


class RetentionRules(_Strict):
    """How long a resident's personal details are kept after their handover is finished.

    Calendar time, like the directory's: ``90d`` is ninety days, weekends included.
    """

    erase_after: str = "90d"

    @field_validator("erase_after")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)
        return value

    @property
    def period(self) -> timedelta:
        return parse_duration(self.erase_after)


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class DigestRules(_Strict):
    """When the coordinators' weekly digest goes out (in the network's time zone)."""

    weekday: str = "Mon"
    time: str = "09:00"

    @field_validator("weekday")
    @classmethod
    def _weekday(cls, value: str) -> str:
        day = value.strip()[:3].title()
        if day not in _WEEKDAYS:
            raise ValueError(f"{value!r} is not a day like Mon")
        return day

    @field_validator("time")
    @classmethod
    def _time(cls, value: str) -> str:
        if not _CLOCK.match(str(value).strip()):
            raise ValueError(f"{value!r} is not a time like 09:00")
        return str(value).strip()

    @property
    def weekday_number(self) -> int:
        return _WEEKDAYS.index(self.weekday)

    @property
    def hour_minute(self) -> tuple[int, int]:
        hour, minute = self.time.split(":")
        return int(hour), int(minute)


class NotifyTemplates(_Strict):
    """GOV.UK Notify template ids for the messages a resident gets (docs/notify-templates.md
    gives each template's text and fields). A message without a template is not sent."""

    accepted_sms: str | None = None
    accepted_email: str | None = None
    check_in_sms: str | None = None
    check_in_email: str | None = None
    # To a provider without Slack: each handover, reminder and one-time code.
    provider_email: str | None = None

    @field_validator("*")
    @classmethod
    def _uuid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = str(value).strip()
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise ValueError(
                f"{text!r} is not a GOV.UK Notify template id (a UUID such as "
                "f33517ff-2a88-4f6e-b855-c550268ce08a, from the template's page in Notify)"
            ) from None

    def get(self, kind: str, channel: str) -> str | None:
        return getattr(self, f"{kind}_{channel}", None)

    @property
    def any(self) -> bool:
        """Whether the file names any template at all."""
        return any(self.model_dump().values())


class NotifyRules(_Strict):
    """Messages to residents through GOV.UK Notify: their templates, and the hours in the
    network's time zone when a resident may be sent one (one due at night waits)."""

    templates: NotifyTemplates = NotifyTemplates()
    daytime: str = "08:00-20:00"

    @field_validator("daytime")
    @classmethod
    def _daytime(cls, value: str) -> str:
        start, _, end = str(value).strip().partition("-")
        if not (_CLOCK.match(start.strip()) and _CLOCK.match(end.strip())) or start >= end:
            raise ValueError(f"{value!r} is not a span of the day like 08:00-20:00")
        return f"{start.strip()}-{end.strip()}"

    @property
    def daytime_span(self) -> tuple[tuple[int, int], tuple[int, int]]:
        start, end = self.daytime.split("-")
        return _hour_minute(start), _hour_minute(end)


def _hour_minute(text: str) -> tuple[int, int]:
    hour, minute = text.split(":")
    return int(hour), int(minute)


class Network(_Strict):
    network: NetworkInfo
    services: dict[str, str] = Field(min_length=1)
    # The circumstances an adviser may tick and a provider may be `only_for`: key -> label.
    circumstances: dict[str, str | Circumstance] = Field(default_factory=dict)
    providers: list[ProviderEntry] = Field(min_length=1)
    coordinators: Coordinators
    reminders: Reminders = Reminders()
    directory: DirectoryRules = DirectoryRules()
    digest: DigestRules = DigestRules()
    retention: RetentionRules = RetentionRules()
    notify: NotifyRules = NotifyRules()

    @model_validator(mode="after")
    def _consistent(self) -> Network:
        seen: set[str] = set()
        for index, provider in enumerate(self.providers):
            if provider.id in seen:
                raise _PathError(
                    ("providers", index, "id"), f"provider id {provider.id!r} is used twice"
                )
            seen.add(provider.id)
            for position, service in enumerate(provider.services):
                if service not in self.services:
                    raise _PathError(
                        ("providers", index, "services", position),
                        f"service {service!r} of provider {provider.id!r} is not in `services`",
                    )
            written: set[str] = set()
            for position, key in enumerate(provider.only_for or ()):
                where = ("providers", index, "only_for", position)
                if key not in self.circumstances:
                    raise _PathError(
                        where,
                        f"circumstance {key!r} of provider {provider.id!r} is not in "
                        "`circumstances`",
                    )
                if key in written:
                    raise _PathError(
                        where, f"circumstance {key!r} of provider {provider.id!r} is written twice"
                    )
                written.add(key)
        for key in self.circumstances:
            if not _KEY.match(key):
                raise _PathError(
                    ("circumstances", key),
                    f"circumstance key {key!r} must be lower-case letters, digits, '-' or '_'",
                )
        return self

    def provider(self, provider_id: str) -> ProviderEntry | None:
        return next((p for p in self.providers if p.id == provider_id), None)

    def team_of(self, channel: str) -> str | None:
        """The partner's workspace a provider's channel is in; None: the network's own."""
        return next((p.team for p in self.providers if p.channel == channel and p.team), None)

    def service_label(self, key: str) -> str:
        return self.services.get(key, key)

    def circumstance_label(self, key: str) -> str:
        value = self.circumstances.get(key, key)
        return value.label if isinstance(value, Circumstance) else value

    @property
    def circumstance_labels(self) -> dict[str, str]:
        return {key: self.circumstance_label(key) for key in self.circumstances}

    def residents_phrase(self, key: str) -> str:
        """Who a specialist is for, as it reads after "specialist for"."""
        value = self.circumstances.get(key)
        if isinstance(value, Circumstance) and value.residents:
            return value.residents
        return f"residents: {lower_first(self.circumstance_label(key))}"

    @property
    def residents_phrases(self) -> dict[str, str]:
        return {key: self.residents_phrase(key) for key in self.circumstances}

    def reminders_for(self, provider_id: str | None) -> Reminders:
        """A provider's own reminder times if it has them, else the network's."""
        entry = self.provider(provider_id) if provider_id else None
        if entry is None or entry.reminders is None:
            return self.reminders
        own = entry.reminders
        return self.reminders.model_copy(
            update={key: getattr(own, key) for key in own.model_fields_set}
        )

    def is_coordinator(self, user_id: str) -> bool:
        return user_id in self.coordinators.users


def lower_first(text: str) -> str:
    """ "Care leaver" -> "care leaver", but "CV clinic" and "ESOL" stay as written."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


class _PathError(ValueError):
    """A consistency problem found after parsing, pointing at a place in the file."""

    def __init__(self, path: tuple[Any, ...], message: str):
        super().__init__(message)
        self.path = path
        self.message = message


def load_network(path: str | Path) -> Network:
    """Read and check the network file; any problem is one ConfigError sentence."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"The network file {path} does not exist: copy network.example.yaml to {path} "
            "or set NETWORK_FILE to your network file."
        ) from None
    return parse_network(text, source=str(path))


def parse_network(text: str, *, source: str = "network file") -> Network:
    try:
        root, data = read_yaml(text, source=source)
    except YamlProblem as problem:
        raise ConfigError(str(problem)) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must be a YAML mapping with network, services and providers.")
    try:
        return Network.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        context_error = (error.get("ctx") or {}).get("error")
        if isinstance(context_error, _PathError):
            location, message = context_error.path, context_error.message
        else:
            location = tuple(error["loc"])
            message = _describe(error)
        key = ".".join(str(part) for part in location) or "(top level)"
        line = line_of(root, location)
        where = f" (line {line})" if line else ""
        raise ConfigError(f"{source}: `{key}`{where} {message}.") from None


def _describe(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a key we know (check its spelling)"
    if kind in ("dict_type", "model_type"):
        return "must be a mapping of keys (is it empty or mis-indented?)"
    if kind == "list_type":
        return "must be a list"
    message = error["msg"]
    message = message.removeprefix("Value error, ")
    return f"is wrong: {message}"
