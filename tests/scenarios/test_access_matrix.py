"""The access matrix (bot/handover/access.py), walked cell by cell through real Slack requests.

Every right (each action, each view of data) by every kind of person: the adviser who
raised the handover, a member of the provider's channel, the named worker who has since
left that channel, a coordinator, and anyone else. An allowed cell must succeed; a refused
one must get a clear private refusal (the matrix's own sentence), leave the handover as it
was (same version, same events) and post nothing anywhere.

The expectation is written out here, not read from ``MATRIX``, so a change to the matrix
that breaks the product's promise fails a test; docs/access.md is checked against the
matrix too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select

from bot.blocks.directory import capacity_modal
from bot.blocks.modals import referral_modal
from bot.directory.providers import ConfirmRef
from bot.handover import access
from bot.handover.access import MATRIX, Kind, Right, Role
from bot.handover.payloads import CardRef
from bot.ids import Act
from sandbox import requests
from storage import queries
from storage.models import Handover, State
from tests.harness import TEAM, fill
from tests.network import (
    ADVISER,
    COORD_CHANNEL,
    COORDINATOR,
    CV_CHANNEL,
    CV_STAFF,
    CV_STAFF2,
    GENERAL,
    OUTSIDER,
)
from tests.scenarios.helpers import GOOD_REFERRAL, refer

ROOT = Path(__file__).resolve().parents[2]
ANYONE = "anyone"
COLUMNS = ("adviser", "provider", "worker", "coordinator", ANYONE)
EVERYONE = set(COLUMNS)
ACTORS = {
    "adviser": ADVISER,
    "provider": CV_STAFF2,  # in the clinic's channel, not the named worker
    "worker": CV_STAFF,  # accepted a handover, then left the clinic's channel
    "coordinator": COORDINATOR,
    ANYONE: OUTSIDER,
}
SUBJECT = "Rita Subject"  # the resident of the handover each cell acts on

# Who may: the product's promise (PRODUCT.md, README), written out by hand.
EXPECTED: dict[Right, set[str]] = {
    Right.RAISE: EVERYONE,
    Right.ACCEPT: {"provider"},
    Right.DECLINE: {"provider"},
    Right.CONTACT: {"provider"},
    Right.CLOSE: {"provider"},
    Right.WITHDRAW: {"adviser", "coordinator"},
    Right.ROUTE_BY_HAND: {"coordinator"},
    Right.REOPEN: {"coordinator"},
    Right.SNOOZE: {"provider", "worker"},
    Right.CHASE: {"coordinator"},
    Right.ERASE: {"coordinator"},
    Right.DIGEST: {"coordinator"},
    Right.REFER_BUTTON: {"coordinator"},
    Right.CAPACITY: {"provider", "coordinator"},
    Right.CONFIRM_DIRECTORY: {"provider", "coordinator"},
    Right.RETRY_DELIVERY: {"coordinator"},
    Right.STATUS: {"adviser", "provider", "coordinator"},
    Right.EARLIER_HANDOVER: {"adviser", "provider", "coordinator"},
    Right.RESIDENT: {"provider"},
    Right.CIRCUMSTANCE_COUNTS: {"coordinator"},
    Right.HOME_REFERRALS: EVERYONE,
    Right.HOME_QUEUE: {"provider"},
    Right.HOME_NETWORK: {"coordinator"},
    Right.HOME_DIRECTORY: {"coordinator"},
    Right.MINE: EVERYONE,
    Right.PROVIDERS: EVERYONE,
    Right.SEE_DIGEST: {"coordinator"},
    Right.AUDIT: {"coordinator"},
}


def _roles(column: str) -> set[Role]:
    return set() if column == ANYONE else {Role(column)}


def test_the_matrix_is_the_products_promise():
    assert set(EXPECTED) == set(Right) == set(MATRIX)
    wrong = [
        f"{right} by {column}"
        for right in Right
        for column in COLUMNS
        if access.allowed(right, _roles(column)) != (column in EXPECTED[right])
    ]
    assert wrong == []


def test_every_action_someone_may_be_refused_says_why():
    for right, entry in MATRIX.items():
        if entry.kind == Kind.ACTION and not entry.anyone:
            assert entry.refusal, right


def test_the_docs_show_the_matrix_as_it_is():
    """docs/access.md holds the matrix's tables: regenerate them if this fails."""
    docs = (ROOT / "docs" / "access.md").read_text()
    assert access.tables() in docs
    assert "docs/access.md" in (ROOT / "README.md").read_text()


