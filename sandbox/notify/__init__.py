"""A stand-in GOV.UK Notify for tests and the sandbox: the official client talks to it over HTTP.

It owns Notify's side of sending residents text messages and e-mails: API-key JWT checks,
``POST /v2/notifications/sms|email`` judged by Notify's rules and answered in Notify's
shapes, notification lookups, templates the test seeds, delivery-receipt callbacks, a
record of every request (refused ones too), injected faults, and a read-only
``/_sandbox/messages`` view for the sandbox's page. It refuses what Notify refuses, with
Notify's messages; it never sends anything anywhere but the bot's own callback URL.
"""

from .fake import FakeNotify
from .records import ApiRequest, Notification, Receipt
from .templates import Template

__all__ = ["ApiRequest", "FakeNotify", "Notification", "Receipt", "Template"]
