"""The stand-in GOV.UK Notify, driven by the official client and by raw HTTP for refusals."""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from notifications_python_client import NotificationsAPIClient
from notifications_python_client.errors import HTTPError

from sandbox.notify import FakeNotify
from sandbox.notify.auth import make_token

# The wrong-algorithm case signs with HS512 and a Notify-sized secret, which PyJWT finds short.
pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")

SMS_TEMPLATE = "4f6b7f55-3a8d-4b47-9d1e-0d3f2a6c9e01"
EMAIL_TEMPLATE = "9a1c2e3d-5b6f-4a7b-8c9d-0e1f2a3b4c5d"
MOBILE = "07700 900123"
OTHER_MOBILE = "07700 900456"
LANDLINE = "01709 510122"
ADDRESS = "resident@example.com"
NAMES = {"name": "Sam", "provider": "Bridge Skills"}


@pytest.fixture
def fake():
    with FakeNotify() as notify:
        notify.add_template(SMS_TEMPLATE, "sms", "Hi ((name)), ((provider)) will call you.")
        notify.add_template(
            EMAIL_TEMPLATE, "email", "Dear ((name)), meet ((provider)).", subject="((name)): next"
        )
        yield notify


@pytest.fixture
def client(fake):
    return NotificationsAPIClient(fake.api_key, base_url=fake.base_url)


def raw_send(fake, payload, *, token=None, kind="sms"):
    token = token or make_token(fake.secret, fake.service_id, time.time())
    return requests.post(
        f"{fake.base_url}/v2/notifications/{kind}",
        json=payload,
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def only_error(response) -> dict:
    body = response.json()
    assert body["status_code"] == response.status_code
    assert len(body["errors"]) == 1
    return body["errors"][0]


def test_the_api_key_has_notifys_shape(fake):
    assert fake.api_key[-36:] == fake.secret
    assert fake.api_key[-73:-37] == fake.service_id
    assert fake.api_key.startswith("sandbox-")


def test_a_text_message_is_accepted_in_notifys_shape(fake, client):
    sent = client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES, reference="handover-1")

    assert sent["reference"] == "handover-1"
    assert sent["content"] == {
        "body": "Hi Sam, Bridge Skills will call you.",
        "from_number": "GOVUK",
    }
    assert sent["uri"] == f"{fake.base_url}/v2/notifications/{sent['id']}"
    assert sent["template"]["id"] == SMS_TEMPLATE
    assert sent["template"]["version"] == 1
    assert sent["scheduled_for"] is None
    [recorded] = fake.sent_to("+447700900123")  # the same number, written otherwise
    assert (recorded.id, recorded.type, recorded.to) == (sent["id"], "sms", MOBILE)
    assert recorded.personalisation == NAMES
    assert recorded.status == "created"


def test_an_email_is_accepted_with_its_subject_rendered(fake, client):
    sent = client.send_email_notification(ADDRESS, EMAIL_TEMPLATE, NAMES, reference="h-2")

    assert sent["content"]["subject"] == "Sam: next"
    assert sent["content"]["body"] == "Dear Sam, meet Bridge Skills."
    assert sent["content"]["from_email"].endswith("@notifications.service.gov.uk")
    assert [n.id for n in fake.sent_to("Resident@Example.com")] == [sent["id"]]


@pytest.mark.parametrize(
    ("token_for", "message"),
    [
        (lambda f: make_token(str(uuid.uuid4()), f.service_id, time.time()), "API key not found"),
        (lambda f: make_token(f.secret, f.service_id, time.time() - 31), "system clock"),
        (lambda f: make_token(f.secret, f.service_id, time.time() + 31), "system clock"),
        (lambda f: make_token(f.secret, str(uuid.uuid4()), time.time()), "service not found"),
        (lambda f: make_token(f.secret, "not-a-service", time.time()), "not the right data type"),
        (lambda f: make_token(f.secret, f.service_id, time.time(), "HS512"), "not HS256"),
        (lambda f: "not.a.jwt", "make sure your API token matches"),
    ],
    ids=["wrong-secret", "stale-iat", "future-iat", "wrong-iss", "iss-not-uuid", "alg", "junk"],
)
def test_a_bad_token_is_refused_with_notifys_403_and_nothing_is_sent(fake, token_for, message):
    response = raw_send(
        fake, {"phone_number": MOBILE, "template_id": SMS_TEMPLATE}, token=token_for(fake)
    )

    assert response.status_code == 403
    error = only_error(response)
    assert error["error"] == "AuthError"
    assert message in error["message"]
    assert fake.notifications() == []
    assert fake.requests()[-1].error == "AuthError"


