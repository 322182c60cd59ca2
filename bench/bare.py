"""Bare Bolt: the floor. The minimum for each request the bench sends, and nothing else.

It acknowledges and says what the bot says (the same modals, card and answers, recorded
from the bot), served by waitress, the bot's production server, through Bolt's own WSGI
adapter. It imports slack_bolt, waitress and the standard library only: no database, no
checks, no matching, none of the bot's modules.

python -m bench.bare SAMPLES.json PORT     (SLACK_API_URL, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import waitress
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def bare_app(samples: dict, *, token: str, secret: str, api_url: str) -> App:
    app = App(
        client=WebClient(token=token, base_url=api_url),
        signing_secret=secret,
        process_before_response=False,
    )

    @app.command(samples["command"])
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

    @app.action(samples["accept_action"])
    def accept(ack, body, client):
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=samples["accept"])

    @app.view(samples["accept"]["callback_id"])
    def accepted(ack):
        ack(**samples["accepted"])

    return app


def wsgi(app: App):
    """Slack's requests to Bolt; /healthz answered as the bot's server answers it."""
    handler = SlackRequestHandler(app)

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [b'{"ok": true}']
        return handler(environ, start_response)

    return application


def main(argv: list[str]) -> int:
    samples = json.loads(Path(argv[0]).read_text())
    app = bare_app(
        samples,
        token=os.environ["SLACK_BOT_TOKEN"],
        secret=os.environ["SLACK_SIGNING_SECRET"],
        api_url=os.environ["SLACK_API_URL"],
    )
    waitress.serve(wsgi(app), host="127.0.0.1", port=int(argv[1]), threads=8, _quiet=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
