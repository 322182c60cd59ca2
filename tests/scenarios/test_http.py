"""The HTTP endpoint: signatures, health, and one request through the production server."""

import json
import threading
import time
import urllib.request

from server.web import Server
from tests.harness import sign
from tests.network import ADVISER


def test_bad_missing_and_stale_signatures_are_refused(slack, fake):
    body = "command=%2Fhandover&text=help&user_id=" + ADVISER
    form = "application/x-www-form-urlencoded"
    assert slack.post(body, form, secret="wrong-secret").status_code == 401
    assert slack.post(body, form, headers={}).status_code == 401
    stale = int(time.time()) - 10 * 60
    assert slack.post(body, form, timestamp=stale).status_code == 401
    assert [c.method for c in fake.calls if c.method != "auth.test"] == []


def test_healthz_answers_when_the_database_does(slack):
    response = slack.http.get("/healthz")
    assert response.status_code == 200 and response.json == {"ok": True, "database": "up"}
    assert slack.http.get("/nowhere").status_code == 404


def test_the_production_server_serves_slack_requests_and_stops_gracefully(slack, db):
    server = Server(slack.app, db, host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        body = f"command=%2Fhandover&text=help&user_id={ADVISER}&team_id=T0001"
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.port}/slack/events",
            data=body.encode(),
            headers={**sign(body), "Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
            assert "status HO-0042" in json.loads(response.read())["text"]
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz") as response:
            assert response.status == 200
    finally:
        server.stop()
        thread.join(timeout=15)
    assert not thread.is_alive()