# -- the world each cell starts from ---------------------------------------------------------


@dataclass
class World:
    slack: object
    fake: object
    clock: object
    column: str
    subject: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def actor(self) -> str:
        return ACTORS[self.column]

    @property
    def bot(self):
        return self.slack.app.bot

    def handover(self, handover_id: int | None = None) -> Handover:
        return self.bot.handovers.handover(handover_id or self.subject)

    def events(self, handover_id: int | None = None) -> list[str]:
        with self.bot.handovers.sessions() as session:
            found = queries.events_of(session=session, handover_id=handover_id or self.subject)
            return [event.kind for event in found]

    def card(self) -> dict:
        handover = self.handover()
        return next(
            m for m in self.fake.messages(handover.card_channel) if m["ts"] == handover.card_ts
        )

    def told(self) -> str:
        """Everything the actor was shown privately, as one text."""
        fake, actor = self.fake, self.actor
        return " ".join(strings([fake.ephemerals(actor), fake.dms(actor), fake.open_views(actor)]))


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return [text for item in value for text in strings(item)]
    return []


def latest(world: World) -> int:
    with world.bot.handovers.sessions() as session:
        return session.exec(select(func.max(Handover.id))).one()


def raise_at_clinic(world: World, user: str = ADVISER, name: str = SUBJECT) -> int:
    refer(world.slack, user=user, destination="provider:cv-clinic", name=name)
    return latest(world)


def accept_as(world: World, user: str, handover_id: int) -> None:
    world.subject, previous = handover_id, world.subject
    world.slack.click_button(user, world.card(), CV_CHANNEL, "Accept")
    world.slack.submit(user, {"contact_by": "2026-11-30"})
    world.subject = previous
    assert world.handover(handover_id).state == State.ACCEPTED


def make(world: World, state: str | None) -> int | None:
    if state is None:
        return None
    if state == "held":  # its card refused by Slack, waiting for the channel to be fixed
        world.slack.errors_expected = True
        world.fake.fail_next("chat.postMessage", error="is_archived")
        return raise_at_clinic(world)
    if state == "unmatched":
        refer(world.slack, needs=["self_employment"], name=SUBJECT)
        return latest(world)
    handover_id = raise_at_clinic(world)
    if state in ("accepted", "closed"):
        accept_as(world, CV_STAFF, handover_id)
    if state == "closed":
        world.subject = handover_id
        world.slack.click_button(CV_STAFF, world.card(), CV_CHANNEL, "Record outcome")
        world.slack.submit(CV_STAFF, {"outcome": "started_support", "outcome_note": ""})
    return handover_id


def prepare(slack, fake, clock, column: str, state: str | None) -> World:
    world = World(slack, fake, clock, column)
    if column == "worker":
        # CV_STAFF is the named worker of a handover (whose resident is someone else), and
        # has since left the clinic's channel.
        first = raise_at_clinic(world, name="Sam Resident")
        accept_as(world, CV_STAFF, first)
        if state in ("accepted", "closed"):
            world.subject = first
            if state == "closed":
                world.slack.click_button(CV_STAFF, world.card(), CV_CHANNEL, "Record outcome")
                world.slack.submit(CV_STAFF, {"outcome": "started_support", "outcome_note": ""})
        else:
            world.subject = make(world, state)
        with fake._lock:  # the stand-in has no "leave channel" call
            fake._ws.channels[CV_CHANNEL].members.remove(CV_STAFF)
        clock.advance(timedelta(minutes=2))  # past the bot's memory of who is in a channel
    else:
        world.subject = make(world, state)
    return world


# -- each right: the state it needs, how it is done, and what success looks like -----------


def _home_click(world: World, action_id: str, value: str) -> None:
    world.slack.click(world.actor, action_id, value=value, home=True)


def _submit_if_open(world: World, callback: str, answers: dict) -> dict | None:
    views = world.fake.open_views(world.actor)
    if views and views[-1].get("callback_id") == callback:
        return world.slack.answer(world.slack.submit(world.actor, answers))
    return None


def do_raise(world):
    world.extra["answer"] = refer(world.slack, user=world.actor, destination="network")


def ok_raise(world):
    assert world.extra["answer"]["view"]["title"]["text"].endswith("sent")
    assert world.handover(latest(world)).adviser_id == world.actor


