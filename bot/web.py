"""HTTP mode: Slack's requests on ``POST /slack/events``, health on ``GET /healthz``."""

from __future__ import annotations

import json
import logging
import signal

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
    """Serve with waitress (a production WSGI server) until SIGTERM or Ctrl-C."""
    from waitress.server import create_server

    server = create_server(wsgi_app(app, engine), host=host, port=port, threads=threads)

    def stop(_signum, _frame):
        log.info("stopping: finishing requests in flight")
        server.close()

    signal.signal(signal.SIGTERM, stop)
    log.info("listening on http://%s:%s/slack/events", host, server.effective_port)
    try:
        server.run()
    except (KeyboardInterrupt, OSError):
        pass
    finally:
        server.close()
