"""A fake Slack Web API for tests: a real slack_sdk WebClient talks to it over HTTP.

It answers the methods the app uses, records every call, keeps a small workspace
(users, channels, messages and threads, ephemerals, modals, App Homes) and refuses
what real Slack would refuse, sometimes more strictly (e.g. blocks without text).
"""

from .fake import Call, FakeSlack

__all__ = ["Call", "FakeSlack"]
