"""The app factory: one Bolt app with everything it needs, built the same way in tests.

The composition root: it builds the bot's services (``bot``) and registers the listeners
(``handlers``) on one Bolt app, so nothing below it needs to know what sits above."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, Future, ThreadPoolExecutor

from notifications_python_client.notifications import NotificationsAPIClient
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from sqlalchemy.engine import Engine

from bot.byemail.codes import Codes
from bot.byemail.links import PageLinks
from bot.byemail.pages import ProviderPages
from bot.byemail.sending import MailLane
from bot.byemail.writer import ProviderMail
from bot.clock import Clock, SystemClock
from bot.delivery.notifier import Notifier
from bot.delivery.outbox import Answering, Outbox, OutboxWorker, Pacing
from bot.directory.freshness import FreshnessNotifier
from bot.directory.network import Network
from bot.directory.providers import Directory, sync_directory
from bot.followup.digest.weekly import WeeklyDigest
from bot.followup.reminders import Chaser
from bot.followup.scheduler import Scheduler
from bot.handover.handovers import Handovers, Membership
from bot.handover.membership import ChannelMembers
from bot.operations.metrics import timing
from bot.privacy.audit import Audit
from bot.privacy.erasure import Privacy
from bot.residents.messages import ResidentMessages
from bot.residents.receipts import Receipts, refused_or
from bot.residents.sending import NotifyLane
from bot.services import Bot
from bot.workspaces import Workspaces
from handlers import register_all
from server.acks import AnswersOnAck, answered, signalling_ack
from server.oauth import HomeOrInstalled, OAuthConfig, mark_shared_channel, oauth_settings
from storage import crypto
from storage.db import Sessions, session_factory

log = logging.getLogger(__name__)


class HandoverApp(App):
    """The Bolt app, and the scheduler that keeps its due times.

    Whoever serves the app starts the scheduler (``app.scheduler.start()``) and shuts it
    down after; tests call ``app.scheduler.tick()`` instead, with no thread at all.
    """

    def __init__(
        self,
        *,
        scheduler: Scheduler,
        bot: Bot,
        metrics_token: str | None = None,
        answering: Answering | None = None,
        **bolt_options,
    ):
        super().__init__(**bolt_options)
        # What a scrape of GET /metrics must carry (server.metrics); None: it is open.
        self.metrics_token = metrics_token
        # HTTP mode checks it before Bolt parses anything (server.gate).
        self.signing_secret: str | None = bolt_options.get("signing_secret")
        self.scheduler = scheduler
        self.bot = bot
        # The requests being answered: the outbox waits for them (see Answering).
        self.answering = answering or Answering()

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        """Every request of Slack's, timed by kind (``handover_request_seconds``), whether
        it came over HTTP or over Socket Mode's connection."""
        try:
            with self.answering.answering(), timing(req.body):
                return super().dispatch(req)
        finally:
            answered()


class InUnits(Executor):
    """Runs each listener in one unit of work (storage.db.Sessions.unit): a request's reads
    and its write share one session and one transaction."""

    def __init__(self, inner: Executor, sessions: Sessions):
        self.inner = inner
        self.sessions = sessions

    def submit(self, fn, /, *args, **kwargs) -> Future:
        def in_unit():
            with self.sessions.unit():
                return fn(*args, **kwargs)

        return self.inner.submit(in_unit)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)


def build_scheduler(bot: Bot, answering: Answering | None = None) -> Scheduler:
    """Every due-check the bot has, on one scheduler."""
    scheduler = Scheduler(bot.clock)
    scheduler.add_worker(OutboxWorker(bot.outbox, answering=answering))
    scheduler.register("reminders", lambda now: send_reminders(bot, now))
    scheduler.register("directory freshness", lambda now: nudge_in_working_time(bot, now))
    scheduler.register("weekly digest", bot.weekly.due)
    scheduler.register("retention", lambda now: erase_expired(bot, now))
    # The worker delivers as soon as anything is written; the tick is its safety net.
    scheduler.register("outbox", lambda now: bot.outbox.deliver())
    return scheduler


def nudge_in_working_time(bot: Bot, now) -> object:
    """Freshness nudges wait for working hours too: nobody wants them at midnight."""
    if bot.handovers.working_time.is_working(now):
        return bot.freshness.nudge_due(now)
    return None


def send_reminders(bot: Bot, now) -> int:
    """Say every reminder that is due (see bot.reminders for how it is said once)."""
    return bot.chaser.send_due(now)


def erase_expired(bot: Bot, now) -> int:
    """Erase the details kept past the retention period (and redact where they were shown:
    the redaction goes to the outbox in the erasure's transaction)."""
    return len(bot.privacy.erase_expired(now))


def both(first, second):
    """Two listeners of one event, in order, in the event's transaction."""

    def call(*args) -> None:
        first(*args)
        second(*args)

    return call


def notify_client(api_key: str, base_url: str | None) -> NotificationsAPIClient:
    """GOV.UK Notify's client; a silent Notify is given up on after 10 s (and tried again
    by the outbox, which looks the message up first)."""
    if base_url:
        return NotificationsAPIClient(api_key, base_url=base_url.rstrip("/"), timeout=10)
    return NotificationsAPIClient(api_key, timeout=10)


