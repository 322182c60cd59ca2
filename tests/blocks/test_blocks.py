"""Block Kit builders (bot/blocks): valid for Slack, and right for the person reading them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.blocks import Message
from bot.blocks.home import home_view
from bot.blocks.messages import (
    adviser_receipt,
    adviser_update,
    provider_card,
    route_select,
    thread_line,
    unmatched_card,
    worker_details,
)
from bot.blocks.modals import (
    accept_modal,
    accepted_modal,
    decline_modal,
    notice_modal,
    outcome_modal,
    referral_modal,
)
from bot.blocks.replies import help_message, mine_message, providers_message, status_message
from bot.directory.network import load_network
from bot.errors import InvalidInput
from bot.handover.handovers import Change
from bot.handover.payloads import CardRef
from bot.handover.reading import Status
from bot.handover.referral import ReferralForm, check_referral
from bot.handover.routing import RouteChoices
from bot.ids import Act, Block, Callback
from sandbox.slack.blockkit import validate_message_blocks, validate_view
from storage.models import EventKind, HandoverEvent, Provider, Resident, State
from tests.factories import ADVISER, CONTACT_BY, T0, WORKER, handover

NETWORK = load_network(Path(__file__).resolve().parents[2] / "network.example.yaml")
TZ = NETWORK.network.timezone

COORDINATOR = "U0COORD001"
HOSTILE = "Ping <!channel> and <@U0BADGUY1>, see <https://evil.example|your bank>"

CV_CLINIC = Provider(
    id="cv-clinic",
    name="Northside CV Clinic",
    channel="C0CVCLINIC",
    services=["cv", "interview"],
    areas=["NW1", "NW5", "N7"],
)
ESOL_HUB = Provider(
    id="esol-hub",
    name="Riverside ESOL Hub",
    channel="C0ESOLHUB1",
    services=["esol", "digital"],
    areas=["NW1"],
    age_min=18,
    age_max=150,
)
YOUTH = Provider(
    id="youth-futures",
    name="Youth Futures",
    channel="C0YOUTHFUT",
    services=["youth", "cv"],
    age_min=16,
    age_max=24,
)

RESIDENT = Resident(
    handover_id=42,
    name="Zainab Okonkwo-Reyes",
    phone="07911 123456",
    email="zainab.okonkwo@example.org",
    access_needs="Uses a wheelchair; needs step-free access and a quiet room",
)
RESIDENT_DETAILS = [RESIDENT.name, RESIDENT.phone, RESIDENT.email, RESIDENT.access_needs]


def texts(value) -> Iterator[str]:
    """Every string anywhere in a payload (texts, values, labels)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


def everything(surface: Message | dict) -> str:
    if isinstance(surface, Message):
        return "\n".join([surface.text, *texts(surface.blocks)])
    return "\n".join(texts(surface))


def valid_message(message: Message) -> Message:
    assert validate_message_blocks(message.blocks) == []
    assert message.text.strip(), "a message needs a text fallback for notifications"
    return message


def valid_view(view: dict) -> dict:
    assert validate_view(view) == []
    return view


def buttons(message: Message) -> list[str]:
    return [
        element["text"]["text"]
        for block in message.blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "button"
    ]


def assert_inert(surface: Message | dict) -> None:
    """Typed text cannot ping the channel, mention someone or disguise a link."""
    shown = everything(surface)
    assert "<!channel>" not in shown
    assert "<@U0BADGUY1>" not in shown
    assert "<https://evil.example" not in shown
    assert "&lt;!channel&gt;" in shown


def card(state: State = State.PENDING, **changes) -> Message:
    return valid_message(
        provider_card(
            handover(state=state, **changes),
            card_provider="cv-clinic",
            provider=CV_CLINIC,
            network=NETWORK,
        )
    )


# -- the provider's card --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (State.PENDING, ["Accept", "Decline"]),
        (State.ACCEPTED, ["Made contact", "Record outcome"]),
        (State.CONTACTED, ["Record outcome"]),
        (State.CLOSED, []),
        (State.WITHDRAWN, []),
    ],
)
def test_the_card_offers_the_buttons_for_its_state(state, expected):
    assert buttons(card(state)) == expected