def do_accept(world):
    world.slack.click_button(world.actor, world.card(), CV_CHANNEL, "Accept")
    world.extra["answer"] = _submit_if_open(world, "handover.accept", {"contact_by": "2026-11-30"})


def ok_accept(world):
    handover = world.handover()
    assert handover.state == State.ACCEPTED and handover.worker_id == world.actor


def do_decline(world):
    world.slack.click_button(world.actor, world.card(), CV_CHANNEL, "Decline")
    _submit_if_open(world, "handover.decline", {"reason": "at_capacity", "reason_note": ""})


def ok_decline(world):
    assert "declined" in world.events() and world.handover().provider_id != "cv-clinic"


def do_contact(world):
    world.slack.click_button(world.actor, world.card(), CV_CHANNEL, "Made contact")


def ok_contact(world):
    assert world.handover().state == State.CONTACTED


def do_close(world):
    world.slack.click_button(world.actor, world.card(), CV_CHANNEL, "Record outcome")
    _submit_if_open(world, "handover.outcome", {"outcome": "started_support", "outcome_note": ""})


def ok_close(world):
    assert world.handover().state == State.CLOSED


def do_withdraw(world):
    _home_click(world, Act.WITHDRAW, CardRef(h=world.subject).dump())


def ok_withdraw(world):
    assert world.handover().state == State.WITHDRAWN


def do_route(world):
    card = world.fake.messages(COORD_CHANNEL)[-1]
    chosen = CardRef(h=world.subject, p="cv-clinic").dump()
    world.slack.click(world.actor, Act.ROUTE, selected=chosen, message=card, channel=COORD_CHANNEL)


def ok_route(world):
    handover = world.handover()
    assert handover.state == State.PENDING and handover.provider_id == "cv-clinic"


def do_reopen(world):
    world.slack.command(world.actor, f"reopen HO-{world.subject:04d} resident called back")


def ok_reopen(world):
    assert world.handover().state == State.UNMATCHED


def do_snooze(world):
    _home_click(world, f"{Act.SNOOZE}.1", CardRef(h=world.subject, p="1").dump())


def ok_snooze(world):
    assert world.events()[-1] == "snoozed"


def do_chase(world):
    _home_click(world, Act.CHASE, CardRef(h=world.subject).dump())


def ok_chase(world):
    assert world.events()[-1] == "chased"


def do_erase(world):
    world.slack.command(world.actor, f"erase HO-{world.subject:04d} the resident asked")


def ok_erase(world):
    assert world.events()[-1] == "erased"


def do_digest(world):
    world.slack.command(world.actor, "digest")


def ok_digest(world):
    assert any("digest" in m["text"].lower() for m in world.fake.messages(COORD_CHANNEL))


def do_refer_button(world):
    world.slack.command(world.actor, "button", channel=GENERAL)


def ok_refer_button(world):
    assert any("Refer a resident" in str(m) for m in world.fake.messages(GENERAL))


def do_retry_delivery(world):
    notice = next(
        m for m in reversed(world.fake.messages(COORD_CHANNEL)) if "could not be sent" in m["text"]
    )
    world.slack.click_button(world.actor, notice, COORD_CHANNEL, "Try again")


def ok_retry_delivery(world):
    assert world.handover().card_ts is not None  # the held card went


def do_audit(world):
    world.slack.command(world.actor, f"audit HO-{world.subject:04d}")


def ok_audit(world):
    shared = world.fake.calls_to("files.completeUploadExternal")
    assert shared and shared[-1].ok


def do_capacity(world):
    """The way in (``/handover capacity``), then a submission naming the clinic: forged by
    anyone the form was not offered to."""
    world.slack.command(world.actor, "capacity")
    views = world.fake.open_views(world.actor)
    if views and views[-1].get("callback_id") == "directory.capacity":
        world.slack.submit(world.actor, {"provider": "cv-clinic", "capacity": "limited"})
        return
    world.extra["answer"] = forge_capacity(world)


def forge_capacity(world) -> dict:
    providers = world.bot.handovers.all_providers()
    view = capacity_modal(providers, chosen=providers[0], capacity="open")
    values = fill(view, {"provider": "cv-clinic", "capacity": "limited"})
    payload = requests.view_submission(
        team=TEAM,
        user=world.actor,
        trigger_id=world.fake.issue_trigger_id(world.actor),
        view={"id": "VFORGED", **view},
        values=values,
    )
    return world.slack.answer(world.slack.send(requests.interaction(payload)))


