"""An adviser raises a handover with /handover and it reaches the provider that fits."""

from tests.network import ADVISER, COORD_CHANNEL, CV_CHANNEL, ESOL_CHANNEL
from tests.scenarios.helpers import GOOD_REFERRAL, last_card, refer


def test_slash_command_opens_the_referral_modal(slack, fake):
    response = slack.command(ADVISER, "")
    assert response.status_code == 200
    (modal,) = fake.open_views(ADVISER)
    assert modal["title"]["text"] == "New handover"
    block_ids = [b.get("block_id") for b in modal["blocks"]]
    for field in ("needs", "name", "phone", "email", "district", "consent", "context"):
        assert field in block_ids
    labels = [o["text"]["text"] for o in modal["blocks"][1]["element"]["options"]]
    assert "CV and job applications" in labels


def test_a_valid_referral_reaches_the_matching_provider_without_personal_details(slack, fake):
    answer = refer(slack)
    assert answer["response_action"] == "update"
    assert "HO-0001" in answer["view"]["blocks"][0]["text"]["text"]

    card = last_card(fake, CV_CHANNEL)
    shown = str([card["text"], card["blocks"]])  # not its ts, whose digits can be anything
    assert "HO-0001" in card["text"]
    phone = GOOD_REFERRAL["phone"]
    assert "Sam Resident" not in shown and phone not in shown and "Step-free" not in shown
    assert "NW1" in shown and "Kentish Town Job Club" in shown
    assert "Why you" in shown
    buttons = [
        e["text"]["text"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    assert buttons == ["Accept", "Decline"]

    dm = fake.dms(ADVISER)
    assert any("HO-0001" in m["text"] for m in dm)
    assert any("Northside CV Clinic" in str(m) for m in dm)


def test_no_matching_provider_goes_to_the_coordinators(slack, fake):
    refer(slack, needs=["self_employment"])
    assert fake.messages(CV_CHANNEL) == []
    card = last_card(fake, COORD_CHANNEL)
    assert "HO-0001" in card["text"]
    selects = [
        b["accessory"]
        for b in card["blocks"]
        if b.get("accessory", {}).get("type") == "static_select"
    ]
    assert selects, "the coordinators get a Route to… control"
    assert any("coordinators" in m["text"] for m in fake.dms(ADVISER))


def test_age_decides_eligibility(slack, fake):
    refer(slack, needs=["esol"], age_band="16-17")
    assert fake.messages(ESOL_CHANNEL) == []
    assert "HO-0001" in last_card(fake, COORD_CHANNEL)["text"]


def test_the_same_submission_delivered_twice_raises_one_handover(slack, fake):
    from tests.scenarios.helpers import GOOD_REFERRAL

    slack.command(ADVISER, "")
    slack.submit(ADVISER, GOOD_REFERRAL)
    (choice,) = fake.open_views(ADVISER)
    first = slack.answer(slack.submit(ADVISER, {"destination": "network"}, view=choice))
    again = slack.answer(slack.submit(ADVISER, {"destination": "network"}, view=choice))
    assert first == again  # the same answer: HO-0001 is on its way
    assert len(fake.messages(CV_CHANNEL)) == 1
    assert len([m for m in fake.dms(ADVISER) if "HO-0002" in m["text"]]) == 0
