"""Templates as Notify keeps them: a type, a body (and an e-mail subject), ``((field))`` slots.

Notify matches personalisation to placeholders ignoring case and spaces, treats a value of
null as missing, and names the missing ones in the order they first appear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TEMPLATE_TYPES = ("sms", "email")
# ((name)), and Notify's optional form ((name??text shown when name is yes/true)).
_PLACEHOLDER = re.compile(r"\(\(([^()]+?)\)\)")
# The longest text message Notify sends: 6 fragments of 153 characters.
SMS_CHAR_COUNT_LIMIT = 918
EMAIL_BYTE_LIMIT = 2_000_000


def _key(name: str) -> str:
    return "".join(name.split()).lower()


@dataclass
class Template:
    id: str
    kind: str  # "sms" or "email", Notify's template_type
    body: str
    subject: str | None = None
    name: str = ""
    version: int = 1
    created_at: str = ""

    def placeholders(self) -> list[str]:
        """Field names in order of first appearance (in the subject, then the body)."""
        names: dict[str, str] = {}
        for text in (self.subject or "", self.body):
            for match in _PLACEHOLDER.finditer(text):
                name = match.group(1).split("??")[0].strip()
                names.setdefault(_key(name), name)
        return list(names.values())

    def missing(self, personalisation: dict) -> list[str]:
        values = _insensitive(personalisation)
        return [name for name in self.placeholders() if values.get(_key(name)) is None]

    def render(self, personalisation: dict) -> tuple[str, str | None]:
        """(body, subject) with every placeholder filled; call ``missing`` first."""
        values = _insensitive(personalisation)

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda match: _fill_one(match.group(1), values), text)

        subject = fill(self.subject) if self.subject is not None else None
        return fill(self.body), subject

    def serialise(self, created_by: str) -> dict:
        """``GET /v2/template/{id}``'s shape."""
        return {
            "id": self.id,
            "type": self.kind,
            "created_at": self.created_at,
            "updated_at": None,
            "created_by": created_by,
            "version": self.version,
            "body": self.body,
            "subject": self.subject if self.kind == "email" else None,
            "name": self.name,
            "personalisation": {name: {"required": True} for name in self.placeholders()},
            "postage": None,
            "letter_contact_block": None,
        }


def _insensitive(personalisation: dict) -> dict:
    return {_key(str(name)): value for name, value in (personalisation or {}).items()}


def _fill_one(inside: str, values: dict) -> str:
    name, _, conditional = inside.partition("??")
    value = values.get(_key(name))
    if conditional:
        return conditional if str(value).lower() in ("yes", "true") else ""
    if isinstance(value, list):  # Notify renders a list as bullet points
        return "\n".join(f"* {item}" for item in value)
    return str(value)


def too_long(kind: str, body: str, subject: str | None) -> str | None:
    """Notify's message for content over its limit, or None."""
    if kind == "sms" and len(body) > SMS_CHAR_COUNT_LIMIT:
        return (
            "Your message is too long. Text messages cannot be longer than "
            f"{SMS_CHAR_COUNT_LIMIT} characters. Your message is {len(body)} characters long."
        )
    size = len(body.encode()) + len((subject or "").encode())
    if kind == "email" and size > EMAIL_BYTE_LIMIT:
        return (
            f"Your message is too long. Emails cannot be longer than {EMAIL_BYTE_LIMIT} bytes. "
            f"Your message is {size} bytes."
        )
    return None