def outbox_client(client: WebClient) -> WebClient:
    """The outbox's own client: it handles 429s and failures itself (no sleeping inside a
    call), and gives up on a silent Slack sooner than the default 30 s."""
    return WebClient(token=client.token, base_url=client.base_url, timeout=10)


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
    pacing: Pacing | None = None,
    notify: NotificationsAPIClient | None = None,
    notify_callback_token: str | None = None,
    public_url: str | None = None,
    metrics_token: str | None = None,
    oauth: OAuthConfig | None = None,
) -> HandoverApp:
    """The whole bot. With ``oauth`` it may be installed in several workspaces
    (server/oauth.py); without, it speaks in one, with ``client``'s token. ``public_url``:
    the bot's own address, for the links in e-mails to providers without Slack (their
    handovers' pages are served at ``/p/…`` beside ``/slack/events``)."""
    clock = clock or SystemClock()
    sessions = session_factory(engine)
    moved = sync_directory(network, sessions=sessions, now=clock.now())
    workspaces = Workspaces(home=client, team_of=network.team_of)
    installing = {}
    if oauth is not None:
        workspaces.store = oauth.installation_store()
        workspaces.rotator = oauth.rotator(client)
        workspaces.rotate_within_minutes = oauth.token_rotation_expiration_minutes
        if verify_token and workspaces.home_auth is None:
            raise BoltError("auth.test did not answer for it")
        installing = {
            "oauth_settings": oauth_settings(oauth, workspaces),
            "authorize": HomeOrInstalled(workspaces=workspaces, config=oauth, client=client),
            "before_authorize": mark_shared_channel,
        }
    membership = membership or ChannelMembers(client, clock, workspaces=workspaces)
    handovers = Handovers(sessions=sessions, network=network, clock=clock, membership=membership)
    directory = Directory(sessions=sessions, network=network, clock=clock, membership=membership)
    privacy = Privacy(sessions=sessions, network=network, clock=clock)
    # The outbox settles each delivery on its own, whichever request's thread it runs in.
    outbox = Outbox(
        sessions=sessions.alone, client=outbox_client(client), clock=clock, pacing=pacing
    )
    outbox.workspaces = workspaces
    links = PageLinks(data_keys=crypto.keys_of(engine), public_url=public_url)
    provider_mail = ProviderMail(
        outbox=outbox,
        network=network,
        links=links,
        clock=clock,
        enabled=notify is not None and bool(public_url),
    )
    notifier = Notifier(outbox=outbox, network=network, handovers=handovers, mail=provider_mail)
    residents = ResidentMessages(
        network=network, outbox=outbox, clock=clock, enabled=notify is not None
    )
    receipts = Receipts(sessions=sessions, outbox=outbox, clock=clock)
    if notify is not None:
        outbox.resident_lane = NotifyLane(
            client=notify,
            sessions=sessions.alone,
            slack=outbox.client,
            clock=clock,
            daytime=residents.daytime,
        ).send
        outbox.mail_lane = MailLane(
            client=notify, sessions=sessions.alone, network=network, clock=clock
        ).send
    outbox.on_refused = refused_or(receipts, notifier.refused)
    # Delivered once the request that wrote them has answered Slack.
    kick = sessions.after_unit(outbox.kick)
    # Every change writes its messages in its own transaction; the outbox delivers them.
    handovers.announce, handovers.committed = both(notifier.publish, residents.on_change), kick
    privacy.on_erased, privacy.committed = notifier.redact, kick
    chaser = Chaser(handovers, say=both(notifier.remind, residents.on_reminder))
    chaser.committed = kick
    directory.on_capacity, directory.committed = notifier.capacity_changed, kick
    if moved:
        notifier.channels_moved(moved)
    audit = Audit(sessions=sessions, network=network, clock=clock, client=client)
    pages = ProviderPages(
        handovers=handovers,
        links=links,
        codes=Codes(clock=clock, data_keys=crypto.keys_of(engine)),
        audit=audit,
        network=network,
        notify=notify,
    )
    bot = Bot(
        network=network,
        handovers=handovers,
        directory=directory,
        notifier=notifier,
        freshness=FreshnessNotifier(
            client=client, network=network, directory=directory, outbox=outbox
        ),
        chaser=chaser,
        weekly=WeeklyDigest(
            sessions=sessions,
            network=network,
            clock=clock,
            working_time=handovers.working_time,
            client=client,
            outbox=outbox,
        ),
        clock=clock,
        client=client,
        privacy=privacy,
        outbox=outbox,
        audit=audit,
        pages=pages,
        residents=residents,
        receipts=receipts,
        notify_callback_token=notify_callback_token,
        workspaces=workspaces,
    )
    answering = Answering()
    app = HandoverApp(
        scheduler=build_scheduler(bot, answering),
        answering=answering,
        bot=bot,
        metrics_token=metrics_token,
        client=client,
        signing_secret=signing_secret,
        # Socket Mode has no signatures to check; HTTP mode always does.
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=verify_token,
        # Bolt's own default pool is 5 threads; this is the same, in units of work.
        # Answered the moment a listener acknowledges (server.acks), not on Bolt's next look.
        listener_executor=AnswersOnAck(
            InUnits(listener_executor or ThreadPoolExecutor(5), sessions)
        ),
        process_before_response=False,
        raise_error_for_unhandled_request=False,
        **installing,
    )

    app.middleware(signalling_ack)

    @app.middleware
    def provide_bot(context, next):
        context["bot"] = bot
        return next()

    register_all(app)
    return app
