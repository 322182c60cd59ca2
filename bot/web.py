"""HTTP mode: Slack's requests on ``POST /slack/events``, health on ``GET /healthz``."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.engine import Engine

from storage.db import database_answers

log = logging.getLogger(__name__)


def wsgi_app(app: App, engine: Engine):
    slack = SlackRequestHandler(app, path="/slack/events")

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            healthy = database_answers(engine)
            status = "200 OK" if healthy else "503 Service Unavailable"
            body = json.dumps({"ok": healthy, "database": "up" if healthy else "down"}).encode()
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        return slack(environ, start_response)

    return application


def serve(app: App, engine: Engine, *, host: str, port: int, threads: int = 8) -> None:
    """Serve with waitress (a production WSGI server) until SIGTERM or Ctrl-C.

    Stopping is graceful: no new connections are taken, requests in flight are
    answered, then the work listeners do after ``ack()`` is allowed to finish.
    """
    from waitress.server import create_server

    server = create_server(wsgi_app(app, engine), host=host, port=port, threads=threads)
    stopping = threading.Event()

    def stop(_signum=None, _frame=None):
        if not stopping.is_set():
            log.info("stopping: finishing the requests in flight")
        stopping.set()
        server.accepting = False  # waitress stops accepting while the loop keeps serving

    signal.signal(signal.SIGTERM, stop)
    log.info("listening on http://%s:%s/slack/events", host, server.effective_port)
    deadline = None
    try:
        while True:
            try:
                server.asyncore.loop(timeout=0.2, map=server._map, count=1)
            except KeyboardInterrupt:
                stop()
            if stopping.is_set():
                deadline = deadline or time.monotonic() + SHUTDOWN_GRACE
                if not _busy(server) or time.monotonic() > deadline:
                    break
    finally:
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=SHUTDOWN_GRACE)
        server.close()
        app.listener_runner.listener_executor.shutdown(wait=True)
        log.info("stopped")


SHUTDOWN_GRACE = 10.0  # seconds; Slack itself gives up on a request after 3


def _busy(server) -> bool:
    dispatcher = server.task_dispatcher
    if dispatcher.queue or dispatcher.active_count:
        return True
    return any(
        channel.requests or channel.total_outbufs_len
        for channel in list(server.active_channels.values())
    )
