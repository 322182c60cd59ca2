"""The operator's documents name what a real scrape exports: every metric in
docs/metrics.md and nothing missing from it, and every metric an alert in docs/alerts.yaml
asks about."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.operations.scrape import scrape
from tests.scenarios.helpers import refer

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"\bhandover_[a-z_]+\b")
# A histogram's series are its family's name with these endings.
SERIES = ("_bucket", "_count", "_sum")


def exported(slack, fake) -> set[str]:
    """The bot's own metric families, from a scrape after a referral and a Slack error."""
    slack.errors_expected = True
    fake.fail_next("chat.postMessage", error="internal_error")
    refer(slack)
    return {name for name in scrape(slack.http).families if name.startswith("handover_")}


def family(name: str) -> str:
    for ending in SERIES:
        if name.endswith(ending):
            return name.removesuffix(ending)
    return name


def documented() -> set[str]:
    rows = [
        line
        for line in (ROOT / "docs" / "metrics.md").read_text().splitlines()
        if line.startswith("| `")
    ]
    return {re.match(r"\| `([a-z_]+)`", row).group(1) for row in rows}


def test_every_exported_metric_is_documented_and_every_documented_one_exported(slack, fake):
    assert documented() == exported(slack, fake)


def test_the_alert_rules_are_prometheus_rules_about_exported_metrics(slack, fake):
    rules = yaml.safe_load((ROOT / "docs" / "alerts.yaml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {"alert", "expr", "for", "labels", "annotations"} <= set(alerts[0])
    for rule in alerts:
        assert rule["alert"] and rule["expr"] and re.fullmatch(r"\d+[smh]", rule["for"])
        assert rule["labels"]["severity"] and rule["annotations"]["summary"]
    named = {family(name) for rule in alerts for name in NAME.findall(rule["expr"])}
    assert named <= exported(slack, fake)
    # The five things an operator must hear of.
    assert {
        "handover_outbox_oldest_age_seconds",
        "handover_scheduler_last_tick_timestamp_seconds",
        "handover_outbox_held_lanes",
        "handover_slack_api_errors_total",
        "handover_database_up",
    } <= named
