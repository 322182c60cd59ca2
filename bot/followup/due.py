"""Follow-up rules: after each change, when is the next reminder due, and which one.

Pure: given the state, the times and the network's reminders (a provider may have its
own), it answers (due_at, kind). The scheduler's due-check (bot/followup/reminders.py) claims
what is due and says it; every transition sets the next one, so a handover that moves
on stops being chased at once.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.directory.network import Reminders
from bot.followup.worktime import WorkingTime
from storage.models import State


class Due(StrEnum):
    ACCEPT_REMINDER = "accept_reminder"  # pending too long: remind in the card's thread
    ESCALATE = "escalate"  # still pending: to the coordinators
    CONTACT_NUDGE = "contact_nudge"  # accepted, promised date passed: nudge the worker
    CONTACT_NUDGE_AGAIN = "contact_nudge_again"
    CONTACT_ESCALATE = "contact_escalate"  # still no contact after two nudges
    OUTCOME_ASK = "outcome_ask"  # contacted long ago: ask for the outcome


NUDGE_GAP = timedelta(days=1)  # working days between the nudges about first contact

Next = tuple[datetime | None, Due | None]
NOTHING: Next = (None, None)


class FollowUp:
    def __init__(self, working_time: WorkingTime, timezone: str):
        self.wt = working_time
        self.zone = ZoneInfo(timezone)

    def on_enter(
        self,
        state: str,
        *,
        now: datetime,
        reminders: Reminders,
        promised: date | None = None,
    ) -> Next:
        """The first reminder owed in a state just entered.

        Durations go to the working-time clock as written (``2d``, ``48h``), so days mean
        working days and hours working hours.
        """
        match state:
            case State.PENDING:
                return self.wt.add(now, reminders.accept_within), Due.ACCEPT_REMINDER
            case State.ACCEPTED:
                return self._contact_due(now, promised, reminders), Due.CONTACT_NUDGE
            case State.CONTACTED:
                return self.wt.add(now, reminders.outcome_after), Due.OUTCOME_ASK
        return NOTHING

    def after(self, kind: str, *, now: datetime, since: datetime, reminders: Reminders) -> Next:
        """The next reminder once ``kind`` has been said; ``since`` is when the state began."""
        match kind:
            case Due.ACCEPT_REMINDER:
                escalate = self.wt.add(since, reminders.escalate_after)
                return max(escalate, self.wt.next_working(now)), Due.ESCALATE
            case Due.CONTACT_NUDGE:
                return self.wt.add(now, NUDGE_GAP), Due.CONTACT_NUDGE_AGAIN
            case Due.CONTACT_NUDGE_AGAIN:
                return self.wt.add(now, NUDGE_GAP), Due.CONTACT_ESCALATE
        # Escalated, or the outcome asked for: the coordinators or the worker have it now.
        return NOTHING

    def snooze(self, now: datetime, days: int) -> datetime:
        return self.wt.add(now, timedelta(days=days))

    def _contact_due(self, now: datetime, promised: date | None, reminders: Reminders):
        """The start of the first working time after the promised day has ended."""
        if promised is None:
            return self.wt.add(now, reminders.contact_within)
        day_after = datetime.combine(promised + timedelta(days=1), time(0), tzinfo=self.zone)
        return self.wt.next_working(max(day_after, now))
