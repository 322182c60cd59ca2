"""The chaser: says each reminder that has fallen due, once, and lets people snooze or chase.

Every due time is a column (``handover.due_at``); ``send_due`` is the scheduler's
due-check. Each due reminder is claimed, settled (the event recorded, the next reminder
set) and said in one transaction: the claim is a compare-and-set on the handover's
version, so two schedulers never both say it, and saying it is writing it to the outbox,
which delivers it durably. A crash before the commit leaves it due; after, it is said.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.errors import Conflict, InvalidInput
from bot.followup.due import Due
from bot.handover.access import Right
from bot.handover.handovers import Handovers
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


Say = Callable[[Session, Reminder], None]


class Chaser:
    def __init__(self, handovers: Handovers, say: Say | None = None):
        self.handovers = handovers
        self.network = handovers.network
        self.followup = handovers.followup
        self.wt = handovers.working_time
        # Writes the reminder's messages in the claim's transaction (the notifier).
        self.say = say
        self.committed: Callable[[], None] | None = None

    def send_due(self, now: datetime, say: Say | None = None) -> int:
        """Say everything due now, oldest first, each once; quiet outside working hours."""
        if not self.wt.is_working(now):
            return 0
        say = say or self.say
        said = 0
        # Until nothing is left: settling one reminder can make the next due at once (a bot
        # that was down past both the reminder and the escalation says both, in order).
        while batch := self._due(now):
            progressed = 0
            for handover_id in batch:
                progressed += self._say_one(handover_id, now, say)
            said += progressed
            if not progressed:
                break  # everything left was taken by another scheduler
        if said and self.committed is not None:
            self.committed()
        return said

    def _due(self, now: datetime) -> list[int]:
        with self.handovers.sessions() as session:
            return [h.id for h in queries.due_handovers(session=session, now=now, limit=BATCH)]

    def _say_one(self, handover_id: int, now: datetime, say: Say | None) -> int:
        """Claim, settle and say one reminder in one transaction; 0 if someone else did."""
        with self.handovers.sessions() as session:
            handover = queries.get_handover(session=session, handover_id=handover_id)
            if handover is None or handover.due_at is None or handover.due_at > now:
                return 0
            kind = Due(handover.due_kind)
            provider = queries.get_provider(session=session, provider_id=handover.provider_id or "")
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
            if not queries.compare_and_set(
                session=session, handover=handover, values={"due_at": due_at, "due_kind": next_kind}
            ):
                session.rollback()
                return 0
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
            if say is not None:
                say(session, Reminder(kind, handover, provider))
            session.commit()
            return 1

    # -- people putting reminders off, or chasing --------------------------------------

    def snooze(self, handover_id: int, *, actor_id: str, days: int) -> Handover:
        """Put off the next first-contact nudge by a number of working days."""
        if days not in (1, 3):
            raise InvalidInput({"snooze": "Snooze for 1 or 3 days."})
        now = self.handovers.clock.now()
        with self.handovers.sessions() as session:
            handover = self.handovers.visible(session, handover_id, actor_id, Right.SNOOZE)
            provider = queries.get_provider(session=session, provider_id=handover.provider_id or "")
            self.handovers.access.require(
                actor_id, Right.SNOOZE, handover=handover, provider=provider
            )
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
        self.handovers.access.require(actor_id, Right.CHASE)
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
            provider = queries.get_provider(session=session, provider_id=handover.provider_id or "")
            kind = Due.ACCEPT_REMINDER if handover.state == State.PENDING else Due.CONTACT_NUDGE
            reminder = Reminder(kind, handover, provider)
            if self.say is not None:
                self.say(session, reminder)
            session.commit()
        if self.committed is not None:
            self.committed()
        return reminder