def ok_capacity(world):
    assert world.bot.handovers.provider("cv-clinic").capacity == "limited"
    assert "limited" in world.fake.messages(CV_CHANNEL)[-1]["text"]


def do_confirm(world):
    _home_click(world, Act.CONFIRM_DETAILS, ConfirmRef(p="cv-clinic").dump())


def ok_confirm(world):
    assert world.bot.handovers.provider("cv-clinic").confirmed_by == world.actor


def do_status(world):
    world.slack.command(world.actor, f"status HO-{world.subject:04d}")


def ok_status(world):
    reply = world.fake.ephemerals(world.actor)[-1]["text"]
    assert reply.startswith(f"HO-{world.subject:04d}: Waiting to be accepted")


def do_earlier_handover(world):
    """Refer the subject's resident again and press Next (the form's submission itself: the
    cell is about what the next step shows)."""
    view = referral_modal(world.bot.network)
    payload = requests.view_submission(
        team=TEAM,
        user=world.actor,
        trigger_id=world.fake.issue_trigger_id(world.actor),
        view={"id": "VAGAIN", **view},
        values=fill(view, {**GOOD_REFERRAL, "name": SUBJECT}),
    )
    world.extra["answer"] = world.slack.answer(world.slack.send(requests.interaction(payload)))


def ok_earlier_handover(world):
    shown = str(world.extra["answer"]["view"])
    assert f"Already referred: HO-{world.subject:04d} to Northside CV Clinic" in shown


def do_resident(world):
    """Try every way there is to the resident's details: accepting, and the status reply."""
    do_accept(world)
    world.slack.command(world.actor, f"status HO-{world.subject:04d}")


def ok_resident(world):
    answer = world.extra.get("answer") or {}
    assert SUBJECT in str(answer.get("view"))  # the accepted modal
    assert SUBJECT in str(world.fake.dms(world.actor))


def do_home(world):
    world.slack.open_home(world.actor)


def _home_headers(world) -> list[str]:
    home = world.fake.home(world.actor) or {"blocks": []}
    return [b["text"]["text"] for b in home["blocks"] if b["type"] == "header"]


def do_home_referrals(world):
    world.extra["own"] = raise_at_clinic(world, user=world.actor)
    world.slack.open_home(world.actor)


def ok_home_referrals(world):
    assert f"HO-{world.extra['own']:04d}" in str(world.fake.home(world.actor))


def ok_home_queue(world):
    assert "Queue · Northside CV Clinic" in _home_headers(world)


def ok_home_network(world):
    assert "Network" in _home_headers(world)


def ok_home_directory(world):
    assert "Directory" in _home_headers(world)


def do_mine(world):
    world.extra["own"] = raise_at_clinic(world, user=world.actor)
    world.slack.command(world.actor, "mine")


def ok_mine(world):
    assert f"HO-{world.extra['own']:04d}" in world.fake.ephemerals(world.actor)[-1]["text"]


def do_providers(world):
    world.slack.command(world.actor, "providers")


def ok_providers(world):
    assert "Northside CV Clinic" in str(world.fake.ephemerals(world.actor)[-1])


def ok_see_digest(world):
    ok_digest(world)
    for channel in world.fake.channels():
        if channel["id"] != COORD_CHANNEL and not channel["is_im"]:
            texts = [m["text"] for m in world.fake.messages(channel["id"])]
            assert not any("Handover digest" in t for t in texts), channel["id"]


@dataclass(frozen=True)
class Way:
    state: str | None  # the state the subject handover is in before the cell is performed
    do: object
    succeeded: object


