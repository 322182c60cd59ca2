"""The demo's history: eight weeks of handovers, so the sandbox starts alive.

On a first start (an empty database) and after **Reset demo**, the network gets about
eight weeks of handovers up to today: the digest, its chart and CSV, the App Home queues
and the coordinators' view have figures the first time anyone looks.

Every handover is made through the bot's own operations (``Handovers``: raise, accept,
decline, make_contact, record_outcome, withdraw, route_by_hand), as the demo's advisers,
providers' staff and coordinators, with the sandbox's clock standing at each step's
moment in the network's working hours; the reminders fall due and are said on the way, as
the scheduler would have said them. A fixed seed makes the same history every time.

What people do is drawn per handover: most are accepted, contacted and closed; some are
declined first (Able Works declines those who are not disabled, others are at capacity)
and go on to the next provider; some find no provider and a coordinator routes them by
hand; some are withdrawn. A few handovers raised in the last days are written out step by
step, so every state is there today: waiting, overdue, with the coordinators.

Only the last two weeks' handovers are told in Slack (their cards, threads and the
coordinators' messages, at their historical times), and only the last three days' in the
advisers' DMs: all eight weeks took some ten seconds to post and filled each adviser's
Messages with seventy DMs. The older handovers are in the figures, the CSV and
``/handover status``; they are all finished, so nothing later refers to a card that was
never posted.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.delivery.outbox import Outbox
from bot.errors import Conflict, InvalidInput, Refused
from bot.followup.worktime import WorkingSpan
from bot.handover.matching import covers_area
from bot.handover.referral import Referral
from sandbox.clock import SandboxClock
from sandbox.demo import ADVISER_ORG, Persona, staff_id
from sandbox.residents import LANGUAGES, resident_referral
from sandbox.slack import FakeSlack
from storage.models import OPEN_STATES, DeclineReason, Outcome, State

log = logging.getLogger(__name__)

SEED = 20_240_901
WORKING_DAYS = 40  # eight weeks of Mondays to Fridays
SHOWN_DAYS = 10  # the last two weeks' handovers are told in Slack
ADVISER_DAYS = 3  # and the last three days' in the advisers' DMs
RAISED_PER_DAY = (1, 1, 2, 2, 2, 3, 3)  # drawn for each working day
TICK = timedelta(hours=1)  # how often the reminders are looked at, in working time
KEY = "demo-history:"  # the request key of every handover the history raised

DECLINE_NOTES = {
    DeclineReason.AT_CAPACITY: [
        "Our caseload is full until the next intake.",
        "",
    ],
    DeclineReason.OUT_OF_AREA: ["We only take residents from our two wards at the moment."],
    DeclineReason.OTHER: [
        "The resident needs evening sessions and ours are all in the daytime.",
        "Our next course starts too late for what the resident needs.",
    ],
}
NOT_DISABLED = "Our service is for disabled residents or those with a health condition."
OUTCOME_NOTES = {
    Outcome.NOT_ELIGIBLE: "Not eligible for our funding; signposted to the council team.",
    Outcome.OTHER: "Found work before the first session.",
    Outcome.RESIDENT_DECLINED: "",
    Outcome.STARTED_SUPPORT: "",
    Outcome.COULD_NOT_CONTACT: "",
}
OUTCOMES = (
    [Outcome.STARTED_SUPPORT] * 11
    + [Outcome.NOT_ELIGIBLE] * 2
    + [Outcome.COULD_NOT_CONTACT] * 3
    + [Outcome.RESIDENT_DECLINED] * 2
    + [Outcome.OTHER]
)

# A step written out: (action, working hours after the previous step, detail).
Step = tuple[str, float, object]
# The handovers raised in the last days, written out so that every state is there today:
# (working hours before now it was raised, needs, district, age band, language, steps).
RECENT: list[tuple[float, tuple[str, ...], str, str, str | None, list[Step]]] = [
    (1.5, ("esol",), "NW5", "30-49", "Bengali", []),  # pending, just in
    (11, ("digital",), "NW6", "50-64", None, []),  # pending past accept_within: reminded
    (19, ("benefits",), "N7", "25-29", None, []),  # pending past escalate_after: escalated
    (5, ("interview",), "N19", "18-24", None, [("accept", 1, 2)]),  # accepted, in time
    (30, ("job_matching",), "NW1", "30-49", None, [("accept", 1.5, 1)]),  # contact overdue
    (22, ("volunteering",), "NW3", "18-24", None, [("accept", 2, 2), ("contact", 4, None)]),
    (3, ("childcare",), "NW1", "30-49", None, []),  # nobody offers it there: unmatched
    (12, ("childcare",), "N7", "25-29", None, [("route", 2, None), ("accept", 3, 2)]),
    (7, ("cv",), "NW1", "25-29", None, [("decline", 2, DeclineReason.AT_CAPACITY)]),
    (14, ("training",), "NW5", "30-49", None, [("withdraw", 3, None)]),
    *[
        (
            36 + 3 * index,
            (need,),
            district,
            "30-49",
            None,
            [("accept", 1, 2)]
            + ([] if outcome == Outcome.COULD_NOT_CONTACT else [("contact", 3, None)])
            + [("close", 14, outcome)],
        )
        for index, (need, district, outcome) in enumerate(
            [
                ("cv", "N19", Outcome.STARTED_SUPPORT),
                ("disability", "NW5", Outcome.NOT_ELIGIBLE),
                ("job_matching", "NW6", Outcome.COULD_NOT_CONTACT),
                ("self_employment", "N7", Outcome.RESIDENT_DECLINED),
                ("benefits", "NW1", Outcome.OTHER),
            ]
        )
    ],
]


@dataclass
class Story:
    """One handover's life: raised at ``raised_at``, then the steps people take."""

    number: int
    raised_at: datetime
    referral: Referral
    adviser: str
    rng: random.Random
    script: list[Step] | None = None  # None: what people usually do, drawn as it goes
    outcome: Outcome = Outcome.STARTED_SUPPORT
    withdraw: str | None = None  # "pending" or "accepted": the adviser withdraws it then
    decline_first: DeclineReason | None = None
    slow: bool = False  # accepted only after the reminder
    handover_id: int | None = None
    declines: int = 0

    @property
    def key(self) -> str:
        return f"{KEY}{self.number}"


