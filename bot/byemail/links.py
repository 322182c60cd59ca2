"""The link in a provider's e-mail: a signed token naming the handover, the provider and the
moment it was routed there, so it opens that handover's page only while it is still with
that provider, from that routing on (a link from before a decline is dead even if the
handover comes back later).

The signing keys are derived from the keys that encrypt residents' details
(``HANDOVER_DATA_KEYS``): a rotated key keeps old links working while it is still listed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer

from storage.models import Handover

SALT = "handover-page"
PATH = "/p/"  # the page's address under PUBLIC_URL: /p/<token>


def derive_keys(data_keys: list[str], purpose: str) -> list[str]:
    """One signing key per data key, for one purpose only, oldest first (itsdangerous
    signs with the last and accepts any)."""
    return [
        hmac.new(key.encode(), purpose.encode(), hashlib.sha256).hexdigest()
        for key in reversed(data_keys)
    ]


@dataclass(frozen=True)
class Claim:
    """What a valid token says: this handover, at this provider, routed at this moment."""

    handover_id: int
    provider_id: str
    routed: int  # the routing moment, in whole seconds

    def holds_for(self, handover: Handover) -> bool:
        """Whether the handover is still where the link was made for."""
        return (
            handover.provider_id == self.provider_id
            and routed_mark(handover.routed_at) == self.routed
        )


def routed_mark(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else 0


class PageLinks:
    def __init__(self, *, data_keys: list[str], public_url: str | None):
        self.serializer = URLSafeSerializer(derive_keys(data_keys, "page links"), salt=SALT)
        self.public_url = (public_url or "").rstrip("/")

    def token(self, handover: Handover, provider_id: str) -> str:
        return self.serializer.dumps(
            {"h": handover.id, "p": provider_id, "r": routed_mark(handover.routed_at)}
        )

    def url(self, handover: Handover, provider_id: str) -> str:
        return f"{self.public_url}{PATH}{self.token(handover, provider_id)}"

    def read(self, token: str) -> Claim | None:
        """The claim of a token this bot signed, or None for anything else."""
        try:
            data = self.serializer.loads(token)
        except BadSignature:
            return None
        try:
            return Claim(int(data["h"]), str(data["p"]), int(data["r"]))
        except (KeyError, TypeError, ValueError):
            return None
