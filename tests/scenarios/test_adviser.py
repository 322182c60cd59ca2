"""The adviser's side: bad input loses nothing, status, mine, help, withdraw, App Home."""

from tests.network import (
    ADVISER,
    ADVISER2,
    COORD_CHANNEL,
    COORDINATOR,
    CV_CHANNEL,
    CV_STAFF,
    OUTSIDER,
)
from tests.scenarios.helpers import last_card, refer


def ephemeral(fake, user) -> str:
    return fake.ephemerals(user)[-1]["text"]


def test_bad_referral_shows_every_error_inline_and_sends_nothing(slack, fake):
    answer = refer(slack, needs=[], phone="12345", consent=[], email="not-an-email")
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"needs", "phone", "email", "consent"}
    assert "UK phone number" in answer["errors"]["phone"]
    assert fake.messages(CV_CHANNEL) == [] and fake.dms(ADVISER) == []
    # The modal is still open with what was typed: nothing is lost.
    assert len(fake.open_views(ADVISER)) == 1


def test_a_contact_method_is_required(slack, fake):
    answer = refer(slack, phone="", email="")
    assert answer["errors"] == {"phone": "Give a phone number or an e-mail address (at least one)."}


def test_a_full_postcode_is_cut_to_its_district(slack, fake):
    refer(slack, district="nw1 5ab")
    card = str(last_card(fake, CV_CHANNEL))
    assert "NW1" in card and "5AB" not in card


def test_mrkdwn_in_free_text_is_shown_not_obeyed(slack, fake):
    refer(slack, context="<!channel> see <https://evil.example|this> <@UCVSTAFF1>")
    card = str(last_card(fake, CV_CHANNEL))
    assert "<!channel>" not in card and "<https://evil" not in card
    assert "&lt;!channel&gt;" in card


def test_status_shows_state_and_history_to_the_adviser(slack, fake):
    refer(slack)
    slack.command(ADVISER, "status HO-0001")
    reply = fake.ephemerals(ADVISER)[-1]
    assert "HO-0001" in reply["text"] and "Waiting to be accepted" in reply["text"]
    assert "sent to Northside CV Clinic" in str(reply["blocks"])
    slack.command(ADVISER, "status ho-1")
    assert "HO-0001" in ephemeral(fake, ADVISER)


def test_status_is_refused_to_someone_unconnected(slack, fake):
    refer(slack)
    slack.command(OUTSIDER, "status HO-0001")
    assert "can't see HO-0001" in ephemeral(fake, OUTSIDER)
    slack.command(CV_STAFF, "status HO-0001")
    assert "Waiting to be accepted" in ephemeral(fake, CV_STAFF)
    slack.command(COORDINATOR, "status HO-0001")
    assert "Waiting to be accepted" in ephemeral(fake, COORDINATOR)


def test_status_of_nothing_and_of_nonsense(slack, fake):
    slack.command(ADVISER, "status HO-0099")
    assert "no such handover" in ephemeral(fake, ADVISER)
    slack.command(ADVISER, "status banana")
    assert "not a handover reference" in ephemeral(fake, ADVISER)


def test_mine_lists_only_my_open_handovers(slack, fake):
    refer(slack)
    refer(slack, user=ADVISER2, needs=["esol"], age_band="30-49")
    slack.command(ADVISER, "mine")
    reply = ephemeral(fake, ADVISER)
    assert "HO-0001" in reply and "HO-0002" not in reply


def test_help_and_unknown_words_answer_privately(slack, fake):
    answer = slack.answer(slack.command(ADVISER, "help"))
    assert answer["response_type"] == "ephemeral" and "status HO-0042" in answer["text"]
    answer = slack.answer(slack.command(ADVISER, "frobnicate"))
    assert "I don't know" in answer["text"] and "status HO-0042" in answer["text"]


def test_providers_lists_who_offers_a_need(slack, fake):
    slack.command(ADVISER, "providers esol")
    reply = str(fake.ephemerals(ADVISER)[-1])
    assert "Riverside ESOL Hub" in reply and "Northside CV Clinic" not in reply


