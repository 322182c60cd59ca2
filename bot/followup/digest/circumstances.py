"""The week's residents' circumstances, counted in aggregate for the coordinators' digest.

Circumstances are special category data, stored encrypted with the resident's details. The
digest never reads those: each handover raised adds one to a day's count for each of its
circumstances (``circumstance_tally``), and the digest sums the counts of its days.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from storage import queries


def circumstance_counts(
    session: Session, *, start: datetime, end: datetime, timezone: str
) -> dict[str, int]:
    """How many handovers raised in [start, end) (local midnights) had each circumstance."""
    zone = ZoneInfo(timezone)
    return queries.circumstance_totals(
        session=session,
        first_day=start.astimezone(zone).date(),
        end_day=end.astimezone(zone).date(),
    )
