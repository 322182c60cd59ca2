"""``python app.py --sandbox``: the real bot, a stand-in Slack and a stand-in GOV.UK Notify,
and a page to use them (with the resident's phone, where their texts and e-mails arrive).

Two servers in one process: the stand-in Slack (Web API, files and the page) on the
port the user asked for, and the bot's own production HTTP server on a free port.
Nothing in the bot knows it is in a sandbox: it gets a token, a signing secret and
SLACK_API_URL like anywhere else.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import sys
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, SQLModel, select

from bot.delivery.outbox import Pacing
from bot.directory.network import Network, NotifyTemplates, load_network
from bot.directory.providers import sync_directory
from bot.errors import ConfigError
from bot.privacy.logs import configure_logging, keep_secret
from sandbox import demo, notify_templates
from sandbox.clock import SandboxClock
from sandbox.history import make_history
from sandbox.notify import FakeNotify
from sandbox.notify.api import sandbox_messages
from sandbox.slack import FakeSlack
from sandbox.ui import SandboxUI
from server.factory import create_app, make_client, notify_client
from server.web import Server
from storage import crypto
from storage.db import make_engine, session_factory, upgrade
from storage.models import Handover

log = logging.getLogger(__name__)

EXAMPLE_NETWORK = Path(__file__).resolve().parent.parent / "network.example.yaml"
BOT_TOKEN = "xoxb-sandbox"


def network_file() -> Path:
    """The user's network file if there is one, else the example network."""
    chosen = os.environ.get("NETWORK_FILE")
    if chosen and Path(chosen).exists():
        return Path(chosen)
    if Path("network.yaml").exists():
        return Path("network.yaml")
    return EXAMPLE_NETWORK