def test_withdraw_from_the_dm_updates_the_card(slack, fake):
    refer(slack)
    receipt = next(m for m in fake.dms(ADVISER) if "Withdraw" in str(m["blocks"]))
    dm = fake.dm_channel(ADVISER)
    slack.click_button(ADVISER, receipt, dm, "Withdraw")
    card = last_card(fake, CV_CHANNEL)
    assert "Withdrawn" in str(card)
    assert not [b for b in card["blocks"] if b["type"] == "actions"]
    assert "withdrawn" in fake.dms(ADVISER)[-1]["text"]
    # Now closed, the receipt loses its Withdraw button.
    receipt = next(m for m in fake.dms(ADVISER) if m["ts"] == receipt["ts"])
    assert not [b for b in receipt["blocks"] if b["type"] == "actions"]


def test_only_the_adviser_or_a_coordinator_withdraws(slack, fake):
    refer(slack)
    receipt = next(m for m in fake.dms(ADVISER) if "Withdraw" in str(m["blocks"]))
    value = next(
        e["value"] for b in receipt["blocks"] if b["type"] == "actions" for e in b["elements"]
    )
    slack.click(CV_STAFF, "handover.withdraw", value=value, home=True)
    assert "Only the adviser who raised HO-0001" in fake.dms(CV_STAFF)[-1]["text"]
    assert "Withdrawn" not in str(last_card(fake, CV_CHANNEL))


def test_app_home_shows_each_role_its_work(slack, fake):
    refer(slack)
    slack.open_home(ADVISER)
    home = str(fake.home(ADVISER))
    assert "Your referrals" in home and "HO-0001" in home
    slack.open_home(CV_STAFF)
    home = str(fake.home(CV_STAFF))
    assert "Queue · Northside CV Clinic" in home and "HO-0001" in home
    slack.open_home(COORDINATOR)
    assert "Network" in str(fake.home(COORDINATOR))
    slack.open_home(OUTSIDER)
    assert "Queue" not in str(fake.home(OUTSIDER))


def test_a_coordinator_routes_an_unmatched_handover_by_hand(slack, fake):
    refer(slack, needs=["self_employment"])
    card = last_card(fake, COORD_CHANNEL)
    select = next(b["accessory"] for b in card["blocks"] if "accessory" in b)
    option = next(
        o
        for g in select["option_groups"]
        for o in g["options"]
        if o["text"]["text"] == "Northside CV Clinic"
    )
    slack.click(
        OUTSIDER, select["action_id"], selected=option["value"], message=card, channel=COORD_CHANNEL
    )
    assert "Only the network's coordinators" in ephemeral(fake, OUTSIDER)
    assert fake.messages(CV_CHANNEL) == []

    slack.click(
        COORDINATOR,
        select["action_id"],
        selected=option["value"],
        message=card,
        channel=COORD_CHANNEL,
    )
    new = last_card(fake, CV_CHANNEL)
    assert "HO-0001" in new["text"] and "Routed by hand" in str(new)
    assert "Northside CV Clinic" in str(last_card(fake, COORD_CHANNEL))
    assert "routed" in fake.dms(ADVISER)[-1]["text"]


def test_forged_button_values_change_nothing(slack, fake):
    refer(slack)
    card = last_card(fake, CV_CHANNEL)
    slack.click(
        CV_STAFF,
        "handover.accept",
        value='{"h": 999, "p": "cv-clinic"}',
        message=card,
        channel=CV_CHANNEL,
    )
    assert "no such handover" in ephemeral(fake, CV_STAFF)
    slack.click(CV_STAFF, "handover.accept", value="not json", message=card, channel=CV_CHANNEL)
    assert "out of date" in ephemeral(fake, CV_STAFF)
    assert fake.open_views(CV_STAFF) == []


def test_withdrawing_an_unmatched_handover_clears_it_from_the_coordinators(slack, fake):
    refer(slack, needs=["self_employment"])
    slack.open_home(ADVISER)
    home = fake.home(ADVISER)
    button = next(
        b["accessory"]
        for b in home["blocks"]
        if b.get("accessory", {}).get("text", {}).get("text") == "Withdraw"
    )
    slack.click(ADVISER, button["action_id"], value=button["value"], home=True)
    card = last_card(fake, COORD_CHANNEL)
    assert "withdrew it" in str(card)
    assert not [b for b in card["blocks"] if "accessory" in b]  # no Route to… any more
    # App Home was redrawn: the handover is no longer open.
    assert "HO-0001" not in str(fake.home(ADVISER))