def test_no_token_at_all_is_a_401_as_in_notify(fake):
    response = requests.post(f"{fake.base_url}/v2/notifications/sms", json={}, timeout=5)

    assert response.status_code == 401
    assert only_error(response)["message"] == "Unauthorized: authentication token must be provided"


def test_a_revoked_key_is_refused_and_a_rotated_one_works(fake):
    rotated = fake.add_api_key("rotated")
    fake.revoke_api_key(fake.api_key)

    with pytest.raises(HTTPError) as refused:
        NotificationsAPIClient(fake.api_key, base_url=fake.base_url).get_all_notifications()
    assert refused.value.status_code == 403
    assert "API key revoked" in refused.value.message[0]["message"]
    assert NotificationsAPIClient(rotated, base_url=fake.base_url).get_all_notifications()


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"phone_number": LANDLINE}, ("InvalidPhoneError", "Not a UK mobile number")),
        (
            {"phone_number": "+1 202 555 0143"},
            ("BadRequestError", "Cannot send to international mobile numbers"),
        ),
        (
            {"phone_number": "07700 9OO123"},
            ("ValidationError", "phone_number Must not contain letters or symbols"),
        ),
        ({"phone_number": "07700 90"}, ("ValidationError", "phone_number Not enough digits")),
        (
            {"personalisation": {"name": "Sam"}},
            ("BadRequestError", "Missing personalisation: provider"),
        ),
        ({"template_id": str(uuid.uuid4())}, ("BadRequestError", "Template not found")),
        ({"template_id": "welcome"}, ("ValidationError", "template_id is not a valid UUID")),
        (
            {"template_id": EMAIL_TEMPLATE},
            ("BadRequestError", "email template is not suitable for sms notification"),
        ),
        (
            {"personalisation": {"name": "x" * 900, "provider": "y"}},
            ("BadRequestError", "Your message is too long."),
        ),
        ({"reference": "r" * 1001}, ("ValidationError", f"reference {'r' * 1001} is too long")),
    ],
    ids=[
        "landline",
        "abroad",
        "letters",
        "short",
        "personalisation",
        "unknown-template",
        "not-uuid",
        "wrong-type",
        "too-long",
        "long-reference",
    ],
)
def test_a_text_message_notify_would_refuse_is_a_400_and_unsent(fake, payload, expected):
    body = {"phone_number": MOBILE, "template_id": SMS_TEMPLATE, "personalisation": NAMES}

    response = raw_send(fake, body | payload)

    assert response.status_code == 400
    error = only_error(response)
    assert error["error"] == expected[0]
    assert error["message"].startswith(expected[1])
    assert fake.notifications() == []
    assert fake.requests()[-1].status == 400


def test_schema_faults_are_reported_together(fake):
    response = raw_send(fake, {"template_id": SMS_TEMPLATE, "template": "x"})

    assert response.json()["errors"] == [
        {"error": "ValidationError", "message": "phone_number is a required property"},
        {
            "error": "ValidationError",
            "message": "Additional properties are not allowed (template was unexpected)",
        },
    ]


def test_an_invalid_email_address_is_refused(fake):
    payload = {"email_address": "resident@example", "template_id": EMAIL_TEMPLATE}

    response = raw_send(fake, payload | {"personalisation": NAMES}, kind="email")

    assert response.status_code == 400
    assert only_error(response)["message"] == "email_address Not a valid email address"


