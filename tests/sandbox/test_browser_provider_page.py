"""A provider without Slack, in a browser: its e-mail arrives in the sandbox's Inbox, and
the link opens the handover's page, where a worker accepts with the keyboard alone on a
phone-sized screen, sees the resident's details once, and records first contact."""

from __future__ import annotations

from tests.sandbox.browser import expect, refer

PHONE = {"width": 390, "height": 844}


def test_the_inbox_gets_the_email_and_its_link_opens_the_page(tab, sandbox):
    page = tab
    inbox = page.get_by_test_id("inbox")
    page.get_by_test_id("inbox-toggle").click()
    expect(inbox).to_contain_text("Nothing yet")
    refer(page, need="Hospitality and catering traineeships", district="NW5", age_band="30-49")
    message = inbox.get_by_test_id("phone-message")
    expect(message).to_contain_text("HO-0001: a new handover for Kentish Town Community Kitchen")
    expect(message).not_to_contain_text("Sam Resident")
    link = message.get_by_role("link")
    href = link.get_attribute("href")
    assert href.startswith("http://127.0.0.1:") and "/p/" in href
    with page.context.expect_page() as opened:
        link.click()
    handover_page = opened.value
    handover_page.wait_for_load_state()
    expect(handover_page.get_by_role("heading", level=1)).to_contain_text("HO-0001")
    expect(handover_page.get_by_role("button", name="Accept")).to_be_visible()


def test_the_page_works_with_the_keyboard_alone_on_a_phone(browser, sandbox, tab):
    tab.get_by_test_id("inbox-toggle").click()
    refer(tab, need="Hospitality and catering traineeships", district="NW5", age_band="30-49")
    link = tab.get_by_test_id("inbox").get_by_role("link").first
    expect(link).to_be_visible()
    href = link.get_attribute("href")

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(href)
    # Nothing is wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Submitting without a name: the error summary, and the error tied to its field.
    name = page.get_by_label("Your name")
    name.focus()
    page.keyboard.press("Enter")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()  # a screen reader starts at what went wrong
    expect(page.get_by_label("Your name")).to_have_attribute("aria-invalid", "true")

    # Tab from the top reaches the name, then the date, then Accept, in that order.
    page.locator("body").focus()
    order = []
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(
            page.evaluate("document.activeElement.id || document.activeElement.textContent")
        )
        if order[-1] == "Accept":
            break
    assert order.index("worker_name") < order.index("contact_by") < order.index("Accept")
    # Back to the name by the keyboard, type it, and Enter sends the form.
    page.locator("body").focus()
    while page.evaluate("document.activeElement.id") != "worker_name":
        page.keyboard.press("Tab")
    page.keyboard.type("Priya Patel")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("You accepted HO-0001")
    expect(page.locator("#resident")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Sam Resident")
    # The focused control shows where it is (a visible outline).
    made = page.get_by_role("button", name="Made contact")
    made.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator(".status")).to_contain_text("First contact made by Priya Patel")
    expect(page.locator("main")).not_to_contain_text("Sam Resident")
    context.close()
    assert not errors
