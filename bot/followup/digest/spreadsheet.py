"""The week's handovers as a CSV for the digest's thread: named columns only, so no
personal detail can reach the file."""

from __future__ import annotations

import csv
import functools
import io
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Integer, String, any_, cast, func, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session, col, select

from bot.directory.network import Network
from bot.followup.digest.figures import in_window
from bot.text import spreadsheet_cell
from storage.models import EventKind, Handover, HandoverEvent, Provider, format_ref

CSV_CHUNK = 2000  # handovers asked for at once by id, but on PostgreSQL (SQLite: 32766 at most)
CSV_COLUMNS = (
    "reference",
    "created",
    "needs",
    "postcode_district",
    "urgency",
    "provider",
    "state",
    "accepted_at",
    "contacted_at",
    "closed_at",
    "outcome",
    "declines",
)


def week_csv(session: Session, *, start: datetime, end: datetime, network: Network) -> str:
    """One row per handover created or changed in ``[start, end)``, with no personal details.

    Selects named columns only, so the resident's details (their own table), the context,
    notes and free text can never reach the file. Times are local to the network, as
    ``YYYY-MM-DD HH:MM``; ``declines`` counts every decline of the handover so far.
    """
    zone = ZoneInfo(network.network.timezone)
    # Names and labels come from a file people edit: made inert for a spreadsheet once each
    # here, not per row (the other cells are the bot's own words, times and counts).
    names = {p.id: spreadsheet_cell(p.name) for p in session.exec(select(Provider)).all()}
    postgresql = session.get_bind().dialect.name == "postgresql"
    # Counted per row through the handover_id index: a grouped count of every decline in
    # the history, joined after, read all of them (O(history), half a second at 1M).
    declines = (
        select(func.count())
        .where(
            col(HandoverEvent.handover_id) == col(Handover.id),
            HandoverEvent.kind == EventKind.DECLINED,
        )
        .scalar_subquery()
    )

    # Per row, the driver's values as they come: the needs as their JSON text (a week has
    # a few dozen distinct lists, each decoded once) and the times without the column
    # type's conversion to UTC (aware on PostgreSQL, naive UTC on SQLite), as ``moment``
    # converts each once, to local time. 40 thousand rows made both add up.

    def stamp(column):
        if postgresql:
            # Written by the database, in the network's zone, as "YYYY-MM-DD HH:MM":
            # making and converting 160 thousand datetimes in Python was a third of the
            # file's time at a million handovers.
            local = func.timezone(network.network.timezone, column)
            return func.to_char(local, "YYYY-MM-DD HH24:MI")
        return type_coerce(column, DateTime(timezone=True))

    columns = select(
        Handover.id,
        stamp(Handover.created_at),
        cast(Handover.needs, String),
        Handover.postcode_district,
        Handover.urgency,
        Handover.provider_id,
        Handover.state,
        stamp(Handover.accepted_at),
        stamp(Handover.contacted_at),
        stamp(Handover.closed_at),
        Handover.outcome,
        declines,
    )
    # The week's handovers by their ids. Asked as one query with the ids as a subquery
    # (IN), PostgreSQL expected a tenth of the table and hashed all of it: a read of every
    # handover (1 s of the 1.4 s at a million); by id, each is an index hit.
    if postgresql:
        # The ids as one array the database builds before the read (an InitPlan), so they
        # never travel to Python and back: 40 thousand of them, fetched and sent again as
        # a parameter, were a third of the file's time at a million (0.92 s -> 0.61 s).
        week = (
            select(func.array_agg(func.distinct(HandoverEvent.handover_id)))
            .where(in_window(start, end))
            .scalar_subquery()
        )
        # Cast, so that ANY reads one array rather than a subquery's rows.
        in_week = col(Handover.id) == any_(cast(week, ARRAY(Integer)))
        rows = session.exec(columns.where(in_week).order_by(Handover.id)).all()
    else:
        touched = select(HandoverEvent.handover_id).where(in_window(start, end)).distinct()
        ids = sorted(session.exec(touched).all())
        rows = [
            row
            for first in range(0, len(ids), CSV_CHUNK)
            for row in session.exec(
                columns.where(col(Handover.id).in_(ids[first : first + CSV_CHUNK])).order_by(
                    Handover.id
                )
            ).all()
        ]

    @functools.cache
    def labels(needs: str | None) -> str:
        return spreadsheet_cell(
            "; ".join(network.service_label(need) for need in json.loads(needs or "[]"))
        )

    def moment(value: datetime | str | None) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value  # written by the database already
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        # "YYYY-MM-DD HH:MM": isoformat's first 16 characters, a third of strftime's cost.
        return value.astimezone(zone).isoformat(" ", "minutes")[:16]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for (
        handover_id,
        created,
        needs,
        district,
        urgency,
        provider_id,
        state,
        accepted_at,
        contacted_at,
        closed_at,
        outcome,
        n_declines,
    ) in rows:
        writer.writerow(
            (
                format_ref(handover_id),
                moment(created),
                labels(needs),
                spreadsheet_cell(district or ""),
                urgency,
                names.get(provider_id, spreadsheet_cell(provider_id or "")),
                state,
                moment(accepted_at),
                moment(contacted_at),
                moment(closed_at),
                outcome or "",
                n_declines,
            )
        )
    return out.getvalue()
