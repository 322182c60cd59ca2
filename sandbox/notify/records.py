"""What the stand-in remembers: notifications it accepted, requests it saw, receipts it sent.

Records hold residents' numbers and addresses; they live in memory for tests to assert on
and are never logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

# Notify's timestamps: UTC, microseconds, a literal Z.
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# Notify's notification statuses (for text messages and e-mails; letters have more).
STATUSES = (
    "cancelled",
    "created",
    "sending",
    "sent",
    "delivered",
    "pending",
    "failed",
    "technical-failure",
    "temporary-failure",
    "permanent-failure",
    "pending-virus-check",
    "validation-failed",
    "virus-scan-failed",
    "returned-letter",
)
# The statuses ``GET /v2/notifications`` accepts as a filter, in the order Notify lists them.
FILTER_STATUSES = (*STATUSES, "accepted", "received")
# Asking for "failed" finds every kind of failure, as in Notify.
FAILED_STATUSES = (
    "technical-failure",
    "temporary-failure",
    "permanent-failure",
    "validation-failed",
    "virus-scan-failed",
    "returned-letter",
)
# The statuses Notify sends a delivery receipt for (a callback) and calls complete.
FINAL_STATUSES = ("delivered", "permanent-failure", "temporary-failure", "technical-failure")
NOTIFICATION_TYPES = ("sms", "email", "letter")


def timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime(DATETIME_FORMAT)


@dataclass
class Notification:
    """One accepted text message or e-mail."""

    id: str
    type: str  # "sms" or "email"
    to: str  # as the bot sent it
    normalised_to: str  # 447700900123 / lower-case address: what ``sent_to`` matches
    template_id: str
    template_version: int
    personalisation: dict
    reference: str | None
    body: str
    subject: str | None
    sender: str  # from_number or from_email
    status: str
    created_at: str
    sent_at: str | None = None
    completed_at: str | None = None
    seq: int = 0  # acceptance order: Notify lists newest first

    def serialise(self, template_uri: str) -> dict:
        """``GET /v2/notifications/{id}``'s shape (also each item of the list)."""
        is_sms = self.type == "sms"
        return {
            "id": self.id,
            "reference": self.reference,
            "email_address": None if is_sms else self.to,
            "phone_number": self.to if is_sms else None,
            **{f"line_{n}": None for n in range(1, 7)},
            "postcode": None,
            "type": self.type,
            "status": self.status,
            "template": {
                "id": self.template_id,
                "version": self.template_version,
                "uri": template_uri,
            },
            "body": self.body,
            "subject": self.subject,
            "created_at": self.created_at,
            "created_by_name": None,
            "sent_at": self.sent_at,
            "completed_at": self.completed_at,
            "scheduled_for": None,
            "postage": None,
            "one_click_unsubscribe_url": None,
            "cost_details": {},
            "cost_in_pounds": 0.0,
            "is_cost_data_ready": True,
        }

    def receipt(self) -> dict:
        """The JSON Notify POSTs to the service's delivery-status callback."""
        return {
            "id": self.id,
            "reference": self.reference,
            "to": self.to,
            "status": self.status,
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "sent_at": self.sent_at,
            "notification_type": self.type,
            "template_id": self.template_id,
            "template_version": self.template_version,
        }


@dataclass(frozen=True)
class ApiRequest:
    """One request to the API, whether Notify would have accepted it or not."""

    method: str
    path: str
    query: dict = field(default_factory=dict)
    body: dict | None = None
    status: int | None = None  # None: the connection was dropped (``unreachable``)
    error: str | None = None  # Notify's error class, e.g. "AuthError"
    message: str | None = None
    kind: str | None = None  # "sms" / "email" for sends
    at: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.status is not None and self.status < 400


@dataclass(frozen=True)
class Receipt:
    """One delivery receipt the stand-in POSTed to the bot's callback."""

    notification_id: str
    status: str
    url: str
    http_status: int | None  # None: the bot could not be reached
    error: str | None = None
