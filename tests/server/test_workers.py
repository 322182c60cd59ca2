"""``app.py --http --workers N``: N processes serve one port. Each serves requests on its own,
one killed is replaced, SIGTERM stops them all after the work in flight, and every referral
reaches its provider once. Real processes, against the fake Slack, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

import app
from bot.errors import ConfigError
from sandbox import requests
from server.web import SHUTDOWN_GRACE
from server.workers import START_FAILURES, Supervisor
from tests.harness import DATA_KEY, TEAM, submission
from tests.network import (
    ADVISER,
    ADVISER2,
    COORD_CHANNEL,
    COORDINATOR,
    COUNCIL_CHANNEL,
    CV_CHANNEL,
    ESOL_CHANNEL,
    GENERAL,
    NETWORK_YAML,
    YOUTH_CHANNEL,
)
from tests.scenarios.helpers import GOOD_REFERRAL
from tests.server.test_app_start import ROOT, SETTINGS, _free_port

SECRET = "s3cret"
SERVING = re.compile(r"worker \d+ of \d+ serving http://\S+ \(pid (\d+)\)")
REF = re.compile(r"HO-\d{4,}")
PROVIDER_CHANNELS = (CV_CHANNEL, ESOL_CHANNEL, YOUTH_CHANNEL, COUNCIL_CHANNEL)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--http", "--workers", "0"], "--workers takes a whole number of processes, 1 or more"),
        (["--http", "--workers", "abc"], "1 or more (not 'abc')"),
        (["--workers", "2"], "--workers is for HTTP mode (--http)"),
        (["--sandbox", "--workers", "2"], "the sandbox runs as one process"),
    ],
)
def test_a_workers_value_that_cannot_work_is_one_sentence(
    args, says, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert app.main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("Cannot start: ") and says in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_workers_that_keep_ending_before_they_serve_stop_the_service_with_a_reason():
    # Each worker ends at once, before it serves (as one whose database went away would).
    supervisor = Supervisor(lambda index, ready: 3, count=2)
    with pytest.raises(
        ConfigError, match=f"kept ending before they could serve \\({START_FAILURES} in a row\\)"
    ):
        supervisor.run()
    assert not supervisor.workers  # none left behind


class Bot:
    """``python app.py --http --workers N`` as an operator runs it; its log in a file."""

    def __init__(self, tmp_path: Path, fake, *, database_url: str, workers: int = 2):
        shutil.copy(ROOT / "app.py", tmp_path / "app.py")
        (tmp_path / "network.yaml").write_text(NETWORK_YAML)
        self.fake = fake
        self.port = _free_port()
        self.log = tmp_path / "bot.log"
        env = {
            **{k: v for k, v in os.environ.items() if k not in SETTINGS},
            "SLACK_BOT_TOKEN": fake.bot_token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "DATABASE_URL": database_url,
            "HANDOVER_DATA_KEYS": DATA_KEY,
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        argv = [sys.executable, "app.py", "--http", "--host", "127.0.0.1",
                "--port", str(self.port), "--workers", str(workers)]  # fmt: skip
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                argv, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.pids = self.wait_for_workers(workers)

    def output(self) -> str:
        return self.log.read_text()

    def serving(self) -> list[int]:
        """Every worker pid that has said it serves, in order."""
        return [int(pid) for pid in SERVING.findall(self.output())]

    def wait_for_workers(self, count: int, timeout: float = 30) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            if len(self.serving()) >= count:
                return self.serving()
            time.sleep(0.05)
        raise AssertionError(f"{count} workers did not start: {self.output()}")

    def children(self) -> set[int]:
        """The processes the bot's parent runs now (Linux)."""
        pid = self.process.pid
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}

    def health(self) -> dict:
        url = f"http://127.0.0.1:{self.port}/healthz"
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read())

    def post(self, encoded: tuple[str, str]) -> dict:
        body, kind = encoded
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/slack/events",
            data=body.encode(),
            headers={**requests.sign(body, secret=SECRET), "Content-Type": kind},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
            raw = response.read()
        return json.loads(raw) if raw.strip() else {}

    def stop(self, timeout: float = 30) -> tuple[int, str, float]:
        """SIGTERM to the parent, as a platform sends it: exit code, output, seconds taken."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.process.returncode, self.output(), time.monotonic() - started

    # -- an adviser's handover, as Slack sends it ----------------------------------------

    def refer(self, adviser: str, **changes) -> str:
        """/handover, the form, Next, Send ("let the network decide"): the reference."""
        fake = self.fake
        fake.close_all_modals()
        self.post(
            requests.form(
                requests.slash_command(
                    team=TEAM,
                    user=adviser,
                    channel=GENERAL,
                    text="",
                    response_url=fake.response_url(adviser, GENERAL),
                    trigger_id=fake.issue_trigger_id(adviser),
                )
            )
        )
        form = _until(lambda: fake.open_views(adviser), "the referral modal")[-1]
        choice = self._submit(adviser, form, {**GOOD_REFERRAL, **changes})
        assert choice.get("response_action") == "update", choice
        # The step the answer showed, not just the newest open view: under load a late view
        # from the adviser's previous referral can arrive after this one opened.
        step = next(
            v
            for v in reversed(fake.open_views(adviser))
            if v.get("callback_id") == choice["view"]["callback_id"]
        )
        sent = self._submit(adviser, step, {"destination": "network"})
        found = REF.search(json.dumps(sent["view"]["title"]))
        assert found, (sent, [v.get("callback_id") for v in self.fake.open_views(adviser)])
        return found.group(0)

    def _submit(self, user: str, view: dict, answers: dict) -> dict:
        answer = self.post(requests.interaction(submission(self.fake, user, view, answers)))
        self.fake.answer_view_submission(user, answer)
        return answer


def _until(found, what: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.02)
    raise AssertionError(f"no {what} within {timeout} s")


def cards(fake) -> Counter:
    """How many cards each reference got, over every provider's channel."""
    found = Counter()
    for channel in PROVIDER_CHANNELS:
        for message in fake.messages(channel):
            if match := REF.search(message.get("text", "")):
                found[match.group(0)] += 1
    return found


