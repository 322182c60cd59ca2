"""Handovers built in memory for the tests of what the bot shows (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from storage.models import Handover, State

T0 = datetime(2025, 3, 3, 10, 30, tzinfo=UTC)  # Monday
CONTACT_BY = date(2025, 3, 5)  # shown as "Wed 5 Mar 2025"
ADVISER = "U0ADVISER1"
WORKER = "U0WORKER01"


def handover(**changes) -> Handover:
    """A realistic handover (HO-0042, pending at the CV clinic) with ``changes`` applied;
    an accepted, contacted or closed one gets a worker and a promised date."""
    values = {
        "id": 42,
        "needs": ["cv", "interview"],
        "postcode_district": "NW5",
        "age_band": "25-29",
        "language": "Somali",
        "urgency": "soon",
        "context": "Back to work after caring for a parent; wants warehouse or retail roles.",
        "adviser_id": ADVISER,
        "adviser_org": "Kentish Town Job Club",
        "state": State.PENDING,
        "provider_id": "cv-clinic",
        "match_reason": "offers CV and job applications, Interview practice; covers NW5",
        "consent_text": "The resident agreed to this referral.",
        "consent_at": T0,
        "consent_by": ADVISER,
        "created_at": T0,
        "updated_at": T0,
    }
    if changes.get("state") in (State.ACCEPTED, State.CONTACTED, State.CLOSED):
        values.update(worker_id=WORKER, promised_contact_by=CONTACT_BY, accepted_at=T0)
    if changes.get("state") == State.CLOSED:
        values.update(outcome="started_support")
    values.update(changes)
    return Handover(**values)
