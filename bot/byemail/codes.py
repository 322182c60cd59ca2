"""One-time codes: a worker of a provider without Slack sees the resident's details once,
right after accepting; to see them again they ask for a code, which goes to the provider's
address. Only a keyed hash of each code is stored. A code works once, for ten minutes, with
five tries; asking for a new one retires the ones before it, and a few an hour is the most.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from bot.byemail.links import derive_keys
from bot.clock import Clock
from storage.models import PageCode

LIFETIME = timedelta(minutes=10)
MOST_TRIES = 5
MOST_PER_HOUR = 5


class TooMany(Exception):
    """Codes were asked for too often: wait before asking again."""


class Codes:
    def __init__(self, *, clock: Clock, data_keys: list[str]):
        self.clock = clock
        self.key = derive_keys(data_keys, "page codes")[-1].encode()

    def _hash(self, handover_id: int, provider_id: str, code: str) -> str:
        message = f"{handover_id}:{provider_id}:{code}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    def issue(self, session: Session, handover_id: int, provider_id: str) -> str:
        """A new code (in the caller's transaction); the earlier ones stop working."""
        now = self.clock.now()
        recent = session.exec(
            select(func.count())
            .select_from(PageCode)
            .where(
                col(PageCode.handover_id) == handover_id,
                col(PageCode.created_at) > now - timedelta(hours=1),
            )
        ).one()
        if recent >= MOST_PER_HOUR:
            raise TooMany()
        self._retire(session, handover_id, provider_id)
        code = f"{secrets.randbelow(1_000_000):06d}"
        session.add(
            PageCode(
                handover_id=handover_id,
                provider_id=provider_id,
                code_hash=self._hash(handover_id, provider_id, code),
                created_at=now,
                expires_at=now + LIFETIME,
            )
        )
        return code

    def redeem(self, session: Session, handover_id: int, provider_id: str, code: str) -> bool:
        """Whether ``code`` is the live code (used up if so; a wrong one counts a try)."""
        now = self.clock.now()
        live = session.exec(
            select(PageCode)
            .where(
                col(PageCode.handover_id) == handover_id,
                col(PageCode.provider_id) == provider_id,
                col(PageCode.used_at).is_(None),
                col(PageCode.expires_at) > now,
                col(PageCode.tries) < MOST_TRIES,
            )
            .order_by(col(PageCode.id).desc())
        ).first()
        if live is None:
            return False
        typed = "".join(ch for ch in code if ch.isdigit())
        right = hmac.compare_digest(live.code_hash, self._hash(handover_id, provider_id, typed))
        live.tries += 1
        if right:
            live.used_at = now
        session.add(live)
        return right

    def _retire(self, session: Session, handover_id: int, provider_id: str) -> None:
        session.execute(
            update(PageCode)
            .where(
                col(PageCode.handover_id) == handover_id,
                col(PageCode.provider_id) == provider_id,
                col(PageCode.used_at).is_(None),
            )
            .values(used_at=self.clock.now())
            .execution_options(synchronize_session=False)
        )
