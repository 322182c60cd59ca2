"""``python app.py`` in Socket Mode, as a user runs it, against the stand-in Slack: it
connects with the app-level token, a handover goes through the socket from /handover to
acceptance, and on SIGTERM it stops cleanly with nothing left half-done."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from tests.harness import DATA_KEY
from tests.network import ADVISER, CV_CHANNEL, CV_STAFF, NETWORK_YAML
from tests.scenarios.helpers import last_card, refer
from tests.server.test_app_start import ROOT, SETTINGS
from tests.socket_harness import RemoteBot, eventually


def start_socket_bot(tmp_path: Path, fake, *args: str, **settings: str) -> subprocess.Popen:
    """``python app.py *args`` in its own folder, with only the settings Socket Mode needs,
    and ``settings`` besides."""
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    (tmp_path / "network.yaml").write_text(NETWORK_YAML)
    env = {
        **{k: v for k, v in os.environ.items() if k not in SETTINGS},
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_APP_TOKEN": fake.app_token,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "HANDOVER_DATA_KEYS": DATA_KEY,
        "PYTHONPATH": str(ROOT),
        **settings,
    }
    return subprocess.Popen(
        [sys.executable, "app.py", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def dms(fake, user: str) -> list[dict]:
    try:
        return fake.dms(user)
    except KeyError:  # no DM opened yet
        return []


def test_socket_mode_serves_a_handover_and_stops_cleanly_on_sigterm(tmp_path, fake):
    socket = fake.socket_mode
    process = start_socket_bot(tmp_path, fake)
    try:
        try:
            socket.wait_connected(timeout=30)  # start-up includes the migrations
        except TimeoutError:
            process.kill()
            raise AssertionError(process.communicate()[0].decode()) from None
        slack = RemoteBot(fake)
        assert refer(slack)["response_action"] == "update"
        card = eventually(lambda: fake.messages(CV_CHANNEL), what="the card")[-1]
        assert "HO-0001" in card["text"]

        slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
        promised = (date.today() + timedelta(days=7)).isoformat()
        answer = slack.answer(slack.submit(CV_STAFF, {"contact_by": promised}))
        assert answer["response_action"] == "update"
        eventually(
            lambda: any("accepted" in m["text"] for m in dms(fake, ADVISER)),
            what="telling the adviser",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    assert "connected to Slack over Socket Mode" in output and "stopped cleanly" in output
    assert socket.problems() == [] and socket.unacknowledged() == []
    # Nothing half-done: one acceptance, and every message the bot wrote was sent.
    with sqlite3.connect(tmp_path / "bot.db") as db:
        kinds = [kind for (kind,) in db.execute("SELECT kind FROM handover_event")]
        waiting = db.execute("SELECT count(*) FROM outbox WHERE status != 'sent'").fetchone()
    assert kinds.count("accepted") == 1
    assert waiting == (0,)


def test_in_socket_mode_the_pages_and_receipts_are_still_served_over_http(tmp_path, fake):
    """Providers without Slack and Notify's receipts need an address even when Slack does
    not: with PUBLIC_URL set, Socket Mode serves HTTP too, and refuses Slack's requests
    there (no signing secret)."""
    import socket as sockets
    import urllib.error
    import urllib.request

    with sockets.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = start_socket_bot(
        tmp_path,
        fake,
        *("--host", "127.0.0.1", "--port", str(port)),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    try:
        fake.socket_mode.wait_connected(timeout=30)

        def live():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        eventually(live, what="the HTTP server beside Socket Mode")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/p/not-a-link") as response:
            raise AssertionError(f"a made-up page link answered {response.status}")
    except urllib.error.HTTPError as refused:
        assert refused.code == 404  # the page route is there, and refuses the made-up link
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events", data=b"{}", method="POST"
        )
        try:
            urllib.request.urlopen(request)
            raise AssertionError("an unsigned Slack request was taken")
        except urllib.error.HTTPError as unsigned:
            assert unsigned.code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()
    assert process.returncode == 0, output
    assert "also serving http://127.0.0.1" in output and "stopped cleanly" in output
