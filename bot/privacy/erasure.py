"""Erasing residents' personal details: after the retention period, and on request.

Only the ``resident`` row is emptied; the anonymous handover and its events stay for the
statistics, with one more event saying who erased the details and why. Each erasure is a
compare-and-set on ``erased_at``, so two schedulers (or a scheduler and a coordinator)
erase a row once. Redacting the Slack message that showed the details is the notifier's job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.clock import Clock
from bot.directory.network import Network
from bot.errors import DomainError, NotFound
from bot.handover import access
from bot.handover.access import Access, Right
from bot.ids import COMMAND
from storage import queries, residents
from storage.db import SessionFactory
from storage.models import EventKind, Handover, Resident, format_ref

RETENTION = "retention"
ON_REQUEST = "on_request"
REFUSAL = access.refusal(Right.ERASE)
BATCH = 50  # handovers erased per transaction by the retention check


@dataclass(frozen=True)
class Erased:
    """One handover whose details were erased, and where the message that showed them is."""

    handover_id: int
    at: datetime
    why: str  # RETENTION or ON_REQUEST
    shown_channel: str | None
    shown_ts: str | None

    @property
    def ref(self) -> str:
        return format_ref(self.handover_id)


class Privacy:
    def __init__(self, *, sessions: SessionFactory, network: Network, clock: Clock):
        self.sessions = sessions
        self.network = network
        self.clock = clock
        self.access = Access(network)
        # Set by the app: redacts where the details were shown (writes to the outbox) in
        # the erasure's transaction, and has that delivered once committed.
        self.on_erased: Callable[[Session, Erased], None] | None = None
        self.committed: Callable[[], None] | None = None

    # -- retention ----------------------------------------------------------------------

    def expired(self, now: datetime, *, limit: int = BATCH) -> list[int]:
        """Finished handovers closed longer ago than the retention period, not yet erased.

        ``~details_erased`` is the partial index's own condition (``ix_handover_erasable``):
        the database reads only handovers still holding details, oldest closure first, and
        stops at ``limit``, however many were erased before. "Finished" is ``closed_at``:
        closing and withdrawing set it, re-opening clears it. (Asking for the states as
        well would lead SQLite, which keeps no statistics, to read every closed handover
        by the state index instead.)
        """
        cutoff = now - self.network.retention.period
        with self.sessions() as session:
            rows = session.exec(
                select(Handover.id)
                .join(Resident, col(Resident.handover_id) == col(Handover.id))
                .where(
                    ~col(Handover.details_erased),
                    col(Handover.closed_at) <= cutoff,
                    col(Resident.erased_at).is_(None),
                )
                .order_by(Handover.closed_at, Handover.id)
                .limit(limit)
            ).all()
            return list(rows)

    def erase_expired(self, now: datetime) -> list[Erased]:
        """Erase every handover past its retention period, a batch at a time."""
        erased: list[Erased] = []
        while True:
            batch = self.expired(now)
            done = [
                item
                for handover_id in batch
                if (item := self.erase(handover_id, actor_id=None, why=RETENTION, now=now))
            ]
            erased.extend(done)
            # A batch where another scheduler claimed everything: stop, it is doing the rest.
            if len(batch) < BATCH or not done:
                return erased

    # -- on request ---------------------------------------------------------------------

    def erase_resident(self, handover_id: int, *, actor_id: str, reason: str) -> list[Erased]:
        """A coordinator erases one resident's details from every handover that is theirs."""
        self.access.require(actor_id, Right.ERASE)
        reason = " ".join(reason.split())
        if not reason:
            raise DomainError(
                f"Say why, for the record: `{COMMAND} erase {format_ref(handover_id)} <reason>`."
            )
        with self.sessions() as session:
            if queries.get_handover(session=session, handover_id=handover_id) is None:
                raise NotFound("There is no such handover.")
            resident = queries.get_resident(session=session, handover_id=handover_id)
            if resident is None or resident.erased_at is not None:
                raise DomainError(
                    f"{format_ref(handover_id)} holds no personal details: "
                    "they were already erased."
                )
            same = self._same_resident(session, resident)
        now = self.clock.now()
        return [
            item
            for other in same
            if (item := self.erase(other, actor_id=actor_id, why=ON_REQUEST, now=now, note=reason))
        ]

    def _same_resident(self, session: Session, resident: Resident) -> list[int]:
        """Handovers of the same resident: the same name and the same phone or e-mail.

        Found by the blind index (``storage.residents``), not by decrypting every resident;
        residents stored before it existed are compared decrypted until ``storage.crypto
        rotate`` has indexed them.
        """
        return residents.handovers_of(session=session, resident=resident)

    # -- one handover -------------------------------------------------------------------

    def erase(
        self,
        handover_id: int,
        *,
        actor_id: str | None,
        why: str,
        now: datetime,
        note: str | None = None,
    ) -> Erased | None:
        """Empty one handover's details and record it; None when already erased (or absent)."""
        with self.sessions() as session:
            handover = queries.get_handover(session=session, handover_id=handover_id)
            resident = queries.get_resident(session=session, handover_id=handover_id)
            if handover is None or resident is None or resident.erased_at is not None:
                return None
            shown_channel, shown_ts = resident.shown_channel, resident.shown_ts
            claimed = session.execute(
                update(Resident)
                .where(
                    col(Resident.handover_id) == handover_id,
                    col(Resident.erased_at).is_(None),
                )
                .values(
                    name=None,
                    phone=None,
                    email=None,
                    access_needs=None,
                    # The blind index goes too: nothing can match an erased resident.
                    match_phone=None,
                    match_email=None,
                    erased_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                session.rollback()
                return None
            # Not a change of state, so no version bump: the flag only keeps this handover
            # out of the retention check's index from now on.
            session.execute(
                update(Handover)
                .where(col(Handover.id) == handover_id)
                .values(details_erased=True)
                .execution_options(synchronize_session=False)
            )
            queries.record_event(
                session=session,
                handover=handover,
                kind=EventKind.ERASED,
                at=now,
                actor_id=actor_id,
                from_state=handover.state,
                reason=why,
                note=(note or None) and note[:600],
            )
            erased = Erased(handover_id, now, why, shown_channel, shown_ts)
            if self.on_erased is not None:
                self.on_erased(session, erased)
            session.commit()
        if self.committed is not None:
            self.committed()
        return erased
