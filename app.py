"""Run the warm handover bot.

python app.py                      # Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN)
python app.py --http --port 3000   # HTTP mode (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)
python app.py --http --workers 4   # HTTP mode on 4 cores: 4 processes share the port
python app.py --migrate            # bring the database schema up to date, then exit
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys

from dotenv import find_dotenv, load_dotenv

log = logging.getLogger("handover")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Warm handover bot for Slack.")
    parser.add_argument("--http", action="store_true", help="serve Slack's requests over HTTP")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run with a stand-in Slack workspace in your browser (no tokens needed)",
    )
    parser.add_argument("--host", default="0.0.0.0", help="HTTP address to listen on")
    parser.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    parser.add_argument(
        "--workers",
        metavar="N",
        help="HTTP mode: serve from N processes, one per core (default 1)",
    )
    parser.add_argument(
        "--migrate",
        action="store_true",
        help="bring the database schema up to date (DATABASE_URL), then exit",
    )
    return parser.parse_args(argv)


def workers_wanted(args: argparse.Namespace) -> int:
    """How many processes serve; a ConfigError for a value that cannot work."""
    from bot.errors import ConfigError
    from server.workers import can_fork

    if args.workers is None:
        return 1
    try:
        count = int(args.workers)
    except ValueError:
        count = 0
    if count < 1:
        raise ConfigError(
            f"--workers takes a whole number of processes, 1 or more (not {args.workers!r})."
        )
    if args.sandbox:
        raise ConfigError("--workers is for HTTP mode (--http); the sandbox runs as one process.")
    if not args.http:
        raise ConfigError(
            "--workers is for HTTP mode (--http); in Socket Mode run one process per "
            "connection to Slack instead."
        )
    if count > 1 and not can_fork():
        raise ConfigError(
            "--workers needs a system that can fork processes (Linux, macOS); run several "
            "copies of the bot behind a load balancer instead."
        )
    return count


def build(mode, *, migrate: bool = True):
    """Everything checked and ready, or a ConfigError saying what to fix. ``migrate=False``
    where the schema was brought up to date already (the workers' parent did it)."""
    from slack_bolt.error import BoltError

    from bot.directory.network import load_network
    from bot.errors import ConfigError
    from bot.privacy.logs import keep_secret
    from bot.settings import Mode, load_settings
    from server.factory import create_app, make_client, notify_client
    from server.oauth import oauth_config

    settings = load_settings()
    keep_secret(*_secrets(settings))
    settings.require(mode)
    network = load_network(settings.network_file)
    engine = open_database(settings, migrate=migrate)
    client = make_client(settings.slack_bot_token.get_secret_value(), settings.api_url)
    secret = settings.slack_signing_secret
    notify_key = settings.notify_key()
    if notify_key is None:
        log.info(
            "GOV.UK Notify is off (no NOTIFY_API_KEY): residents get no texts or e-mails, "
            "and the referral form does not ask how they would like to hear."
        )
    elif not network.notify.templates.any:
        log.warning(
            "NOTIFY_API_KEY is set but the network file names no notify.templates: residents "
            "get no messages until it does (docs/notify-templates.md)."
        )
    if settings.oauth and mode is Mode.SOCKET:
        log.warning(
            "OAuth is on but /slack/install is served in HTTP mode only (--http): partners "
            "already installed are served; new ones install through an HTTP-mode copy."
        )
    callback = settings.notify_callback_token
    public_url = settings.page_url(network)
    try:
        app = create_app(
            network=network,
            engine=engine,
            client=client,
            signing_secret=secret.get_secret_value() if mode is Mode.HTTP else None,
            notify=notify_client(notify_key, settings.notify_base_url) if notify_key else None,
            notify_callback_token=callback.get_secret_value() if callback else None,
            public_url=public_url,
            metrics_token=_present_secret(settings.metrics_token),
            oauth=oauth_config(settings, engine) if settings.oauth else None,
        )
    except BoltError as exc:
        raise ConfigError(
            f"Slack did not accept SLACK_BOT_TOKEN ({exc}): copy the Bot User OAuth Token "
            "from your app's OAuth & Permissions page."
        ) from None
    return settings, app, engine


def _present_secret(secret) -> str | None:
    value = secret.get_secret_value() if secret is not None else ""
    return value or None


def migrate() -> None:
    """Only the schema: what a deployment's one-off step runs before the bots start (it
    needs DATABASE_URL and HANDOVER_DATA_KEYS, no Slack token); a ConfigError if it cannot."""
    from bot.privacy.logs import keep_secret
    from bot.settings import load_settings

    settings = load_settings()
    keep_secret(*_secrets(settings))
    open_database(settings, migrate=True).dispose()
    log.info("the database schema is up to date")


def open_database(settings, *, migrate: bool):
    """The engine on DATABASE_URL, its schema brought up to date when ``migrate``; a
    ConfigError in one sentence when the database cannot be used."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.errors import ConfigError
    from storage.db import make_engine, upgrade

    try:
        engine = make_engine(settings.database_url, data_keys=settings.data_keys())
        try:
            if migrate:
                upgrade(engine)
        except BaseException:
            engine.dispose()
            raise
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigError(
            f"Cannot use the database at DATABASE_URL ({reason}): check the URL and that the "
            "server is running."
        ) from None
    return engine


def metrics_dir(args: argparse.Namespace) -> str | None:
    """Several workers share their metrics through files (prometheus-client's multi-process
    mode), in ``PROMETHEUS_MULTIPROC_DIR``, or a folder made here for this run. Called
    before anything imports prometheus-client, which reads the setting then. The folder
    made here is returned, for removing at the end."""
    import os
    import tempfile
    from pathlib import Path

    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        # A previous run's files would add its counts to this one's.
        for stale in Path(given).glob("*.db"):
            stale.unlink(missing_ok=True)
        return None
    several = args.http and str(args.workers or "").isdigit() and int(args.workers) > 1
    if not several or args.sandbox or args.migrate:
        return None
    made = tempfile.mkdtemp(prefix="handover-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    return made


def _secrets(settings) -> list[str]:
    """What the settings hold that no log line may show, whatever its shape."""
    from sqlalchemy.engine import make_url

    values = [
        secret.get_secret_value()
        for secret in (
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_signing_secret,
            settings.slack_client_secret,
            settings.notify_api_key,
            settings.notify_callback_token,
            settings.metrics_token,
        )
        if secret is not None
    ]
    # A malformed URL is reported by make_engine, in one sentence.
    with contextlib.suppress(Exception):
        values.append(make_url(settings.database_url).password)
    if settings.handover_data_keys is not None:
        # Split as given, even when malformed: data_keys() reports that, without the key.
        values += settings.handover_data_keys.get_secret_value().split(",")
    return [str(v).strip() for v in values if v]


def main(argv: list[str] | None = None) -> int:
    # The .env of the folder the bot is started in, as Settings reads it.
    load_dotenv(find_dotenv(usecwd=True))
    args = parse_args(argv)
    made = metrics_dir(args)
    try:
        return _run(args, made)
    finally:
        if made is not None:
            import os
            import shutil

            shutil.rmtree(made, ignore_errors=True)
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)


def _run(args: argparse.Namespace, made: str | None) -> int:
    from bot.errors import ConfigError
    from bot.privacy.logs import HUMAN_FORMAT, configure_logging

    try:
        workers = workers_wanted(args)
    except ConfigError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    # Human lines, or JSON with LOG_FORMAT=json; never a token or a resident's details.
    # With several workers, each line says which process wrote it.
    if workers > 1:
        configure_logging(
            logging.INFO, fmt=HUMAN_FORMAT.replace(" %(name)s", " [%(process)d] %(name)s")
        )
        for handler in logging.getLogger().handlers:
            handler.addFilter(_with_pid)
    else:
        configure_logging(logging.INFO)
    # Alembic describes every plugin it loads at INFO: noise before the first useful line.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # APScheduler says so at INFO every time the scheduler ticks (twice a minute).
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    if args.migrate:
        try:
            migrate()
        except ConfigError as exc:
            print(f"Cannot migrate: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.sandbox:
        from sandbox.run import main as sandbox

        return sandbox(args.port)

    from bot.settings import Mode

    mode = Mode.HTTP if args.http else Mode.SOCKET
    if made is not None:
        log.info("metrics: the workers share their counters in %s", made)
    try:
        settings, app, engine = build(mode)
        if workers > 1:
            # Every check, the migrations and the directory's sync ran once, here; each
            # worker builds its own app. Nothing that holds a connection or a thread may
            # cross the fork.
            engine.dispose()
            del app, engine
            return serve_workers(mode, args, workers)
    except ConfigError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    app.scheduler.start()
    try:
        if mode is Mode.HTTP:
            from server.web import serve

            serve(app, engine, host=args.host, port=args.port)
        else:
            web = web_beside_socket_mode(app, engine, settings, args)
            try:
                serve_socket_mode(app, settings.slack_app_token.get_secret_value())
            finally:
                if web is not None:
                    web.stop()
    finally:
        finish(app, engine)
    return 0


def web_beside_socket_mode(app, engine, settings, args):
    """In Socket Mode, Slack needs no address, but others do: the pages of providers without
    Slack (PUBLIC_URL) and GOV.UK Notify's delivery receipts (NOTIFY_CALLBACK_TOKEN) reach
    the bot over HTTP. With either set, the HTTP server serves them (and the probes and
    /metrics) on --host and --port; Slack's own requests there are refused, having no
    signing secret. Returns the server, running in a thread, or None."""
    import threading

    from server.web import Server

    if not (settings.public_url or settings.notify_callback_token):
        return None
    server = Server(app, engine, host=args.host, port=args.port)
    thread = threading.Thread(target=server.run, name="http", daemon=True)
    thread.start()
    log.info(
        "also serving http://%s:%s for providers' pages and Notify's receipts",
        args.host,
        server.port,
    )

    class Running:
        def stop(self) -> None:
            server.stop()
            thread.join(15)

    return Running()


def serve_workers(mode, args: argparse.Namespace, count: int) -> int:
    """HTTP mode from ``count`` processes sharing one listening socket (server.workers)."""
    from server.workers import Supervisor, listen

    with listen(args.host, args.port) as sock:
        host, port = sock.getsockname()[:2]
        log.info("listening on http://%s:%s/slack/events with %d workers", host, port, count)

        def work(index: int, ready) -> int:
            return serve_worker(mode, sock, f"{index} of {count}", ready)

        return Supervisor(work, count=count).run()


def serve_worker(mode, sock, name: str, ready) -> int:
    """One worker: a whole bot of its own (engine, threads, scheduler, outbox worker)
    serving the shared socket until SIGTERM, then stopping as one process does."""
    import os

    from bot.errors import ConfigError
    from server.web import serve

    try:
        _settings, app, engine = build(mode, migrate=False)
    except ConfigError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    host, port = sock.getsockname()[:2]

    def serving() -> None:
        log.info(
            "worker %s serving http://%s:%s/slack/events (pid %d)", name, host, port, os.getpid()
        )
        ready()

    app.scheduler.start()
    try:
        serve(app, engine, host=host, port=port, sock=sock, ready=serving)
    finally:
        finish(app, engine)
    return 0


def _with_pid(record: logging.LogRecord) -> bool:
    """The worker's pid as a field of its own in JSON lines (``LOG_FORMAT=json``)."""
    record.pid = record.process
    return True


def serve_socket_mode(app, app_token: str, *, handler_class=None, stopping=None) -> None:
    """Socket Mode until SIGTERM or Ctrl-C, then stop as HTTP mode does: no new work, and
    what is in flight finishes (the caller then calls ``finish``)."""
    import threading

    from server.web import finish_listeners, on_stop_signals

    if handler_class is None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler as handler_class
    stopping = stopping or threading.Event()
    handler = handler_class(app, app_token)
    restore = on_stop_signals(lambda *_: stopping.set())
    try:
        handler.connect()
        log.info("connected to Slack over Socket Mode")
        while not stopping.wait(0.5):
            pass
        log.info("stopping: no new work; finishing what is in flight")
        # Disconnects, then waits for the envelopes being dispatched (each until its ack).
        handler.close()
        finish_listeners(app)
    finally:
        restore()


def finish(app, engine) -> None:
    """The last of a graceful stop, in either mode: the scheduler lets a tick in progress
    finish its work, then the database connections are closed."""
    app.scheduler.shutdown(wait=True)
    engine.dispose()
    log.info("stopped cleanly")


if __name__ == "__main__":
    sys.exit(main())