WAYS: dict[Right, Way] = {
    Right.RAISE: Way(None, do_raise, ok_raise),
    Right.ACCEPT: Way("pending", do_accept, ok_accept),
    Right.DECLINE: Way("pending", do_decline, ok_decline),
    Right.CONTACT: Way("accepted", do_contact, ok_contact),
    Right.CLOSE: Way("accepted", do_close, ok_close),
    Right.WITHDRAW: Way("accepted", do_withdraw, ok_withdraw),
    Right.ROUTE_BY_HAND: Way("unmatched", do_route, ok_route),
    Right.REOPEN: Way("closed", do_reopen, ok_reopen),
    Right.SNOOZE: Way("accepted", do_snooze, ok_snooze),
    Right.CHASE: Way("accepted", do_chase, ok_chase),
    Right.ERASE: Way("closed", do_erase, ok_erase),
    Right.DIGEST: Way(None, do_digest, ok_digest),
    Right.REFER_BUTTON: Way(None, do_refer_button, ok_refer_button),
    Right.CAPACITY: Way(None, do_capacity, ok_capacity),
    Right.CONFIRM_DIRECTORY: Way(None, do_confirm, ok_confirm),
    Right.RETRY_DELIVERY: Way("held", do_retry_delivery, ok_retry_delivery),
    Right.STATUS: Way("pending", do_status, ok_status),
    Right.EARLIER_HANDOVER: Way("pending", do_earlier_handover, ok_earlier_handover),
    Right.RESIDENT: Way("pending", do_resident, ok_resident),
    Right.HOME_REFERRALS: Way(None, do_home_referrals, ok_home_referrals),
    Right.HOME_QUEUE: Way("pending", do_home, ok_home_queue),
    Right.HOME_NETWORK: Way("unmatched", do_home, ok_home_network),
    Right.HOME_DIRECTORY: Way(None, do_home, ok_home_directory),
    Right.MINE: Way(None, do_mine, ok_mine),
    Right.PROVIDERS: Way(None, do_providers, ok_providers),
    Right.SEE_DIGEST: Way(None, do_digest, ok_see_digest),
    # The counts are a section of the digest: seen exactly where the digest is.
    Right.CIRCUMSTANCE_COUNTS: Way(None, do_digest, ok_see_digest),
    Right.AUDIT: Way("closed", do_audit, ok_audit),
}

# What a refused attempt may leave behind: a private word to the person, nothing else.
QUIET = {"conversations.members", "response_url", "chat.postEphemeral", "users.info"}


def test_every_right_has_a_way_through_slack():
    assert set(WAYS) == set(Right)


def _snapshot(world: World):
    if world.subject is None:
        return None
    handover = world.handover()
    return handover.version, handover.state, handover.provider_id, world.events()


def _refused_quietly(world: World, right: Right, calls_before: int) -> None:
    quiet = QUIET | ({"views.publish"} if MATRIX[right].kind == Kind.VIEW else set())
    for call in world.fake.calls[calls_before:]:
        if call.method in quiet:
            continue
        # The refusal itself may come as a DM to the person (App Home has no channel).
        assert call.method == "chat.postMessage" and call.args["channel"] == world.actor, call
    assert SUBJECT not in world.told()
    assert not any(
        v.get("callback_id") in ("handover.accept", "handover.decline", "handover.outcome")
        for v in world.fake.open_views(world.actor)
    )


def _refusal_for(world: World, right: Right) -> str:
    handover = world.handover() if world.subject else None
    provider_id = handover.provider_id if handover else "cv-clinic"
    provider = world.bot.handovers.provider(provider_id)
    return access.refusal(right, handover=handover, provider=provider)


CELLS = [(right, column) for right in Right for column in COLUMNS]


@pytest.mark.parametrize(("right", "column"), CELLS, ids=[f"{r}-{c}" for r, c in CELLS])
def test_each_cell_of_the_matrix_through_slack(slack, fake, clock, right, column):
    way = WAYS[right]
    world = prepare(slack, fake, clock, column, way.state)
    before, calls_before = _snapshot(world), len(fake.calls)
    way.do(world)
    if column in EXPECTED[right]:
        way.succeeded(world)
        return
    assert _snapshot(world) == before, "a refused request changed the handover"
    _refused_quietly(world, right, calls_before)
    entry = MATRIX[right]
    if right == Right.CAPACITY:
        # Refused twice: the way in says there is nothing to set; the forged form, inline.
        said = world.extra["answer"]
        assert said["response_action"] == "update"
        assert _refusal_for(world, right) in str(said["view"])
        assert world.bot.handovers.provider("cv-clinic").capacity == "open"
    elif right == Right.EARLIER_HANDOVER:
        # Told on the next step, in the modal: already being helped, ask the coordinators.
        warning = world.extra["answer"]["view"]["blocks"][0]["text"]["text"]
        assert _refusal_for(world, right) in warning and "HO-" not in warning
    elif entry.refusal:
        shown = re.sub(r"\s+", " ", world.told())
        assert _refusal_for(world, right) in shown, shown[-600:]
    else:  # a view simply not shown: it is absent, checked by its success test failing
        with pytest.raises(AssertionError):
            way.succeeded(world)
