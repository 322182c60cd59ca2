"""Judging a send request as Notify does: its JSON schema first, then template and recipient.

The order matters because Notify stops at the first stage that fails: the schema reports
all its faults at once (``ValidationError`` each), the later checks one at a time
(``BadRequestError``, or ``InvalidPhoneError`` for a landline).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

from . import recipients
from .errors import bad_request, unexpected_properties, validation_errors
from .templates import Template, too_long

_STRING = ("string",)
_UUID = "uuid"  # any fault in a uuid field reads "<field> is not a valid UUID"
# Each request's properties in the order Notify's schema lists them: (name, types, check).
_SMS_FIELDS = (
    ("reference", _STRING, "reference"),
    ("phone_number", _STRING, "phone_number"),
    ("template_id", _STRING, _UUID),
    ("personalisation", ("object",), None),
    ("scheduled_for", ("string", "null"), None),
    ("sms_sender_id", _STRING, _UUID),
)
_EMAIL_FIELDS = (
    ("reference", _STRING, "reference"),
    ("email_address", _STRING, "email_address"),
    ("template_id", _STRING, _UUID),
    ("personalisation", ("object",), None),
    ("scheduled_for", ("string", "null"), None),
    ("email_reply_to_id", _STRING, _UUID),
    ("one_click_unsubscribe_url", _STRING, "https_url"),
    ("sanitise_content_for", ("array", "null"), None),
)
FIELDS = {"sms": _SMS_FIELDS, "email": _EMAIL_FIELDS}
RECIPIENT_FIELD = {"sms": "phone_number", "email": "email_address"}
REFERENCE_MAX_LENGTH = 1000
_JSON_TYPES = {
    "string": str,
    "object": dict,
    "array": list,
    "null": type(None),
}


@dataclass
class Service:
    """The one Notify service the stand-in plays: its templates and senders."""

    service_id: str
    templates: dict[str, Template] = field(default_factory=dict)
    sms_sender: str = "GOVUK"  # the default text message sender
    email_from: str = "warm.handover@notifications.service.gov.uk"
    sms_senders: dict[str, str] = field(default_factory=dict)  # sms_sender_id -> sender
    reply_to_addresses: dict[str, str] = field(default_factory=dict)  # email_reply_to_id


@dataclass(frozen=True)
class Draft:
    """A request Notify would accept, rendered and ready to record."""

    kind: str
    to: str
    normalised_to: str
    template: Template
    personalisation: dict
    reference: str | None
    body: str
    subject: str | None
    sender: str


def parse_json(raw: bytes):
    try:
        return json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        raise bad_request("Invalid JSON supplied in POST data") from None


def judge(kind: str, data, service: Service) -> Draft:
    """The accepted draft, or the ``NotifyError`` Notify would answer."""
    check_schema(kind, data)
    personalisation = data.get("personalisation") or {}
    template = service.templates.get(str(uuid.UUID(data["template_id"])))
    if template is None:
        raise bad_request("Template not found")
    if template.kind != kind:
        raise bad_request(f"{template.kind} template is not suitable for {kind} notification")
    missing = template.missing(personalisation)
    if missing:
        raise bad_request(f"Missing personalisation: {', '.join(missing)}")
    body, subject = template.render(personalisation)
    if not body.strip():
        raise bad_request("Your message is empty.")
    sender = _sender(kind, data, service)
    to = data[RECIPIENT_FIELD[kind]]
    if kind == "sms":
        normalised = recipients.check_sms_recipient(to)
    else:
        normalised = recipients.normalise_email(to)
    length_problem = too_long(kind, body, subject)
    if length_problem:
        raise bad_request(length_problem)
    return Draft(
        kind=kind,
        to=to,
        normalised_to=normalised,
        template=template,
        personalisation=personalisation,
        reference=data.get("reference"),
        body=body,
        subject=subject,
        sender=sender,
    )


def check_schema(kind: str, data) -> None:
    if not isinstance(data, dict):
        raise validation_errors([f"{_shown(data)} is not of type object"])
    fields = FIELDS[kind]
    problems = [
        problem
        for name, types, check in fields
        if name in data
        for problem in [_field_problem(name, data[name], types, check)]
        if problem
    ]
    required = (RECIPIENT_FIELD[kind], "template_id")
    problems += [f"{name} is a required property" for name in required if name not in data]
    known = {name for name, _, _ in fields}
    unexpected = [name for name in data if name not in known]
    if unexpected:
        problems.append(unexpected_properties(unexpected))
    if problems:
        raise validation_errors(problems)


def _field_problem(name: str, value, types: tuple[str, ...], check: str | None) -> str | None:
    if check == _UUID:
        return None if _is_uuid(value) else f"{name} is not a valid UUID"
    if not any(isinstance(value, _JSON_TYPES[json_type]) for json_type in types):
        return f"{name} {_shown(value)} is not of type {', '.join(types)}"
    if check == "reference" and len(value) > REFERENCE_MAX_LENGTH:
        return f"reference {value} is too long"
    if check == "phone_number":
        problem = recipients.phone_format_problem(value)
        return f"phone_number {problem}" if problem else None
    if check == "email_address":
        problem = recipients.email_problem(value)
        return f"email_address {problem}" if problem else None
    if check == "https_url" and not value.startswith("https"):
        return f"{name} is not a valid https url"
    return None


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError, AttributeError):
        return False
    return isinstance(value, str)


def _shown(value) -> str:
    """A value as Notify's schema errors show it: Python's repr, quotes taken out."""
    return repr(value).replace("'", "")


def _sender(kind: str, data: dict, service: Service) -> str:
    if kind == "sms":
        sender_id = data.get("sms_sender_id")
        if sender_id is None:
            return service.sms_sender
        if sender_id not in service.sms_senders:
            raise bad_request(
                f"sms_sender_id {sender_id} does not exist in database for service id "
                f"{service.service_id}"
            )
        return service.sms_senders[sender_id]
    reply_to_id = data.get("email_reply_to_id")
    if reply_to_id is not None and reply_to_id not in service.reply_to_addresses:
        raise bad_request(
            f"email_reply_to_id {reply_to_id} does not exist in database for service id "
            f"{service.service_id}"
        )
    return service.email_from
