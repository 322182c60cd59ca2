"""The warm handover from the resident's side, in a browser: the text they get when a
provider accepts arrives on the sandbox's "Resident's phone", and Notify's receipt says it
was delivered."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sandbox.demo import staff_id
from tests.sandbox.browser import be, card, expect, open_channel, refer


def test_the_resident_gets_a_text_when_a_provider_accepts(tab, sandbox):
    page = tab
    # Messages to residents go in daytime only: the sandbox stands at 11:00 London time.
    london = ZoneInfo("Europe/London")
    sandbox.clock.move_to(datetime.now(london).replace(hour=11, minute=0, second=0))
    phone = page.get_by_test_id("phone")
    expect(phone).to_be_hidden()
    page.get_by_test_id("phone-toggle").click()
    expect(phone).to_contain_text("Nothing yet")
    page.get_by_role("button", name="Close the resident's phone").click()
    expect(phone).to_be_hidden()

    refer(page, need="English language (ESOL)", district="NW1", age_band="30-49")
    be(page, staff_id("esol-hub"))
    open_channel(page, "handovers-esol-hub")
    card(page, "HO-0001").get_by_role("button", name="Accept").click()
    modal = page.get_by_test_id("modal")
    modal.get_by_role("button", name="Accept").click()
    expect(modal).to_contain_text("Sam Resident")
    modal.get_by_role("button", name="Done").first.click()

    badge = page.get_by_test_id("phone-badge")
    expect(badge).to_have_text("1")  # a new message on the phone, unread
    page.get_by_test_id("phone-toggle").click()
    message = phone.get_by_test_id("phone-message")
    expect(phone.get_by_test_id("phone-thread")).to_contain_text("Text message to 07911 123456")
    expect(message).to_contain_text("from Riverside ESOL Hub will contact you by")
    expect(message).to_contain_text("HO-0001")
    expect(message).to_contain_text("Delivered")  # Notify's receipt, through the callback
    expect(badge).to_be_hidden()
