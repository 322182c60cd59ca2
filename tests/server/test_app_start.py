"""Starting the bot: one clear sentence for every mistake, and a real HTTP server when right."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import app
from tests.harness import DATA_KEY
from tests.network import NETWORK_YAML

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_API_URL",
    "DATABASE_URL",
    "NETWORK_FILE",
    "HANDOVER_DATA_KEYS",
    "NOTIFY_API_KEY",
    "NOTIFY_BASE_URL",
    "NOTIFY_CALLBACK_TOKEN",
    "METRICS_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty folder to start the bot in, with no settings from the developer's machine."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "network.yaml").write_text(NETWORK_YAML)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'bot.db'}")
    monkeypatch.setenv("HANDOVER_DATA_KEYS", DATA_KEY)
    return tmp_path


def start(capsys, *args) -> tuple[int, str]:
    code = app.main(list(args))
    err = capsys.readouterr().err.strip()
    return code, err


def test_without_tokens_it_says_which_to_set(folder, capsys):
    code, err = start(capsys)
    assert code == 2
    assert err.startswith("Cannot start: Set SLACK_BOT_TOKEN and SLACK_APP_TOKEN")
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_http_mode_needs_the_signing_secret(folder, capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    code, err = start(capsys, "--http")
    assert code == 2 and "Set SLACK_SIGNING_SECRET" in err and "HTTP mode" in err


def test_a_dotenv_file_in_the_folder_is_read(folder, capsys, monkeypatch):
    (folder / ".env").write_text("SLACK_BOT_TOKEN=xoxp-user-token\nSLACK_APP_TOKEN=xapp-1\n")
    code, err = start(capsys)
    assert code == 2 and "SLACK_BOT_TOKEN should start with xoxb-" in err


def test_a_missing_network_file_says_how_to_make_one(folder, capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    (folder / "network.yaml").unlink()
    code, err = start(capsys)
    assert code == 2 and "copy network.example.yaml" in err


def test_a_broken_network_file_names_the_key_and_line(folder, capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    broken = NETWORK_YAML.replace("channel: C0ESOLHUB1", "channel: esol-channel")
    (folder / "network.yaml").write_text(broken)
    line = broken.splitlines().index("    channel: esol-channel") + 1
    code, err = start(capsys)
    assert code == 2
    assert f"`providers.1.channel` (line {line})" in err and "not a Slack channel id" in err


def test_an_unreachable_database_is_one_sentence(folder, capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    code, err = start(capsys)
    assert code == 2 and err.startswith("Cannot start: Cannot use the database at DATABASE_URL")
    assert len(err.splitlines()) == 1


def test_without_a_data_key_it_says_how_to_make_one(folder, capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.delenv("HANDOVER_DATA_KEYS")
    code, err = start(capsys)
    assert code == 2 and err.startswith("Cannot start: Set HANDOVER_DATA_KEYS")
    assert "python -m storage.crypto new-key" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert not (folder / "bot.db").exists()  # nothing was stored without a key


def test_http_mode_needs_the_data_key_too(folder, capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("HANDOVER_DATA_KEYS", "  ")
    code, err = start(capsys, "--http")
    assert code == 2 and err.startswith("Cannot start: Set HANDOVER_DATA_KEYS")


def test_an_invalid_data_key_is_one_sentence(folder, capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("HANDOVER_DATA_KEYS", f"{DATA_KEY},not-a-key")
    code, err = start(capsys)
    assert code == 2
    assert err.startswith("Cannot start: HANDOVER_DATA_KEYS is not valid: key 2 of 2")
    assert "python -m storage.crypto new-key" in err and "not-a-key" not in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_a_notify_template_id_that_is_not_a_uuid_is_one_sentence_naming_it(
    folder, capsys, monkeypatch
):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    (folder / "network.yaml").write_text(
        NETWORK_YAML + "notify:\n  templates:\n    check_in_sms: check-in-text\n"
    )
    code, err = start(capsys)
    assert code == 2 and "`notify.templates.check_in_sms`" in err
    assert "'check-in-text' is not a GOV.UK Notify template id" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_a_notify_api_key_that_is_not_one_is_one_sentence(folder, capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("NOTIFY_API_KEY", "just-a-password")
    code, err = start(capsys)
    assert code == 2 and err.startswith("Cannot start: NOTIFY_API_KEY is not a GOV.UK Notify")
    assert "just-a-password" not in err and len(err.splitlines()) == 1


def test_without_a_notify_key_one_line_says_residents_get_no_messages(
    folder, monkeypatch, fake, caplog
):
    from bot.settings import Mode

    monkeypatch.setenv("SLACK_BOT_TOKEN", fake.bot_token)
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    caplog.set_level("INFO", logger="handover")
    _, built, engine = app.build(Mode.SOCKET)
    engine.dispose()
    said = [r.getMessage() for r in caplog.records if "Notify" in r.getMessage()]
    assert said == [
        "GOV.UK Notify is off (no NOTIFY_API_KEY): residents get no texts or e-mails, "
        "and the referral form does not ask how they would like to hear."
    ]
    assert built.bot.residents.enabled is False


def test_a_token_slack_refuses_is_one_sentence(folder, capsys, monkeypatch, fake):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-the-right-one")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    code, err = start(capsys)
    assert code == 2 and "Slack did not accept SLACK_BOT_TOKEN" in err and "invalid_auth" in err


def start_http_bot(tmp_path: Path, fake, *, secret: str) -> tuple[subprocess.Popen, int]:
    """``python app.py --http`` as a user runs it: its own folder, network file and
    settings, against the fake Slack. Returns the process and its port."""
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")
    (tmp_path / "network.yaml").write_text(NETWORK_YAML)
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in SETTINGS},
        "SLACK_BOT_TOKEN": fake.bot_token,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": fake.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        "HANDOVER_DATA_KEYS": DATA_KEY,
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "app.py", "--http", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    return process, port


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_http_mode_serves_health_and_stops_cleanly_on_sigterm(tmp_path, fake):
    process, port = start_http_bot(tmp_path, fake, secret="s3cret")
    try:
        health = _wait_for(f"http://127.0.0.1:{port}/healthz", process)
        assert health == {"ok": True, "database": "up"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/slack/events", data=b"command=%2Fhandover", method="POST"
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 401  # unsigned
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output
    assert "Traceback" not in output, output


def _wait_for(url: str, process, timeout: float = 30) -> dict:
    """Poll until the server answers (start-up includes migrations), or it dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(process.communicate()[0].decode())
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


