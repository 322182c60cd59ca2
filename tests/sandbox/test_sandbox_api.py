"""The sandbox end to end through its JSON API: the real bot behind a stand-in Slack."""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest

from sandbox.demo import GENERAL, staff_id
from sandbox.run import EXAMPLE_NETWORK, Sandbox
from tests.harness import TrackingExecutor, fill
from tests.scenarios.helpers import GOOD_REFERRAL

ADVISER = "U0ADVISER1"


class Page:
    """What the browser page does: read state, post what the persona did."""

    def __init__(self, sandbox: Sandbox, executor: TrackingExecutor):
        self.sandbox = sandbox
        self.executor = executor

    def state(self, persona: str, conv: str = "", thread: str = "") -> dict:
        query = f"as={persona}&conv={conv}&thread={thread}"
        with urllib.request.urlopen(f"{self.sandbox.url}/sandbox/state?{query}") as response:
            return json.loads(response.read())

    def post(self, verb: str, **body) -> dict:
        request = urllib.request.Request(
            f"{self.sandbox.url}/sandbox/{verb}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            answer = json.loads(response.read())
        self.executor.drain()  # the bot's work after ack()
        return answer

    def messages(self, persona: str, conv: str) -> list[dict]:
        return self.state(persona, conv)["conversation"]["messages"]

    def refer(self, **changes) -> dict:
        self.post("command", **{"as": ADVISER}, conv=GENERAL, text="/handover")
        modal = self.state(ADVISER, GENERAL)["modal"]
        values = fill(modal["view"], {**GOOD_REFERRAL, **changes})
        answer = self.post("submit", **{"as": ADVISER}, view_id=modal["id"], values=values)
        if answer.get("errors"):
            return answer
        choice = self.state(ADVISER, GENERAL)["modal"]  # step two: where it goes
        values = fill(choice["view"], {"destination": "network"})
        return self.post("submit", **{"as": ADVISER}, view_id=choice["id"], values=values)


def start(folder):
    executor = TrackingExecutor()
    # The bare workflow from HO-0001: the demo's history has its own tests (test_history.py).
    sandbox = Sandbox(port=0, folder=folder, listener_executor=executor, history=False)
    thread = threading.Thread(target=sandbox.run, daemon=True)
    thread.start()
    return sandbox, thread, Page(sandbox, executor)


@pytest.fixture
def demo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no network.yaml here: the example network is used
    monkeypatch.delenv("NETWORK_FILE", raising=False)
    sandbox, thread, page = start(tmp_path / ".sandbox")
    yield page
    sandbox.stop()
    thread.join(timeout=15)


def find_card(page) -> tuple[str, str, dict]:
    """The provider the demo routed HO-0001 to, its channel, and the card."""
    for provider in (p for p in page.sandbox.network.providers if p.channel):
        for message in page.messages(staff_id(provider.id), provider.channel):
            if "HO-0001" in message["text"]:
                return staff_id(provider.id), provider.channel, message
    raise AssertionError("no card for HO-0001 in any provider channel")


def button(message: dict, label: str) -> dict:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("type") == "button" and element["text"]["text"] == label:
                return {k: element[k] for k in ("type", "action_id", "value")} | {
                    "block_id": block.get("block_id", "")
                }
    raise AssertionError(f"no {label} button")


def test_an_adviser_refers_and_a_provider_accepts_in_the_sandbox(demo):
    assert demo.refer() == {"ok": True}
    staff, channel, card = find_card(demo)
    assert "Sam Resident" not in json.dumps(card)
    demo.post(
        "action",
        **{"as": staff},
        conv=channel,
        surface="message",
        message_ts=card["ts"],
        action=button(card, "Accept"),
    )
    modal = demo.state(staff, channel)["modal"]
    assert modal["view"]["title"]["text"] == "Accept HO-0001"
    demo.post(
        "submit",
        **{"as": staff},
        view_id=modal["id"],
        values=fill(modal["view"], {"contact_by": "2099-01-05"}),
    )
    shown = demo.state(staff, channel)
    assert "Sam Resident" in json.dumps(shown["modal"]["view"])  # details, privately
    assert "Sam Resident" not in json.dumps(shown["conversation"])
    dm = demo.messages(staff, f"D{staff}")
    assert any("Sam Resident" in json.dumps(m["blocks"]) for m in dm)
    card = next(m for m in demo.messages(staff, channel) if m["ts"] == card["ts"])
    assert "Made contact" in json.dumps(card["blocks"])
    told = demo.messages(ADVISER, f"D{ADVISER}")
    assert any("accepted" in m["text"] for m in told)
    thread = demo.state(staff, channel, thread=card["ts"])["thread"]
    assert any("accepted" in r["text"] for r in thread["replies"])


def test_bad_input_comes_back_as_inline_errors(demo):
    answer = demo.refer(consent=[], phone="123")
    assert answer["ok"] and set(answer["errors"]) == {"consent", "phone"}
    modal = demo.state(ADVISER, GENERAL)["modal"]
    assert modal["errors"]["phone"].startswith("That is not a UK phone number")


def test_a_commands_answer_is_shown_only_to_whoever_typed_it(demo):
    demo.post("command", **{"as": ADVISER}, conv=GENERAL, text="/handover help")
    mine = demo.messages(ADVISER, GENERAL)
    assert mine[-1]["ephemeral"] and "status HO-0042" in mine[-1]["text"]
    assert demo.messages("U0ADVISER2", GENERAL) == []


def test_app_home_and_the_withdraw_button(demo):
    demo.refer()
    demo.post("home", **{"as": ADVISER})
    home = demo.state(ADVISER, "home")["conversation"]["home"]
    assert "HO-0001" in json.dumps(home)
    withdraw = next(b["accessory"] for b in home["blocks"] if "accessory" in b)
    demo.post(
        "action",
        **{"as": ADVISER},
        conv="home",
        surface="home",
        action={"type": "button", "action_id": withdraw["action_id"], "value": withdraw["value"]},
    )
    _, _, card = find_card(demo)
    assert "Withdrawn" in json.dumps(card["blocks"])


def test_the_demo_survives_a_restart_and_reset_starts_again(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NETWORK_FILE", raising=False)
    sandbox, thread, page = start(tmp_path / ".sandbox")
    page.refer()
    sandbox.stop()
    thread.join(timeout=15)

    sandbox, thread, page = start(tmp_path / ".sandbox")
    try:
        find_card(page)  # the workspace came back
        page.post("command", **{"as": ADVISER}, conv=GENERAL, text="/handover status HO-0001")
        assert "HO-0001" in page.messages(ADVISER, GENERAL)[-1]["text"]  # and the bot's data
        page.post("reset")
        with pytest.raises(AssertionError):
            find_card(page)
        page.refer()
        find_card(page)  # numbering starts again at HO-0001
    finally:
        sandbox.stop()
        thread.join(timeout=15)


def test_refusals_are_sentences_for_the_page(demo):
    assert demo.post("command", **{"as": ADVISER}, conv=GENERAL, text="/weather") == {
        "ok": False,
        "error": "/weather is not a command here: try /handover.",
    }
    answer = demo.post("command", **{"as": ADVISER}, conv="C0CVCLINIC", text="/handover")
    assert answer["ok"] is False and "not in that channel" in answer["error"]


def test_the_page_is_told_how_the_network_writes_dates(tmp_path, monkeypatch):
    us = tmp_path / "network.yaml"
    us.write_text(
        EXAMPLE_NETWORK.read_text().replace("timezone: Europe/London", "timezone: America/New_York")
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NETWORK_FILE", str(us))
    sandbox, thread, page = start(tmp_path / ".sandbox")
    try:
        assert page.state(ADVISER)["dates"] == {"locale": "en-US", "timezone": "America/New_York"}
    finally:
        sandbox.stop()
        thread.join(timeout=15)


def test_a_uk_network_is_written_en_gb(demo):
    assert demo.state(ADVISER)["dates"] == {"locale": "en-GB", "timezone": "Europe/London"}
