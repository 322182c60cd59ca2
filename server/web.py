"""HTTP mode: Slack's requests on ``POST /slack/events``, health on ``GET /healthz``, the
orchestrator's probes on ``GET /livez`` and ``GET /readyz`` (server/probes.py), the metrics
on ``GET /metrics`` (server/metrics.py), GOV.UK Notify's delivery receipts on
``POST /notify/callback`` (server/receipts.py), and the handovers' pages of providers
without Slack on ``/p/<token>`` (server/page)."""

from __future__ import annotations

import json
import logging
import signal
import socket
import threading
import time
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from sqlalchemy.engine import Engine

from server import gate, metrics, probes, receipts
from server.page import routes
from storage import crypto
from storage.db import database_answers

log = logging.getLogger(__name__)


def wsgi_app(app: App, engine: Engine, *, signing_secret: str | None = None):
    """The WSGI application; Slack's requests pass ``server.gate`` before Bolt sees them."""
    slack = SlackRequestHandler(app, path="/slack/events")
    # Any Bolt app may be served here (the benchmark serves a bare one): Bolt keeps the
    # secret it was built with, unnamed.
    secret = (
        signing_secret
        or getattr(app, "signing_secret", None)
        or getattr(app, "_signing_secret", None)
    )
    pages = page_routes(app, engine)

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            healthy = database_answers(engine)
            status = "200 OK" if healthy else "503 Service Unavailable"
            body = json.dumps({"ok": healthy, "database": "up" if healthy else "down"}).encode()
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == slack.path:
            request = gate.admit(environ, secret)
            if isinstance(request, gate.Refusal):
                return gate.refuse(request, start_response)
            answer = app.dispatch(request)
            response = WsgiHttpResponse(
                status=answer.status, headers=answer.headers, body=answer.body
            )
            start_response(response.status, response.get_headers())
            return response.get_body()
        if pages is not None and routes.is_page(environ.get("PATH_INFO", "")):
            return pages(environ, start_response)
        if environ.get("PATH_INFO") in probes.PATHS:
            return probes.answer(environ["PATH_INFO"], app, engine, environ, start_response)
        if environ.get("PATH_INFO") == metrics.PATH:
            return metrics.scrape(app, engine, environ, start_response)
        if environ.get("PATH_INFO") == receipts.PATH:
            if environ.get("REQUEST_METHOD") != "POST":
                start_response("405 Method Not Allowed", [("Allow", "POST")])
                return [b""]
            return receipts.receive(environ, start_response, getattr(app, "bot", None))
        return slack(environ, start_response)

    return application


def page_routes(app: App, engine: Engine) -> routes.PageRoutes | None:
    """The handovers' pages, where the app has them (a bare Bolt app has none)."""
    bot = getattr(app, "bot", None)
    if bot is None or bot.pages is None:
        return None
    return routes.PageRoutes(
        bot.pages,
        data_keys=crypto.keys_of(engine),
        clock=bot.clock,
        secure=bot.pages.links.public_url.startswith("https://"),
    )


class Server:
    """waitress (a production WSGI server) with a graceful stop.

    ``stop()`` stops accepting connections; ``run()`` keeps answering the requests in
    flight, then lets the work listeners do after ``ack()`` finish, and returns.
    """

    def __init__(
        self,
        app: App,
        engine: Engine,
        *,
        host: str | None = None,
        port: int | None = None,
        sock: socket.socket | None = None,
        threads: int = 8,
    ):
        """Listen on ``host`` and ``port``, or serve ``sock``: a listening socket bound
        before this process was forked, which every worker serves (``server.workers``)."""
        from waitress.server import create_server

        self.app = app
        where = {"sockets": [sock]} if sock is not None else {"host": host, "port": port}
        self.waitress = create_server(wsgi_app(app, engine), threads=threads, **where)
        self.stopping = threading.Event()

    @property
    def port(self) -> int:
        return self.waitress.effective_port

    def stop(self, *_signal) -> None:
        if not self.stopping.is_set():
            log.info("stopping: finishing the requests in flight")
        self.stopping.set()
        self.waitress.accepting = False

    def run(self) -> None:
        server = self.waitress
        deadline = None
        try:
            while True:
                try:
                    server.asyncore.loop(timeout=0.2, map=server._map, count=1)
                except KeyboardInterrupt:
                    self.stop()
                if self.stopping.is_set():
                    deadline = deadline or time.monotonic() + SHUTDOWN_GRACE
                    if not self._busy() or time.monotonic() > deadline:
                        break
        finally:
            server.task_dispatcher.shutdown(cancel_pending=False, timeout=SHUTDOWN_GRACE)
            server.close()
            finish_listeners(self.app, SHUTDOWN_GRACE)
            log.info("stopped")

    def _busy(self) -> bool:
        dispatcher = self.waitress.task_dispatcher
        if dispatcher.queue or dispatcher.active_count:
            return True
        return any(
            channel.requests or channel.total_outbufs_len
            for channel in list(self.waitress.active_channels.values())
        )


SHUTDOWN_GRACE = 10.0  # seconds; Slack itself gives up on a request after 3


def finish_listeners(app: App, grace: float = SHUTDOWN_GRACE) -> bool:
    """Let the work listeners do after ``ack()`` finish, for at most ``grace`` seconds.

    Every change is one transaction, so one cut off after that is not half-written: it
    either committed or rolled back. True when everything finished in time.
    """
    executor = app.listener_runner.listener_executor
    waiter = threading.Thread(target=executor.shutdown, kwargs={"wait": True}, daemon=True)
    waiter.start()
    waiter.join(grace)
    if waiter.is_alive():
        log.warning("stopping: listeners still running after %ss; not waiting longer", grace)
        return False
    return True


def on_stop_signals(stop) -> Callable[[], None]:
    """SIGTERM (a deployment, a scale-down) and SIGINT (Ctrl-C) both mean: stop gracefully.
    Returns a function that puts back what was there before."""
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def serve(
    app: App,
    engine: Engine,
    *,
    host: str,
    port: int,
    sock: socket.socket | None = None,
    ready: Callable[[], None] | None = None,
) -> None:
    """Serve until SIGTERM or Ctrl-C, then stop gracefully. With ``sock``, serve that
    listening socket (a worker's share of ``host:port``); ``ready`` is called once serving."""
    server = Server(app, engine, host=host, port=port, sock=sock)
    restore = on_stop_signals(server.stop)
    if sock is None:
        log.info("listening on http://%s:%s/slack/events", host, server.port)
    if ready is not None:
        ready()
    try:
        server.run()
    finally:
        restore()