def test_a_card_the_handover_has_moved_on_from_has_no_buttons():
    moved = valid_message(
        provider_card(
            handover(provider_id="esol-hub"),
            card_provider="cv-clinic",
            provider=ESOL_HUB,
            network=NETWORK,
        )
    )
    assert buttons(moved) == []
    assert "moved on to *Riverside ESOL Hub*" in everything(moved)


def test_a_card_whose_handover_went_to_the_coordinators_says_so_and_has_no_buttons():
    moved = valid_message(
        provider_card(
            handover(state=State.UNMATCHED, provider_id=None),
            card_provider="cv-clinic",
            provider=None,
            network=NETWORK,
        )
    )
    assert buttons(moved) == []
    assert "moved on to the coordinators" in everything(moved)


def test_the_cards_buttons_say_which_handover_and_whose_card_they_are_on():
    [actions] = [b for b in card().blocks if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [Act.ACCEPT, Act.DECLINE]
    for element in actions["elements"]:
        assert CardRef.load(element["value"]) == CardRef(h=42, p="cv-clinic")


def test_the_card_shows_what_the_provider_needs_to_decide():
    shown = everything(card())
    for expected in (
        "HO-0042",
        "CV and job applications, Interview practice",
        "NW5",
        "Soon (this week)",
        f"<@{ADVISER}> (Kentish Town Job Club)",
        "Back to work after caring for a parent",
        "*Why you:* offers CV and job applications, Interview practice; covers NW5",
        "Waiting for someone here to accept.",
    ):
        assert expected in shown


@pytest.mark.parametrize("state", list(State))
def test_the_card_never_shows_who_the_resident_is(state):
    shown = everything(card(state))
    for detail in RESIDENT_DETAILS:
        assert detail not in shown
    assert "Somali" not in shown  # language goes only to the worker who accepts


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (State.PENDING, "Waiting for someone here to accept."),
        (State.ACCEPTED, f"Accepted by <@{WORKER}>; first contact by *Wed 5 Mar 2025*."),
        (State.CONTACTED, f"First contact made by <@{WORKER}>."),
        (State.CLOSED, "Closed: *Started support*."),
        (State.WITHDRAWN, "Withdrawn. Nothing more to do."),
    ],
)
def test_the_card_always_shows_the_current_state(state, status):
    assert status in everything(card(state))


def test_a_card_routed_by_hand_says_a_coordinator_chose_it():
    shown = everything(card(routed_by_hand=True, match_reason="routed by hand by a coordinator"))
    assert "*Routed by hand by a coordinator:*" in shown
    assert "*Why you:*" not in shown


def test_the_why_line_is_only_on_the_card_of_the_provider_it_is_with():
    moved = provider_card(
        handover(provider_id="esol-hub", match_reason="offers English language (ESOL)"),
        card_provider="cv-clinic",
        provider=ESOL_HUB,
        network=NETWORK,
    )
    assert "Why you" not in everything(moved)


def test_the_old_card_of_a_handover_routed_away_by_hand_does_not_say_it_was_declined():
    moved = provider_card(
        handover(
            provider_id="esol-hub",
            routed_by_hand=True,
            match_reason="routed by hand by a coordinator",
        ),
        card_provider="cv-clinic",
        provider=ESOL_HUB,
        network=NETWORK,
    )
    shown = everything(moved)
    assert "Riverside ESOL Hub" in shown
    assert "Declined here" not in shown


def test_the_card_escapes_what_the_adviser_typed():
    shown = card(context=HOSTILE, adviser_org=f"Job Club {HOSTILE}", match_reason=HOSTILE)
    assert_inert(shown)


def test_a_card_with_the_longest_context_and_every_need_stays_within_slacks_limits():
    card(
        needs=list(NETWORK.services),
        context="&<>" * 200,
        adviser_org="A" * 120,
        match_reason="x" * 500,
    )


# -- the card's thread ----------------------------------------------------------------------


def change(
    kind: EventKind, state: State = State.PENDING, *, actor_id: str = WORKER, **values
) -> Change:
    fields = {"provider": CV_CLINIC, "resident": RESIDENT, **values}
    return Change(kind, handover(state=state), actor_id, **fields)


