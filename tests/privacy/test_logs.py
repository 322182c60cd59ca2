"""Nothing personal or secret in the logs, whatever the level and format."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.privacy import logs
from bot.privacy.logs import REDACTED, configure_logging
from tests.harness import DATA_KEY, SIGNING_SECRET
from tests.network import CV_CHANNEL, CV_STAFF
from tests.scenarios.helpers import GOOD_REFERRAL, last_card, refer

RESIDENT = {
    **GOOD_REFERRAL,
    "name": "Priya Nightingale",
    "phone": "07911 204867",
    "email": "priya.n@example.org",
    "access_needs": "Uses a wheelchair; needs step-free rooms",
}


@pytest.fixture
def captured():
    """Everything the root logger writes, through configure_logging's own handler; the root
    logger as it was afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    logs.redactor.forget_secrets()  # what other tests' app starts registered
    yield stream
    logs.redactor.forget_secrets()
    for handler in root.handlers:
        handler.removeFilter(logs.redactor)
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_debug_logging_of_a_whole_referral_leaks_nothing(captured, slack, fake):
    configure_logging(logging.DEBUG, stream=captured)
    refer(slack, **RESIDENT)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-27"})
    output = captured.getvalue()
    print(output)
    assert "chat.postMessage" in output and "json_body" in output  # it did log the bodies
    for secret in (
        "Priya",
        "Nightingale",
        "07911 204867",
        "07911204867",
        "+447911204867",
        "priya.n@example.org",
        "priya.n%40example.org",
        "wheelchair",
        "step-free",
        fake.bot_token,
        SIGNING_SECRET,
    ):
        assert secret not in output


def _line(captured, *args, json_format: bool = False, logger: str = "handover", **kwargs) -> str:
    configure_logging(logging.INFO, json=json_format, stream=captured)
    logging.getLogger(logger).info(*args, **kwargs)
    return captured.getvalue().strip().splitlines()[-1]


@pytest.mark.parametrize(
    "secret",
    [
        "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxp-1234-5678-abcd",
        "xapp-1-A0123456-1234567890-abcdef0123",
        "xoxe.xoxp-1-Mi0yLTEyMzQ1Ng",
        "xoxe-1-My0xLTEyMzQ1Njc4OTA",
        DATA_KEY,
        "8f742231b10e8888abcd99aaa0f385a5",
        "gAAAAABnQ2Vy4Xb0tPq3s-example_token_for_a_resident_name==",
    ],
)
def test_tokens_secrets_and_keys_are_redacted(captured, secret):
    line = _line(captured, "configured with %s", secret)
    assert secret not in line and line.endswith(f"configured with {REDACTED}")


def test_a_bearer_credential_is_redacted(captured):
    line = _line(captured, "headers: {'Authorization': 'Bearer abc.def-123'}")
    assert "abc.def-123" not in line and f"Bearer {REDACTED}" in line


@pytest.mark.parametrize(
    "phone",
    [
        "07911 123456",
        "07911123456",
        "+44 7911 123456",
        "+447911123456",
        "+44 (0)7911 123456",
        "020 7946 0018",
        "(020) 7946 0018",
        "0113-496-0000",
    ],
)
def test_uk_phone_numbers_are_redacted(captured, phone):
    line = _line(captured, "call %s today", phone)
    assert line.endswith(f"call {REDACTED} today"), line


def test_email_addresses_are_redacted(captured):
    line = _line(captured, "sent to sam.resident+work@example.co.uk and a%40b.org")
    assert line.endswith(f"sent to {REDACTED} and {REDACTED}")


def test_personal_keys_are_redacted_in_dicts_args_and_extras(captured):
    resident = {"name": "Sam Resident", "district": "NW1", "access_needs": "Deaf, BSL"}
    line = _line(captured, "resident %s", resident, extra={"context": "Lost job at Tesco"})
    assert "Sam Resident" not in line and "BSL" not in line and "NW1" in line
    line = _line(captured, "payload %r", {"user": {"real_name": "Sam R"}, "phone": "x"})
    assert "Sam R" not in line and "'phone': '[redacted]'" in line
    line = _line(captured, 'json {"email": "hidden", "name": {"name": {"value": "Sam"}}}')
    assert "hidden" not in line and "Sam" not in line
    line = _line(captured, 'escaped "{\\"name\\": \\"Sam Resident\\", \\"h\\": 1}"')
    assert "Sam" not in line and '\\"h\\": 1' in line


def test_extra_fields_and_tracebacks_are_redacted_in_json(captured):
    try:
        raise ValueError("bad phone 07911 123456")
    except ValueError:
        configure_logging(logging.INFO, json=True, stream=captured)
        logging.getLogger("handover").exception(
            "could not reach %s",
            "sam@example.org",
            extra={"ref": "HO-0042", "resident_name": "Sam"},
        )
    entry = json.loads(captured.getvalue().strip().splitlines()[-1])
    assert entry["level"] == "ERROR" and entry["logger"] == "handover"
    assert entry["message"] == f"could not reach {REDACTED}"
    assert entry["ref"] == "HO-0042" and entry["resident_name"] == REDACTED
    assert "ValueError" in entry["exc"] and "07911" not in entry["exc"]
    assert entry["time"].endswith("Z") and "_redacted" not in entry


def test_log_format_json_in_the_environment_gives_one_object_per_line(captured, monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "json")
    configure_logging(logging.INFO, stream=captured)
    logging.getLogger("handover.reminders").info("nudged %s", "HO-0042", extra={"due": 3})
    logging.getLogger("handover").warning("two\nlines")
    first, second = (json.loads(line) for line in captured.getvalue().splitlines())
    assert set(first) == {"time", "level", "logger", "message", "due"}
    assert first["message"] == "nudged HO-0042" and first["due"] == 3
    assert second["message"] == "two\nlines"


def test_a_normal_line_reads_as_before(captured):
    line = _line(
        captured,
        "Slack refused %s for %s in %s: %s",
        "chat_postMessage",
        "HO-0042",
        "C0CVCLINIC",
        "channel_not_found",
    )
    assert line.endswith(
        " INFO handover: Slack refused chat_postMessage for HO-0042 in C0CVCLINIC: "
        "channel_not_found"
    )
    assert REDACTED not in line
    line = _line(captured, "took %d ms at %s, ts %s", 12, "2026-11-27 09:00", "1700000000.000700")
    assert REDACTED not in line


def test_secrets_the_settings_hold_are_redacted_whatever_their_shape(captured):
    logs.keep_secret("test-signing-secret-shape", None)
    line = _line(captured, "secret is test-signing-secret-shape!")
    assert line.endswith(f"secret is {REDACTED}!")


def test_records_below_the_level_are_not_touched(captured):
    configure_logging(logging.WARNING, stream=captured)
    record_args = ({"name": "Sam"},)
    logging.getLogger("handover").info("%s", *record_args)
    assert captured.getvalue() == "" and record_args[0]["name"] == "Sam"


def test_app_start_redacts_the_settings_secrets(captured, monkeypatch, tmp_path):
    """app.py keeps the tokens, signing secret, database password and data keys secret."""
    import app
    from bot.settings import load_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-odd-shape")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "not-hex-but-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://bot:pa55word-here@db/handover")
    monkeypatch.setenv("HANDOVER_DATA_KEYS", f"{DATA_KEY}, short-bad-key")
    logs.keep_secret(*app._secrets(load_settings()))
    line = _line(captured, "not-hex-but-secret pa55word-here short-bad-key")
    assert line.endswith(f"{REDACTED} {REDACTED} {REDACTED}")