@dataclass
class _Plan:
    stories: list[Story] = field(default_factory=list)
    shown: set[str] = field(default_factory=set)  # request keys of the handovers told in Slack
    dm_shown: set[str] = field(default_factory=set)  # ... and of those told to their adviser


class History:
    def __init__(self, app, clock: SandboxClock, fake: FakeSlack, personas: list[Persona]):
        self.bot = app.bot
        self.handovers = app.bot.handovers
        self.network = app.bot.network
        self.clock = clock
        self.fake = fake
        self.wt = self.handovers.working_time
        self.zone = ZoneInfo(self.network.network.timezone)
        self.advisers = [p.id for p in personas if p.role == "adviser"]
        self.coordinators = list(self.network.coordinators.users)
        self.day = self.wt.working(timedelta(days=1))
        self._written = False  # messages wait in the outbox

    # -- planning ------------------------------------------------------------------------

    def plan(self, now: datetime) -> tuple[datetime, _Plan]:
        """Every story, from a fixed seed: the same handovers, the same fates, each time."""
        rng = random.Random(SEED)
        start = self._working_before(now, working(self.day * WORKING_DAYS))
        shown_from = self.wt.add(start, working(self.day * (WORKING_DAYS - SHOWN_DAYS)))
        plan = _Plan()
        numbers = itertools.count(1)
        # The last week is the written-out stories' (RECENT), as many as a usual week.
        for day in range(WORKING_DAYS - 5):
            for _ in range(rng.choice(RAISED_PER_DAY)):
                offset = timedelta(minutes=rng.randrange(15, int(self.day.total_seconds() // 60)))
                at = self.wt.add(start, working(self.day * day + offset))
                plan.stories.append(self._usual(next(numbers), at, rng))
        total = self.day * WORKING_DAYS
        for hours, needs, district, band, language, steps in RECENT:
            number = next(numbers)
            story_rng = random.Random(f"{SEED}:{number}")
            hours += story_rng.uniform(0, 0.4)  # people do not work on the hour
            at = self.wt.add(start, working(total - timedelta(hours=hours)))
            referral = self._referral(story_rng, number, needs, district, band, language)
            plan.stories.append(
                Story(number, at, referral, self.advisers[number % 2], story_rng, list(steps))
            )
        dms_from = self.wt.add(start, working(self.day * (WORKING_DAYS - ADVISER_DAYS)))
        plan.shown = {s.key for s in plan.stories if s.raised_at >= shown_from}
        plan.dm_shown = {s.key for s in plan.stories if s.raised_at >= dms_from}
        return start, plan

    def _usual(self, number: int, at: datetime, rng: random.Random) -> Story:
        story_rng = random.Random(f"{SEED}:{number}")
        # The history is of the providers in Slack (one without Slack came later).
        provider = rng.choice([p for p in self.network.providers if p.channel])
        if rng.random() < 0.07:  # a need the network cannot meet for this resident
            needs, district, band, language = rng.choice(
                [
                    (("childcare",), "NW1", "30-49", None),
                    (("esol",), "N7", "16-17", "Somali"),
                    (("esol",), "NW6", "30-49", "Tigrinya"),
                ]
            )
        else:
            needs = (rng.choice(provider.services),)
            district = rng.choice(self._districts(provider.areas))
            band = rng.choice(self._bands(provider.ages))
            language = rng.choice(LANGUAGES) if "esol" in needs else None
        referral = self._referral(story_rng, number, needs, district, band, language)
        story = Story(number, at, referral, self.advisers[number % 2], story_rng)
        story.outcome = rng.choice(OUTCOMES)
        chance = rng.random()
        story.withdraw = "pending" if chance < 0.05 else "accepted" if chance < 0.09 else None
        if rng.random() < 0.15:
            story.decline_first = rng.choice(
                [DeclineReason.AT_CAPACITY] * 3 + [DeclineReason.OUT_OF_AREA, DeclineReason.OTHER]
            )
        story.slow = rng.random() < 0.12
        return story

    def _referral(self, rng, number, needs, district, band, language) -> Referral:
        return resident_referral(
            rng,
            number,
            needs=needs,
            district=district,
            age_band=band,
            language=language,
            organisation=ADVISER_ORG,
        )

    def _districts(self, areas: list[str] | None) -> list[str]:
        known = ["NW1", "NW3", "NW5", "NW6", "N7", "N19"]
        if not areas:
            return known
        found = [d for d in known if covers_area(areas, d)]
        return found or list(areas)

    def _bands(self, ages: str | None) -> list[str]:
        if ages == "16-24":
            return ["16-17", "18-24", "18-24"]
        if ages == "18+":
            return ["18-24", "25-29", "30-49", "30-49", "50-64"]
        return ["18-24", "25-29", "30-49", "30-49", "50-64", "65+"]

    def _working_before(self, now: datetime, span: timedelta) -> datetime:
        """The moment ``span`` of working time before ``now``."""
        low, high = now - span * 5 - timedelta(days=30), now
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            if self.wt.between(middle, now) >= span:
                low = middle
            else:
                high = middle
        return low

    # -- living it -----------------------------------------------------------------------

    def make(self, now: datetime) -> int:
        """Live every story up to ``now``; the number of handovers raised."""
        start, plan = self.plan(now)
        order = itertools.count()
        queue: list = []
        for story in plan.stories:
            heapq.heappush(queue, (story.raised_at, next(order), story, "raise", None))
        tick = self.wt.next_working(start)
        with self.clock.standing(start), self._told_only(plan), self.fake.saving_once():
            while queue:
                at, _, story, action, detail = heapq.heappop(queue)
                if at > now:
                    continue  # what would happen after today has not happened yet
                while tick <= at:  # the reminders that fell due on the way
                    self.clock.move_to(tick)
                    self.bot.chaser.send_due(tick)
                    self._deliver()
                    tick = self.wt.add(tick, working(TICK))
                self.clock.move_to(at)
                following = self._act(story, action, detail)
                self._deliver()
                if following is not None:
                    hours, action, detail = following
                    later = self.wt.add(at, working(timedelta(hours=hours)))
                    heapq.heappush(queue, (later, next(order), story, action, detail))
            self._nothing_left_open_untold(plan)
            self.clock.move_to(max(now, self.clock.now()))
            self.bot.chaser.send_due(self.clock.now())
            self._deliver()
        return len(plan.stories)

    def _deliver(self) -> None:
        """Post what the last step wrote, at its moment (asking the outbox only when
        something was written: most steps are of older handovers, not told)."""
        if self._written:
            self._written = False
            self.bot.outbox.deliver()

    @contextmanager
    def _told_only(self, plan: _Plan) -> Iterator[None]:
        """Only the handovers in ``plan.shown`` are told in Slack, and to their adviser only
        those in ``plan.dm_shown``; messages go when the history says (at their step's
        moment), not as each change is committed."""
        handovers, chaser, outbox = self.handovers, self.bot.chaser, self.bot.outbox
        saved = handovers.announce, handovers.committed, chaser.say, chaser.committed
        announce, say = handovers.announce, chaser.say
        advisers = set(self.advisers)
        to_adviser = [False]

        def told(key: str | None) -> bool:
            to_adviser[0] = key in plan.dm_shown
            shown = key in plan.shown
            self._written = self._written or shown
            return shown

        def tell(session, change) -> None:
            if announce is not None and told(change.handover.request_key):
                announce(session, change)

        def remind(session, reminder) -> None:
            if say is not None and told(reminder.handover.request_key):
                say(session, reminder)

        def post(session, channel, message, **where) -> None:
            if channel not in advisers or to_adviser[0]:
                Outbox.post(outbox, session, channel, message, **where)

        def update(session, channel, message, **where) -> None:
            if channel not in advisers or to_adviser[0]:
                Outbox.update(outbox, session, channel, message, **where)

        handovers.announce, handovers.committed = tell, None
        chaser.say, chaser.committed = remind, None
        outbox.post, outbox.update = post, update
        # Nobody joins or leaves a channel in the history: ask Slack who is in one once,
        # not at every step (the clock moves on by more than the cache lasts between them).
        members = handovers.membership
        ttl = getattr(members, "ttl", None)
        if ttl is not None:
            members.ttl = timedelta(weeks=WORKING_DAYS)
        try:
            yield
        finally:
            handovers.announce, handovers.committed, chaser.say, chaser.committed = saved
            del outbox.post, outbox.update  # the class's own again
            if ttl is not None:
                members.ttl = ttl
                members.forget()

    def _nothing_left_open_untold(self, plan: _Plan) -> None:
        """An older handover never told in Slack must not be waiting on anyone now (nothing
        could thread under its card): its adviser withdraws it. The drawn delays keep
        older stories short, so this is a safety net."""
        for story in plan.stories:
            if story.key in plan.shown or story.handover_id is None:
                continue
            if self.handovers.handover(story.handover_id).state in OPEN_STATES:
                self.handovers.withdraw(story.handover_id, actor_id=story.adviser)

    def _act(self, story: Story, action: str, detail) -> tuple[float, str, object] | None:
        """Take one step as whoever takes it; then what comes next, and when."""
        try:
            self._take(story, action, detail)
        except (Conflict, InvalidInput, Refused) as refusal:
            # The story no longer fits where the handover is: it stops here.
            log.debug("demo history: %s %s refused: %s", story.key, action, refusal)
            return None
        if story.script is not None:
            if not story.script:
                return None
            action, hours, detail = story.script.pop(0)
            return hours, action, detail
        return self._usual_next(story)

    def _take(self, story: Story, action: str, detail) -> None:
        if action == "raise":
            change = self.handovers.raise_handover(
                story.referral, adviser_id=story.adviser, request_key=story.key
            )
            story.handover_id = change.handover.id
            return
        handover = self.handovers.handover(story.handover_id)
        where = handover.provider_id
        staff = staff_id(where) if where else ""
        match action:
            case "accept":
                today = self.clock.now().astimezone(self.zone).date()
                self.handovers.accept(
                    handover.id,
                    card_provider=where,
                    actor_id=staff,
                    contact_by=self.wt.add_days(today, int(detail)),
                )
            case "decline":
                reason = DeclineReason(detail)
                note = NOT_DISABLED if reason == DeclineReason.NOT_ELIGIBLE else ""
                if reason in DECLINE_NOTES:
                    note = story.rng.choice(DECLINE_NOTES[reason])
                story.declines += 1
                self.handovers.decline(
                    handover.id, card_provider=where, actor_id=staff, reason=reason, note=note
                )
            case "contact":
                self.handovers.make_contact(handover.id, card_provider=where, actor_id=staff)
            case "close":
                outcome = Outcome(detail)
                self.handovers.record_outcome(
                    handover.id,
                    card_provider=where,
                    actor_id=staff,
                    outcome=outcome,
                    note=OUTCOME_NOTES[outcome],
                )
            case "withdraw":
                self.handovers.withdraw(handover.id, actor_id=story.adviser)
            case "route":
                target = self._by_hand(handover)
                if target is None:  # nobody left to ask: the adviser looks elsewhere
                    story.script = [("withdraw", story.rng.uniform(1, 4), None)]
                    return
                coordinator = self.coordinators[story.number % len(self.coordinators)]
                self.handovers.route_by_hand(handover.id, provider_id=target, actor_id=coordinator)

    def _by_hand(self, handover) -> str | None:
        """Where a coordinator sends an unmatched handover: one that fits after all, else one
        that offers the need and can stretch (out of area, say), never one that declined."""
        choices = self.handovers.route_choices(handover)
        if choices.fit:
            return choices.fit[0].id
        for provider, why in choices.caught:
            if why != "already declined it":
                return provider.id
        return None

    def _usual_next(self, story: Story) -> tuple[float, str, object] | None:
        """What people usually do next with a handover where it is now."""
        rng = story.rng
        handover = self.handovers.handover(story.handover_id)
        needs = set(handover.needs)
        match handover.state:
            case State.PENDING:
                if story.withdraw == "pending":
                    return rng.uniform(2, 10), "withdraw", None
                if handover.routed_by_hand:
                    return rng.uniform(0.5, 4), "accept", rng.choice([1, 2, 2, 3])
                if handover.provider_id == "able-works" and "disability" not in needs:
                    return rng.uniform(0.5, 5), "decline", DeclineReason.NOT_ELIGIBLE
                if story.decline_first and not story.declines:
                    return rng.uniform(0.5, 6), "decline", story.decline_first
                wait = rng.uniform(9, 15) if story.slow else rng.uniform(0.3, 6)
                return wait, "accept", rng.choice([1, 2, 2, 3])
            case State.UNMATCHED:
                if story.withdraw:
                    return rng.uniform(1, 6), "withdraw", None
                return rng.uniform(1, 5), "route", None
            case State.ACCEPTED:
                if story.withdraw == "accepted":
                    return rng.uniform(3, 12), "withdraw", None
                if story.outcome == Outcome.COULD_NOT_CONTACT:
                    return rng.uniform(16, 32), "close", story.outcome
                return rng.uniform(2, 14), "contact", None
            case State.CONTACTED:
                return rng.uniform(16, 56), "close", story.outcome
        return None


def working(span: timedelta) -> WorkingSpan:
    """``span`` as working time as it stands (a plain 24h would be read as a working day)."""
    return WorkingSpan(microseconds=span // timedelta(microseconds=1))


def make_history(app, clock: SandboxClock, fake: FakeSlack, personas: list[Persona]) -> int:
    """Give the sandbox its eight weeks of history, up to the wall clock's now."""
    return History(app, clock, fake, personas).make(clock.now())
