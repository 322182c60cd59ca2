"""The orchestrator's probes through the real app: /livez answers while the process does,
/readyz only while the database, the outbox worker and the scheduler all do, and says
which part is down; /healthz stays as it was."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from werkzeug.test import Client

from server.web import Server, wsgi_app
from storage.db import make_engine
from tests.harness import DATA_KEY


@pytest.fixture
def running(slack):
    """The app with its scheduler and outbox worker started, as app.py starts them."""
    slack.app.scheduler.start()
    yield slack
    slack.app.scheduler.shutdown(wait=True)


class Switchable:
    """An engine on the test database that can be made to fail to connect, as one whose
    server stopped does, and to connect again."""

    def __init__(self, db):
        self.engine = make_engine(db.url.render_as_string(False), data_keys=[DATA_KEY])
        self.down = False

        @event.listens_for(self.engine, "do_connect")
        def refuse(*_args):
            if self.down:
                raise OperationalError("connect", {}, Exception("connection refused"))

    def stop(self) -> None:
        self.down = True
        self.engine.dispose()  # the pooled connections went with the server

    def start(self) -> None:
        self.down = False


def test_livez_answers_without_the_database(slack):
    response = slack.http.get("/livez")
    assert response.status_code == 200 and response.json == {"ok": True}
    assert slack.http.post("/livez").status_code == 405


def test_readyz_needs_the_scheduler_and_the_outbox_worker_running(slack, clock):
    response = slack.http.get("/readyz")
    assert response.status_code == 503
    assert response.json == {
        "ok": False, "database": "up", "scheduler": "stopped", "outbox_worker": "down"
    }  # fmt: skip
    slack.app.scheduler.start()
    try:
        ready = slack.http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json == {
            "ok": True, "database": "up", "scheduler": "up", "outbox_worker": "up"
        }  # fmt: skip
    finally:
        slack.app.scheduler.shutdown(wait=True)
    stopped = slack.http.get("/readyz")
    assert stopped.status_code == 503 and stopped.json["scheduler"] == "stopped"
    assert stopped.json["outbox_worker"] == "down"
    # Started again (a restart of the scheduler, not of the process): ready again.
    slack.app.scheduler.start()
    try:
        assert slack.http.get("/readyz").status_code == 200
    finally:
        slack.app.scheduler.shutdown(wait=True)


def test_a_stalled_scheduler_makes_readyz_fail_until_it_ticks_again(running, clock):
    slack = running
    assert slack.http.get("/readyz").status_code == 200
    clock.advance(timedelta(minutes=1))
    assert slack.http.get("/readyz").status_code == 200  # two ticks late is not stalled
    clock.advance(timedelta(minutes=2))
    stalled = slack.http.get("/readyz")
    assert stalled.status_code == 503
    assert stalled.json == {
        "ok": False, "database": "up", "scheduler": "stalled", "outbox_worker": "up"
    }  # fmt: skip
    assert slack.http.get("/livez").status_code == 200  # alive, only not ready
    slack.app.scheduler.tick()
    assert slack.http.get("/readyz").status_code == 200


def test_readyz_fails_while_the_database_is_down_and_recovers_with_it(running, db):
    database = Switchable(db)
    http = Client(wsgi_app(running.app, database.engine))
    try:
        assert http.get("/readyz").status_code == 200
        database.stop()
        down = http.get("/readyz")
        assert down.status_code == 503
        assert down.json == {
            "ok": False, "database": "down", "scheduler": "up", "outbox_worker": "up"
        }  # fmt: skip
        assert http.get("/livez").status_code == 200
        assert http.get("/healthz").json == {"ok": False, "database": "down"}
        scraped = http.get("/metrics")
        assert scraped.status_code == 200
        assert "handover_database_up 0.0" in scraped.get_data(as_text=True)
        database.start()
        assert http.get("/readyz").status_code == 200
        assert http.get("/healthz").json == {"ok": True, "database": "up"}
    finally:
        database.engine.dispose()


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /readyz HTTP/1.1\r\nHost: x\r\nContent-Length: banana\r\n\r\n",
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5\r\n\r\n{oops",
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n\r\n",
    ],
    ids=["no request line", "bad length", "unsigned broken json", "undecodable token"],
)
def test_a_request_the_server_cannot_parse_gets_a_4xx_never_a_500(slack, db, request_bytes):
    slack.app.metrics_token = "s3cret-metrics"
    server = Server(slack.app, db, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        status = _raw(server.port, request_bytes).split(b"\r\n", 1)[0]
        code = int(status.split()[1])
        assert 400 <= code < 500, status
    finally:
        server.stop()
        thread.join(timeout=15)