@pytest.mark.parametrize(
    ("given", "args", "sentence"),
    [
        (
            {"SLACK_CLIENT_ID": "1111.2222"},
            ("--http",),
            "Cannot start: Set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_CLIENT_SECRET "
            "(in the environment or .env) to run in HTTP mode with OAuth (installed in several "
            "workspaces); .env.example says where each comes from.",
        ),
        (
            {"SLACK_CLIENT_SECRET": "s3cret", "SLACK_BOT_TOKEN": "xoxb-1"},
            (),
            "Cannot start: Set SLACK_APP_TOKEN and SLACK_CLIENT_ID (in the environment or .env) "
            "to run in Socket Mode with OAuth (installed in several workspaces); .env.example "
            "says where each comes from.",
        ),
        (
            {"SLACK_CLIENT_ID": " 1111.2222 ", "SLACK_CLIENT_SECRET": "s3cret"},
            ("--http",),
            "Cannot start: Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (in the environment or "
            ".env) to run in HTTP mode with OAuth (installed in several workspaces); "
            ".env.example says where each comes from.",
        ),
    ],
    ids=["http-without-secrets", "socket-without-app-token-and-id", "oauth-needs-bot-token"],
)
def test_oauth_settings_that_cannot_work_are_one_sentence(
    folder, capsys, monkeypatch, given, args, sentence
):
    for name, value in given.items():
        monkeypatch.setenv(name, value)
    code, err = start(capsys, *args)
    assert code == 2 and err == sentence
    assert "s3cret" not in err
