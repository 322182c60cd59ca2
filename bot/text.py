"""Words shown to people: escaping, labels, dates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.errors import DomainError
from storage.models import DeclineReason, Outcome, State, Urgency, ref_number

DECLINE_REASONS = {
    DeclineReason.NOT_ELIGIBLE: "Not eligible",
    DeclineReason.OUT_OF_AREA: "Out of area",
    DeclineReason.AT_CAPACITY: "At capacity",
    DeclineReason.SERVICE_NOT_OFFERED: "Service not offered",
    DeclineReason.OTHER: "Other",
}

OUTCOMES = {
    Outcome.STARTED_SUPPORT: "Started support",
    Outcome.NOT_ELIGIBLE: "Not eligible",
    Outcome.COULD_NOT_CONTACT: "Could not contact",
    Outcome.RESIDENT_DECLINED: "Resident declined",
    Outcome.OTHER: "Other",
}

URGENCIES = {
    Urgency.ROUTINE: "Routine",
    Urgency.SOON: "Soon (this week)",
    Urgency.URGENT: "Urgent (today)",
}

STATES = {
    State.PENDING: "Waiting to be accepted",
    State.ACCEPTED: "Accepted",
    State.CONTACTED: "First contact made",
    State.CLOSED: "Closed",
    State.WITHDRAWN: "Withdrawn",
    State.UNMATCHED: "With the coordinators (no provider matched)",
}


_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n")
_CONTROL[0x7F] = None


def typed(text: str) -> str:
    """Text as a person typed it, minus control characters (a NUL cannot even be stored)."""
    return text.translate(_CONTROL)


def escape(text: str | None) -> str:
    """Make typed text inert in mrkdwn: no <!channel>, no <@U…> pings, no disguised links."""
    if not text:
        return ""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def day(value: date | None) -> str:
    return value.strftime("%a %-d %b %Y") if value else "—"


def when(value: datetime | None, timezone: str) -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(timezone)).strftime("%a %-d %b %H:%M")


def label(mapping: dict, key: str | None) -> str:
    if key is None:
        return "—"
    return mapping.get(key, key)


def parse_ref(text: str) -> int:
    """The handover a typed reference names, or a sentence saying it is not one."""
    number = ref_number(text)
    if number is None:
        raise DomainError(
            f"`{escape(text.strip()[:40])}` is not a handover reference like HO-0042."
        )
    return number