THREAD_CASES = [
    (change(EventKind.ACCEPTED, State.ACCEPTED), "accepted HO-0042; first contact by Wed 5 Mar"),
    (
        change(
            EventKind.DECLINED,
            provider=ESOL_HUB,
            previous=CV_CLINIC,
            reason="out_of_area",
            routed=EventKind.ROUTED,
        ),
        "declined: out of area. It has gone on to Riverside ESOL Hub.",
    ),
    (
        change(
            EventKind.DECLINED,
            State.UNMATCHED,
            provider=None,
            previous=CV_CLINIC,
            reason="other",
            note="We only see residents on Tuesdays",
            routed=EventKind.UNMATCHED,
        ),
        "declined: other (We only see residents on Tuesdays). No other provider fits, so it is "
        "now with the coordinators.",
    ),
    (change(EventKind.CONTACTED, State.CONTACTED), "made first contact with the resident"),
    (
        change(EventKind.CLOSED, State.CLOSED, reason="could_not_contact"),
        "closed it: could not contact.",
    ),
    (change(EventKind.WITHDRAWN, State.WITHDRAWN, actor_id=ADVISER), "withdrew HO-0042."),
    (
        change(EventKind.ROUTED_BY_HAND, actor_id=COORDINATOR, routed=EventKind.ROUTED_BY_HAND),
        "routed HO-0042 here by hand.",
    ),
]


@pytest.mark.parametrize(("event", "words"), THREAD_CASES)
def test_each_event_is_a_line_in_the_cards_thread(event, words):
    line = valid_message(thread_line(event, NETWORK))
    assert words in line.text
    assert f"<@{event.actor_id}>" in line.text


@pytest.mark.parametrize(("event", "words"), THREAD_CASES)
def test_the_thread_in_the_providers_channel_never_shows_the_residents_details(event, words):
    shown = everything(thread_line(event, NETWORK))
    for detail in RESIDENT_DETAILS:
        assert detail not in shown


def test_notes_in_the_thread_are_escaped():
    declined = change(
        EventKind.DECLINED,
        provider=None,
        previous=CV_CLINIC,
        reason="other",
        note=HOSTILE,
        routed=EventKind.UNMATCHED,
    )
    assert_inert(thread_line(declined, NETWORK))
    closed = change(EventKind.CLOSED, State.CLOSED, reason="other", note=HOSTILE)
    assert_inert(thread_line(closed, NETWORK))


# -- the adviser's DMs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "words"),
    [
        (
            change(EventKind.CREATED, routed=EventKind.ROUTED, actor_id=ADVISER),
            "HO-0042 sent to *Northside CV Clinic*. Why them: offers CV and job applications",
        ),
        (
            change(
                EventKind.CREATED,
                State.UNMATCHED,
                provider=None,
                routed=EventKind.UNMATCHED,
                actor_id=ADVISER,
            ),
            "no provider in the network matches it. The coordinators have it now",
        ),
        (
            change(EventKind.ACCEPTED, State.ACCEPTED),
            f"HO-0042 accepted by <@{WORKER}> at *Northside CV Clinic*. First contact promised "
            "by *Wed 5 Mar 2025*.",
        ),
        (
            change(
                EventKind.DECLINED,
                provider=ESOL_HUB,
                previous=CV_CLINIC,
                reason="at_capacity",
                routed=EventKind.ROUTED,
            ),
            "*Northside CV Clinic* declined HO-0042: at capacity. It has gone on to Riverside",
        ),
        (change(EventKind.CONTACTED, State.CONTACTED), "The warm handover is done."),
        (
            change(EventKind.CLOSED, State.CLOSED, reason="started_support"),
            "HO-0042 is closed by *Northside CV Clinic*: started support.",
        ),
        (change(EventKind.WITHDRAWN, State.WITHDRAWN), "HO-0042 is withdrawn."),
        (
            change(EventKind.ROUTED_BY_HAND, actor_id=COORDINATOR),
            "A coordinator routed HO-0042 to *Northside CV Clinic*.",
        ),
    ],
)
def test_the_adviser_is_told_what_happened_in_words(event, words):
    assert words in valid_message(adviser_update(event, NETWORK)).text


