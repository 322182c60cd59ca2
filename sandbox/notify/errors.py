"""Notify's error replies: one exception that knows its status and its v2 body.

Every refusal in the stand-in is raised as a ``NotifyError`` and turned into Notify's
shape, ``{"status_code": 400, "errors": [{"error": "BadRequestError", "message": ...}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The general message Notify gives for a token it cannot make sense of.
GENERAL_TOKEN_ERROR = (
    "Invalid token: make sure your API token matches the example at "
    "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
)
INTERNAL_SERVER_ERROR = "Internal server error"


@dataclass
class NotifyError(Exception):
    """A refusal: ``status`` and one or more (error class, message) pairs."""

    status: int
    error: str
    message: str
    # Notify's schema validation reports every problem at once; the first is (error, message).
    more: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.error}: {self.message}"

    def body(self) -> dict:
        errors = [(self.error, self.message), *self.more]
        return {
            "status_code": self.status,
            "errors": [{"error": error, "message": message} for error, message in errors],
        }


def auth_error(message: str, status: int = 403) -> NotifyError:
    return NotifyError(status, "AuthError", message)


def bad_request(message: str) -> NotifyError:
    return NotifyError(400, "BadRequestError", message)


def validation_errors(messages: list[str]) -> NotifyError:
    """Notify's JSON-schema refusal: every message, each as a ``ValidationError``, once."""
    unique = list(dict.fromkeys(messages))
    return NotifyError(
        400,
        "ValidationError",
        unique[0],
        more=[("ValidationError", message) for message in unique[1:]],
    )


def unexpected_properties(names: list[str]) -> str:
    """JSON schema's words for fields a request should not have had."""
    verb = "was" if len(names) == 1 else "were"
    return f"Additional properties are not allowed ({', '.join(names)} {verb} unexpected)"


def not_found() -> NotifyError:
    """What Notify answers for a notification or template id it does not hold."""
    return NotifyError(404, "NoResultFound", "No result found")


def rate_limited(key_type: str = "live", limit: int = 3000, interval: int = 60) -> NotifyError:
    return NotifyError(
        429,
        "RateLimitError",
        f"Exceeded rate limit for key type {key_type.upper()} of {limit} requests "
        f"per {interval} seconds",
    )
