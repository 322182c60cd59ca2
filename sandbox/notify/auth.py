"""Notify's API authorisation: a JWT in ``Authorization: Bearer``, checked as Notify checks it.

The token is HS256, signed with the API key's secret (its last 36 characters); ``iss`` is
the service id and ``iat`` must be within 30 seconds of Notify's clock, either way. The
messages are Notify's own, so a bot that logs them logs what production would say.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import jwt

from .errors import GENERAL_TOKEN_ERROR, auth_error

ALGORITHM = "HS256"
# Notify refuses a token issued more than this many seconds before or after its own clock.
IAT_BOUND_SECONDS = 30
CLOCK_MESSAGE = "Error: Your system clock must be accurate to within 30 seconds"


@dataclass
class ApiKey:
    """One of the service's API keys. ``key_type`` is Notify's: live, team or test."""

    name: str
    secret: str
    key_type: str = "live"
    revoked: bool = False

    def formatted(self, service_id: str) -> str:
        """The key as Notify shows it once: ``{name}-{service id}-{secret}``."""
        return f"{self.name}-{service_id}-{self.secret}"


def bearer_token(header: str | None) -> str:
    """The token from an Authorization header; a missing or other scheme is a 401."""
    if not header:
        raise auth_error("Unauthorized: authentication token must be provided", 401)
    if header[:7].title() != "Bearer ":
        raise auth_error("Unauthorized: authentication bearer scheme must be used", 401)
    return header[7:]


def authenticate(header: str | None, service_id: str, keys: Iterable[ApiKey], now: float) -> ApiKey:
    """The API key that signed the request, or the ``NotifyError`` Notify would answer."""
    token = bearer_token(header)
    issuer = _issuer(token)
    try:
        uuid.UUID(str(issuer))
    except ValueError:
        raise auth_error("Invalid token: service id is not the right data type") from None
    if str(issuer) != service_id:
        # This stand-in holds one service; any other id is one Notify does not know.
        raise auth_error("Invalid token: service not found")
    keys = list(keys)
    if not keys:
        raise auth_error("Invalid token: service has no API keys")
    for key in keys:
        if not _signed_with(token, key.secret, now):
            continue
        if key.revoked:
            raise auth_error("Invalid token: API key revoked")
        return key
    raise auth_error("Invalid token: API key not found")


def _issuer(token: str):
    try:
        claims = jwt.decode(token, options={"verify_signature": False}, algorithms=[ALGORITHM])
    except jwt.InvalidTokenError:
        raise auth_error(GENERAL_TOKEN_ERROR) from None
    if "iss" not in claims:
        raise auth_error("Invalid token: iss field not provided")
    return claims["iss"]


def _signed_with(token: str, secret: str, now: float) -> bool:
    """True if ``secret`` signed the token and its ``iat`` is fresh; raises where Notify would.

    A token another key signed, or one without ``iat``, is simply not this key's (Notify
    then tries the service's next key and ends with "API key not found").
    """
    try:
        # The iat check is ours, against the stand-in's clock, not PyJWT's.
        claims = jwt.decode(
            token, key=secret, algorithms=[ALGORITHM], options={"verify_iat": False}
        )
    except jwt.InvalidAlgorithmError:
        raise auth_error("Invalid token: algorithm used is not HS256") from None
    except jwt.DecodeError:  # includes a bad signature
        return False
    except jwt.InvalidTokenError:
        raise auth_error(GENERAL_TOKEN_ERROR) from None
    if "iat" not in claims:
        return False
    try:
        issued_at = int(claims["iat"])
    except (TypeError, ValueError):
        raise auth_error(CLOCK_MESSAGE) from None
    if abs(int(now) - issued_at) > IAT_BOUND_SECONDS:  # Notify's clock is whole seconds
        raise auth_error(CLOCK_MESSAGE)
    return True


def make_token(secret: str, service_id: str, issued_at: float, algorithm: str = ALGORITHM) -> str:
    """A token as the official client makes one, for tests that must bend a claim."""
    return jwt.encode({"iss": service_id, "iat": int(issued_at)}, secret, algorithm=algorithm)
