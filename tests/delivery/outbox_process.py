"""A bot process for tests/delivery/test_outbox_processes.py: raises a burst, or only delivers.

    python -m tests.outbox_process DB_URL SLACK_API_URL raise N PACE [TIMEOUT]
    python -m tests.outbox_process DB_URL SLACK_API_URL deliver 0 PACE [TIMEOUT]

It is the real app (create_app) with its real outbox worker thread, so the tests can kill
it with SIGKILL mid-burst, start another, or run two at once.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta

from bot.delivery.outbox import OutboxWorker, Pacing
from bot.handover.referral import Referral
from server.factory import create_app, make_client
from storage.db import make_engine
from storage.models import Urgency
from tests.harness import DATA_KEY
from tests.network import ADVISER, test_network

REFERRAL = Referral(
    needs=("cv",), name="Sam Resident", phone="07911 123456", email=None, district="NW1",
    age_band="25-29", language="English", access_needs=None, urgency=Urgency.SOON,
    context="", organisation="Job Club", consent=True,
)  # fmt: skip


def main(db_url: str, api_url: str, mode: str, count: str, pace: str, timeout: str = "10"):
    engine = make_engine(db_url, data_keys=[DATA_KEY])
    client = make_client("xoxb-test", api_url)
    app = create_app(
        network=test_network(),
        engine=engine,
        client=client,
        signing_secret="unused",
        pacing=Pacing(pace=timedelta(seconds=float(pace)), lease=timedelta(seconds=2)),
    )
    outbox = app.bot.outbox
    outbox.client.timeout = float(timeout)
    if mode == "raise":
        # No worker yet: kick() would deliver inline. Writing only, then the worker.
        outbox.worker = _Sleeping()
        for n in range(int(count)):
            app.bot.handovers.raise_handover(
                REFERRAL, adviser_id=ADVISER, request_key=f"burst{n}", prefer="cv-clinic"
            )
        print("raised", flush=True)
    worker = OutboxWorker(outbox, idle=0.2)
    worker.start()
    while outbox.pending():
        time.sleep(0.1)
    worker.stop()
    print("delivered", flush=True)


class _Sleeping:
    running = True

    def wake(self) -> None:
        pass


if __name__ == "__main__":
    main(*sys.argv[1:])
