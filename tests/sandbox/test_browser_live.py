"""The page shows the bot's answers as they happen, and a reload leaves nothing stuck.

Each reply must appear within a second of the command, with no reload and no switching
conversation: however the bot sends it (here, Bolt's ``respond()`` on the command's
response_url).
"""

from __future__ import annotations

import re

from tests.sandbox.browser import ADVISER, be, expect, open_channel, refer, type_in_composer

COORDINATOR = "U0COORD001"  # Cora Mensah, in network.example.yaml
LIVE = 1000  # ms: what "at once" means here


def private_replies(page):
    """What the app has shown "only to you" in the open conversation."""
    return page.locator("#message-list .msg-ephemeral")


def test_status_mine_and_providers_answer_at_once(tab):
    page = tab
    refer(page, need="English language (ESOL)", district="NW1", age_band="30-49")
    replies = private_replies(page)

    type_in_composer(page, "/handover status HO-0001")
    expect(replies.filter(has_text="HO-0001 · English language (ESOL)")).to_be_visible(timeout=LIVE)

    type_in_composer(page, "/handover mine")
    expect(replies.filter(has_text="Your open handovers (1)")).to_be_visible(timeout=LIVE)

    type_in_composer(page, "/handover providers esol")
    expect(replies.filter(has_text="Providers offering English language (ESOL)")).to_be_visible(
        timeout=LIVE
    )
    expect(replies).to_have_count(3)


def test_the_digest_leaves_no_working_note_behind(tab):
    page = tab
    be(page, COORDINATOR)
    open_channel(page, "coordinators")
    type_in_composer(page, "/handover digest")
    replies = private_replies(page)
    # Building the chart takes a moment: the answer comes when it is done.
    expect(replies.filter(has_text="The digest of the 7 days up to now is in")).to_be_visible(
        timeout=10_000
    )
    expect(page.locator("#message-list")).not_to_contain_text("Working out")
    expect(replies).to_have_count(1)


def test_a_modal_open_at_reload_closes_and_the_persona_menu_works(tab, sandbox):
    page = tab
    be(page, ADVISER)
    open_channel(page, "general")
    type_in_composer(page, "/handover")
    modal = page.get_by_test_id("modal")
    expect(modal.get_by_role("heading", name="New handover")).to_be_visible()

    page.reload()
    expect(page.locator("#conv-me")).to_contain_text("Ada Okafor")
    expect(modal).to_be_hidden()
    assert sandbox.fake.open_views(ADVISER) == []  # closed in the workspace, as in Slack

    be(page, COORDINATOR)
    expect(page.locator("#conv-me")).to_contain_text("Cora Mensah")
    be(page, ADVISER)
    expect(page.locator("#conv-me")).to_contain_text("Ada Okafor")
    expect(modal).to_be_hidden()
    # And /handover opens a fresh form as before.
    type_in_composer(page, "/handover")
    expect(modal.get_by_role("heading", name="New handover")).to_be_visible()
    expect(modal.get_by_label(re.compile("Resident's name"))).to_have_value("")
