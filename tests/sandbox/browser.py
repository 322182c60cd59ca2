"""Steps a person takes in the sandbox's page, for the browser tests."""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

ADVISER = "U0ADVISER1"


def be(page, persona: str) -> None:
    page.get_by_test_id("persona").select_option(persona)


def open_channel(page, name: str) -> None:
    page.locator("#sidebar-channels, nav").get_by_role(
        "link", name=re.compile(rf"\b{name}$")
    ).first.click()


def type_in_composer(page, text: str) -> None:
    composer = page.get_by_test_id("composer")
    composer.fill(text)
    composer.press("Enter")


def refer(page, *, need: str, district: str, age_band: str, already: str | None = None) -> None:
    """As the adviser in #general: /handover, fill the modal with the keyboard and mouse, send.

    ``already``: the warning the step shows when the resident already has an open handover;
    the adviser sends anyway, for this other need."""
    be(page, ADVISER)
    open_channel(page, "general")
    type_in_composer(page, "/handover")
    modal = page.get_by_test_id("modal")
    expect(modal.get_by_role("heading", name="New handover")).to_be_visible()
    modal.get_by_label(need).check()
    modal.get_by_label("Resident's name").fill("Sam Resident")
    modal.get_by_label("Phone").fill("07911 123456")
    modal.get_by_label("Postcode district").fill(district)
    modal.get_by_label("Age band").select_option(label=age_band)
    modal.get_by_label("The resident has agreed to this referral").check()
    modal.get_by_role("button", name="Next").click()
    expect(modal.get_by_role("heading", name="Where it goes")).to_be_visible()
    expect(modal).to_contain_text("Let the network decide (recommended)")
    if already:
        expect(modal).to_contain_text(already)
        modal.get_by_label("Send anyway (for another need)").check()
    modal.get_by_role("button", name="Send").click()
    expect(modal).to_contain_text("is on its way to")
    modal.get_by_role("button", name="Close").first.click()
    expect(modal).to_be_hidden()


def card(page, ref: str):
    return page.locator("#message-list [data-testid=message]").filter(has_text=ref).last
