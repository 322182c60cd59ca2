"""What happens to a handover: raise, route, accept, decline, contact, close, withdraw.

Each operation is one transaction: read, check the lifecycle rule and the actor's
role, apply as a compare-and-set, record the event. It returns a ``Change`` that
says what happened; telling people about it is the notifier's job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.clock import Clock
from bot.directory.learning import DirectorySuggestion, learn_from_decline
from bot.directory.network import Network
from bot.errors import Conflict, InvalidInput, NotFound, Refused
from bot.followup.due import FollowUp
from bot.followup.worktime import WorkingTime, add_working_days
from bot.handover import access, lifecycle
from bot.handover.access import Access, Right
from bot.handover.duplicates import DuplicateCheck
from bot.handover.lifecycle import Action
from bot.handover.matching import (
    Split,
)
from bot.handover.reading import Reading
from bot.handover.referral import NO_CONSENT, Referral, consent_text
from bot.handover.routing import Routing, routed_to, storable_circumstances
from bot.ids import Block
from bot.text import clip, escape, named_worker
from storage import queries, residents
from storage.db import SessionFactory
from storage.models import (
    DeclineReason,
    EventKind,
    Handover,
    Outcome,
    Provider,
    Resident,
    State,
    format_ref,
)

# (channel, user) -> is the user a member of the channel? Answered by Slack, cached.
Membership = Callable[[str, str], bool]


@dataclass(frozen=True)
class Change:
    """What one operation did, for the notifier and the reply."""

    kind: EventKind
    handover: Handover
    actor_id: str | None
    provider: Provider | None = None  # where the handover is now
    previous: Provider | None = None  # where it was, when that changed
    reason: str | None = None
    note: str | None = None
    resident: Resident | None = None  # only for the accepting worker
    # Set when the handover was (re)routed: ROUTED or UNMATCHED.
    routed: EventKind | None = None
    # The same request again (Slack redelivered it): already done and already told.
    repeated: bool = False
    # Declines that suggest the directory entry needs correcting (for the coordinators).
    suggestion: DirectorySuggestion | None = None


def _choice_and_note(kind, value: str, note: str, *, fields, asks):
    """A choice from a fixed list plus a note, which 'other' makes required."""
    try:
        chosen = kind(value)
    except ValueError:
        raise InvalidInput({fields[0]: asks[0]}) from None
    note = note.strip() or None
    if chosen == kind.OTHER and not note:
        raise InvalidInput({fields[1]: asks[1]})
    return chosen, note


class _Step:
    """A transition under way (see ``Handovers._transition``)."""

    def __init__(self, owner: Handovers, session: Session, handover, rule, actor_id, now,
                 previous: Provider | None):  # fmt: skip
        self.owner = owner
        self.session = session
        self.handover = handover
        self.rule = rule
        self.actor_id = actor_id
        self.now = now
        self.before = handover.state
        self.previous = previous  # held: the session's map keeps it, for ``done`` to find

    def apply(self, **values) -> None:
        changes = {"state": self.rule.to, "updated_at": self.now, **values}
        if changes["state"] is None:  # the rule leaves the next state to routing
            del changes["state"]
        if changes.get("provider_id", self.handover.provider_id) != self.handover.provider_id:
            changes["routed_at"] = self.now
        if "state" in changes or "provider_id" in changes:
            changes.update(self.owner.next_due(self.handover, changes, self.now))
        self.owner._apply(self.session, self.handover, changes)

    def record(self, **event) -> None:
        queries.record_event(
            session=self.session,
            handover=self.handover,
            kind=self.rule.event,
            at=self.now,
            actor_id=self.actor_id,
            from_state=self.before,
            **event,
        )

    def done(self, **change) -> Change:
        """Commit the change with the messages it causes, then have them delivered."""
        provider = self.owner._provider(self.session, self.handover.provider_id)
        result = Change(self.rule.event, self.handover, self.actor_id, provider=provider, **change)
        self.owner.commit_announcing(self.session, result)
        return result


class Handovers(Routing, DuplicateCheck, Reading):
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        network: Network,
        clock: Clock,
        membership: Membership,
        working_time: WorkingTime | None = None,
    ):
        self.sessions = sessions
        self.network = network
        self.clock = clock
        self.membership = membership
        self.access = Access(network, membership)
        self.working_time = working_time or WorkingTime.from_network(network)
        self.followup = FollowUp(self.working_time, network.network.timezone)
        # Set by the app: writes a change's messages (to the outbox) in its transaction,
        # and has them delivered once it is committed.
        self.announce: Callable[[Session, Change], None] | None = None
        self.committed: Callable[[], None] | None = None

    def commit_announcing(self, session: Session, change: Change) -> None:
        if self.announce is not None:
            self.announce(session, change)
        session.commit()
        if self.committed is not None:
            self.committed()

    def next_due(self, handover: Handover, changes: dict, now) -> dict:
        """The first reminder owed in the state the handover is entering (none when done)."""
        state = changes.get("state", handover.state)
        provider_id = changes.get("provider_id", handover.provider_id)
        due_at, kind = self.followup.on_enter(
            state,
            now=now,
            reminders=self.network.reminders_for(provider_id),
            promised=changes.get("promised_contact_by", handover.promised_contact_by),
        )
        return {"due_at": due_at, "due_kind": kind}

    # -- raising and routing ------------------------------------------------------------

    def raise_handover(
        self,
        referral: Referral,
        *,
        adviser_id: str,
        request_key: str | None = None,
        prefer: str | None = None,
        duplicate_of: Sequence[int] = (),
        adviser_team: str | None = None,
    ) -> Change:
        """Store the referral first, then route it (to ``prefer`` if the adviser chose a
        provider that still fits). Never without the resident's consent. ``duplicate_of``:
        the same resident's open handovers, which the adviser saw and chose to send anyway.
        """
        if not referral.consent:
            raise Refused(NO_CONSENT)
        try:
            return self._raise(
                referral, adviser_id, request_key, prefer, duplicate_of, adviser_team
            )
        except IntegrityError:
            # The same submission, delivered twice at once: the other delivery won.
            if request_key is None:
                raise
            return self._already_raised(request_key)

    def _already_raised(self, request_key: str) -> Change | None:
        with self.sessions() as session:
            handover = queries.find_by_request(session=session, request_key=request_key)
            if handover is None:
                return None
            provider = self._provider(session, handover.provider_id)
            return Change(
                EventKind.CREATED, handover, handover.adviser_id, provider=provider, repeated=True
            )

    def raise_split(
        self,
        referral: Referral,
        *,
        adviser_id: str,
        request_key: str,
        plan: Split,
        duplicate_of: Sequence[int] = (),
        adviser_team: str | None = None,
    ) -> list[Change]:
        """One handover per provider, each with the needs that provider covers. A duplicate
        sent anyway is one referral, so only the first part records it."""
        if not referral.consent:
            raise Refused(NO_CONSENT)
        return [
            self.raise_handover(
                replace(referral, needs=needs),
                adviser_id=adviser_id,
                request_key=f"{request_key}:{index}",
                prefer=part.provider.id,
                duplicate_of=duplicate_of if index == 0 else (),
                adviser_team=adviser_team,
            )
            for index, (needs, part) in enumerate(plan.parts)
        ]

    def _raise(
        self,
        referral: Referral,
        adviser_id: str,
        request_key: str | None,
        prefer: str | None,
        duplicate_of: Sequence[int] = (),
        adviser_team: str | None = None,
    ) -> Change:
        if request_key and (earlier := self._already_raised(request_key)):
            return earlier
        now = self.clock.now()
        with self.sessions() as session:
            handover = Handover(
                request_key=request_key,
                needs=list(referral.needs),
                postcode_district=referral.district,
                age_band=referral.age_band,
                language=referral.language,
                urgency=referral.urgency,
                context=referral.context,
                adviser_id=adviser_id,
                adviser_org=referral.organisation,
                adviser_team=adviser_team,
                consent_text=consent_text(referral.contact_by is not None),
                consent_at=now,
                consent_by=adviser_id,
                created_at=now,
                updated_at=now,
            )
            best, placed, provider = self._place(
                session,
                now,
                lambda: self._best_candidate(
                    session,
                    handover,
                    declined=set(),
                    prefer=prefer,
                    circumstances=referral.circumstances,
                ),
            )
            for name, value in placed.items():
                setattr(handover, name, value)
            if prefer and best is not None and best.provider.id == prefer:
                handover.match_reason = clip(f"chosen by the adviser; {handover.match_reason}", 500)
            handover.routed_at = now if handover.provider_id else None
            for name, value in self.next_due(handover, {}, now).items():
                setattr(handover, name, value)
            session.add(handover)
            session.flush()
            residents.new_resident(
                session=session,
                handover_id=handover.id,
                name=referral.name,
                phone=referral.phone,
                email=referral.email,
                access_needs=referral.access_needs,
                circumstances=storable_circumstances(referral.circumstances),
                contact_by=referral.contact_by,
            )
            queries.count_circumstances(
                session=session, day=self._today(), keys=referral.circumstances
            )
            queries.record_event(
                session=session,
                handover=handover,
                kind=EventKind.CREATED,
                at=now,
                actor_id=adviser_id,
                from_state=None,
                provider_id=None,
                note=consent_text(referral.contact_by is not None),
            )
            routed = self._record_routing(session, handover, best, now, actor_id=None)
            if duplicate_of:
                self._record_sent_anyway(session, handover, duplicate_of, now, adviser_id)
            change = Change(
                EventKind.CREATED,
                handover,
                adviser_id,
                provider=provider,
                routed=routed,
            )
            self.commit_announcing(session, change)
            return change

    # -- provider actions -----------------------------------------------------------------

    def default_contact_by(self) -> date:
        days = max(1, self.network.reminders.duration("contact_within") // timedelta(days=1))
        return add_working_days(self._today(), days)

    def accept(
        self,
        handover_id: int,
        *,
        card_provider: str,
        actor_id: str,
        contact_by: date,
        worker_name: str | None = None,
    ) -> Change:
        """``worker_name``: the name a worker gave on the handover's page (a provider
        without Slack); Slack says a Slack user's."""
        if contact_by < self._today():
            raise InvalidInput({Block.CONTACT_BY: "Choose today or a later date."})
        with self._transition(Action.ACCEPT, handover_id, card_provider, actor_id) as step:
            step.apply(
                worker_id=actor_id,
                worker_name=worker_name,
                promised_contact_by=contact_by,
                accepted_at=step.now,
            )
            step.record(
                note=f"first contact by {contact_by.isoformat()}",
                working_seconds=self._since_raised(step),
            )
            resident = queries.get_resident(session=step.session, handover_id=handover_id)
            return step.done(resident=resident)

    def decline(
        self, handover_id: int, *, card_provider: str, actor_id: str, reason: str, note: str = ""
    ) -> Change:
        reason, note = _choice_and_note(
            DeclineReason,
            reason,
            note,
            fields=(Block.REASON, Block.REASON_NOTE),
            asks=("Choose a reason from the list.", "Say why, so the adviser knows what to try."),
        )
        with self._transition(Action.DECLINE, handover_id, card_provider, actor_id) as step:
            session, handover = step.session, step.handover
            declined = queries.declined_by(session=session, handover_id=handover.id)
            declined.add(step.previous.id)
            # Straight on to the next provider that fits: nobody holds a dead referral.
            best, placed, _ = self._place(
                session, step.now, lambda: self._best_candidate(session, handover, declined)
            )
            step.apply(**placed)
            step.record(provider_id=step.previous.id, reason=reason, note=note)
            routed = self._record_routing(session, handover, best, step.now, actor_id=None)
            suggestion = learn_from_decline(
                session, provider_id=step.previous.id, reason=reason, now=step.now
            )
            return step.done(
                previous=step.previous,
                reason=reason,
                note=note,
                routed=routed,
                suggestion=suggestion,
            )

    def make_contact(self, handover_id: int, *, card_provider: str, actor_id: str) -> Change:
        with self._transition(Action.CONTACT, handover_id, card_provider, actor_id) as step:
            step.apply(contacted_at=step.now)
            step.record(working_seconds=self._since_raised(step))
            return step.done()

    def record_outcome(
        self, handover_id: int, *, card_provider: str, actor_id: str, outcome: str, note: str = ""
    ) -> Change:
        outcome, note = _choice_and_note(
            Outcome,
            outcome,
            note,
            fields=(Block.OUTCOME, Block.OUTCOME_NOTE),
            asks=("Choose an outcome from the list.", "Say what happened."),
        )
        with self._transition(Action.CLOSE, handover_id, card_provider, actor_id) as step:
            step.apply(outcome=outcome, outcome_note=note, closed_at=step.now)
            step.record(reason=outcome, note=note)
            return step.done(reason=outcome, note=note)

    # -- adviser and coordinator actions ---------------------------------------------------

    def withdraw(self, handover_id: int, *, actor_id: str) -> Change:
        with self._transition(Action.WITHDRAW, handover_id, None, actor_id) as step:
            step.apply(closed_at=step.now)
            step.record()
            return step.done()

    def route_by_hand(self, handover_id: int, *, provider_id: str, actor_id: str) -> Change:
        with self._transition(Action.ROUTE_BY_HAND, handover_id, None, actor_id) as step:
            target = self._provider(step.session, provider_id)
            if target is None or not target.active:
                raise InvalidInput({Block.REASON: "Choose a provider from the list."})
            if target.id == step.handover.provider_id:
                raise Conflict(f"{step.handover.ref} is already with {escape(target.name)}.")
            queries.hold_routing(session=step.session)
            routed_to(target, step.now)
            step.session.add(target)
            step.apply(
                provider_id=target.id,
                routed_by_hand=True,
                match_reason="routed by hand by a coordinator",
            )
            step.record()
            return step.done(previous=step.previous, routed=EventKind.ROUTED_BY_HAND)

    def reopen(self, handover_id: int, *, actor_id: str, reason: str = "") -> Change:
        """Back to the coordinators, who route it by hand; its history stays in the events."""
        reason = " ".join(reason.split())[:300] or None
        with self._transition(Action.REOPEN, handover_id, None, actor_id) as step:
            step.apply(
                provider_id=None,
                worker_id=None,
                worker_name=None,
                promised_contact_by=None,
                outcome=None,
                outcome_note=None,
                closed_at=None,
                match_reason=None,
                routed_by_hand=False,
                coordinator_ts=None,
            )
            step.record(provider_id=None, note=reason)
            return step.done(previous=step.previous, note=reason, routed=EventKind.UNMATCHED)

    @contextmanager
    def _transition(
        self, action: Action, handover_id: int, card_provider: str | None, actor_id: str
    ) -> Iterator[_Step]:
        """One change in one transaction: load, check the rule and the actor, then the step
        applies it as a compare-and-set, records the event and commits."""
        with self.sessions() as session:
            handover = self._find(session, action, handover_id, card_provider, actor_id)
            provider = self._provider(session, handover.provider_id)
            rule = self._check(session, handover, action, actor_id, provider=provider)
            yield _Step(self, session, handover, rule, actor_id, self.clock.now(), provider)

    def precheck(
        self, action: Action, handover_id: int, *, card_provider: str | None, actor_id: str
    ):
        """Refuse before opening a modal for a change that could not apply anyway."""
        with self.sessions() as session:
            handover = self._find(session, action, handover_id, card_provider, actor_id)
            self._check(session, handover, action, actor_id)
            return handover

    def remember_message(self, handover_id: int, **where: str | None) -> None:
        with self.sessions() as session:
            queries.set_message_location(session=session, handover_id=handover_id, **where)
            session.commit()

    # -- shared steps --------------------------------------------------------------------

    def _today(self) -> date:
        return self.clock.now().astimezone(ZoneInfo(self.network.network.timezone)).date()

    def _since_raised(self, step: _Step) -> float:
        """Working time from raising the handover to now, kept on the event so the digest
        reads a week's times to accept and to first contact instead of working them out."""
        return self.working_time.between(step.handover.created_at, step.now).total_seconds()

    def _load(self, session: Session, handover_id: int) -> Handover:
        handover = queries.get_handover(session=session, handover_id=handover_id)
        if handover is None:
            raise NotFound("There is no such handover.")
        return handover

    def _provider(self, session: Session, provider_id: str | None) -> Provider | None:
        if provider_id is None:
            return None
        return queries.get_provider(session=session, provider_id=provider_id)

    def visible(self, session: Session, handover_id: int, user_id: str, right: Right) -> Handover:
        """The handover, or the refusal of ``right`` when there is none: the same sentence
        as when there is one this person may not touch. Only the coordinators, who see the
        whole network, are told that there is no such handover."""
        handover = queries.get_handover(session=session, handover_id=handover_id)
        if handover is not None:
            return handover
        if self.network.is_coordinator(user_id):
            raise NotFound("There is no such handover.")
        raise Refused(access.refusal(right, ref=format_ref(handover_id)))

    def _find(
        self,
        session: Session,
        action: Action,
        handover_id: int,
        card_provider: str | None,
        actor_id: str,
    ) -> Handover:
        if card_provider is None:
            return self.visible(session, handover_id, actor_id, Right(action))
        return self._for_provider(session, action, handover_id, card_provider, actor_id)

    def _for_provider(
        self, session: Session, action: Action, handover_id: int, card_provider: str, actor_id: str
    ) -> Handover:
        """Load a handover acted on from a provider's card; a card left behind is stale.

        Where a handover went is told only to someone who may see it. Anyone else gets one
        answer whether it moved on, is somewhere else or never existed, built only from
        what they sent (the reference and the card's provider): no oracle."""
        handover = queries.get_handover(session=session, handover_id=handover_id)
        if handover is not None and handover.provider_id == card_provider:
            return handover  # the check that follows names only the card's own provider
        current = self._provider(session, handover.provider_id) if handover else None
        if handover is not None and self.may_see(handover, current, actor_id):
            where = f"with {escape(current.name)}" if current else "with the coordinators"
            if handover.state == State.WITHDRAWN:
                where = "withdrawn by the adviser"
            raise Conflict(f"{handover.ref} has moved on: it is now {where}.")
        if handover is None and self.network.is_coordinator(actor_id):
            raise NotFound("There is no such handover.")
        card = self._provider(session, card_provider)
        ref = format_ref(handover_id)
        if card is not None and self.access.may(actor_id, Right.HOME_QUEUE, provider=card):
            raise Conflict(  # the card's own team: a card left behind, most likely
                f"{ref} is not in {escape(card.name)}'s queue: it has moved on, or there is "
                "no such handover. Nothing was changed."
            )
        raise Refused(access.refusal(Right(action), ref=ref, provider=card))

    def _check(self, session: Session, handover: Handover, action: Action, actor_id: str,
               *, provider: Provider | None = None):  # fmt: skip
        """Who may is the access matrix's to say (``bot.handover.access``); from which state, the
        lifecycle's. Someone with no right is told so whatever the state."""
        provider = provider or self._provider(session, handover.provider_id)
        wanted = lifecycle.who_may(action)
        roles = self.access.roles(actor_id, handover=handover, provider=provider, wanted=wanted)
        try:
            return lifecycle.check(action, handover.state, roles)
        except lifecycle.NotPermitted:
            raise Refused(self._who_may_text(session, handover, action)) from None
        except lifecycle.WrongState:
            raise Conflict(self._describe(session, handover)) from None

    def _who_may_text(self, session, handover: Handover, action: Action) -> str:
        provider = self._provider(session, handover.provider_id)
        return access.refusal(Right(action), handover=handover, provider=provider)

    def _describe(self, session, handover: Handover) -> str:
        provider = self._provider(session, handover.provider_id)
        name = escape(provider.name) if provider else "the provider"
        match handover.state:
            case State.ACCEPTED:
                who = named_worker(handover)
                return f"{handover.ref} was already accepted by {who} ({name})."
            case State.CONTACTED:
                return f"{handover.ref} already has first contact recorded ({name})."
            case State.CLOSED:
                return f"{handover.ref} is already closed."
            case State.WITHDRAWN:
                return f"{handover.ref} was withdrawn."
            case State.UNMATCHED:
                return f"{handover.ref} is with the coordinators."
            case _:
                return f"{handover.ref} is waiting for {name} to accept it."

    def _apply(self, session: Session, handover: Handover, values: dict) -> None:
        """Compare-and-set; a lost race re-reads the handover to say who won."""
        if not queries.compare_and_set(session=session, handover=handover, values=values):
            session.rollback()
            fresh = self._load(session, handover.id)
            raise Conflict(self._describe(session, fresh))
