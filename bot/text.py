"""Words shown to people: escaping, labels, dates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.errors import DomainError
from bot.ids import PAGE_ACTOR
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
    """``text`` in at most ``limit`` characters (Slack's hard limits stay hard): when it is
    longer, cut at the last word boundary that fits and end with "…".

    Only a first word longer than half the limit is cut inside itself, as nothing shorter
    would say anything.
    """
    if len(text) <= limit:
        return text
    room = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut would fall inside a word: go back to its start
        boundary = max(room.rfind(" "), room.rfind("\n"))
        if boundary >= limit // 2:
            room = room[:boundary]
    return room.rstrip(" \n,;:·-\u2013—") + "…"


_STOPS = (".", "!", "?", "…")


def sentence(text: str) -> str:
    """``text`` ended with a full stop, unless it already ends a sentence."""
    text = text.rstrip()
    return text if text.endswith(_STOPS) else text + "."


def aside(note: str | None) -> str:
    """A note in brackets inside someone else's sentence: `` (Full until March)``.

    Its own final full stops go, as the sentence around it ends with one; "" for no note.
    """
    note = (note or "").strip().rstrip(".").rstrip()
    return f" ({note})" if note else ""


# What a spreadsheet reads as the start of a formula (OWASP, "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """A CSV cell that a spreadsheet shows as the text it is, never runs as a formula.

    Text that starts like a formula gets a leading ``'`` (OWASP's advice): a provider name
    from the network file, a note someone typed, a Slack display name. Numbers the bot
    counted are left as numbers, so a negative count would still read as one; only text is
    ever touched, whatever it looks like (a phone number like ``+44 …`` is text, and is kept
    from being read as a sum).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_row(values):
    """Every cell of a row through ``spreadsheet_cell``: a list, or a dict's values."""
    if isinstance(values, dict):
        return {key: spreadsheet_cell(value) for key, value in values.items()}
    return [spreadsheet_cell(value) for value in values]


def person(user_id: str | None, name: str | None = None) -> str:
    """Someone as a message names them: a Slack mention, or for a worker of a provider
    without Slack (who acts from the handover's page) the name they gave there."""
    if not user_id:
        return "someone"
    if user_id.startswith(PAGE_ACTOR):
        return f"{escape(name)} (by e-mail)" if name else "a worker (by e-mail)"
    return f"<@{user_id}>"


def named_worker(handover) -> str:
    """The handover's named worker, as messages name them (``person``)."""
    return person(handover.worker_id, handover.worker_name)


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
