"""The whole story in a browser, through the sandbox's page and the real bot behind it.

An adviser raises a handover; a provider's staff accept it and see the resident's
details privately; another provider declines one and it moves on; the adviser sees
each step. Playwright drives Debian's Chromium; nothing is downloaded.
"""

from __future__ import annotations

import re
import threading

import pytest

from sandbox.demo import staff_id
from sandbox.run import Sandbox

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed").expect

ADVISER = "U0ADVISER1"


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example network, a fresh .sandbox/
    monkeypatch.delenv("NETWORK_FILE", raising=False)
    running = Sandbox(port=0, folder=tmp_path / ".sandbox")
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    yield running
    running.stop()
    thread.join(timeout=15)


@pytest.fixture
def tab(browser, sandbox):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(sandbox.url)
    yield page
    context.close()
    assert not errors, f"the page raised: {errors}"


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


def refer(page, *, need: str, district: str, age_band: str) -> None:
    """As the adviser in #general: /handover, fill the modal with the keyboard and mouse, send."""
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
    modal.get_by_role("button", name="Send").click()
    expect(modal).to_contain_text("is on its way to")
    modal.get_by_role("button", name="Close").first.click()
    expect(modal).to_be_hidden()


def card(page, ref: str):
    return page.locator("#message-list [data-testid=message]").filter(has_text=ref).last


def test_adviser_to_provider_to_adviser_in_the_browser(tab, sandbox):
    page = tab
    # 1. An ESOL referral in NW1 for someone aged 30-49 fits only Riverside ESOL Hub.
    refer(page, need="English language (ESOL)", district="NW1", age_band="30-49")

    # 2. Its member of staff sees the card (no personal details) and accepts it.
    be(page, staff_id("esol-hub"))
    open_channel(page, "handovers-esol-hub")
    first = card(page, "HO-0001")
    expect(first).to_contain_text("English language (ESOL)")
    expect(first).not_to_contain_text("Sam Resident")
    first.get_by_role("button", name="Accept").click()
    modal = page.get_by_test_id("modal")
    expect(modal).to_contain_text("First contact by")
    modal.get_by_role("button", name="Accept").click()
    expect(modal).to_contain_text("Sam Resident")  # privately, to the worker who accepted
    expect(modal).to_contain_text("07911 123456")
    modal.get_by_role("button", name="Done").first.click()
    expect(card(page, "HO-0001")).to_contain_text("Made contact")
    expect(page.locator("#message-list")).not_to_contain_text("Sam Resident")

    # 3. A CV referral goes to the CV clinic that covers NW1; they decline and it moves on.
    refer(page, need="CV and job applications", district="NW1", age_band="25-29")
    be(page, staff_id("cv-clinic"))
    open_channel(page, "handovers-cv-clinic")
    second = card(page, "HO-0002")
    second.get_by_role("button", name="Decline").click()
    modal = page.get_by_test_id("modal")
    modal.get_by_label("At capacity").check()
    modal.get_by_role("button", name="Decline").click()
    expect(modal).to_be_hidden()
    expect(card(page, "HO-0002")).to_contain_text("moved on to Council Employment Team")

    # 4. The adviser's Messages tell each step.
    be(page, ADVISER)
    page.get_by_test_id("conv-dm").click()
    messages = page.locator("#message-list")
    expect(messages).to_contain_text("HO-0001 accepted by")
    expect(messages).to_contain_text("declined HO-0002: at capacity")
    expect(messages).to_contain_text("It has gone on to Council Employment Team")

    # 5. The next provider has the card, with the same buttons.
    be(page, staff_id("council-employment"))
    open_channel(page, "handovers-council-employment")
    expect(card(page, "HO-0002").get_by_role("button", name="Accept")).to_be_visible()
