"""The week's residents' circumstances, counted in aggregate for the coordinators' digest.

Circumstances are special category data, stored encrypted with the resident's details: the
digest reads the week's handovers' circumstances, counts them, and keeps nothing but the
counts. A handover whose details were erased no longer counts.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Handover, Resident


def circumstance_counts(session: Session, *, start: datetime, end: datetime) -> Counter:
    """How many handovers raised in [start, end) had each circumstance."""
    rows = session.exec(
        select(Resident.circumstances)
        .join(Handover, col(Handover.id) == col(Resident.handover_id))
        .where(Handover.created_at >= start, Handover.created_at < end)
        .where(col(Resident.circumstances).is_not(None))
    ).all()
    counts: Counter = Counter()
    for stored in rows:
        counts.update({key for key in (stored or "").split(",") if key})
    return counts