def test_the_advisers_update_escapes_provider_names_and_notes():
    hostile_provider = Provider(id="x", name=f"Clinic {HOSTILE}", channel="C0X", services=["cv"])
    declined = change(
        EventKind.DECLINED,
        provider=hostile_provider,
        previous=hostile_provider,
        reason="other",
        note=HOSTILE,
        routed=EventKind.ROUTED,
    )
    assert_inert(adviser_update(declined, NETWORK))


@pytest.mark.parametrize("state", [State.PENDING, State.ACCEPTED, State.CONTACTED, State.UNMATCHED])
def test_the_advisers_receipt_offers_withdraw_with_a_confirmation_while_open(state):
    receipt = valid_message(adviser_receipt(handover(state=state), CV_CLINIC, NETWORK))
    assert buttons(receipt) == ["Withdraw"]
    [actions] = [b for b in receipt.blocks if b["type"] == "actions"]
    assert actions["elements"][0]["confirm"]["confirm"]["text"] == "Withdraw"


@pytest.mark.parametrize("state", [State.CLOSED, State.WITHDRAWN])
def test_the_advisers_receipt_has_no_withdraw_once_it_is_over(state):
    receipt = valid_message(adviser_receipt(handover(state=state), CV_CLINIC, NETWORK))
    assert buttons(receipt) == []


def test_the_receipt_of_an_unmatched_handover_says_the_coordinators_have_it():
    receipt = adviser_receipt(handover(state=State.UNMATCHED, provider_id=None), None, NETWORK)
    assert "(the coordinators)" in everything(receipt)


# -- the accepting worker -------------------------------------------------------------------


def test_the_worker_who_accepts_sees_the_residents_details_and_the_consent():
    accepted = handover(state=State.ACCEPTED)
    shown = everything(valid_message(worker_details(accepted, RESIDENT, NETWORK)))
    for detail in [*RESIDENT_DETAILS, "Somali", "The resident agreed to this referral."]:
        assert detail in shown
    assert f"recorded by <@{ADVISER}> on Mon 3 Mar 10:30" in shown


def test_the_residents_details_are_escaped_for_the_worker():
    typed = Resident(handover_id=42, name=HOSTILE, phone="07911 123456", access_needs=HOSTILE)
    assert_inert(worker_details(handover(state=State.ACCEPTED), typed, NETWORK))


def test_erased_details_are_not_shown_to_the_worker():
    erased = Resident(handover_id=42, name=RESIDENT.name, phone=RESIDENT.phone, erased_at=T0)
    shown = everything(valid_message(worker_details(handover(), erased, NETWORK)))
    assert "were erased" in shown
    assert RESIDENT.name not in shown
    assert RESIDENT.phone not in shown


def test_the_accepted_modal_shows_the_details_and_the_promised_date():
    view = valid_view(accepted_modal(handover(state=State.ACCEPTED), RESIDENT, TZ))
    shown = everything(view)
    assert "First contact by *Wed 5 Mar 2025*" in shown
    assert RESIDENT.name in shown


# -- the coordinators -----------------------------------------------------------------------


def many_providers(count: int) -> list[Provider]:
    return [
        Provider(
            id=f"provider-{number:03d}",
            name=f"Borough Employment Partner Number {number} With A Long Name",
            channel=f"C0P{number:07d}",
            services=["cv", "interview"] if number % 3 == 0 else ["esol", "digital"],
            areas=["NW1", "NW5", "N7", "N19"] if number % 2 else None,
            age_min=16 if number % 5 == 0 else None,
            age_max=24 if number % 5 == 0 else None,
        )
        for number in range(count)
    ]


def test_an_unmatched_handover_offers_the_coordinators_a_route_to_menu():
    unmatched = handover(state=State.UNMATCHED, provider_id=None, match_reason=None)
    choices = RouteChoices(
        fit=[CV_CLINIC], caught=[(YOUTH, "does not serve ages 25-29")], other=[ESOL_HUB]
    )
    message = valid_message(unmatched_card(unmatched, choices=choices, network=NETWORK))
    [section] = [b for b in message.blocks if b.get("block_id") == Block.CARD_ACTIONS]
    select = section["accessory"]
    assert select["action_id"] == Act.ROUTE
    groups = {
        g["label"]["text"]: [o["text"]["text"] for o in g["options"]]
        for g in select["option_groups"]
    }
    assert groups == {
        "Fit this referral": ["Northside CV Clinic"],
        "Offer a need, but": ["Youth Futures (does not serve ages 25-29)"],
        "Other providers": ["Riverside ESOL Hub"],
    }
    assert "25-29" in everything(message)  # coordinators see the age band to route by hand