def test_fail_next_answers_500_once_then_sends(fake, client):
    fake.fail_next("sms")

    with pytest.raises(HTTPError) as failed:
        client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES)
    assert failed.value.status_code == 500
    assert failed.value.message == [{"error": "Exception", "message": "Internal server error"}]
    assert fake.notifications() == []
    assert client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES)["id"]
    assert [r.status for r in fake.requests()] == [500, 201]


def test_faults_are_for_the_kind_named(fake, client):
    fake.fail_next("email", status=400, error="BadRequestError", message="Nope")

    client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES)
    with pytest.raises(HTTPError) as failed:
        client.send_email_notification(ADDRESS, EMAIL_TEMPLATE, NAMES)
    assert failed.value.status_code == 400


def test_rate_limit_next_is_notifys_429(fake, client):
    fake.rate_limit_next()

    with pytest.raises(HTTPError) as limited:
        client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES)
    assert limited.value.status_code == 429
    assert limited.value.message[0]["error"] == "RateLimitError"
    assert limited.value.message[0]["message"].startswith("Exceeded rate limit for key type LIVE")


def test_unreachable_closes_the_connection_and_sends_nothing(fake, client):
    fake.unreachable = True

    with pytest.raises(HTTPError) as failed:
        client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES)
    assert failed.value.status_code == 503  # the client's name for "no answer"
    assert fake.notifications() == []
    assert fake.requests()[-1].status is None


def test_a_slow_answer_still_sends_the_message(fake):
    impatient = NotificationsAPIClient(fake.api_key, base_url=fake.base_url, timeout=0.2)
    fake.slow_next(5)

    with pytest.raises(HTTPError):
        impatient.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES, reference="h-9")
    # The client gave up, Notify did not: the reference finds the message.
    client = NotificationsAPIClient(fake.api_key, base_url=fake.base_url)
    assert len(client.get_all_notifications(reference="h-9")["notifications"]) == 1


def test_lookups_by_reference_id_status_and_page(fake, client):
    first = client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES, reference="h-1")
    second = client.send_email_notification(ADDRESS, EMAIL_TEMPLATE, NAMES, reference="h-1")
    client.send_sms_notification(OTHER_MOBILE, SMS_TEMPLATE, NAMES, reference="h-2")
    fake.deliver(first["id"], "permanent-failure")

    found = client.get_all_notifications(reference="h-1")["notifications"]
    assert [n["id"] for n in found] == [second["id"], first["id"]]  # newest first
    assert found[1]["phone_number"] == MOBILE and found[0]["email_address"] == ADDRESS
    failed = client.get_all_notifications(status="failed")["notifications"]
    assert [n["id"] for n in failed] == [first["id"]]
    emails = client.get_all_notifications(template_type="email")["notifications"]
    assert [n["id"] for n in emails] == [second["id"]]
    older = client.get_all_notifications(older_than=second["id"])["notifications"]
    assert [n["id"] for n in older] == [first["id"]]
    one = client.get_notification_by_id(first["id"])
    assert (one["status"], one["body"], one["type"]) == (
        "permanent-failure",
        found[1]["body"],
        "sms",
    )
    assert one["completed_at"] is not None


def test_lookups_notify_would_refuse(fake, client):
    with pytest.raises(HTTPError) as unknown:
        client.get_notification_by_id(str(uuid.uuid4()))
    assert unknown.value.status_code == 404
    with pytest.raises(HTTPError) as not_uuid:
        client.get_notification_by_id("h-1")
    assert not_uuid.value.message[0]["message"] == "notification_id is not a valid UUID"
    with pytest.raises(HTTPError) as bad_status:
        client.get_all_notifications(status="lost")
    assert bad_status.value.message[0]["message"].startswith("status lost is not one of [")


