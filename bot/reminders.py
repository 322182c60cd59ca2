"""The chaser: says each reminder that has fallen due, once, and lets people snooze or chase.

Every due time is a column (``handover.due_at``); ``send_due`` is the scheduler's
due-check. Each due reminder is leased by a compare-and-set (so two schedulers, or a tick
that overlaps another, never both say it), said, then settled: the event recorded and the
next reminder set. A crash between lease and settle means it is said again once the lease
runs out: retried rather than lost. (Issue 6's outbox makes the saying itself durable.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.access import Right
from bot.errors import Conflict, InvalidInput
from bot.followup import Due
from bot.handovers import Handovers
from storage import queries
from storage.models import EventKind, Handover, Provider, State

log = logging.getLogger(__name__)

BATCH = 50
# How long a reminder being said is held by the scheduler saying it; if that one dies
# before settling, the reminder falls due again after this and another tick says it.
LEASE = timedelta(minutes=2)
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

    def send_due(self, now: datetime, say: Callable[[Reminder], object]) -> int:
        """Say everything due now, oldest first, each once; quiet outside working hours.

        Each reminder is leased, said, then settled: a crash after the lease and before the
        settle leaves it due again when the lease runs out, so it is retried, not lost.
        """
        if not self.wt.is_working(now):
            return 0
        said = 0
        # Until nothing is left: settling one reminder can make the next due at once (a bot
        # that was down past both the reminder and the escalation says both, in order).
        while batch := self._lease_batch(now):
            for reminder in batch:
                say(reminder)
                self._settle(reminder, now)
                said += 1
        return said

    def _lease_batch(self, now: datetime) -> list[Reminder]:
        leased = []
        with self.handovers.sessions() as session:
            for handover in queries.due_handovers(session=session, now=now, limit=BATCH):
                won = queries.compare_and_set(
                    session=session, handover=handover, values={"due_at": now + LEASE}
                )
                if not won:
                    continue  # another scheduler has it
                provider = queries.get_provider(
                    session=session, provider_id=handover.provider_id or ""
                )
                leased.append(Reminder(Due(handover.due_kind), handover, provider))
            session.commit()
        return leased

    def _settle(self, reminder: Reminder, now: datetime) -> None:
        """Record that it was said and set the next one, unless the handover moved on."""
        with self.handovers.sessions() as session:
            handover = queries.get_handover(session=session, handover_id=reminder.handover.id)
            if handover is None or handover.version != reminder.handover.version:
                return  # it changed meanwhile; that change set its own next reminder
            since = (
                handover.routed_at
                if handover.state == State.PENDING
                else (handover.contacted_at or handover.accepted_at or handover.updated_at)
            )
            due_at, next_kind = self.followup.after(
                reminder.kind,
                now=now,
                since=since or now,
                reminders=self.network.reminders_for(handover.provider_id),
            )
            if not queries.compare_and_set(
                session=session, handover=handover, values={"due_at": due_at, "due_kind": next_kind}
            ):
                return
            event = EventKind.ESCALATED if reminder.kind in ESCALATIONS else EventKind.REMINDED
            queries.record_event(
                session=session,
                handover=handover,
                kind=event,
                at=now,
                actor_id=None,
                from_state=handover.state,
                reason=reminder.kind,
            )
            session.commit()

    # -- people putting reminders off, or chasing --------------------------------------

    def snooze(self, handover_id: int, *, actor_id: str, days: int) -> Handover:
        """Put off the next first-contact nudge by a number of working days."""
        if days not in (1, 3):
            raise InvalidInput({"snooze": "Snooze for 1 or 3 days."})
        now = self.handovers.clock.now()
        with self.handovers.sessions() as session:
            handover = self.handovers._load(session, handover_id)
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
            session.commit()
            provider = queries.get_provider(session=session, provider_id=handover.provider_id or "")
            kind = Due.ACCEPT_REMINDER if handover.state == State.PENDING else Due.CONTACT_NUDGE
            return Reminder(kind, handover, provider)
