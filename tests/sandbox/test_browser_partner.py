"""A partner from another organisation's own Slack workspace, in the channel the network
shares with it (Slack Connect): /handover is not theirs to use, the coordinators' Refer a
resident button is."""

from __future__ import annotations

from sandbox.demo import PARTNER, staff_id
from tests.sandbox.browser import be, card, expect, open_channel, type_in_composer


def test_a_partner_refers_through_the_button_in_the_shared_channel(tab, sandbox):
    page = tab
    be(page, PARTNER.id)
    open_channel(page, "partners-shared")
    type_in_composer(page, "/handover")
    expect(page.get_by_test_id("error")).to_contain_text("not a valid command")

    page.locator("#message-list").get_by_role("button", name="Refer a resident").click()
    modal = page.get_by_test_id("modal")
    expect(modal.get_by_role("heading", name="New handover")).to_be_visible()
    modal.get_by_label("English language (ESOL)").check()
    modal.get_by_label("Resident's name").fill("Sam Resident")
    modal.get_by_label("Phone").fill("07911 123456")
    modal.get_by_label("Postcode district").fill("NW1")
    modal.get_by_label("Age band").select_option(label="30-49")
    modal.get_by_label("Your organisation").fill(PARTNER.org)
    modal.get_by_label("The resident has agreed to this referral").check()
    modal.get_by_role("button", name="Next").click()
    modal.get_by_role("button", name="Send").click()
    expect(modal).to_contain_text("HO-0001 is on its way to")
    modal.get_by_role("button", name="Close").first.click()
    expect(page.locator("#message-list")).not_to_contain_text("Sam Resident")

    be(page, staff_id("esol-hub"))
    open_channel(page, "handovers-esol-hub")
    expect(card(page, "HO-0001")).to_contain_text(PARTNER.org)


def test_the_partners_hint_says_where_she_refers(tab, sandbox):
    be(tab, PARTNER.id)
    expect(tab.locator("#persona-hint")).to_have_text(
        "Refers residents with the Refer a resident button in #partners-shared."
    )


def test_a_coordinator_posts_the_button_from_app_home(tab, sandbox):
    page = tab
    be(page, sandbox.network.coordinators.users[0])
    page.locator("#conv-home").click()
    page.get_by_role("button", name="Post a Refer a resident button").click()
    modal = page.get_by_test_id("modal")
    expect(modal.get_by_role("heading", name="Refer button")).to_be_visible()
    modal.get_by_label("Channel").select_option(label="#general")
    modal.get_by_role("button", name="Post").click()
    expect(modal).to_contain_text("is on its way to")
    modal.get_by_role("button", name="Close").first.click()
    open_channel(page, "general")
    expect(
        page.locator("#message-list").get_by_role("button", name="Refer a resident")
    ).to_be_visible()
