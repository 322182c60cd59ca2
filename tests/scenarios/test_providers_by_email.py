"""Providers without Slack: each handover by e-mail (through the stand-in GOV.UK Notify),
and a page of the bot's where they accept, decline, record first contact and the outcome,
through the same lifecycle as the Slack card; signed links, CSRF, one-time codes."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from notifications_python_client.notifications import NotificationsAPIClient
from sqlalchemy import text
from werkzeug.test import Client

from bot.directory.network import parse_network
from sandbox import notify_templates
from sandbox.notify import FakeNotify
from server.web import wsgi_app
from tests.harness import Harness
from tests.network import ADVISER, COORD_CHANNEL, COORDINATOR, NETWORK_YAML
from tests.scenarios.helpers import last_card, refer
from tests.scenarios.test_audit import exported

PUBLIC = "https://handover.example.org"
ABLE = "team@ableworks.example.org"
BOTH = "desk@greenworks.example.org"
GREEN_CHANNEL = "C0GREEN001"
GREEN_STAFF = "UGREENST1"


def _network_yaml() -> str:
    yaml = NETWORK_YAML.replace(
        "  self_employment: Self-employment\n",
        "  self_employment: Self-employment\n  volunteering: Volunteering\n  garden: Garden jobs\n",
    )
    extra = f"""  - id: able-works
    name: Able Works
    email: {ABLE}
    services: [volunteering]
  - id: green-works
    name: Green Works
    channel: {GREEN_CHANNEL}
    email: {BOTH}
    services: [garden]