def test_once_routed_the_coordinators_card_says_where_it_went_and_offers_no_menu():
    routed = handover(routed_by_hand=True)
    message = valid_message(
        unmatched_card(
            routed, choices=None, network=NETWORK, routed_to=CV_CLINIC, note="<@U0COORD001> did it."
        )
    )
    assert "Now with *Northside CV Clinic*" in everything(message)
    assert not any(b.get("accessory") for b in message.blocks)


def test_the_coordinators_card_never_shows_who_the_resident_is_and_escapes_typed_text():
    unmatched = handover(state=State.UNMATCHED, provider_id=None, context=HOSTILE)
    message = unmatched_card(unmatched, choices=RouteChoices([CV_CLINIC], [], []), network=NETWORK)
    assert_inert(message)
    for detail in RESIDENT_DETAILS:
        assert detail not in everything(message)


def test_route_select_with_250_providers_stays_within_slacks_limits():
    providers = many_providers(250)
    unmatched = handover(state=State.UNMATCHED, provider_id=None)
    offering = [p for p in providers if set(p.services) & {"cv", "interview"}]
    choices = RouteChoices(offering, [], [p for p in providers if p not in offering])
    select = route_select(unmatched, choices)
    message = valid_message(unmatched_card(unmatched, choices=choices, network=NETWORK))
    [section] = [b for b in message.blocks if b.get("block_id") == Block.CARD_ACTIONS]
    assert section["accessory"] == select.to_dict()
    first = select.to_dict()["option_groups"][0]
    assert first["label"]["text"] == "Fit this referral"
    expected = {p.id for p in offering[:100]}  # Slack allows 100 options a group
    assert {CardRef.load(o["value"]).p for o in first["options"]} == expected


# -- modals ---------------------------------------------------------------------------------


def input_block_ids(view: dict) -> list[str]:
    return [b["block_id"] for b in view["blocks"] if b["type"] == "input"]


def test_the_referral_modal_is_valid_and_lists_the_networks_needs():
    view = valid_view(referral_modal(NETWORK, organisation="Kentish Town Job Club"))
    assert view["callback_id"] == Callback.NEW_HANDOVER
    [needs] = [b for b in view["blocks"] if b.get("block_id") == Block.NEEDS]
    assert [o["value"] for o in needs["element"]["options"]] == list(NETWORK.services)
    assert "Kentish Town Job Club" in everything(view)


def test_every_referral_error_has_an_input_in_the_modal_to_appear_under():
    view = referral_modal(NETWORK)
    with pytest.raises(InvalidInput) as caught:
        check_referral(
            ReferralForm(
                needs=[],
                name="",
                district="?",
                age_band="x",
                urgency="x",
                context="x" * 501,
                consent=False,
            ),
            NETWORK,
        )
    assert set(caught.value.errors) <= set(input_block_ids(view))
    with pytest.raises(InvalidInput) as phone_error:
        check_referral(ReferralForm(needs=["cv"], name="A", email="bad", consent=True), NETWORK)
    assert set(phone_error.value.errors) <= set(input_block_ids(view))


def test_the_referral_modal_tells_the_adviser_to_keep_identifying_details_out_of_context():
    view = referral_modal(NETWORK)
    [context] = [b for b in view["blocks"] if b.get("block_id") == Block.CONTEXT]
    assert "no names" in context["hint"]["text"]


def test_the_accept_modal_proposes_the_first_contact_date():
    view = valid_view(accept_modal(handover(), provider_id="cv-clinic", default_date=CONTACT_BY))
    [picker] = [b for b in view["blocks"] if b.get("block_id") == Block.CONTACT_BY]
    assert picker["element"]["initial_date"] == "2025-03-05"
    assert view["title"]["text"] == "Accept HO-0042"


def test_the_decline_modal_offers_the_fixed_reasons():
    view = valid_view(decline_modal(handover(), provider_id="cv-clinic"))
    [reason] = [b for b in view["blocks"] if b.get("block_id") == Block.REASON]
    assert [o["text"]["text"] for o in reason["element"]["options"]] == [
        "Not eligible",
        "Out of area",
        "At capacity",
        "Service not offered",
        "Other",
    ]


