"""Before sending, the adviser sees who fits and why, and can choose, or split the needs."""

from tests.network import ADVISER, COORDINATOR, CV_CHANNEL, CV_STAFF, ESOL_CHANNEL
from tests.scenarios.helpers import GOOD_REFERRAL, last_card, refer

COUNCIL_CHANNEL = "C0COUNCIL1"


def choice_view(slack, fake, **changes) -> dict:
    slack.command(ADVISER, "")
    slack.submit(ADVISER, {**GOOD_REFERRAL, **changes})
    (view,) = fake.open_views(ADVISER)
    assert view["callback_id"] == "handover.choose"
    return view


def options(view) -> dict[str, dict]:
    radio = next(b for b in view["blocks"] if b.get("block_id") == "destination")["element"]
    return {o["value"]: o for o in radio["options"]}


def test_the_adviser_sees_the_best_fits_with_why_and_who_was_left_out(slack, fake):
    view = choice_view(slack, fake, district="NW6")
    offered = options(view)
    assert offered["network"]["text"]["text"] == "Let the network decide (recommended)"
    assert "Council Employment Team" in offered["network"]["description"]["text"]
    assert "provider:town-hall" in offered and "provider:cv-clinic" not in offered
    left_out = str([b for b in view["blocks"] if b["type"] == "context"])
    assert "Northside CV Clinic (does not cover NW6)" in left_out
    assert "Sam Resident" not in str(view["blocks"])  # it rides in private_metadata only


def test_the_adviser_can_choose_a_provider_that_is_not_the_top_fit(slack, fake):
    answer = refer(slack, destination="provider:town-hall")
    assert "Council Employment Team" in str(answer["view"])
    card = last_card(fake, COUNCIL_CHANNEL)
    assert "HO-0001" in card["text"] and "chosen by the adviser" in str(card)
    assert fake.messages(CV_CHANNEL) == []


def test_needs_no_single_provider_covers_can_be_split_in_one_go(slack, fake):
    view = choice_view(slack, fake, needs=["cv", "esol"], age_band="30-49")
    split = options(view)["split"]
    assert "CV and job applications → Northside CV Clinic" in split["description"]["text"]
    answer = slack.answer(slack.submit(ADVISER, {"destination": "split"}))
    assert answer["view"]["title"]["text"] == "HO-0001, HO-0002 sent"
    cv, esol = last_card(fake, CV_CHANNEL), last_card(fake, ESOL_CHANNEL)
    assert "HO-0001" in cv["text"] and "English language" not in cv["text"]
    assert "HO-0002" in esol["text"] and "English language (ESOL)" in esol["text"]
    # Each provider that accepts gets the resident's details.
    slack.click_button(CV_STAFF, cv, CV_CHANNEL, "Accept")
    accepted = slack.answer(slack.submit(CV_STAFF, {"contact_by": "2026-11-27"}))
    assert "Sam Resident" in str(accepted["view"])


def test_change_the_details_goes_back_to_the_form_as_it_was_left(slack, fake):
    view = choice_view(slack, fake, district="NW6", context="Evenings only")
    button = next(e for b in view["blocks"] if b["type"] == "actions" for e in b["elements"])
    slack.click(ADVISER, button["action_id"], view=view)
    (form,) = fake.open_views(ADVISER)
    assert form["callback_id"] == "handover.new"
    filled = {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert filled["name"]["initial_value"] == "Sam Resident"
    assert filled["district"]["initial_value"] == "NW6"
    assert filled["context"]["initial_value"] == "Evenings only"
    assert [o["value"] for o in filled["needs"]["initial_options"]] == ["cv"]
    assert [o["value"] for o in filled["consent"]["initial_options"]] == ["yes"]
    # Fix the district and carry on: the CV clinic now fits.
    slack.submit(ADVISER, {"district": "NW1"})
    assert "provider:cv-clinic" in options(fake.open_views(ADVISER)[-1])


def test_a_choice_that_stopped_fitting_meanwhile_goes_where_the_network_decides(slack, fake):
    view = choice_view(slack, fake)
    assert "provider:cv-clinic" in options(view)
    # The coordinator pauses the clinic while the adviser decides.
    slack.command(COORDINATOR, "capacity")
    slack.submit(
        COORDINATOR,
        {"provider": "cv-clinic", "capacity": "paused", "capacity_reason": "Flood"},
    )
    answer = slack.answer(slack.submit(ADVISER, {"destination": "provider:cv-clinic"}, view=view))
    assert "Council Employment Team" in str(answer["view"])
    assert not any("HO-0001" in m["text"] for m in fake.messages(CV_CHANNEL))


def test_when_nobody_fits_the_adviser_is_told_before_sending(slack, fake):
    view = choice_view(slack, fake, needs=["self_employment"])
    assert list(options(view)) == ["network"]
    assert "go to the coordinators" in str(view["blocks"])