def paused(pid: int):
    """A worker that cannot take anything while paused (SIGSTOP), as if it were stuck."""
    os.kill(pid, signal.SIGSTOP)
    return _Resume(pid)


class _Resume:
    def __init__(self, pid: int):
        self.pid = pid

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.kill(self.pid, signal.SIGCONT)


def delivered_all(db) -> bool:
    """Nothing waiting in the outbox and no try in flight: no worker is between a claim and
    its settling, so pausing one leaves no lock held (a worker frozen mid-transaction
    holds its locks, as any stuck database client does, until the database drops it)."""
    with db.connect() as connection:
        waiting = connection.execute(
            text("SELECT count(*) FROM outbox WHERE status = 'pending' OR leased_until IS NOT NULL")
        ).scalar_one()
    return waiting == 0


def test_each_worker_serves_and_every_referral_reaches_its_provider_once(tmp_path, fake, db):
    if db.dialect.name == "sqlite":
        # SQLite has one write lock for the whole file: a worker frozen (SIGSTOP) in the
        # middle of a write holds it, and the other waits past Slack's 3 seconds, whatever
        # the bot does. Several workers are for PostgreSQL, where this runs.
        pytest.skip("freezing a worker mid-write blocks every writer on SQLite")
    bot = Bot(tmp_path, fake, database_url=db.url.render_as_string(hide_password=False))
    try:
        first, second = bot.pids
        assert first != second and bot.children() == {first, second}
        refs = []
        # Whichever worker is left serves everything: both take requests from the one port.
        for stuck in (first, second):
            _until(lambda: delivered_all(db), "the outbox delivered")
            with paused(stuck):
                for adviser, needs in ((ADVISER, ["cv"]), (ADVISER2, ["esol"])):
                    ref = bot.refer(adviser, needs=needs, name=f"Sam Resident {len(refs)}")
                    refs.append(ref)
                    _until(lambda ref=ref: cards(fake)[ref], f"the card of {ref}")
                assert bot.health() == {"ok": True, "database": "up"}
    finally:
        code, output, _took = bot.stop()
    assert code == 0, output
    assert "Traceback" not in output, output
    assert len(set(refs)) == 4
    assert cards(fake) == {ref: 1 for ref in refs}, output  # each once, nothing else


def test_a_worker_killed_outright_is_replaced_and_the_service_goes_on(tmp_path, fake):
    bot = Bot(tmp_path, fake, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    try:
        killed, survivor = bot.pids
        os.kill(killed, signal.SIGKILL)
        replacement = bot.wait_for_workers(3)[-1]
        assert replacement not in (killed, survivor)
        assert f"(pid {killed}) was killed by SIGKILL; starting another" in bot.output()
        assert bot.children() == {survivor, replacement}
        with paused(survivor):  # the replacement serves on its own
            assert bot.health() == {"ok": True, "database": "up"}
    finally:
        code, output, _took = bot.stop()
    assert code == 0, output


def test_sigterm_stops_every_worker_after_the_work_in_flight(tmp_path, fake):
    bot = Bot(tmp_path, fake, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    workers = set(bot.pids)
    try:
        # The digest is posted after the command is acknowledged; Slack answers it slowly.
        fake.slow_next("chat.postMessage", 2.0)
        bot.post(
            requests.form(
                requests.slash_command(
                    team=TEAM,
                    user=COORDINATOR,
                    channel=COORD_CHANNEL,
                    text="digest",
                    response_url=fake.response_url(COORDINATOR, COORD_CHANNEL),
                    trigger_id=fake.issue_trigger_id(COORDINATOR),
                )
            )
        )
        _until(lambda: fake.calls_to("chat.postMessage"), "the digest's post")  # begun
    finally:
        code, output, took = bot.stop()
    assert code == 0, output
    assert took < SHUTDOWN_GRACE, output
    assert "Traceback" not in output, output
    assert output.count("stopped cleanly") == 3, output  # each worker, then the parent
    # The work the request started was done before the workers ended; none is left.
    assert fake.messages(COORD_CHANNEL), output
    assert "The digest of the 7 days up to now is in" in fake.ephemerals(COORDINATOR)[-1]["text"]
    assert all(_gone(pid) for pid in workers)


def test_workers_stop_by_themselves_when_the_parent_is_killed_outright(tmp_path, fake):
    bot = Bot(tmp_path, fake, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    workers = bot.pids
    try:
        bot.process.kill()  # SIGKILL: the parent cannot pass anything on
        bot.process.wait()
        _until(lambda: all(_gone(pid) for pid in workers), "the workers' end", timeout=15)
    finally:
        for pid in workers:
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)
    output = bot.output()
    assert output.count("the supervising process is gone; stopping") == 2, output
    assert output.count("stopped cleanly") == 2, output  # each worker, as on SIGTERM


def _gone(pid: int) -> bool:
    """Ended (a zombie waiting for whoever adopted it counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status