"""
    yaml = yaml.replace("providers:\n", "providers:\n" + extra, 1)
    return yaml + notify_templates.network_section()


@pytest.fixture(scope="module")
def notify_server():
    with FakeNotify() as fake:
        notify_templates.seed(fake)
        yield fake


@pytest.fixture
def notify(notify_server):
    notify_server.forget()
    yield notify_server
    notify_server.forget()


@pytest.fixture
def network():
    return parse_network(_network_yaml(), source="test")


@pytest.fixture
def slack(fake, db, network, clock, notify):
    fake.add_user(GREEN_STAFF, name="gina", real_name="Gina Green")
    fake.add_channel(GREEN_CHANNEL, name="handovers-green", members=[GREEN_STAFF])
    client = NotificationsAPIClient(notify.api_key, base_url=notify.base_url, timeout=5)
    harness = Harness(
        fake=fake, engine=db, network=network, clock=clock, notify=client, public_url=PUBLIC
    )
    yield harness
    harness.executor.drain()
    harness.executor.shutdown()


def mails(notify, to=ABLE) -> list:
    return notify.sent_to(to)


def path_of(mail) -> str:
    link = mail.personalisation["link"]
    assert link.startswith(PUBLIC + "/p/"), link
    return link.removeprefix(PUBLIC)


def csrf(page_html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page_html).group(1)


class Browser:
    """A worker's browser on the page: keeps its cookie, sends the page's own forms."""

    def __init__(self, slack):
        self.client = Client(wsgi_app(slack.app, slack.app.bot.pages.handovers.sessions.engine))
        self.slack = slack
        self.html = ""

    def get(self, path: str):
        response = self.client.get(path)
        self.html = response.get_data(as_text=True)
        return response

    def post(self, path: str, do: str, token: str | None = None, **fields):
        data = {"do": do, "csrf": csrf(self.html) if token is None else token, **fields}
        response = self.client.post(path, data=data)
        self.html = response.get_data(as_text=True)
        self.slack.executor.drain()
        return response


@pytest.fixture
def browser(slack):
    return Browser(slack)


def state(db, handover_id: int = 1) -> str:
    with db.connect() as connection:
        return connection.execute(
            text("SELECT state FROM handover WHERE id = :id"), {"id": handover_id}
        ).scalar_one()


def events(db, kind: str) -> int:
    with db.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM handover_event WHERE kind = :kind"), {"kind": kind}
        ).scalar_one()


def accept_on_page(browser, path, name="Priya Patel", date="2026-11-27"):
    browser.get(path)
    return browser.post(path, "accept", worker_name=name, contact_by=date)


# -- the e-mail in place of the card -------------------------------------------------------


def test_an_email_only_provider_gets_what_a_card_carries_and_never_who_the_resident_is(
    slack, fake, notify
):
    answer = refer(slack, needs=["volunteering"])
    assert "Able Works" in str(answer)
    (mail,) = mails(notify)
    assert mail.subject.startswith("HO-0001: a new handover for Able Works")
    for fact in ("Volunteering", "NW1", "Soon", "Kentish Town Job Club", "warehouse work"):
        assert fact in mail.body
    assert "Why you" in mail.body
    for secret in ("Sam Resident", "07911", "Step-free"):
        assert secret not in mail.body and secret not in mail.subject
    assert path_of(mail).startswith("/p/")
    # Nothing went to a Slack channel for it, and the outbox row kept no resident data.
    assert all("HO-0001" not in str(fake.messages(c)) for c in (GREEN_CHANNEL,))
    with slack.app.bot.outbox.sessions() as session:
        rows = session.execute(text("SELECT payload FROM outbox")).scalars().all()
    assert not any("Sam Resident" in (row or "") for row in rows)
    assert any("Able Works" in str(dm) for dm in fake.dms(ADVISER))


def test_the_card_goes_once_even_when_the_outbox_runs_twice(slack, notify):
    refer(slack, needs=["volunteering"])
    slack.app.bot.outbox.deliver()
    slack.app.scheduler.tick()
    assert len(mails(notify)) == 1


def test_a_provider_with_a_channel_and_an_address_gets_both(slack, fake, notify):
    refer(slack, needs=["garden"])
    assert "HO-0001" in last_card(fake, GREEN_CHANNEL)["text"]
    (mail,) = mails(notify, BOTH)
    assert "Garden jobs" in mail.body


# -- the page --------------------------------------------------------------------------------


def test_the_page_shows_the_handover_and_accept_shows_the_details_once(
    slack, fake, notify, browser, db
):
    refer(slack, needs=["volunteering"])
    path = path_of(mails(notify)[0])
    page = browser.get(path)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "HO-0001" in browser.html and "Volunteering" in browser.html
    assert "Sam Resident" not in browser.html

    accepted = browser.post(path, "accept", worker_name="Priya Patel", contact_by="2026-11-27")
    assert accepted.status_code == 200
    assert "Sam Resident" in browser.html and "07911 123456" in browser.html
    assert "Step-free access please" in browser.html
    assert state(db) == "accepted"
    told = fake.dms(ADVISER)[-1]["text"]
    assert "Priya Patel (by e-mail)" in told and "Fri 27 Nov 2026" in told
    # The resident hears the worker's first name, from the page.
    (sms,) = notify.sent_to("07911 123456")
    assert sms.personalisation["worker_name"] == "Priya"

    browser.get(path)  # again: the details are not shown without a code
    assert "Sam Resident" not in browser.html
    assert "E-mail me a code" in browser.html and "Made contact" in browser.html


def test_accept_without_a_name_or_date_says_so_beside_each_field(slack, notify, browser, db):
    refer(slack, needs=["volunteering"])
    path = path_of(mails(notify)[0])
    browser.get(path)
    browser.post(path, "accept", worker_name=" ", contact_by="")
    assert "There is a problem" in browser.html
    assert 'aria-describedby="worker_name-error"' in browser.html
    assert 'aria-describedby="contact_by-error"' in browser.html
    assert state(db) == "pending"
    browser.post(path, "accept", worker_name="Priya", contact_by="2026-11-01")
    assert "Choose today or a later date." in browser.html
    assert state(db) == "pending"


def test_contact_then_outcome_from_the_page_closes_it_and_the_adviser_hears(
    slack, fake, notify, browser, db
):
    refer(slack, needs=["volunteering"])
    path = path_of(mails(notify)[0])
    accept_on_page(browser, path)
    browser.post(path, "contact")
    assert state(db) == "contacted"
    assert "made first contact" in fake.dms(ADVISER)[-1]["text"]
    browser.post(path, "outcome", outcome="other", outcome_note="")
    assert 'aria-describedby="outcome_note-error"' in browser.html
    browser.post(path, "outcome", outcome="started_support", outcome_note="")
    assert state(db) == "closed"
    assert "Closed" in browser.html
    assert "started support" in fake.dms(ADVISER)[-1]["text"]


def test_decline_from_the_page_moves_it_on_and_the_link_stops_working(
    slack, fake, notify, browser, db
):
    refer(slack, needs=["volunteering"])
    path = path_of(mails(notify)[0])
    browser.get(path)
    browser.post(path, "decline", reason="at_capacity", reason_note="")
    assert "declined" in browser.html
    assert state(db) == "unmatched"  # nobody else offers it: the coordinators have it
    assert "HO-0001" in last_card(fake, COORD_CHANNEL)["text"]
    gone = browser.get(path)
    assert gone.status_code == 410 and "no longer valid" in browser.html
    # The provider's own decline does not e-mail it that the handover left.
    assert len(mails(notify)) == 1


def test_a_tampered_or_made_up_link_is_refused_and_changes_nothing(slack, notify, browser, db):
    refer(slack, needs=["volunteering"])
    path = path_of(mails(notify)[0])
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    response = browser.get(tampered)
    assert response.status_code == 404 and "no longer valid" in browser.html
    assert browser.get("/p/not-a-token").status_code == 404
    assert browser.client.post(tampered, data={"do": "accept"}).status_code == 404
    assert state(db) == "pending"


def test_a_link_from_before_a_withdrawal_is_stale_and_the_provider_is_told(
    slack, fake, notify, browser, db
):
    refer(slack, needs=["volunteering"])
    path = path_of(mails(notify)[0])
    slack.app.bot.handovers.withdraw(1, actor_id=ADVISER)
    assert browser.get(path).status_code == 410
    last = mails(notify)[-1]
    assert "no longer with Able Works" in last.body and "withdrew" in last.body


def test_forms_without_the_pages_csrf_token_change_nothing(slack, notify, browser, db):
    refer(slack, needs=["volunteering"])
    path = path_of(mails(notify)[0])
    browser.get(path)
    good = csrf(browser.html)
    assert (
        browser.post(path, "accept", token="", worker_name="X", contact_by="2026-11-27").status_code
        == 403
    )
    assert (
        browser.post(
            path, "accept", token="forged", worker_name="X", contact_by="2026-11-27"
        ).status_code
        == 403
    )
    # Another browser (no cookie of its own) cannot use this one's token.
    other = Browser(slack)
    response = other.client.post(
        path, data={"do": "accept", "csrf": good, "worker_name": "X", "contact_by": "2026-11-27"}
    )
    assert response.status_code == 403
    assert state(db) == "pending"
    # A form left open past its two hours has expired.
    slack.clock._now += timedelta(hours=3)
    expired = browser.client.post(
        path, data={"do": "accept", "csrf": good, "worker_name": "X", "contact_by": "2026-11-27"}
    )
    assert expired.status_code == 403 and state(db) == "pending"


def test_a_body_that_is_not_a_form_is_a_400(slack, notify, browser):
    refer(slack, needs=["volunteering"])
    path = path_of(mails(notify)[0])
    browser.get(path)
    response = browser.client.post(path, data=b"\xff\xfe", content_type="application/json")
    assert response.status_code == 400
    big = browser.client.post(path, data={"do": "accept", "csrf": "x" * 20_000})
    assert big.status_code == 413


def test_accept_from_the_page_and_from_slack_at_once_applies_once(slack, fake, notify, db):
    refer(slack, needs=["garden"])
    path = path_of(mails(notify, BOTH)[0])
    page = Browser(slack)
    page.get(path)
    card = last_card(fake, GREEN_CHANNEL)
    slack.click_button(GREEN_STAFF, card, GREEN_CHANNEL, "Accept")
    start = threading.Barrier(2)
    answers = {}

    def from_slack():
        start.wait()
        answers["slack"] = slack.answer(slack.submit(GREEN_STAFF, {"contact_by": "2026-11-27"}))

    def from_page():
        start.wait()
        page.post(path, "accept", worker_name="Pat Page", contact_by="2026-11-27")

    threads = [threading.Thread(target=from_slack), threading.Thread(target=from_page)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert events(db, "accepted") == 1
    page_won = "Sam Resident" in page.html
    slack_won = "Sam Resident" in str(answers["slack"])
    assert page_won != slack_won
    if slack_won:
        assert "already accepted" in page.html
    else:
        assert "already accepted" in str(answers["slack"])


# -- the details again: a one-time code ---------------------------------------------------


def test_the_details_again_only_with_a_one_time_code_sent_to_the_providers_address(
    slack, notify, browser, db, clock
):
    refer(slack, needs=["volunteering"])
    path = path_of(mails(notify)[0])
    accept_on_page(browser, path)
    browser.get(path)
    browser.post(path, "code")
    code_mail = mails(notify)[-1]
    code = re.search(r"\b(\d{6})\b", code_mail.body).group(1)
    assert "Sam Resident" not in code_mail.body
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    browser.post(path, "details", code=wrong)
    assert "Sam Resident" not in browser.html
    assert 'aria-describedby="code-error"' in browser.html
    browser.post(path, "details", code=code)
    assert "Sam Resident" in browser.html
    browser.post(path, "details", code=code)  # once only
    assert "Sam Resident" not in browser.html

    browser.post(path, "code")
    later = re.search(r"\b(\d{6})\b", mails(notify)[-1].body).group(1)
    clock._now += timedelta(minutes=11)
    browser.post(path, "details", code=later)  # expired
    assert "Sam Resident" not in browser.html
    with db.connect() as connection:
        stored = connection.execute(text("SELECT code_hash FROM page_code")).scalars().all()
    assert code not in str(stored) and later not in str(stored)


def test_every_view_of_the_page_is_in_the_audit_trail(slack, notify, browser, db):
    refer(slack, needs=["volunteering"])
    path = path_of(mails(notify)[0])
    accept_on_page(browser, path)
    with db.connect() as connection:
        seen = connection.execute(
            text("SELECT viewer_id, what FROM access_log WHERE handover_id = 1 ORDER BY id")
        ).all()
    assert ("mail:able-works", "page") in seen and ("mail:able-works", "details") in seen
    slack.command(COORDINATOR, "audit HO-0001")
    _, files = exported(slack.fake)
    trail = files["HO-0001-audit.csv"]
    assert "Able Works (its handover page)" in trail
    assert "Sam Resident" not in trail


def test_an_email_notify_refuses_is_told_to_the_coordinators(slack, fake, notify):
    notify.fail_next("email", status=400, error="BadRequestError", message="Not a valid email")
    refer(slack, needs=["volunteering"])
    slack.app.bot.outbox.deliver()
    notice = last_card(fake, COORD_CHANNEL)["text"]
    assert "HO-0001" in notice and "e-mail address of `able-works`" in notice


# -- reminders, escalation, routing by hand -------------------------------------------------


def test_reminders_reach_an_email_provider_by_email(slack, fake, notify, browser, clock):
    refer(slack, needs=["volunteering"])
    clock._now += timedelta(days=1, hours=1)  # past its day to accept, in working time
    slack.app.scheduler.tick()
    slack.app.bot.outbox.deliver()
    assert any(m.subject.startswith("Reminder: HO-0001") for m in mails(notify))

    path = path_of(mails(notify)[0])
    accept_on_page(browser, path, date="2026-11-27")
    clock._now += timedelta(days=5)  # Tuesday: the promised Friday has passed
    slack.app.scheduler.tick()
    slack.app.bot.outbox.deliver()
    nudges = [m for m in mails(notify) if "first contact" in m.subject]
    assert nudges
    with slack.app.bot.outbox.sessions() as session:
        to_page = session.execute(
            text(
                "SELECT count(*) FROM outbox "
                "WHERE method = 'chat.postMessage' AND channel LIKE 'mail:%'"
            )
        ).scalar_one()
    assert to_page == 0  # never a Slack DM to the page's worker


def test_a_coordinator_routes_by_hand_to_an_email_provider(slack, fake, notify):
    refer(slack, needs=["self_employment"])
    card = last_card(fake, COORD_CHANNEL)
    select = next(b["accessory"] for b in card["blocks"] if "accessory" in b)
    option = next(
        o
        for g in select["option_groups"]
        for o in g["options"]
        if o["text"]["text"] == "Able Works"
    )
    slack.click(
        COORDINATOR,
        select["action_id"],
        selected=option["value"],
        message=card,
        channel=COORD_CHANNEL,
    )
    (mail,) = mails(notify)
    assert "Routed by hand by a coordinator" in mail.body


def test_an_escalation_reaches_the_email_provider_too(slack, fake, notify, clock):
    refer(slack, needs=["volunteering"])
    for _ in range(4):  # past accept_within, then escalate_after, in working days
        clock._now += timedelta(days=1)
        slack.app.scheduler.tick()
    slack.app.bot.outbox.deliver()
    escalated = [m for m in mails(notify) if "gone to the coordinators" in m.subject]
    assert len(escalated) == 1 and "not accepted in time" in escalated[0].body
    assert "HO-0001" in str(fake.messages(COORD_CHANNEL))
