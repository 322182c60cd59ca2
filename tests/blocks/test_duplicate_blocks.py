"""The duplicate warning on the 'where it goes' step, as plain data."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.blocks.duplicates import acknowledged, acknowledgement, already_referred
from bot.blocks.modals import choice_modal
from bot.directory.network import load_network
from bot.handover.duplicates import Earlier
from bot.handover.referral import ReferralForm, check_referral
from bot.handover.routing import Suggestions
from sandbox.slack.blockkit import validate_view
from storage.models import Provider, State
from tests.factories import T0, handover

NETWORK = load_network(Path(__file__).resolve().parents[2] / "network.example.yaml")
TZ = NETWORK.network.timezone
CLINIC = Provider(id="cv-clinic", name="Northside CV Clinic", channel="C0CVCLINIC")


def test_each_state_says_how_far_the_earlier_handover_got():
    def said(**changes) -> str:
        return already_referred(Earlier(handover(**changes), CLINIC, True), TZ)

    assert said(state=State.ACCEPTED) == (
        "Already referred: HO-0042 to Northside CV Clinic, accepted 3 Mar"
    )
    assert said(routed_at=T0 + timedelta(days=1)).endswith("waiting to be accepted since 4 Mar")
    assert said(state=State.CONTACTED, contacted_at=T0).endswith("in contact since 3 Mar")
    unmatched = Earlier(handover(state=State.UNMATCHED, provider_id=None), None, True)
    assert "to the coordinators, waiting to be routed" in already_referred(unmatched, TZ)


def test_send_anyway_carries_the_handovers_it_acknowledges():
    earlier = [Earlier(handover(id=42), CLINIC, True), Earlier(handover(id=7), None, False)]
    assert acknowledged(acknowledgement(earlier)) == (42, 7)
    assert acknowledged("stop") is None
    assert acknowledged("anyway:x.1234567890123") == ()  # forged values name nothing


def test_the_warning_comes_first_and_the_modal_is_valid():
    form = ReferralForm(needs=["cv"], name="Sam", phone="07911 123456", consent=True)
    referral = check_referral(form, NETWORK)
    earlier = [Earlier(handover(), CLINIC, True), Earlier(handover(id=43), CLINIC, False)]
    view = choice_modal(referral, Suggestions([], [], None), NETWORK, earlier=earlier)
    assert validate_view(view) == []
    warning = view["blocks"][0]["text"]["text"]
    assert "Already referred: HO-0042" in warning and "HO-0043" not in warning
    assert "already being helped" in warning
    choice = view["blocks"][1]
    assert choice["block_id"] == "duplicate" and "initial_option" not in choice["element"]