def sandbox_data_key(folder: Path) -> str:
    """The sandbox's own key for residents' details, made once and kept beside its database
    (a real deployment sets HANDOVER_DATA_KEYS instead)."""
    path = folder / "data.key"
    if not path.exists():
        path.write_text(crypto.new_key() + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def listen_socket() -> socket.socket:
    """A listening socket on a free port of this machine, for the bot's own server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def with_sandbox_templates(network: Network) -> Network:
    """The network, with the stand-in Notify's templates where its file names none."""
    if network.notify.templates.any:
        return network
    ids = {template.key: template.id for template in notify_templates.TEMPLATES}
    notify = network.notify.model_copy(update={"templates": NotifyTemplates(**ids)})
    return network.model_copy(update={"notify": notify})


class Sandbox:
    """``history``: give a new (or reset) demo its eight weeks of handovers; tests of
    the bare workflow turn it off."""

    def __init__(self, *, port: int, folder: Path, listener_executor=None, history: bool = True):
        chosen = network_file()
        self.network = with_sandbox_templates(load_network(chosen))
        # The history is written for the example network's services, areas and providers.
        self.history = history and chosen == EXAMPLE_NETWORK
        # The wall clock, except while the demo's history is made (sandbox/history.py).
        self.clock = SandboxClock()
        folder.mkdir(parents=True, exist_ok=True)
        self.personas = demo.people(self.network)
        secret = secrets.token_hex(16)
        keep_secret(secret)
        self.fake = FakeSlack(
            bot_token=BOT_TOKEN,
            team_name=self.network.network.name,
            port=port,
            store=folder / "workspace.json",
            # Messages the history posts carry the time of their step, as in Slack.
            wall_clock=lambda: self.clock.now().timestamp(),
        )
        # The stand-in GOV.UK Notify, where residents' texts and e-mails arrive; it says
        # "delivered" a moment after each, as Notify would.
        self.notify = FakeNotify(auto_deliver=True, auto_deliver_delay=0.5)
        notify_templates.seed(self.notify)
        callback_token = secrets.token_hex(16)
        provider_templates = {self.network.notify.templates.provider_email}
        keep_secret(callback_token, self.notify.api_key)
        self.fake.routes = SandboxUI(
            self.fake,
            self.personas,
            signing_secret=secret,
            bot_url=lambda: f"http://127.0.0.1:{self.bot.port}/slack/events",
            reset=self.reset,
            timezone=self.network.network.timezone,
            # Residents' messages on their phone; providers' e-mails in the Inbox.
            phone=lambda: sandbox_messages(self.notify, leave_out=provider_templates),
            inbox=lambda: sandbox_messages(self.notify, templates=provider_templates),
        )
        data_key = sandbox_data_key(folder)
        keep_secret(data_key)
        self.engine = make_engine(f"sqlite:///{folder / 'handover.db'}", data_keys=data_key)
        upgrade(self.engine)
        first_start = self._no_handovers()
        self.fake.start()
        if first_start and self.history:
            self.fake.reset()  # messages left from an earlier database would refer to nothing
        demo.seed(self.fake, self.network, self.personas)
        # The bot's own address, known before it is built: the e-mails to providers without
        # Slack link to their handovers' pages there, as PUBLIC_URL does in production.
        self.bot_socket = listen_socket()
        public_url = f"http://127.0.0.1:{self.bot_socket.getsockname()[1]}"
        self.app = create_app(
            network=self.network,
            engine=self.engine,
            clock=self.clock,
            client=make_client(BOT_TOKEN, self.fake.api_url),
            signing_secret=secret,
            listener_executor=listener_executor,
            # The stand-in Slack has no rate limits to keep under: no need to pace.
            pacing=Pacing(pace=timedelta(0)),
            notify=notify_client(self.notify.api_key, self.notify.base_url),
            notify_callback_token=callback_token,
            public_url=public_url,
        )
        self.bot = Server(self.app, self.engine, sock=self.bot_socket)
        self._refer_button()
        self.notify.callback(f"http://127.0.0.1:{self.bot.port}/notify/callback", callback_token)
        if first_start and self.history:
            make_history(self.app, self.clock, self.fake, self.personas)

    def _refer_button(self) -> None:
        """The coordinators' Refer a resident button in the channel shared with partners'
        own workspaces, posted by the bot as `/handover button` would (once)."""
        if self.fake.messages(demo.SHARED):
            return
        coordinator = next(p.id for p in self.personas if p.role == "coordinator")
        self.app.bot.notifier.post_refer_button(demo.SHARED, coordinator)

    def _no_handovers(self) -> bool:
        with Session(self.engine) as session:
            return session.exec(select(Handover.id).limit(1)).first() is None

    @property
    def url(self) -> str:
        return self.fake.base_url

    def reset(self) -> None:
        """Start the demo again: its history and nothing since; the people and channels
        stay. The directory is read afresh, so its routing turns start as on a first start
        and the history comes out the same."""
        scheduler = self.app.scheduler.background()
        paused = scheduler.running
        if paused:  # no tick at the history's moments while it is being made
            scheduler.pause()
        try:
            with self.engine.begin() as connection:
                for table in reversed(SQLModel.metadata.sorted_tables):
                    connection.execute(table.delete())
            sync_directory(
                self.network, sessions=session_factory(self.engine), now=self.clock.now()
            )
            self.fake.reset()
            self.notify.forget()
            demo.seed(self.fake, self.network, self.personas)
            if self.history:
                make_history(self.app, self.clock, self.fake, self.personas)
            self._refer_button()
        finally:
            if paused:
                scheduler.resume()

    def run(self) -> None:
        self.bot.run()

    def stop(self, *_signal) -> None:
        self.bot.stop()
        self.fake.stop()
        self.notify.close()


def main(port: int) -> int:
    # One line for the user (the URL); what is logged is redacted as in app.py.
    configure_logging(logging.WARNING, fmt="%(levelname)s %(name)s: %(message)s")
    try:
        sandbox = Sandbox(port=port, folder=Path(".sandbox"))
    except ConfigError as error:
        print(f"Cannot start the sandbox: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"Cannot start the sandbox on port {port} ({error.strerror}): try --port.",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, sandbox.stop)
    print(f"Sandbox running: open {sandbox.url} (Ctrl-C to stop)", flush=True)
    # The real bot's scheduler, as app.py starts it; tests that drive a Sandbox call run()
    # and so never start its thread.
    sandbox.app.scheduler.start()
    try:
        sandbox.run()
    finally:
        sandbox.app.scheduler.shutdown()
        sandbox.fake.stop()
        sandbox.notify.close()
    return 0
