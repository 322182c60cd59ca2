"""The bot's services, as every listener gets them (``context["bot"]``)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.byemail.pages import ProviderPages
from bot.clock import Clock
from bot.delivery.notifier import Notifier
from bot.delivery.outbox import Outbox
from bot.directory.freshness import FreshnessNotifier
from bot.directory.network import Network
from bot.directory.providers import Directory
from bot.followup.digest.weekly import WeeklyDigest
from bot.followup.reminders import Chaser
from bot.handover.handovers import Handovers
from bot.privacy.audit import Audit
from bot.privacy.erasure import Privacy
from bot.residents.messages import ResidentMessages
from bot.residents.receipts import Receipts
from bot.workspaces import Workspaces


@dataclass
class Bot:
    """What every listener needs, handed to it in ``context["bot"]``."""

    network: Network
    handovers: Handovers
    directory: Directory
    notifier: Notifier
    freshness: FreshnessNotifier
    chaser: Chaser
    weekly: WeeklyDigest
    clock: Clock
    privacy: Privacy
    client: WebClient
    outbox: Outbox
    audit: Audit
    residents: ResidentMessages
    receipts: Receipts
    # The handovers' pages of providers without Slack (served at /p/… by server/page).
    pages: ProviderPages | None = None
    # What Notify's delivery receipts must carry (POST /notify/callback); None: refused.
    notify_callback_token: str | None = None
    # The workspaces the app speaks in, and the token for each (bot/workspaces.py).
    workspaces: Workspaces | None = None
