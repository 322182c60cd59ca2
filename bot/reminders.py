"""The chaser: says each reminder that has fallen due, once, and lets people snooze or chase.

Every due time is a column (``handover.due_at``); ``send_due`` is the scheduler's
due-check. Each due reminder is claimed by a compare-and-set that also sets the next one
and records the event, in one transaction, so two schedulers (or a tick that overlaps
another) say it once. The message is sent after the claim commits: a crash between the two
loses that one message (issue 6's durable outbox closes that gap).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.errors import Conflict, InvalidInput, Refused
from bot.followup import Due
from bot.handovers import Handovers
from storage import queries
from storage.models import EventKind, Handover, Provider, State

log = logging.getLogger(__name__)

BATCH = 50
# Reminders whose message is an escalation to the coordinators.
ESCALATIONS = (Due.ESCALATE, Due.CONTACT_ESCALATE)


@dataclass(frozen=True)
class Reminder:
    """A claimed reminder, ready to be said."""

    kind: Due
    handover: Handover
    provider: Provider | None


class Chaser:
    def __init__(self, handovers: Handovers):
        self.handovers = handovers
        self.network = handovers.network
        self.followup = handovers.followup
        self.wt = handovers.working_time

    def claim_due(self, now: datetime) -> list[Reminder]:
        """Claim everything due now, oldest first; quiet outside working hours."""
        if not self.wt.is_working(now):
            return []
        claimed: list[Reminder] = []
        # Until nothing is left: saying one reminder can make the next one due at once (a
        # bot that was down past both the reminder and the escalation says both, in order).
        while batch := self._claim_batch(now):
            claimed.extend(batch)
        return claimed

    def _claim_batch(self, now: datetime) -> list[Reminder]:
        claimed = []
        with self.handovers.sessions() as session:
            for handover in queries.due_handovers(session=session, now=now, limit=BATCH):
                kind = Due(handover.due_kind)
                since = (
                    handover.routed_at
                    if handover.state == State.PENDING
                    else (handover.contacted_at or handover.accepted_at or handover.updated_at)
                )
                due_at, next_kind = self.followup.after(
                    kind,
                    now=now,
                    since=since or now,
                    reminders=self.network.reminders_for(handover.provider_id),
                )
                won = queries.compare_and_set(
                    session=session,
                    handover=handover,
                    values={"due_at": due_at, "due_kind": next_kind},
                )
                if not won:
                    continue  # another scheduler said it
                event = EventKind.ESCALATED if kind in ESCALATIONS else EventKind.REMINDED
                queries.record_event(
                    session=session,
                    handover=handover,
                    kind=event,
                    at=now,
                    actor_id=None,
                    from_state=handover.state,
                    reason=kind,
                )
                provider = queries.get_provider(
                    session=session, provider_id=handover.provider_id or ""
                )
                claimed.append(Reminder(kind, handover, provider))
            session.commit()
        return claimed

    # -- people putting reminders off, or chasing --------------------------------------

    def snooze(self, handover_id: int, *, actor_id: str, days: int) -> Handover:
        """Put off the next first-contact nudge by a number of working days."""
        if days not in (1, 3):
            raise InvalidInput({"snooze": "Snooze for 1 or 3 days."})
        now = self.handovers.clock.now()
        with self.handovers.sessions() as session:
            handover = self.handovers._load(session, handover_id)
            provider = queries.get_provider(session=session, provider_id=handover.provider_id or "")
            allowed = handover.worker_id == actor_id or (
                provider is not None and self.handovers.membership(provider.channel, actor_id)
            )
            if not allowed:
                raise Refused(f"Only {handover.ref}'s named worker or their team can snooze it.")
            if handover.state != State.ACCEPTED or handover.due_kind is None:
                raise Conflict(f"{handover.ref} has moved on: nothing to snooze.")
            until = self.followup.snooze(now, days)
            if not queries.compare_and_set(
                session=session, handover=handover, values={"due_at": until}
            ):
                raise Conflict(f"{handover.ref} changed just now: try again.")
            queries.record_event(
                session=session,
                handover=handover,
                kind=EventKind.SNOOZED,
                at=now,
                actor_id=actor_id,
                from_state=handover.state,
                note=f"until {until.isoformat()}",
            )
            session.commit()
            return handover

    def chase(self, handover_id: int, *, actor_id: str) -> Reminder:
        """A coordinator chases the provider now (recorded, then said like a reminder)."""
        if not self.network.is_coordinator(actor_id):
            raise Refused("Only the network's coordinators can chase a provider.")
        now = self.handovers.clock.now()
        with self.handovers.sessions() as session:
            handover = self.handovers._load(session, handover_id)
            if handover.state not in (State.PENDING, State.ACCEPTED):
                raise Conflict(f"{handover.ref} has moved on: nothing to chase.")
            queries.record_event(
                session=session,
                handover=handover,
                kind=EventKind.CHASED,
                at=now,
                actor_id=actor_id,
                from_state=handover.state,
            )
            session.commit()
            provider = queries.get_provider(session=session, provider_id=handover.provider_id or "")
            kind = Due.ACCEPT_REMINDER if handover.state == State.PENDING else Due.CONTACT_NUDGE
            return Reminder(kind, handover, provider)
