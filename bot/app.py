"""The app factory: one Bolt app with everything it needs, built the same way in tests."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy.engine import Engine

from bot.clock import Clock, SystemClock
from bot.directory import Directory, sync_directory
from bot.handovers import Handovers, Membership
from bot.membership import ChannelMembers
from bot.network import Network
from bot.notifier import Notifier
from storage.db import session_factory

log = logging.getLogger(__name__)


@dataclass
class Bot:
    """What every listener needs, handed to it in ``context["bot"]``."""

    network: Network
    handovers: Handovers
    directory: Directory
    notifier: Notifier
    clock: Clock
    client: WebClient


def make_client(token: str, api_url: str | None) -> WebClient:
    client = WebClient(token=token, base_url=api_url or WebClient.BASE_URL)
    # Honour Slack's Retry-After instead of failing the first time we are rate limited.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def create_app(
    *,
    network: Network,
    engine: Engine,
    client: WebClient,
    signing_secret: str | None = None,
    clock: Clock | None = None,
    membership: Membership | None = None,
    listener_executor: Executor | None = None,
    verify_token: bool = True,
) -> App:
    clock = clock or SystemClock()
    sessions = session_factory(engine)
    sync_directory(network, sessions=sessions)
    membership = membership or ChannelMembers(client, clock)
    handovers = Handovers(sessions=sessions, network=network, clock=clock, membership=membership)
    bot = Bot(
        network=network,
        handovers=handovers,
        directory=Directory(sessions=sessions, network=network, clock=clock, membership=membership),
        notifier=Notifier(client=client, network=network, handovers=handovers),
        clock=clock,
        client=client,
    )
    app = App(
        client=client,
        signing_secret=signing_secret,
        # Socket Mode has no signatures to check; HTTP mode always does.
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=verify_token,
        listener_executor=listener_executor,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    @app.middleware
    def provide_bot(context, next):
        context["bot"] = bot
        return next()

    from handlers import register_all

    register_all(app)
    return app
