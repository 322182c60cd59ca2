"""Run the warm handover bot.

python app.py                      # Socket Mode (SLACK_BOT_TOKEN, SLACK_APP_TOKEN)
python app.py --http --port 3000   # HTTP mode (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)
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
    return parser.parse_args(argv)


def build(mode):
    """Everything checked and ready, or a ConfigError saying what to fix."""
    from slack_bolt.error import BoltError
    from sqlalchemy.exc import SQLAlchemyError

    from bot.directory.network import load_network
    from bot.errors import ConfigError
    from bot.privacy.logs import keep_secret
    from bot.settings import Mode, load_settings
    from server.factory import create_app, make_client
    from storage.db import make_engine, upgrade

    settings = load_settings()
    keep_secret(*_secrets(settings))
    settings.require(mode)
    network = load_network(settings.network_file)
    data_keys = settings.data_keys()
    try:
        engine = make_engine(settings.database_url, data_keys=data_keys)
        upgrade(engine)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise ConfigError(
            f"Cannot use the database at DATABASE_URL ({reason}): check the URL and that the "
            "server is running."
        ) from None
    client = make_client(settings.slack_bot_token.get_secret_value(), settings.api_url)
    secret = settings.slack_signing_secret
    try:
        app = create_app(
            network=network,
            engine=engine,
            client=client,
            signing_secret=secret.get_secret_value() if mode is Mode.HTTP else None,
        )
    except BoltError as exc:
        raise ConfigError(
            f"Slack did not accept SLACK_BOT_TOKEN ({exc}): copy the Bot User OAuth Token "
            "from your app's OAuth & Permissions page."
        ) from None
    return settings, app, engine


def _secrets(settings) -> list[str]:
    """What the settings hold that no log line may show, whatever its shape."""
    from sqlalchemy.engine import make_url

    values = [
        secret.get_secret_value()
        for secret in (
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_signing_secret,
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
    from bot.privacy.logs import configure_logging

    # Human lines, or JSON with LOG_FORMAT=json; never a token or a resident's details.
    configure_logging(logging.INFO)
    # Alembic describes every plugin it loads at INFO: noise before the first useful line.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # APScheduler says so at INFO every time the scheduler ticks (twice a minute).
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    args = parse_args(argv)
    if args.sandbox:
        from sandbox.run import main as sandbox

        return sandbox(args.port)

    from bot.errors import ConfigError
    from bot.settings import Mode

    mode = Mode.HTTP if args.http else Mode.SOCKET
    try:
        settings, app, engine = build(mode)
    except ConfigError as exc:
        print(f"Cannot start: {exc}", file=sys.stderr)
        return 2
    app.scheduler.start()
    try:
        if mode is Mode.HTTP:
            from server.web import serve

            serve(app, engine, host=args.host, port=args.port)
        else:
            serve_socket_mode(app, settings.slack_app_token.get_secret_value())
    finally:
        finish(app, engine)
    return 0


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
