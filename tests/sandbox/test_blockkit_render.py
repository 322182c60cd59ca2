"""The sandbox's Block Kit renderer draws the app's real surfaces, and people can use them.

Every fixture comes from the app's own builders (bot/blocks), so a block the app starts to
send and the renderer cannot draw shows up here. Values a modal collects are compared with
``tests.harness.fill``: the shape Slack sends in ``view.state.values``.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.blocks.home import home_view
from bot.blocks.messages import adviser_receipt, provider_card, unmatched_card
from bot.blocks.modals import accept_modal, decline_modal, outcome_modal, referral_modal
from bot.blocks.replies import status_message
from bot.handover.payloads import CardRef
from bot.handover.reading import Status
from bot.handover.routing import RouteChoices
from bot.text import escape
from storage.models import EventKind, HandoverEvent, Provider, State
from tests.harness import fill
from tests.network import test_network as network_for_tests

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed")
from playwright.sync_api import Page, expect

from tests.factories import ADVISER, CONTACT_BY, T0, WORKER, handover

NETWORK = network_for_tests()
USERS = {ADVISER: "Ada Adviser", WORKER: "Wes Worker"}
CHANNELS = {"C0CVCLINIC": "handovers-cv-clinic"}

CV_CLINIC = Provider(
    id="cv-clinic",
    name="Northside CV Clinic",
    channel="C0CVCLINIC",
    services=["cv", "interview"],
    areas=["NW1", "NW5"],
)
ESOL_HUB = Provider(
    id="esol-hub", name="Riverside ESOL Hub", channel="C0ESOLHUB1", services=["esol"]
)
YOUTH = Provider(
    id="youth-futures", name="Youth Futures", channel="C0YOUTHFUT", services=["youth", "cv"]
)
PROVIDERS = {p.id: p for p in (CV_CLINIC, ESOL_HUB, YOUTH)}

SLACK_GREEN = "rgb(0, 122, 90)"
SLACK_RED = "rgb(224, 30, 90)"


# -- putting surfaces on the page ------------------------------------------------------------


def show(page: Page, blocks: list, **ctx) -> None:
    """A message (or App Home) in a message frame, with onAction recorded in seen.actions."""
    page.evaluate(
        """([blocks, ctx]) => {
            const frame = document.createElement('div');
            frame.className = 'demo-message';
            frame.append(BK.renderBlocks(blocks, recorder(ctx)));
            document.getElementById('root').append(frame);
        }""",
        [blocks, {"users": USERS, "channels": CHANNELS, **ctx}],
    )


def show_modal(page: Page, view: dict, **ctx) -> None:
    page.evaluate(
        """([view, ctx]) => {
            document.getElementById('root').append(BK.renderModal(view, recorder(ctx)));
        }""",
        [view, {"users": USERS, "channels": CHANNELS, **ctx}],
    )


def seen(page: Page) -> dict:
    return page.evaluate("() => window.seen")


def focused_inside(page: Page, selector: str) -> bool:
    return page.evaluate(
        "(s) => document.querySelector(s).contains(document.activeElement)", selector
    )


def background(locator) -> str:
    return locator.evaluate("(e) => getComputedStyle(e).backgroundColor")


# -- messages ------------------------------------------------------------------------------


def test_provider_card_shows_every_block_and_its_buttons_send_the_actions_slack_would(page):
    card = provider_card(handover(), card_provider="cv-clinic", provider=CV_CLINIC, network=NETWORK)
    show(page, card.blocks)

    root = page.locator("#root")
    expect(root.get_by_role("heading", name="HO-0042 · CV and job applications")).to_be_visible()
    fields = root.locator(".bk-field")
    expect(fields).to_have_count(4)
    expect(fields.nth(0)).to_have_text("NeedsCV and job applications, Interview practice")
    expect(fields.nth(0).locator("strong")).to_have_text("Needs")
    expect(fields.nth(2)).to_have_text("Urgency🟠 Soon (this week)")
    expect(fields.nth(3)).to_have_text("Referred by@Ada Adviser (Kentish Town Job Club)")
    expect(fields.nth(3).locator(".bk-mention")).to_have_text("@Ada Adviser")
    expect(root.locator(".bk-context")).to_have_text(
        "Why you: offers CV and job applications, Interview practice; covers NW5"
    )
    expect(root.get_by_text("⏳ Waiting for someone here to accept.")).to_be_visible()

    accept = root.get_by_role("button", name="Accept")
    decline = root.get_by_role("button", name="Decline")
    assert background(accept) == SLACK_GREEN
    assert background(decline) == "rgb(255, 255, 255)"
    accept.click()
    decline.focus()
    page.keyboard.press("Enter")
    value = CardRef(h=42, p="cv-clinic").dump()
    assert seen(page)["actions"] == [
        {
            "type": "button",
            "action_id": "handover.accept",
            "block_id": "card_actions",
            "value": value,
        },
        {
            "type": "button",
            "action_id": "handover.decline",
            "block_id": "card_actions",
            "value": value,
        },
    ]


def test_an_accepted_card_names_the_worker_and_the_date_in_bold(page):
    accepted = handover(state=State.ACCEPTED)
    card = provider_card(accepted, card_provider="cv-clinic", provider=CV_CLINIC, network=NETWORK)
    show(page, card.blocks)

    status = page.locator(".bk-section-text").filter(has_text="Accepted by")
    expect(status).to_have_text("✅ Accepted by @Wes Worker; first contact by Wed 5 Mar 2025.")
    expect(status.locator("strong")).to_have_text("Wed 5 Mar 2025")
    expect(page.get_by_role("button")).to_have_text(["Made contact", "Record outcome"])


def test_withdraw_asks_first_and_only_a_yes_sends_the_action(page):
    receipt = adviser_receipt(handover(), CV_CLINIC, NETWORK)
    show(page, receipt.blocks)
    withdraw = page.get_by_role("button", name="Withdraw")
    assert background(withdraw) == SLACK_RED

    withdraw.click()
    dialog = page.get_by_role("alertdialog", name="Withdraw this handover?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("The provider is told and stops work on it.")
    expect(dialog.get_by_role("button", name="Keep it")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(withdraw).to_be_focused()

    page.keyboard.press("Enter")  # opens it again, from the keyboard
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog).to_have_count(0)
    assert seen(page)["actions"] == []

    withdraw.press("Enter")
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Withdraw")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    # The dialog's close event sends the action a moment after it is gone: wait for it.
    page.wait_for_function("() => window.seen.actions.length > 0")
    block_id = page.locator(".bk-actions").get_attribute("data-block-id")
    assert block_id  # the app sends no block_id here: Slack makes one up, and so do we
    assert seen(page)["actions"] == [
        {
            "type": "button",
            "action_id": "handover.withdraw",
            "block_id": block_id,
            "value": CardRef(h=42).dump(),
        }
    ]


def test_route_select_offers_option_groups_and_sends_the_chosen_option(page):
    unmatched = handover(state=State.UNMATCHED, provider_id=None, match_reason="")
    choices = RouteChoices(fit=[CV_CLINIC, YOUTH], caught=[], other=[ESOL_HUB])
    card = unmatched_card(unmatched, choices=choices, network=NETWORK)
    show(page, card.blocks)

    select = page.get_by_role("combobox", name="Route to…")
    groups = select.locator("optgroup")
    expect(groups).to_have_count(2)
    assert [groups.nth(i).get_attribute("label") for i in range(2)] == [
        "Fit this referral",
        "Other providers",
    ]
    expect(groups.nth(1).locator("option")).to_have_text(["Riverside ESOL Hub"])
    placeholder = select.locator("option").first
    expect(placeholder).to_have_text("Route to…")
    expect(placeholder).to_be_disabled()

    select.select_option(label="Riverside ESOL Hub")
    accessory = card.blocks[-1]["accessory"]
    esol_option = accessory["option_groups"][1]["options"][0]
    assert seen(page)["actions"] == [
        {
            "type": "static_select",
            "action_id": "handover.route",
            "block_id": "card_actions",
            "selected_option": esol_option,
        }
    ]
    expect(page.get_by_text("No provider matched. Route it by hand:")).to_be_visible()


def test_status_reply_shows_fields_and_the_history_line_by_line(page):
    events = [
        HandoverEvent(
            handover_id=42, at=T0, kind=EventKind.CREATED, to_state=State.PENDING, actor_id=ADVISER
        ),
        HandoverEvent(
            handover_id=42,
            at=T0 + timedelta(minutes=30),
            kind=EventKind.DECLINED,
            to_state=State.PENDING,
            provider_id="esol-hub",
            reason="out_of_area",
            note="<script>alert(1)</script> not our area",
        ),
        HandoverEvent(
            handover_id=42,
            at=T0 + timedelta(minutes=90),
            kind=EventKind.ACCEPTED,
            to_state=State.ACCEPTED,
            provider_id="cv-clinic",
            actor_id=WORKER,
        ),
    ]
    status = Status(handover(state=State.ACCEPTED), CV_CLINIC, events, PROVIDERS)
    show(page, status_message(status, NETWORK).blocks)

    fields = page.locator(".bk-field")
    expect(fields).to_have_count(6)
    expect(fields.nth(3)).to_have_text("Adviser@Ada Adviser")
    expect(fields.nth(5)).to_have_text("First contact byWed 5 Mar 2025")
    expect(page.locator(".bk-divider")).to_have_count(1)
    history = page.locator(".bk-section-text").filter(has_text="History")
    assert history.inner_text().splitlines() == [
        "History",
        "• Mon 3 Mar 10:30: raised by @Ada Adviser",
        "• Mon 3 Mar 11:00: declined by Riverside ESOL Hub: out of area "
        "(<script>alert(1)</script> not our area)",
        "• Mon 3 Mar 12:00: accepted at Northside CV Clinic by @Wes Worker",
    ]
    assert page.locator("#root script").count() == 0


def test_home_tab_renders_headers_accessories_and_notes(page):
    queue = [handover(id=11), handover(id=12, state=State.ACCEPTED)]
    unmatched = [handover(id=13, state=State.UNMATCHED, provider_id=None)]
    view = home_view(
        network=NETWORK,
        mine=[(handover(id=9), CV_CLINIC)],
        queues=[(CV_CLINIC, queue), (ESOL_HUB, [])],
        coordinator=({"pending": 2, "accepted": 1}, unmatched),
    )
    show(page, view["blocks"])

    headings = page.get_by_role("heading")
    expect(headings).to_have_text(
        [
            "Warm handovers · Test Network",
            "Your referrals",
            "Network",
            "Queue · Northside CV Clinic",
            "Queue · Riverside ESOL Hub",
        ]
    )
    mine = page.locator(".bk-section").filter(has_text="HO-0009")
    expect(mine.locator(".bk-section-text")).to_have_text(
        "HO-0009 · CV and job applications, Interview practice · Waiting to be accepted "
        "at Northside CV Clinic"
    )
    expect(mine.locator(".bk-accessory").get_by_role("button", name="Withdraw")).to_be_visible()
    expect(page.get_by_text("Waiting to be accepted: 2 · Accepted: 1")).to_be_visible()
    expect(
        page.get_by_text("• HO-0012 · CV and job applications, Interview practice")
    ).to_contain_text("@Wes Worker · contact by Wed 5 Mar 2025")
    expect(page.locator(".bk-context").filter(has_text="Nothing waiting.")).to_be_visible()
    expect(page.locator(".bk-divider")).to_have_count(4)

    page.get_by_role("button", name="New handover").press("Enter")
    [action] = seen(page)["actions"]
    assert action["action_id"] == "handover.open_new"
    assert action["type"] == "button"
    assert "value" not in action  # Slack sends no value for a button that has none


# -- modals --------------------------------------------------------------------------------


def test_referral_modal_is_filled_in_by_keyboard_and_collects_what_slack_sends(page):
    view = referral_modal(NETWORK, organisation="")
    show_modal(page, view)

    modal = page.get_by_role("dialog", name="New handover")
    expect(modal).to_be_visible()
    assert modal.get_attribute("aria-modal") == "true"
    page.wait_for_function(
        "() => document.querySelector('.bk-modal').contains(document.activeElement)"
    )
    for block in view["blocks"]:
        if block["type"] == "input" and block["element"]["type"] == "plain_text_input":
            control = modal.get_by_label(block["label"]["text"], exact=False).first
            expect(control).to_be_editable()
    expect(modal.locator("[data-block-id=phone] .bk-optional")).to_have_text("(optional)")
    expect(modal.locator("[data-block-id=name] .bk-optional")).to_have_count(0)
    expect(modal.get_by_label("Phone")).to_have_attribute("maxlength", "32")
    expect(modal.get_by_label("Phone")).to_have_attribute("placeholder", "07911 123456")
    expect(modal.get_by_role("button", name="Next")).to_be_visible()

    name = modal.get_by_label("Resident's name")
    name.press_sequentially("Zainab Okonkwo-Reyes")
    name.press("Enter")  # needs and consent are still empty: Slack keeps the modal open
    assert seen(page)["submitted"] == []
    needs_error = modal.locator("[data-block-id=needs] .bk-error")
    expect(needs_error).to_have_text("⚠ Please complete this required field.")
    expect(modal.locator("[data-block-id=consent] .bk-error")).to_be_visible()
    expect(modal.locator("[data-block-id=phone] .bk-error")).to_be_hidden()
    expect(modal.get_by_role("checkbox", name="CV and job applications")).to_be_focused()

    modal.get_by_role("checkbox", name="Interview practice").press("Space")
    modal.get_by_role("checkbox", name="English language (ESOL)").press("Space")
    expect(needs_error).to_be_hidden()
    name.focus()
    page.keyboard.press("Tab")
    expect(modal.get_by_label("Phone")).to_be_focused()
    page.keyboard.type("07911 123456")
    modal.get_by_label("Postcode district").press_sequentially("NW5")
    age = modal.get_by_label("Age band")
    for _ in range(3):
        age.press("ArrowDown")
    expect(age).to_have_value("2")  # 25-29
    routine = modal.get_by_role("radio", name="Routine")
    expect(routine).to_be_checked()
    routine.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(modal.get_by_role("radio", name="Urgent (today)")).to_be_checked()
    modal.get_by_label("Short context for the provider").press_sequentially(
        "Back to work after caring.\nWants retail."
    )
    modal.get_by_role("checkbox", name="The resident has agreed to this referral").press("Space")
    name.press("Enter")

    answers = {
        "needs": ["interview", "esol"],
        "name": "Zainab Okonkwo-Reyes",
        "phone": "07911 123456",
        "district": "NW5",
        "age_band": "25-29",
        "urgency": "urgent",
        "context": "Back to work after caring.\nWants retail.",
        "consent": ["yes"],
    }
    expected = fill(view, answers)
    assert seen(page)["submitted"] == [expected]
    assert page.evaluate("() => BK.collectValues(document.querySelector('.bk-modal'))") == expected


def test_accept_modal_shows_the_date_day_first_for_a_uk_network_and_sends_slacks_form(page):
    view = accept_modal(handover(), provider_id="cv-clinic", default_date=CONTACT_BY)
    show_modal(page, view, locale="en-GB")

    modal = page.get_by_role("dialog", name="Accept HO-0042")
    date_input = modal.get_by_label("First contact by")
    expect(date_input).to_have_value("05/03/2025")  # 5 March, as a UK reader writes it
    expect(date_input).to_have_attribute("placeholder", "DD/MM/YYYY")
    expect(date_input).to_be_focused()  # focus moves into the modal, onto its first input
    expect(modal.get_by_text("The adviser is told this date")).to_be_visible()
    expect(modal.get_by_role("button", name="Choose a date from a calendar")).to_be_visible()

    date_input.fill("31/02/2025")  # no such day: Slack's form would not send it either
    modal.get_by_role("button", name="Accept").click()
    expect(modal.locator("[data-block-id=contact_by] .bk-error")).to_have_text(
        "⚠ Enter the date as DD/MM/YYYY."
    )
    assert seen(page)["submitted"] == []

    date_input.fill("6/4/2025")  # typed from the keyboard, day first
    date_input.press("Enter")
    assert seen(page)["submitted"] == [fill(view, {"contact_by": "2025-04-06"})]
    expect(date_input).to_have_value("06/04/2025")

    page.keyboard.press("Escape")
    modal.get_by_role("button", name="Cancel").click()
    modal.get_by_role("button", name="Close").click()
    assert seen(page)["closed"] == 3


def test_the_same_date_is_month_first_for_a_us_network(page):
    view = accept_modal(handover(), provider_id="cv-clinic", default_date=CONTACT_BY)
    show_modal(page, view, locale="en-US")
    date_input = page.get_by_role("dialog").get_by_label("First contact by")
    expect(date_input).to_have_value("03/05/2025")
    expect(date_input).to_have_attribute("placeholder", "MM/DD/YYYY")
    date_input.fill("04/06/2025")
    page.get_by_role("dialog").get_by_role("button", name="Accept").click()
    assert seen(page)["submitted"] == [fill(view, {"contact_by": "2025-04-06"})]


def test_dates_are_read_and_written_in_the_locale(page):
    written = page.evaluate(
        """() => [
            BK.formatDate('2025-03-05', 'en-GB'), BK.formatDate('2025-03-05', 'en-US'),
            BK.datePattern('en-GB'), BK.parseDate('05/03/2025', 'en-GB'),
            BK.parseDate('5.3.25', 'en-GB'), BK.parseDate('2025-03-05', 'en-US'),
            BK.parseDate('29/02/2024', 'en-GB'), BK.parseDate('29/02/2025', 'en-GB'),
            BK.parseDate('13/13/2025', 'en-GB'), BK.parseDate('next tuesday', 'en-GB'),
            BK.formatDate('not a date', 'en-GB'),
        ]"""
    )
    assert written == [
        "05/03/2025", "03/05/2025", "DD/MM/YYYY", "2025-03-05", "2025-03-05", "2025-03-05",
        "2024-02-29", None, None, None, "",
    ]  # fmt: skip


def test_slack_date_tokens_are_written_for_the_reader(page):
    # 15:30 UTC on Wednesday 5 March 2025: 15:30 in London, 10:30 in New York.
    token = "<!date^1741188600^{date_short} at {time}, {date_long}, {date_num}|5 March>"
    shown = page.evaluate(
        """(token) => [
            BK.mrkdwn(token, {locale: 'en-GB', timeZone: 'Europe/London'}),
            BK.mrkdwn(token, {locale: 'en-US', timeZone: 'America/New_York'}),
            BK.mrkdwn('<!date^x^{date}|the fallback>', {locale: 'en-GB'}),
        ]""",
        token,
    )
    assert shown == [
        '<time class="bk-date-token">5 Mar 2025 at 15:30, Wednesday, 5 March 2025, '
        "2025-03-05</time>",
        '<time class="bk-date-token">Mar 5, 2025 at 10:30 AM, Wednesday, March 5, 2025, '
        "2025-03-05</time>",
        "the fallback",
    ]


def test_decline_modal_blocks_an_empty_required_reason_and_then_sends_it(page):
    view = decline_modal(handover(), provider_id="cv-clinic")
    show_modal(page, view)
    modal = page.get_by_role("dialog", name="Decline HO-0042")

    modal.get_by_role("button", name="Decline").click()
    assert seen(page)["submitted"] == []
    error = modal.locator("[data-block-id=reason] .bk-error")
    expect(error).to_have_text("⚠ Please complete this required field.")
    group = modal.get_by_role("radiogroup", name="Reason")
    expect(group).to_have_attribute("aria-invalid", "true")
    assert error.get_attribute("id") in group.get_attribute("aria-describedby").split()
    expect(modal.get_by_role("radio", name="Not eligible")).to_be_focused()

    modal.get_by_role("radio", name="Out of area").check()
    expect(error).to_be_hidden()
    expect(group).not_to_have_attribute("aria-invalid", "true")
    modal.get_by_label("Anything the adviser should know").fill("We only cover NW1.")
    modal.get_by_role("button", name="Decline").click()
    expected = fill(view, {"reason": "out_of_area", "reason_note": "We only cover NW1."})
    assert seen(page)["submitted"] == [expected]


def test_errors_from_the_app_show_under_their_input_and_are_announced(page):
    view = outcome_modal(handover(state=State.CONTACTED), provider_id="cv-clinic")
    message = "Say what happened: you chose Other."
    kept = fill(view, {"outcome": "other"})  # what the user had chosen before submitting
    show_modal(page, view, errors={"outcome_note": message}, values=kept)

    modal = page.get_by_role("dialog", name="Outcome HO-0042")
    expect(modal.get_by_role("radio", name="Other")).to_be_checked()
    note = modal.get_by_label("Note")
    expect(note).to_have_attribute("aria-invalid", "true")
    expect(note).to_be_focused()  # focus lands on the field to fix
    described = note.get_attribute("aria-describedby").split()
    texts = [page.locator(f"[id='{i}']").inner_text() for i in described]
    assert texts == [f"⚠ {message}", "Required for 'Other'. No personal details."]
    error = modal.locator("[data-block-id=outcome_note] .bk-error")
    expect(error).to_have_text(f"⚠ {message}")
    outcome_box = modal.locator("[data-block-id=outcome]").bounding_box()
    assert error.bounding_box()["y"] > outcome_box["y"] + outcome_box["height"]
    expect(modal.get_by_role("radio", name="Other")).not_to_have_attribute("aria-invalid", "true")
    assert page.evaluate("() => BK.collectValues(document.querySelector('.bk-modal'))") == kept


def test_every_block_and_element_kind_renders_and_acts(page):
    options = [
        {"text": {"type": "plain_text", "text": "One"}, "value": "1"},
        {
            "text": {"type": "plain_text", "text": "Two"},
            "value": "2",
            "description": {"type": "plain_text", "text": "The second"},
        },
    ]
    blocks = [
        {"type": "image", "image_url": "data:,", "alt_text": "not loaded"},
        {
            "type": "image",
            "image_url": "https://example.invalid/map.png",
            "alt_text": "A map",
            "title": {"type": "plain_text", "text": "Where"},
        },
        {
            "type": "section",
            "text": {"type": "plain_text", "text": ":compass: plain *not bold*", "emoji": True},
            "accessory": {
                "type": "image",
                "image_url": "https://example.invalid/a.png",
                "alt_text": "thumb",
            },
        },
        {
            "type": "context",
            "elements": [
                {"type": "image", "image_url": "https://example.invalid/i.png", "alt_text": "icon"},
                {"type": "plain_text", "text": "plain context"},
                {"type": "mrkdwn", "text": "*bold* context"},
            ],
        },
        {
            "type": "actions",
            "block_id": "acts",
            "elements": [
                {"type": "datepicker", "action_id": "day", "initial_date": "2025-03-05"},
                {
                    "type": "static_select",
                    "action_id": "pick",
                    "options": options,
                    "initial_option": options[1],
                },
                {
                    "type": "button",
                    "action_id": "link",
                    "url": "https://example.org/help",
                    "text": {"type": "plain_text", "text": "Help"},
                },
            ],
        },
        {"type": "video", "title": {"type": "plain_text", "text": "?"}},
        {
            "type": "input",
            "label": {"type": "plain_text", "text": "Pick many"},
            "element": {
                "type": "multi_static_select",
                "action_id": "many",
                "options": options,
                "initial_options": [options[1]],
            },
        },
        {
            "type": "input",
            "block_id": "boxes",
            "optional": True,
            "label": {"type": "plain_text", "text": "Boxes"},
            "element": {
                "type": "checkboxes",
                "action_id": "ticks",
                "options": options,
                "initial_options": [options[0]],
            },
        },
        {
            "type": "input",
            "block_id": "grouped",
            "label": {"type": "plain_text", "text": "Grouped"},
            "element": {
                "type": "static_select",
                "action_id": "g",
                "option_groups": [
                    {"label": {"type": "plain_text", "text": "G"}, "options": options}
                ],
                "initial_option": options[0],
            },
        },
        {
            "type": "input",
            "block_id": "words",
            "label": {"type": "plain_text", "text": "Words"},
            "element": {
                "type": "plain_text_input",
                "action_id": "w",
                "initial_value": "hello",
                "min_length": 2,
            },
        },
    ]
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Kinds"}, "blocks": blocks}
    show_modal(page, view)
    modal = page.get_by_role("dialog", name="Kinds")

    expect(modal.get_by_role("img", name="A map")).to_have_attribute(
        "src", "https://example.invalid/map.png"
    )
    expect(modal.get_by_text("Where")).to_be_visible()
    expect(modal.get_by_text("🧭 plain *not bold*")).to_be_visible()
    expect(modal.get_by_role("img", name="thumb")).to_be_attached()
    expect(modal.locator(".bk-context")).to_have_text("plain contextbold context")
    expect(modal.get_by_text("unsupported block: video")).to_be_visible()
    expect(modal.get_by_role("button", name="Send")).to_have_count(0)  # no submit in the view
    boxes = modal.get_by_role("group", name="Boxes (optional)")
    expect(boxes.get_by_role("checkbox", name="Two")).to_have_attribute(
        "aria-describedby", boxes.get_by_text("The second").get_attribute("id")
    )
    expect(modal.get_by_label("Words")).to_have_attribute("minlength", "2")

    modal.get_by_role("combobox", name="Select an item").select_option(label="One")
    date_input = modal.locator(".bk-actions .bk-date")
    expect(date_input).to_have_value("05/03/2025")  # the demo page is en-GB
    date_input.fill("01/04/2025")
    date_input.press("Tab")
    link = modal.get_by_role("link", name="Help")
    expect(link).to_have_attribute("target", "_blank")
    assert "noopener" in link.get_attribute("rel")
    actions = seen(page)["actions"]
    assert actions == [
        {
            "type": "static_select",
            "action_id": "pick",
            "block_id": "acts",
            "selected_option": options[0],
        },
        {
            "type": "datepicker",
            "action_id": "day",
            "block_id": "acts",
            "selected_date": "2025-04-01",
        },
    ]

    values = page.evaluate("() => BK.collectValues(document.querySelector('.bk-modal'))")
    [generated] = [key for key in values if key not in ("boxes", "grouped", "words")]
    assert values == {
        generated: {"many": {"type": "multi_static_select", "selected_options": [options[1]]}},
        "boxes": {"ticks": {"type": "checkboxes", "selected_options": [options[0]]}},
        "grouped": {"g": {"type": "static_select", "selected_option": options[0]}},
        "words": {"w": {"type": "plain_text_input", "value": "hello"}},
    }
    assert modal.locator(f"[data-block-id='{generated}']").count() == 1
    again = page.evaluate(
        "(view) => BK.collectValues(BK.renderModal(view, {}))", view
    )  # the same view gets the same made-up block_id
    assert generated in again


# -- mrkdwn --------------------------------------------------------------------------------


def rendered(page: Page, text: str) -> dict:
    return page.evaluate(
        """([text, users, channels]) => {
            const frame = document.createElement('div');
            frame.className = 'bk-blocks';
            const box = document.createElement('div');
            box.className = 'bk-mrkdwn';
            box.innerHTML = BK.mrkdwn(text, {users, channels});
            frame.append(box);
            document.getElementById('root').append(frame);
            const all = (s) => [...box.querySelectorAll(s)].map((e) => e.textContent);
            return {
                text: box.innerText,
                html: box.innerHTML,
                strong: all('strong'), em: all('em'), s: all('s'), code: all('code'),
                pre: all('pre'), quote: all('blockquote'), mention: all('.bk-mention'),
                broadcast: all('.bk-broadcast'),
                scripts: box.querySelectorAll('script, img').length,
                links: [...box.querySelectorAll('a')].map(
                    (a) => [a.textContent, a.href, a.target, a.rel]),
            };
        }""",
        [text, USERS, CHANNELS],
    )


def test_mrkdwn_formats_like_slack(page):
    out = rendered(
        page,
        f":white_check_mark: *Accepted* by <@{WORKER}> in <#C0CVCLINIC> and <#C0OTHER01|other>, "
        "_soon_, ~never~, `code &amp; more`, <!here>, <https://example.org/a?b=1&amp;c=2|the form> "
        "and <https://example.org/plain>. :not_an_emoji: stays; 10:30: stays.\n"
        ">quoted *line*\n> second\nafter\n```pre *not bold*\nline two```",
    )
    assert out["strong"] == ["Accepted", "line"]
    assert out["em"] == ["soon"]
    assert out["s"] == ["never"]
    assert out["code"] == ["code & more"]
    assert out["pre"] == ["pre *not bold*\nline two"]
    assert out["quote"] == ["quoted linesecond"]  # two lines: <br> between them
    assert out["mention"] == ["@Wes Worker", "#handovers-cv-clinic", "#other", "@here"]
    assert out["broadcast"] == ["@here"]
    assert out["links"] == [
        ["the form", "https://example.org/a?b=1&c=2", "_blank", "noopener noreferrer"],
        ["https://example.org/plain", "https://example.org/plain", "_blank", "noopener noreferrer"],
    ]
    assert out["text"].startswith("✅ Accepted by @Wes Worker")
    assert ":not_an_emoji: stays; 10:30: stays." in out["text"]
    assert "quoted <strong>line</strong><br>second</blockquote>after<br>" in out["html"]

    emoji = page.evaluate(
        "() => ['hourglass_flowing_sand', 'arrow_right', 'telephone_receiver', 'checkered_flag',"
        " 'no_entry_sign', 'compass', 'outbox_tray', 'leftwards_arrow_with_hook',"
        " 'large_orange_circle', 'red_circle', 'spiral_calendar_pad', 'wave::skin-tone-3'"
        "].map((n) => BK.mrkdwn(`:${n}:`))"
    )
    assert emoji == ["⏳", "➡️", "📞", "🏁", "🚫", "🧭", "📤", "↩️", "🟠", "🔴", "🗓️", "👋🏼"]
    plain = page.evaluate(
        "() => [BK.plainText({type: 'plain_text', text: ':compass: <b>x</b>', emoji: true}),"
        " BK.plainText({type: 'mrkdwn', text: '*Hi* <@U1|ada> &amp; co'}), BK.plainText(null)]"
    )
    assert plain == ["🧭 <b>x</b>", "Hi @ada & co", ""]


def test_hostile_text_stays_inert(page):
    hostile = [
        "&lt;script&gt;window.pwned = 1&lt;/script&gt;",
        '&lt;img src=x onerror="window.pwned=1"&gt; &lt;img src=x onerror=window.pwned=1&gt;',
        escape("Ping <!channel> and <@U0BADGUY1>, see <https://evil.example|your bank>"),
        '<javascript:window.pwned=1|click me> <https://x.example/"onmouseover="window.pwned=1|x>',
        "*<img src=x onerror=window.pwned=1>*",
        "\ue0000\ue001 forged placeholder",
    ]
    outs = [rendered(page, text) for text in hostile]
    assert outs[0]["text"] == "<script>window.pwned = 1</script>"
    assert outs[1]["scripts"] == 0
    assert (
        outs[1]["text"] == '<img src=x onerror="window.pwned=1"> <img src=x onerror=window.pwned=1>'
    )
    assert outs[2]["text"] == (
        "Ping <!channel> and <@U0BADGUY1>, see <https://evil.example|your bank>"
    )
    assert outs[2]["mention"] == [] and outs[2]["links"] == []
    assert outs[3]["links"] == [
        ["x", "https://x.example/%22onmouseover=%22window.pwned=1", "_blank", "noopener noreferrer"]
    ]
    assert "click me" in outs[3]["text"]
    assert outs[4]["scripts"] == 0
    assert outs[5]["text"] == "0 forged placeholder"
    page.wait_for_timeout(50)
    assert page.evaluate("() => window.pwned") is None
    assert all(out["scripts"] == 0 for out in outs)


# -- layout --------------------------------------------------------------------------------


def test_narrow_window_stacks_fields_without_sideways_scrolling(page):
    page.set_viewport_size({"width": 390, "height": 800})
    card = provider_card(handover(), card_provider="cv-clinic", provider=CV_CLINIC, network=NETWORK)
    unmatched = handover(state=State.UNMATCHED, provider_id=None, match_reason="")
    show(page, card.blocks)
    choices = RouteChoices(fit=[CV_CLINIC], caught=[], other=[ESOL_HUB])
    show(page, unmatched_card(unmatched, choices=choices, network=NETWORK).blocks)
    show_modal(page, referral_modal(NETWORK))

    lefts = {
        round(box["x"]) for box in map(lambda f: f.bounding_box(), page.locator(".bk-field").all())
    }
    assert len(lefts) == 1, f"fields should sit in one column, at x={lefts}"
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways: {width}"

    page.set_viewport_size({"width": 1280, "height": 800})
    lefts = {round(f.bounding_box()["x"]) for f in page.locator(".bk-field").all()}
    assert len(lefts) == 2, "fields sit in two columns on a wide window"


def test_screenshots_of_the_referral_modal_and_a_provider_card(page):
    """For a person to look at (/tmp, not committed): does it look like Slack?"""
    card = provider_card(handover(), card_provider="cv-clinic", provider=CV_CLINIC, network=NETWORK)
    show(page, card.blocks)
    page.locator(".demo-message").screenshot(path="/tmp/bk-provider-card.png")
    page.locator("#root").evaluate("(root) => root.replaceChildren()")
    show_modal(page, referral_modal(NETWORK))
    page.locator(".bk-modal").evaluate(
        "(m) => m.style.setProperty('--bk-modal-max-height', 'none')"
    )
    page.locator(".bk-modal").screenshot(path="/tmp/bk-referral-modal.png")
    page.locator(".bk-modal").evaluate("(m) => m.style.removeProperty('--bk-modal-max-height')")
    page.screenshot(path="/tmp/bk-referral-modal-viewport.png")
