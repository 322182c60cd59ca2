"""``/metrics`` with ``--workers N``: whichever worker a scrape reaches, it counts every
worker's requests (prometheus-client's multi-process mode, in a folder app.py makes for
the run and removes after)."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

from tests.network import ADVISER
from tests.operations.scrape import Scrape, parse
from tests.server.test_workers import Bot, paused

HELP = (
    f"command=%2Fhandover&text=help&user_id={ADVISER}&team_id=T0001",
    "application/x-www-form-urlencoded",
)
SHARED = re.compile(r"metrics: the workers share their counters in (\S+)")


def scrape(bot: Bot) -> Scrape:
    with urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/metrics", timeout=10) as answer:
        assert answer.status == 200
        return parse(answer.read().decode())


def commands(found: Scrape) -> float:
    return found.get_value("handover_request_seconds_count", kind="command")


def test_a_scrape_reaching_any_worker_counts_every_workers_requests(tmp_path, fake):
    bot = Bot(tmp_path, fake, database_url=f"sqlite:///{tmp_path / 'bot.db'}")
    first, second = bot.pids
    try:
        folder = Path(SHARED.search(bot.output()).group(1))
        assert folder.is_dir()
        with paused(second):  # the first worker answers these
            for _ in range(3):
                assert "status HO-0042" in bot.post(HELP)["text"]
        with paused(first):  # and the second these
            for _ in range(2):
                bot.post(HELP)
            assert commands(scrape(bot)) == 5  # the second counts the first's too
        with paused(second):
            found = scrape(bot)
            assert commands(found) == 5  # and the first the second's
            assert found.get_value("handover_database_up") == 1
            assert found.get_value("handover_outbox_pending", destination="slack") == 0
    finally:
        code, output, _took = bot.stop()
    assert code == 0, output
    assert not folder.exists()  # the run's folder goes with it
