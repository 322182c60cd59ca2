"""What a handover costs the database: one transaction per request, and a handful in all
from the adviser's /handover to the provider's card and the adviser's DM at Slack."""

from __future__ import annotations

from sqlalchemy import event

from tests.network import ADVISER, CV_CHANNEL
from tests.scenarios.helpers import GOOD_REFERRAL

MOST_PER_HANDOVER = 8


class Transactions:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "begin", self._begun)

    def _begun(self, _connection) -> None:
        self.count += 1

    def during(self, step) -> int:
        before = self.count
        step()
        return self.count - before


def test_each_request_of_a_referral_is_one_transaction_and_the_whole_a_handful(slack, fake, db):
    counted = Transactions(db)
    slack.command(ADVISER, "")
    slack.submit(ADVISER, {**GOOD_REFERRAL, "name": "Ann Earlier"})
    slack.submit(ADVISER, {"destination": "network"})  # the first handover warms things up
    steps = {
        "/handover": lambda: slack.command(ADVISER, ""),
        "Next": lambda: slack.submit(ADVISER, GOOD_REFERRAL),
        # Send, with its card and the adviser's DM delivered before the request ends.
        "Send": lambda: slack.submit(ADVISER, {"destination": "network"}),
    }
    cards, dms = len(fake.messages(CV_CHANNEL)), len(fake.messages(ADVISER))
    spent = {name: counted.during(step) for name, step in steps.items()}
    # Counted to the end: the card reached the provider and the receipt the adviser.
    assert len(fake.messages(CV_CHANNEL)) == cards + 1
    assert len(fake.messages(ADVISER)) > dms
    assert spent["/handover"] == 1 and spent["Next"] == 1, spent
    assert sum(spent.values()) <= MOST_PER_HANDOVER, spent
