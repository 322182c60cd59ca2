"""Bare Bolt: the floor. The minimum for each request the bench sends, and nothing else.

It acknowledges and says what the bot says (the same modals and card, sent as they are,
recorded from the bot), served by the same production server as the bot (server/web.py).

python -m bench.bare SAMPLES.json PORT     (SLACK_API_URL, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from slack_bolt import App
from slack_sdk import WebClient
from sqlalchemy import create_engine

from bot.ids import COMMAND, Act
from server.web import serve


def bare_app(samples: dict, *, token: str, secret: str, api_url: str) -> App:
    app = App(
        client=WebClient(token=token, base_url=api_url),
        signing_secret=secret,
        process_before_response=False,
    )

    @app.command(COMMAND)
    def command(ack, body, client):
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=samples["referral"])

    @app.view(samples["referral"]["callback_id"])
    def next_step(ack):
        ack(response_action="update", view=samples["choice"])

    @app.view(samples["choice"]["callback_id"])
    def send(ack, client):
        ack(response_action="update", view=samples["sent"])
        client.chat_postMessage(**samples["card"])

    @app.action(Act.ACCEPT)
    def accept(ack, body, client):
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=samples["accept"])

    return app


def main(argv: list[str]) -> int:
    samples = json.loads(Path(argv[0]).read_text())
    app = bare_app(
        samples,
        token=os.environ["SLACK_BOT_TOKEN"],
        secret=os.environ["SLACK_SIGNING_SECRET"],
        api_url=os.environ["SLACK_API_URL"],
    )
    # The server answers /healthz from a database; the floor has none worth the name.
    serve(app, create_engine("sqlite://"), host="127.0.0.1", port=int(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
