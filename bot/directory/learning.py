"""Declines teach the directory: a provider that keeps declining handovers as out of area
or not eligible probably has an entry that says more than it does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from storage.models import DeclineReason, DirectoryEvent, EventKind, Handover, HandoverEvent

# What a decline can say about the directory entry, and which facts back it up.
TEACHING = {
    DeclineReason.OUT_OF_AREA: "areas",
    DeclineReason.NOT_ELIGIBLE: "eligibility",
}
THRESHOLD = 3  # declines for the same reason…
WINDOW = timedelta(days=30)  # …within this long make a suggestion, once per window


@dataclass(frozen=True)
class DirectorySuggestion:
    provider_id: str
    reason: DeclineReason
    declines: int
    districts: tuple[str, ...]  # the residents' districts (out of area)
    age_bands: tuple[str, ...]  # and age bands (not eligible)


def learn_from_decline(
    session: Session, *, provider_id: str, reason: str, now: datetime
) -> DirectorySuggestion | None:
    """Called in the decline's own transaction, after its event is recorded."""
    if reason not in TEACHING:
        return None
    since = now - WINDOW
    declined = session.exec(
        select(Handover.postcode_district, Handover.age_band)
        .join(HandoverEvent, col(HandoverEvent.handover_id) == col(Handover.id))
        .where(
            HandoverEvent.kind == EventKind.DECLINED,
            HandoverEvent.provider_id == provider_id,
            HandoverEvent.reason == reason,
            col(HandoverEvent.at) >= since,
        )
    ).all()
    if len(declined) < THRESHOLD:
        return None
    detail = f"{reason}: {len(declined)} declines in {WINDOW.days} days"
    already = session.exec(
        select(func.count())
        .select_from(DirectoryEvent)
        .where(
            DirectoryEvent.provider_id == provider_id,
            DirectoryEvent.kind == "suggestion",
            col(DirectoryEvent.detail).startswith(f"{reason}:"),
            col(DirectoryEvent.at) >= since,
        )
    ).one()
    if already:
        return None
    session.add(
        DirectoryEvent(
            provider_id=provider_id, at=now, actor_id=None, kind="suggestion", detail=detail
        )
    )
    return DirectorySuggestion(
        provider_id=provider_id,
        reason=DeclineReason(reason),
        declines=len(declined),
        districts=tuple(sorted({d for d, _ in declined if d})),
        age_bands=tuple(sorted({a for _, a in declined if a})),
    )
