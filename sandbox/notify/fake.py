"""FakeNotify: the object tests and the sandbox hold. Seeds templates, records, injects faults."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from . import api, recipients
from .auth import ApiKey
from .errors import NotifyError, rate_limited
from .receipts import Callback, post_receipt
from .records import FINAL_STATUSES, STATUSES, ApiRequest, Notification, Receipt, timestamp
from .sending import Draft, Service
from .server import Server
from .templates import TEMPLATE_TYPES, Template


@dataclass
class _Fault:
    """One injected misbehaviour, for the next ``times`` sends of ``kind`` (None: either)."""

    kind: str | None
    times: int
    error: NotifyError | None = None  # answer this instead of sending
    delay: float = 0.0  # or: send, then wait this long before answering

    def matches(self, kind: str) -> bool:
        return self.times > 0 and self.kind in (None, kind)


class FakeNotify:
    """A stand-in GOV.UK Notify on 127.0.0.1 for the official ``NotificationsAPIClient``.

    ``NotificationsAPIClient(fake.api_key, base_url=fake.base_url)`` talks to it. It starts
    serving when made; ``close()`` (or leaving a ``with`` block) stops it. One lock guards
    all state: the server answers from several threads.
    """

    def __init__(
        self,
        *,
        key_name: str = "sandbox",
        service_id: str | None = None,
        port: int = 0,
        clock: Callable[[], float] = time.time,
        auto_deliver: bool = False,
        auto_deliver_delay: float = 0.05,
        sms_sender: str = "GOVUK",
        email_from: str = "warm.handover@notifications.service.gov.uk",
    ):
        self.service_id = service_id or str(uuid.uuid4())
        self.clock = clock  # wall-clock seconds: token ages and timestamps
        self.auto_deliver = auto_deliver
        self.auto_deliver_delay = auto_deliver_delay
        # While true, every API request is met with a closed connection and no answer.
        self.unreachable = False
        self.version = 0  # bumped on every change, so a page can tell when to redraw
        self._lock = threading.RLock()
        self.service = Service(self.service_id, sms_sender=sms_sender, email_from=email_from)
        self._keys = [ApiKey(key_name, str(uuid.uuid4()))]
        self._notifications: dict[str, Notification] = {}
        self._requests: list[ApiRequest] = []
        self._receipts: list[Receipt] = []
        self._receipt_posted = threading.Condition(self._lock)
        self._faults: deque[_Fault] = deque()
        self._callback: Callback | None = None
        self._recipient_status: dict[str, str] = {}
        self._timers: set[threading.Timer] = set()
        self._closing = threading.Event()
        self._seq = 0
        self._server = Server(lambda request: api.handle(self, request), port)
        self._server.start()

    # lifecycle

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def api_key(self) -> str:
        """The service's first key, in Notify's format ``{name}-{service id}-{secret}``."""
        return self._keys[0].formatted(self.service_id)

    @property
    def secret(self) -> str:
        return self._keys[0].secret

    def close(self) -> None:
        self._closing.set()  # wakes any slow reply
        with self._lock:
            timers, self._timers = list(self._timers), set()
        for timer in timers:
            timer.cancel()
        self._server.stop()

    def __enter__(self) -> FakeNotify:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # seeding the service

    def add_template(
        self,
        template_id: str,
        kind: str = "sms",
        body: str = "",
        subject: str | None = None,
        *,
        name: str | None = None,
    ) -> Template:
        """A template; adding one again with the same id makes a new version of it."""
        if kind not in TEMPLATE_TYPES:
            raise ValueError(f"kind must be one of {TEMPLATE_TYPES}, not {kind!r}")
        if kind == "email" and not subject:
            raise ValueError("an email template needs a subject")
        template_id = str(uuid.UUID(template_id))
        with self._lock:
            earlier = self.service.templates.get(template_id)
            template = Template(
                id=template_id,
                kind=kind,
                body=body,
                subject=subject if kind == "email" else None,
                name=name or f"{kind} template",
                version=earlier.version + 1 if earlier else 1,
                created_at=earlier.created_at if earlier else timestamp(self.clock()),
            )
            self.service.templates[template_id] = template
            self._changed()
        return template

    def add_sms_sender(self, sender: str, sender_id: str | None = None) -> str:
        """A text message sender the bot may name as ``sms_sender_id``; returns the id."""
        sender_id = sender_id or str(uuid.uuid4())
        with self._lock:
            self.service.sms_senders[sender_id] = sender
        return sender_id

    def add_reply_to(self, address: str, reply_to_id: str | None = None) -> str:
        """An e-mail reply-to address for ``email_reply_to_id``; returns the id."""
        reply_to_id = reply_to_id or str(uuid.uuid4())
        with self._lock:
            self.service.reply_to_addresses[reply_to_id] = address
        return reply_to_id

    def add_api_key(self, name: str = "another", key_type: str = "live") -> str:
        """Another key for the same service (key rotation); returns it in Notify's format."""
        key = ApiKey(name, str(uuid.uuid4()), key_type=key_type)
        with self._lock:
            self._keys.append(key)
        return key.formatted(self.service_id)

    def revoke_api_key(self, api_key: str) -> None:
        """Revoke a key: Notify then answers "Invalid token: API key revoked"."""
        with self._lock:
            for key in self._keys:
                if key.secret == api_key[-36:]:
                    key.revoked = True

    def keys(self) -> list[ApiKey]:
        with self._lock:
            return list(self._keys)

    # records

    def notifications(self, kind: str | None = None) -> list[Notification]:
        """Every accepted notification, oldest first (copies: they do not change under you)."""
        with self._lock:
            return [
                dataclasses.replace(n)
                for n in self._notifications.values()
                if kind in (None, n.type)
            ]

    def notification(self, notification_id: str) -> Notification:
        with self._lock:
            return dataclasses.replace(self._notifications[notification_id])

    def sent_to(self, phone_or_email: str) -> list[Notification]:
        """Notifications to this recipient however it was written (07..., +44..., case)."""
        kind = "email" if "@" in phone_or_email else "sms"
        wanted = recipients.normalise(kind, phone_or_email)
        return [n for n in self.notifications(kind) if n.normalised_to == wanted]

    def requests(self) -> list[ApiRequest]:
        """Every API request, refused ones too: assert "nothing was sent" with these."""
        with self._lock:
            return list(self._requests)

    def receipts(self) -> list[Receipt]:
        with self._lock:
            return list(self._receipts)

    def wait_for_receipts(self, count: int, timeout: float = 5.0) -> list[Receipt]:
        """Block until at least ``count`` receipts were posted (auto-delivery); raise if not."""
        deadline = time.monotonic() + timeout
        with self._receipt_posted:
            while len(self._receipts) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self._receipts)} receipts posted, not {count}")
                self._receipt_posted.wait(left)
            return list(self._receipts)

    def forget(self) -> None:
        """Drop all records and pending faults; templates, keys and callback stay."""
        with self._lock:
            self._notifications.clear()
            self._requests.clear()
            self._receipts.clear()
            self._faults.clear()
            self._changed()

    # failure injection

    def fail_next(
        self,
        kind: str | None = None,
        status: int = 500,
        error: str = "Exception",
        message: str = "Internal server error",
        times: int = 1,
    ) -> None:
        """The next ``times`` sends of ``kind`` (None: either) get this error, unsent."""
        self._add_fault(_Fault(kind, times, error=NotifyError(status, error, message)))

    def rate_limit_next(self, kind: str | None = None, times: int = 1) -> None:
        """The next sends get Notify's 429 ``RateLimitError``, unsent."""
        key_type = self._keys[0].key_type
        self._add_fault(_Fault(kind, times, error=rate_limited(key_type)))

    def slow_next(self, seconds: float, kind: str | None = None, times: int = 1) -> None:
        """The next sends are accepted, but answered ``seconds`` late.

        A client that gives up waiting has still sent the message, as with the real Notify:
        the case a bot's reference lookup exists for.
        """
        self._add_fault(_Fault(kind, times, delay=seconds))

    def _add_fault(self, fault: _Fault) -> None:
        if fault.kind not in (None, *TEMPLATE_TYPES):
            raise ValueError(f"kind must be sms, email or None, not {fault.kind!r}")
        with self._lock:
            self._faults.append(fault)

    def take_fault(self, kind: str) -> _Fault | None:
        """The first pending fault for a send of ``kind``, used up by one."""
        with self._lock:
            fault = next((f for f in self._faults if f.matches(kind)), None)
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
            return fault

    def pause(self, seconds: float) -> None:
        """Wait out a slow reply, cut short if the fake is closing."""
        self._closing.wait(seconds)

    # delivery receipts

    def callback(self, url: str | None, bearer_token: str = "") -> None:
        """Where Notify POSTs delivery receipts (None: nowhere), and the token it sends."""
        with self._lock:
            self._callback = Callback(url, bearer_token) if url else None

    def fail_recipient(self, phone_or_email: str, status: str = "permanent-failure") -> None:
        """The status this recipient's messages end in (``deliver``'s default, auto-delivery)."""
        _check_status(status)
        kind = "email" if "@" in phone_or_email else "sms"
        with self._lock:
            self._recipient_status[recipients.normalise(kind, phone_or_email)] = status

    def deliver(self, notification_id: str, status: str | None = None) -> int | None:
        """Move a notification to ``status`` and POST Notify's receipt to the callback.

        Without ``status``: the one ``fail_recipient`` chose, else "delivered". Returns the
        HTTP status the bot answered; None if no receipt went (no callback, a status Notify
        sends none for, or the bot unreachable).
        """
        with self._lock:
            notification = self._notifications[notification_id]
            status = status or self._recipient_status.get(notification.normalised_to, "delivered")
            _check_status(status)
            now = timestamp(self.clock())
            notification.status = status
            if status != "created":
                notification.sent_at = notification.sent_at or now
            notification.completed_at = now if status in FINAL_STATUSES else None
            payload = notification.receipt()
            callback = self._callback
            self._changed()
        if callback is None or status not in FINAL_STATUSES:
            return None
        http_status, error = post_receipt(callback, payload)
        with self._lock:
            receipt = Receipt(notification_id, status, callback.url, http_status, error)
            self._receipts.append(receipt)
            self._receipt_posted.notify_all()
        return http_status

    # called by the API as it answers

    def record_request(self, request: ApiRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def accept(self, draft: Draft) -> Notification:
        with self._lock:
            self._seq += 1
            notification = Notification(
                id=str(uuid.uuid4()),
                type=draft.kind,
                to=draft.to,
                normalised_to=draft.normalised_to,
                template_id=draft.template.id,
                template_version=draft.template.version,
                personalisation=dict(draft.personalisation),
                reference=draft.reference,
                body=draft.body,
                subject=draft.subject,
                sender=draft.sender,
                status="created",
                created_at=timestamp(self.clock()),
                seq=self._seq,
            )
            self._notifications[notification.id] = notification
            self._changed()
            if self.auto_deliver and not self._closing.is_set():
                self._schedule_delivery(notification.id)
            return dataclasses.replace(notification)

    def _schedule_delivery(self, notification_id: str) -> None:
        def run() -> None:
            with self._lock:
                self._timers.discard(timer)
            if not self._closing.is_set():
                self.deliver(notification_id)

        timer = threading.Timer(self.auto_deliver_delay, run)
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

    def _changed(self) -> None:
        self.version += 1


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"{status!r} is not one of Notify's statuses")
