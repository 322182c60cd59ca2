"""Residents' details: stored with their blind index, and the same resident found by it.

"The same resident" is the same name and the same phone or e-mail (``storage.blind``):
an index lookup on ``resident.match_phone`` or ``resident.match_email``, never a decryption
of every row. Every function takes ``session`` as a keyword.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_
from sqlmodel import Session, col, select

from storage.blind import Identity
from storage.crypto import match_keys_of
from storage.models import OPEN_STATES, Handover, Resident


def new_resident(
    *,
    session: Session,
    handover_id: int,
    name: str,
    phone: str | None,
    email: str | None,
    access_needs: str | None,
    circumstances: str | None = None,
    contact_by: str | None = None,
) -> Resident:
    """A resident row with its blind index (under the first data key), added to the session."""
    identity = Identity.of(name=name, phone=phone, email=email)
    columns = match_keys_of(session.get_bind()).columns(identity)
    resident = Resident(
        handover_id=handover_id,
        name=name,
        phone=phone,
        email=email,
        access_needs=access_needs,
        circumstances=circumstances,
        contact_by=contact_by,
        **columns,
    )
    session.add(resident)
    return resident


def _same(session: Session, identity: Identity):
    """The condition "this row is the same resident", or None when nothing can match."""
    phones, emails = match_keys_of(session.get_bind()).lookups(identity)
    either = [
        *([col(Resident.match_phone).in_(phones)] if phones else []),
        *([col(Resident.match_email).in_(emails)] if emails else []),
    ]
    return or_(*either) if either else None


def open_handovers_of(
    *, session: Session, name: str | None, phone: str | None, email: str | None
) -> Sequence[Handover]:
    """The open handovers of this resident (details not erased), oldest first."""
    same = _same(session, Identity.of(name=name, phone=phone, email=email))
    if same is None:
        return []
    return session.exec(
        select(Handover)
        .join(Resident, col(Resident.handover_id) == col(Handover.id))
        .where(
            same,
            col(Resident.erased_at).is_(None),
            col(Handover.state).in_(OPEN_STATES),
        )
        .order_by(Handover.created_at, Handover.id)
    ).all()


def handovers_of(*, session: Session, resident: Resident) -> list[int]:
    """Every handover (open or not) whose details are this resident's and still held."""
    identity = Identity.of(name=resident.name, phone=resident.phone, email=resident.email)
    same = _same(session, identity)
    found = {resident.handover_id} | _same_unindexed(session, identity)
    if same is not None:
        found |= set(
            session.exec(
                select(Resident.handover_id).where(same, col(Resident.erased_at).is_(None))
            ).all()
        )
    return sorted(found)


def _same_unindexed(session: Session, identity: Identity) -> set[int]:
    """Residents stored before the blind index existed, until ``storage.crypto rotate`` has
    indexed them: compared decrypted, so an erasure on request still finds every handover
    of the person. Once rotated there are none, and this reads nothing."""
    if not identity.name:
        return set()
    rows = session.exec(
        select(Resident).where(
            col(Resident.match_phone).is_(None),
            col(Resident.match_email).is_(None),
            col(Resident.erased_at).is_(None),
        )
    ).all()
    return {
        row.handover_id
        for row in rows
        if identity.is_same(Identity.of(name=row.name, phone=row.phone, email=row.email))
    }
