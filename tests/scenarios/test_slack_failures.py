"""When Slack says no: the handover is safe, and what can still be said is said."""

from tests.network import ADVISER, CV_CHANNEL
from tests.scenarios.helpers import refer


def test_a_rate_limited_card_is_retried_after_retry_after(slack, fake):
    fake.fail_next("chat.postMessage", error="ratelimited", status=429, retry_after=0)
    refer(slack)
    posts = fake.calls_to("chat.postMessage")
    assert posts[0].error == "ratelimited"
    assert len(fake.messages(CV_CHANNEL)) == 1  # delivered once, on the retry


def test_a_card_slack_refuses_loses_no_handover(slack, fake):
    slack.errors_expected = True
    fake.fail_next("chat.postMessage", error="channel_not_found")
    answer = refer(slack)
    assert answer["response_action"] == "update"  # the adviser's submission still succeeds
    assert fake.messages(CV_CHANNEL) == []
    assert any("HO-0001" in m["text"] for m in fake.dms(ADVISER))
    logged = [r.getMessage() for r in slack.errors.records]
    assert any("HO-0001" in line and "channel_not_found" in line for line in logged)
    slack.command(ADVISER, "status HO-0001")
    assert "Waiting to be accepted" in fake.ephemerals(ADVISER)[-1]["text"]
