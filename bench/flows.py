"""One adviser's handover, step by step, as Slack would send it; each step timed."""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench.client import Sender
from bench.fake import TimedCall, TimedFake
from bench.network import GENERAL
from bot.ids import COMMAND, Act
from sandbox import requests
from tests.harness import fill
from tests.scenarios.helpers import GOOD_REFERRAL

TEAM = "T0001"
REF = re.compile(r"HO-\d{4,}")
# The answers an adviser gives: the scenario tests' referral, then "let the network decide".
REFERRAL = GOOD_REFERRAL
ACCEPT_ACTION = Act.ACCEPT


class FlowError(Exception):
    """Something a handover needed did not happen (a lost message, a refused request)."""


@dataclass
class Timings:
    """Seconds: acknowledgements as the client saw them, the card as the fake saw it."""

    acks: dict[str, float] = field(default_factory=dict)
    answered_at: float | None = None  # time.perf_counter() when Send's answer came
    card: float | None = None
    ref: str | None = None
    # What the bot said, so the bare app can say the same (see bench.bare).
    samples: dict[str, dict] = field(default_factory=dict)


def _check(status: int, answer: dict, step: str) -> None:
    if status != 200:
        raise FlowError(f"{step}: HTTP {status}")
    if answer.get("response_action") == "errors":
        raise FlowError(f"{step}: the form was refused: {answer.get('errors')}")


class Flow:
    def __init__(self, fake: TimedFake, sender: Sender, *, channels: dict[str, str]):
        self.fake = fake
        self.sender = sender
        self.channels = channels  # provider channel -> a member of its staff
        self.timeout = 20.0
        self.residents = itertools.count(1)

    def _wait(self, what: str, match, after: int) -> TimedCall:
        call = self.fake.wait_for(match, after=after, timeout=self.timeout)
        if call is None:
            raise FlowError(f"no {what} within {self.timeout:.0f} s")
        if not call.reply.get("ok"):
            raise FlowError(f"{what} refused: {call.reply.get('error')}")
        return call

    def handover(self, adviser: str, *, accept: bool = False, samples: bool = False) -> Timings:
        """/handover, fill the form, Next, Send; wait for the card; optionally click Accept."""
        timings = Timings()
        fake, sender = self.fake, self.sender

        mark = fake.mark()
        trigger = fake.issue_trigger_id(adviser)
        command = requests.slash_command(
            team=TEAM,
            user=adviser,
            channel=GENERAL,
            text="",
            response_url=fake.response_url(adviser, GENERAL),
            trigger_id=trigger,
        )
        status, answer, timings.acks["command"] = sender.post(requests.form(command))
        _check(status, answer, "/handover")
        opened = self._wait(
            "referral modal",
            lambda c: c.method == "views.open" and c.args.get("trigger_id") == trigger,
            mark,
        )
        form = opened.reply["view"]

        # Each handover a different resident: the same one again would be warned of at Next.
        resident = {**REFERRAL, "name": f"{REFERRAL['name']} {next(self.residents)}"}
        status, answer, timings.acks["next"] = sender.post(self._submit(adviser, form, resident))
        _check(status, answer, "Next")
        if answer.get("response_action") != "update":
            raise FlowError(f"Next did not show the choice: {answer}")
        choice = {**answer["view"], "id": form["id"]}

        mark = fake.mark()
        started = time.perf_counter()
        status, answer, timings.acks["send"] = sender.post(
            self._submit(adviser, choice, {"destination": "network"})
        )
        _check(status, answer, "Send")
        timings.answered_at = time.perf_counter()
        found = REF.search(str(answer.get("view", {}).get("title", {})))
        if found is None:
            # Not sent (the bot said why): a refused request, not a handover.
            raise FlowError(f"Send: no handover in the answer: {str(answer)[:200]}")
        timings.ref = found.group(0)
        card = self._wait("provider card", self._is_card(timings.ref), mark)
        timings.card = card.at - started
        if samples:
            timings.samples = {
                "referral": opened.args["view"],
                "choice": answer_view(choice),
                "sent": answer["view"],
                "card": {k: card.args[k] for k in ("channel", "text", "blocks") if k in card.args},
                "command": COMMAND,
                "accept_action": ACCEPT_ACTION,
            }
        if accept:
            view = self.accept(card, timings)
            answer = self.accept_submit(card, view, timings)
            if samples:
                timings.samples["accept"] = view
                timings.samples["accepted"] = answer
        return timings

    def _is_card(self, ref: str | None):
        def match(call: TimedCall) -> bool:
            if call.method != "chat.postMessage" or call.args.get("thread_ts"):
                return False
            if call.args.get("channel") not in self.channels:
                return False
            return ref is None or ref in str(call.args.get("text", ""))

        return match

    def accept(self, card: TimedCall, timings: Timings) -> dict:
        """A member of the provider's staff presses Accept on the card: the modal opens."""
        channel = card.reply.get("channel") or card.args["channel"]
        staff = self.channels[card.args["channel"]]
        message = {**card.reply.get("message", {}), "ts": card.reply["ts"]}
        message.setdefault("blocks", card.args.get("blocks", []))
        button = _button(message["blocks"], ACCEPT_ACTION)
        mark = self.fake.mark()
        trigger = self.fake.issue_trigger_id(staff)
        payload = requests.block_actions(
            team=TEAM,
            user=staff,
            trigger_id=trigger,
            action={"type": "button", "block_id": "b", **button},
            channel=channel,
            message=message,
            response_url=self.fake.response_url(staff, channel, message["ts"]),
        )
        status, answer, timings.acks["accept"] = self.sender.post(requests.interaction(payload))
        _check(status, answer, "Accept")
        opened = self._wait(
            "accept modal",
            lambda c: c.method == "views.open" and c.args.get("trigger_id") == trigger,
            mark,
        )
        return opened.args["view"]

    def accept_submit(self, card: TimedCall, view: dict, timings: Timings) -> dict:
        """The same member submits the accept modal: first contact promised in two days."""
        staff = self.channels[card.args["channel"]]
        opened = {**view, "id": f"VACCEPT{next(self.residents)}"}
        when = (date.today() + timedelta(days=2)).isoformat()
        status, answer, timings.acks["accept_submit"] = self.sender.post(
            self._submit(staff, opened, {"contact_by": when})
        )
        _check(status, answer, "Accept submission")
        return answer

    def _submit(self, user: str, view: dict, answers: dict) -> tuple[str, str]:
        payload = requests.view_submission(
            team=TEAM,
            user=user,
            trigger_id=self.fake.issue_trigger_id(user),
            view=view,
            values=fill(view, answers),
        )
        return requests.interaction(payload)


def answer_view(view: dict) -> dict:
    """A view as an app answers it (what it sent), without what Slack adds."""
    keep = ("type", "title", "submit", "close", "blocks", "private_metadata", "callback_id")
    return {k: view[k] for k in keep if k in view and view[k] not in (None, "")}


def _button(blocks: list, action_id: str) -> dict:
    for block in blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id:
                return {k: element[k] for k in ("action_id", "value") if k in element}
    raise FlowError(f"no {action_id} button on the card")