def test_the_outcome_modal_offers_the_outcomes():
    view = valid_view(outcome_modal(handover(state=State.CONTACTED), provider_id="cv-clinic"))
    [outcome] = [b for b in view["blocks"] if b.get("block_id") == Block.OUTCOME]
    assert [o["value"] for o in outcome["element"]["options"]] == [
        "started_support",
        "not_eligible",
        "could_not_contact",
        "resident_declined",
        "other",
    ]


def test_modals_for_a_handover_with_a_large_reference_keep_titles_short_enough():
    big = handover(id=123456, state=State.ACCEPTED)
    valid_view(accept_modal(big, provider_id="cv-clinic", default_date=CONTACT_BY))
    valid_view(decline_modal(big, provider_id="cv-clinic"))
    valid_view(outcome_modal(big, provider_id="cv-clinic"))
    valid_view(accepted_modal(big, RESIDENT, TZ))


def test_a_notice_with_a_long_title_is_clipped_to_fit():
    view = valid_view(notice_modal("That handover has already moved on elsewhere", "Done."))
    assert len(view["title"]["text"]) <= 24


# -- replies to /handover -------------------------------------------------------------------


def test_help_lists_the_commands():
    shown = everything(valid_message(help_message("I didn't understand `frobnicate`.")))
    for command in ("/handover status", "/handover mine", "/handover providers", "/handover help"):
        assert command in shown


def event(kind: EventKind, minutes: int, **values) -> HandoverEvent:
    return HandoverEvent(
        handover_id=42,
        at=T0 + timedelta(minutes=minutes),
        kind=kind,
        to_state=values.pop("to_state", State.PENDING),
        **values,
    )


PROVIDERS = {p.id: p for p in (CV_CLINIC, ESOL_HUB, YOUTH)}


def test_status_shows_the_state_and_the_history_in_words():
    events = [
        event(EventKind.CREATED, 0, actor_id=ADVISER),
        event(EventKind.ROUTED, 0, provider_id="cv-clinic"),
        event(
            EventKind.DECLINED, 30, actor_id=WORKER, provider_id="cv-clinic", reason="out_of_area"
        ),
        event(EventKind.ROUTED, 30, provider_id="esol-hub"),
        event(EventKind.ACCEPTED, 90, actor_id=WORKER, provider_id="esol-hub"),
    ]
    accepted = handover(state=State.ACCEPTED, provider_id="esol-hub")
    message = valid_message(status_message(Status(accepted, ESOL_HUB, events, PROVIDERS), NETWORK))
    shown = everything(message)
    assert message.text == "HO-0042: Accepted (Riverside ESOL Hub)."
    assert "Mon 3 Mar 10:30: raised by <@U0ADVISER1>" in shown
    assert "declined by Northside CV Clinic: out of area" in shown
    assert "Mon 3 Mar 12:00: accepted at Riverside ESOL Hub" in shown
    assert "*First contact by*\nWed 5 Mar 2025" in shown


def test_status_with_200_events_stays_within_limits_and_says_some_are_hidden():
    events = [
        event(
            EventKind.DECLINED if n % 2 else EventKind.ROUTED,
            n,
            provider_id="cv-clinic",
            reason="other",
            note=f"Note {n}: {HOSTILE}",
        )
        for n in range(200)
    ]
    message = valid_message(
        status_message(Status(handover(), CV_CLINIC, events, PROVIDERS), NETWORK)
    )
    shown = everything(message)
    hidden = int(shown.split("_…")[1].split(" earlier events")[0])
    assert 170 <= hidden < 200  # at most 30 shown, fewer when the lines are long
    assert "Note 199" in shown and "Note 0:" not in shown  # the newest are the ones kept
    assert "<!channel>" not in shown


