"""Graceful shutdown, the same in both modes: on SIGTERM or Ctrl-C no new work is taken,
what is in flight finishes (within a bound), the scheduler stops cleanly, the database
connections are closed, and the process exits 0."""

from __future__ import annotations

import os
import signal
import threading
import time
import urllib.request

import app as entry
from sandbox import requests
from tests.harness import TEAM
from tests.network import COORD_CHANNEL, COORDINATOR
from tests.server.test_app_start import _wait_for, start_http_bot


def test_http_mode_finishes_the_work_in_flight_when_sigterm_arrives_mid_request(tmp_path, fake):
    secret = "s3cret"
    process, port = start_http_bot(tmp_path, fake, secret=secret)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", process)
        # The digest is posted after the command is acknowledged; Slack answers it slowly.
        fake.slow_next("chat.postMessage", 2.0)
        body, kind = requests.form(
            requests.slash_command(
                team=TEAM,
                user=COORDINATOR,
                channel=COORD_CHANNEL,
                text="digest",
                response_url=fake.response_url(COORDINATOR, COORD_CHANNEL),
                trigger_id=fake.issue_trigger_id(COORDINATOR),
            )
        )
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events",
            data=body.encode(),
            headers={**requests.sign(body, secret=secret), "Content-Type": kind},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200  # acknowledged; the work goes on
        deadline = time.monotonic() + 5
        while not fake.calls_to("chat.postMessage") and time.monotonic() < deadline:
            time.sleep(0.02)  # the slow post has begun
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    assert "stopped cleanly" in output, output
    # Everything the request started was done before the process ended.
    assert fake.messages(COORD_CHANNEL), output
    assert fake.calls_to("files.completeUploadExternal"), output
    assert "The digest of the 7 days up to now is in" in fake.ephemerals(COORDINATOR)[-1]["text"]


class StubSocketMode:
    """Stands in for Bolt's SocketModeHandler: records what the bot asks of it."""

    calls: list = []

    def __init__(self, app, token):
        self.calls.append(("init", token))

    def connect(self):
        self.calls.append("connect")
        # Slack is connected; now the platform asks the process to stop.
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGTERM)).start()

    def close(self):
        self.calls.append("close")


def test_socket_mode_stops_the_same_way_on_sigterm(slack, db):
    before = signal.getsignal(signal.SIGTERM)
    finished = []

    def in_flight():
        time.sleep(0.6)
        finished.append(True)

    slack.app.scheduler.start()
    slack.app.listener_runner.listener_executor.submit(in_flight)
    StubSocketMode.calls = []

    entry.serve_socket_mode(slack.app, "xapp-test", handler_class=StubSocketMode)
    entry.finish(slack.app, db)

    assert StubSocketMode.calls == [("init", "xapp-test"), "connect", "close"]
    assert finished == [True]  # the listener in flight finished first
    assert not slack.app.scheduler.background().running
    assert signal.getsignal(signal.SIGTERM) is before  # put back as it was
