"""The page's forms carry a CSRF token: a signed pair of the browser's own random cookie and
the link it was given for, good for two hours. A POST whose token is missing, forged, for
another browser, for another link, or too old changes nothing.

The page's link is itself a secret, so a forged form would need it too; the token makes
sure that even a leaked link cannot be used to post from another site in a worker's name.
"""

from __future__ import annotations

import hashlib
import secrets

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from bot.byemail.links import derive_keys

COOKIE = "handover_page"
FIELD = "csrf"
MAX_AGE = 2 * 60 * 60  # seconds a form may stay open


def new_browser() -> str:
    return secrets.token_urlsafe(24)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class Forms:
    def __init__(self, data_keys: list[str], *, clock):
        class OnTheBotsClock(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(clock.now().timestamp())

        self.serializer = URLSafeTimedSerializer(
            derive_keys(data_keys, "page forms"), salt=FIELD, signer=OnTheBotsClock
        )

    def token(self, browser: str, link: str) -> str:
        return self.serializer.dumps({"b": browser, "l": _digest(link)})

    def valid(self, value: str | None, browser: str | None, link: str) -> bool:
        if not value or not browser:
            return False
        try:
            data = self.serializer.loads(value, max_age=MAX_AGE)
        except BadSignature:  # forged, or too old (SignatureExpired is one)
            return False
        return (
            isinstance(data, dict)
            and secrets.compare_digest(str(data.get("b", "")), browser)
            and secrets.compare_digest(str(data.get("l", "")), _digest(link))
        )