def test_status_always_shows_the_latest_event_even_after_many_long_declines():
    long_note = "The resident lives just outside our area and we are at capacity until May. " * 6
    events = [event(EventKind.CREATED, 0, actor_id=ADVISER)]
    for n, provider_id in enumerate(["cv-clinic", "esol-hub", "youth-futures"] * 2, start=1):
        events.append(event(EventKind.ROUTED, n * 10, provider_id=provider_id))
        events.append(
            event(
                EventKind.DECLINED,
                n * 10 + 5,
                provider_id=provider_id,
                reason="other",
                note=long_note,
            )
        )
    events.append(event(EventKind.UNMATCHED, 100, to_state=State.UNMATCHED))
    events.append(event(EventKind.WITHDRAWN, 200, actor_id=ADVISER, to_state=State.WITHDRAWN))
    withdrawn = handover(state=State.WITHDRAWN, provider_id=None)
    message = valid_message(status_message(Status(withdrawn, None, events, PROVIDERS), NETWORK))
    assert "withdrawn by <@U0ADVISER1>" in everything(message)


def test_mine_lists_open_handovers_and_where_they_are():
    rows = [
        (handover(id=1), CV_CLINIC),
        (handover(id=2, state=State.UNMATCHED, provider_id=None), None),
    ]
    shown = everything(valid_message(mine_message(rows, NETWORK)))
    assert (
        "*HO-0001* · CV and job applications, Interview practice · "
        "Waiting to be accepted at Northside CV Clinic" in shown
    )
    assert "*HO-0002*" in shown
    assert "With the coordinators" in shown


def test_mine_with_nothing_open_says_how_to_raise_one():
    message = valid_message(mine_message([], NETWORK))
    assert "no open handovers" in message.text


def test_mine_with_200_handovers_stays_within_limits():
    rows = [(handover(id=n), CV_CLINIC) for n in range(1, 201)]
    message = valid_message(mine_message(rows, NETWORK))
    assert "Showing the 50 most recent." in everything(message)


def test_mine_with_50_open_handovers_lists_all_50_it_says_it_shows():
    rows = [(handover(id=n), CV_CLINIC) for n in range(1, 51)]
    shown = everything(valid_message(mine_message(rows, NETWORK)))
    assert "Showing the 50 most recent." in shown
    for number in range(1, 51):
        assert f"*HO-{number:04d}*" in shown


def test_providers_with_300_providers_lists_every_one_within_limits():
    providers = many_providers(300)
    message = valid_message(providers_message(providers, NETWORK, None))
    shown = everything(message)
    assert message.text == "Providers: 300."
    for provider in providers:
        assert f"*{provider.name}*:" in shown


def test_providers_for_a_need_lists_only_who_offers_it_with_areas_and_ages():
    message = valid_message(providers_message([CV_CLINIC, ESOL_HUB, YOUTH], NETWORK, "cv"))
    shown = everything(message)
    assert message.text == "Providers offering CV and job applications: 2."
    assert (
        "*Northside CV Clinic*: CV and job applications, Interview practice · NW1, NW5, N7" in shown
    )
    assert (
        "*Youth Futures*: Youth employment (16-24), CV and job applications · any area · ages 16-24"
        in shown
    )
    assert "Riverside ESOL Hub" not in shown


def test_providers_shows_open_ended_ages_with_a_plus():
    shown = everything(providers_message([ESOL_HUB], NETWORK, "esol"))
    assert "ages 18+" in shown


def test_providers_for_a_need_nobody_offers_calls_it_a_gap():
    message = valid_message(providers_message([ESOL_HUB], NETWORK, "childcare"))
    assert "none" in message.text
    assert "gap in provision" in message.text


def test_providers_for_an_unknown_need_lists_the_needs_and_escapes_what_was_typed():
    message = valid_message(providers_message([CV_CLINIC], NETWORK, HOSTILE))
    assert_inert(message)
    assert "`cv`" in message.text


def test_provider_names_are_escaped_in_the_directory():
    hostile = Provider(id="x", name=HOSTILE, channel="C0X", services=["cv"])
    assert_inert(providers_message([hostile], NETWORK, None))


# -- App Home -------------------------------------------------------------------------------


def test_home_for_someone_new_invites_them_to_raise_a_handover():
    view = valid_view(home_view(network=NETWORK, mine=[], queues=[], coordinator=None))
    shown = everything(view)
    assert "Warm handovers · Good Work Network" in shown
    assert "No open handovers" in shown
    assert "Network" not in [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]


