"""The whole story in a browser, through the sandbox's page and the real bot behind it.

An adviser raises a handover; a provider's staff accept it and see the resident's
details privately; another provider declines one and it moves on; the adviser sees
each step. Playwright drives Debian's Chromium; nothing is downloaded.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.followup.digest.weekly import provider_line
from bot.text import day
from sandbox.demo import staff_id
from sandbox.run import BOT_TOKEN
from server.factory import make_client
from tests.sandbox.browser import ADVISER, be, card, expect, open_channel, refer


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
    # The same resident, for another need: the adviser is told of HO-0001 and sends anyway.
    refer(
        page,
        need="CV and job applications",
        district="NW1",
        age_band="25-29",
        already="Already referred: HO-0001 to Riverside ESOL Hub, accepted",
    )
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


def test_a_uk_network_writes_dates_day_first_whatever_the_browser(tab, sandbox):
    page = tab
    refer(page, need="English language (ESOL)", district="NW1", age_band="30-49")
    grace = staff_id("esol-hub")
    be(page, grace)
    open_channel(page, "handovers-esol-hub")
    card(page, "HO-0001").get_by_role("button", name="Accept").click()
    modal = page.get_by_test_id("modal")
    date_input = modal.get_by_label("First contact by")
    expect(date_input).to_be_visible()
    [offered] = [
        block["element"]["initial_date"]
        for block in sandbox.fake.open_views(grace)[-1]["blocks"]
        if block.get("element", {}).get("type") == "datepicker"
    ]
    year, month, dd = offered.split("-")
    expect(date_input).to_have_value(f"{dd}/{month}/{year}")
    expect(page.locator("html")).to_have_attribute("lang", "en-GB")

    # A week later, typed day first; the bot reads it as that day, not as month-first.
    later = date.fromisoformat(offered) + timedelta(days=7)
    while later.day == later.month:
        later += timedelta(days=7)
    date_input.fill(later.strftime("%d/%m/%Y"))
    modal.get_by_role("button", name="Accept").click()
    expect(modal).to_contain_text("Sam Resident")
    modal.get_by_role("button", name="Done").first.click()
    be(page, ADVISER)
    page.get_by_test_id("conv-dm").click()
    expect(page.locator("#message-list")).to_contain_text(f"First contact promised by {day(later)}")


def test_emoji_shortcodes_in_the_bots_messages_render_as_emoji(tab, sandbox):
    page = tab
    esol = next(p for p in sandbox.network.providers if p.id == "esol-hub")
    # The bot's weekly line for a provider, posted as the bot posts it.
    weekly = provider_line(esol.name, [], 0)
    make_client(BOT_TOKEN, sandbox.fake.api_url).chat_postMessage(
        channel=esol.channel, **weekly.as_kwargs()
    )
    be(page, staff_id("esol-hub"))
    open_channel(page, "handovers-esol-hub")
    line = page.locator("#message-list [data-testid=message]").filter(has_text="This week at")
    expect(line).to_contain_text("\U0001f5d3\ufe0f This week at Riverside ESOL Hub")  # 🗓️
    expect(line).not_to_contain_text(":spiral_calendar_pad:")


def test_the_persona_menu_is_grouped_by_organisation_with_each_role(tab, sandbox):
    page = tab
    menu = page.get_by_test_id("persona")
    expect(menu.locator("option")).to_have_count(len(sandbox.personas))
    groups = menu.locator("optgroup")
    providers = [p.name for p in sandbox.network.providers if p.channel]
    expect(groups).to_have_count(len(providers) + 3)
    labels = [groups.nth(i).get_attribute("label") for i in range(groups.count())]
    assert labels == ["Kentish Town Job Club", *providers, "Council", "Camden Refugee Partnership"]
    esol = menu.locator("optgroup[label='Riverside ESOL Hub'] option")
    expect(esol).to_have_text(["Grace Adeyemi · Riverside ESOL Hub · provider staff"])
    expect(menu.locator("optgroup[label='Kentish Town Job Club'] option").first).to_have_text(
        "Ada Okafor · Kentish Town Job Club · adviser"
    )
    expect(menu.locator("optgroup[label='Council'] option").first).to_have_text(
        "Cora Mensah · Council · coordinator"
    )
    be(page, staff_id("esol-hub"))
    expect(page.locator("#persona-org")).to_have_text("Riverside ESOL Hub · provider staff")