def test_templates_are_read_back_and_versioned(fake, client):
    fake.add_template(SMS_TEMPLATE, "sms", "Hello ((name))")

    template = client.get_template(SMS_TEMPLATE)
    assert (template["version"], template["body"], template["type"]) == (2, "Hello ((name))", "sms")
    assert template["personalisation"] == {"name": {"required": True}}
    assert client.post_template_preview(SMS_TEMPLATE, {"name": "Jo"})["body"] == "Hello Jo"


class _Receiver:
    """A tiny stand-in for the bot's callback endpoint: records each POST, answers ``status``."""

    def __init__(self, status: int = 200):
        self.status = status
        self.received: queue.Queue = queue.Queue()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                receiver.received.put(
                    (self.headers["Authorization"], json.loads(self.rfile.read(length)))
                )
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/notify/receipts"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()

    def close(self):
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    listening = _Receiver()
    yield listening
    listening.close()


def test_a_receipt_is_posted_with_the_bearer_token(fake, client, receiver):
    fake.callback(receiver.url, "s3cret-token")
    sent = client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES, reference="h-1")

    assert fake.deliver(sent["id"]) == 200

    authorization, receipt = receiver.received.get(timeout=5)
    assert authorization == "Bearer s3cret-token"
    assert receipt["id"] == sent["id"] and receipt["reference"] == "h-1"
    assert (receipt["status"], receipt["to"], receipt["notification_type"]) == (
        "delivered",
        MOBILE,
        "sms",
    )
    assert (receipt["template_id"], receipt["template_version"]) == (SMS_TEMPLATE, 1)
    assert receipt["created_at"] and receipt["sent_at"] and receipt["completed_at"]
    assert client.get_notification_by_id(sent["id"])["status"] == "delivered"


def test_deliver_reports_what_the_bot_answered(fake, client, receiver):
    receiver.status = 500
    fake.callback(receiver.url, "t")
    sent = client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES)

    assert fake.deliver(sent["id"], "temporary-failure") == 500
    assert fake.receipts()[-1].http_status == 500


def test_auto_delivery_posts_receipts_with_a_status_per_recipient(receiver):
    with FakeNotify(auto_deliver=True, auto_deliver_delay=0.01) as fake:
        fake.add_template(SMS_TEMPLATE, "sms", "Hi ((name))")
        fake.callback(receiver.url, "t")
        fake.fail_recipient(OTHER_MOBILE, "permanent-failure")
        client = NotificationsAPIClient(fake.api_key, base_url=fake.base_url)
        good = client.send_sms_notification(MOBILE, SMS_TEMPLATE, {"name": "A"})
        bad = client.send_sms_notification("+447700900456", SMS_TEMPLATE, {"name": "B"})

        receipts = fake.wait_for_receipts(2)

        by_id = {r.notification_id: r.status for r in receipts}
        assert by_id == {good["id"]: "delivered", bad["id"]: "permanent-failure"}


def test_the_sandbox_lists_messages_by_recipient_without_a_token(fake, client):
    client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES)
    client.send_email_notification(ADDRESS, EMAIL_TEMPLATE, NAMES)
    client.send_sms_notification("+447700900123", SMS_TEMPLATE, NAMES | {"name": "Sam B"})

    listing = requests.get(f"{fake.base_url}/_sandbox/messages", timeout=5).json()

    groups = [(g["kind"], g["to"], len(g["messages"])) for g in listing["recipients"]]
    assert groups == [("email", ADDRESS, 1), ("sms", MOBILE, 2)]  # most recent last
    newest = listing["recipients"][-1]["messages"][-1]
    assert newest["body"] == "Hi Sam B, Bridge Skills will call you."
    assert newest["status"] == "created" and newest["subject"] is None
    assert listing["recipients"][0]["messages"][0]["subject"] == "Sam: next"
    assert not any(r.path.startswith("/_sandbox") for r in fake.requests())


def test_forget_clears_the_records(fake, client):
    client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES)
    fake.forget()

    assert fake.notifications() == [] and fake.requests() == []
    assert client.send_sms_notification(MOBILE, SMS_TEMPLATE, NAMES)  # templates stay