def test_home_shows_a_providers_queue_by_state():
    queue = [
        handover(id=1),
        handover(id=2, state=State.ACCEPTED),
        handover(id=3, state=State.CONTACTED),
    ]
    view = valid_view(
        home_view(network=NETWORK, mine=[], queues=[(CV_CLINIC, queue)], coordinator=None)
    )
    shown = everything(view)
    assert "Queue · Northside CV Clinic" in shown
    assert "*Waiting to be accepted*\n• *HO-0001*" in shown
    assert (
        "*Accepted, first contact due*\n• *HO-0002* · CV and job applications, Interview "
        f"practice · NW5 · <@{WORKER}> · contact by Wed 5 Mar 2025" in shown
    )
    assert "*Awaiting outcome*\n• *HO-0003*" in shown


def test_home_for_a_coordinator_shows_counts_and_what_needs_routing():
    unmatched = [handover(id=7, state=State.UNMATCHED, provider_id=None)]
    counts = {State.PENDING: 4, State.ACCEPTED: 2, State.CONTACTED: 1, State.UNMATCHED: 1}
    view = valid_view(
        home_view(network=NETWORK, mine=[], queues=[], coordinator=(counts, unmatched))
    )
    shown = everything(view)
    assert "Waiting to be accepted: *4*" in shown
    assert "*Needs routing by hand*\n• *HO-0007*" in shown


def test_home_with_200_handovers_everywhere_stays_within_limits():
    states = [State.PENDING, State.ACCEPTED, State.CONTACTED, State.UNMATCHED]
    many = [handover(id=n, state=states[n % 4], context=HOSTILE) for n in range(1, 201)]
    view = valid_view(
        home_view(
            network=NETWORK,
            mine=[(h, CV_CLINIC) for h in many],
            queues=[(CV_CLINIC, many), (ESOL_HUB, [])],
            coordinator=({State.PENDING: 50}, many),
        )
    )
    shown = everything(view)
    assert "Nothing waiting." in shown
    assert "*Needs routing by hand*" in shown


def test_each_of_my_referrals_on_home_has_a_withdraw_button_for_that_handover():
    view = valid_view(
        home_view(network=NETWORK, mine=[(handover(id=9), CV_CLINIC)], queues=[], coordinator=None)
    )
    [row] = [b for b in view["blocks"] if b["type"] == "section" and b.get("accessory")]
    assert row["accessory"]["action_id"] == Act.WITHDRAW
    assert CardRef.load(row["accessory"]["value"]).h == 9


def test_a_coordinator_in_every_providers_channel_still_sees_the_network_section():
    providers = many_providers(30)
    queues = [
        (
            p,
            [
                handover(id=n * 3 + k, state=s, provider_id=p.id)
                for k, s in enumerate([State.PENDING, State.ACCEPTED, State.CONTACTED])
            ],
        )
        for n, p in enumerate(providers)
    ]
    unmatched = [handover(id=999, state=State.UNMATCHED, provider_id=None)]
    view = valid_view(
        home_view(network=NETWORK, mine=[], queues=queues, coordinator=({}, unmatched))
    )
    assert "*Needs routing by hand*" in everything(view)


# -- every message has a text fallback ------------------------------------------------------


def all_messages() -> list[Message]:
    unmatched = handover(state=State.UNMATCHED, provider_id=None)
    return (
        [card(state) for state in State]
        + [thread_line(event, NETWORK) for event, _ in THREAD_CASES]
        + [adviser_update(event, NETWORK) for event, _ in THREAD_CASES]
        + [
            adviser_receipt(handover(), CV_CLINIC, NETWORK),
            worker_details(handover(state=State.ACCEPTED), RESIDENT, NETWORK),
            worker_details(handover(state=State.ACCEPTED), None, NETWORK),
            unmatched_card(unmatched, choices=RouteChoices([CV_CLINIC], [], []), network=NETWORK),
            help_message(),
            mine_message([], NETWORK),
            providers_message([], NETWORK, None),
            status_message(Status(handover(), CV_CLINIC, [], PROVIDERS), NETWORK),
        ]
    )


def test_every_message_has_a_text_fallback_and_valid_blocks():
    messages = all_messages()
    assert len(messages) > 20
    for message in messages:
        valid_message(message)
