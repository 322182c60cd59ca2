"""What the stand-in Slack does for the sandbox: file uploads, surviving a restart, and
closing modals when the page reloads."""

import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from slack_sdk import WebClient

from sandbox.demo import Persona
from sandbox.slack import FakeSlack
from sandbox.ui import SandboxUI

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


def test_slacks_upload_flow_shares_a_file_in_a_channel(tmp_path):
    with FakeSlack() as fake:
        fake.add_user("U1", name="cora")
        fake.add_channel("C1", name="coordinators", members=["U1"])
        uploaded = client(fake).files_upload_v2(
            channel="C1",
            content=PNG,
            filename="digest.png",
            title="This week",
            initial_comment="Digest",
        )
        (message,) = fake.messages("C1")
        assert message["text"] == "Digest"
        file = fake.file(message["files"][0])
        assert file["title"] == "This week" and file["mimetype"] == "image/png"
        with urllib.request.urlopen(file["url_private"]) as response:
            assert response.read() == PNG
        assert uploaded["file"]["id"] == file["id"]
        methods = [c.method for c in fake.calls]
        assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]


def test_completing_an_upload_that_never_arrived_is_refused():
    with FakeSlack() as fake:
        fake.add_channel("C1", name="coordinators")
        api = client(fake)
        started = api.files_getUploadURLExternal(filename="x.csv", length=10)
        try:
            api.files_completeUploadExternal(files=[{"id": started["file_id"]}], channel_id="C1")
        except Exception as error:  # SlackApiError
            assert "file_not_found" in str(error)
        else:
            raise AssertionError("completing an empty upload should fail")
        assert fake.messages("C1") == []


def test_the_workspace_survives_a_restart(tmp_path):
    store = tmp_path / "workspace.json"
    with FakeSlack(store=store) as fake:
        fake.add_user("U1", name="ada")
        fake.add_channel("C1", name="general", members=["U1"])
        first = client(fake).chat_postMessage(channel="C1", text="before the restart")["ts"]
        client(fake).chat_postMessage(channel="U1", text="a DM")
    with FakeSlack(store=store) as again:
        assert [m["text"] for m in again.messages("C1")] == ["before the restart"]
        assert [m["text"] for m in again.dms("U1")] == ["a DM"]
        later = client(again).chat_postMessage(channel="C1", text="after")["ts"]
        assert float(later) > float(first)  # timestamps keep increasing
        again.reset()
    with FakeSlack(store=store) as reset:
        assert reset.messages("C1") == []  # reset is saved too
        assert [u["id"] for u in reset.users() if u["id"] == "U1"] == ["U1"]


class _Bot(BaseHTTPRequestHandler):
    """The bot's endpoint: keeps what the page's Slack sent it, acknowledges with 200."""

    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.received.append(json.loads(parse_qs(body)["payload"][0]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


def _page_post(fake: FakeSlack, verb: str, **body) -> dict:
    request = urllib.request.Request(
        f"{fake.base_url}/sandbox/{verb}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def _modal(fake: FakeSlack, user: str, title: str, **extra) -> str:
    view = {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": []}
    opened = client(fake).views_open(trigger_id=fake.issue_trigger_id(user), view={**view, **extra})
    return opened["view"]["id"]


def test_reloading_the_page_closes_every_modal_and_tells_the_bot_only_when_asked():
    bot = ThreadingHTTPServer(("127.0.0.1", 0), _Bot)
    threading.Thread(target=bot.serve_forever, daemon=True).start()
    _Bot.received = []
    people = [Persona(u, u, "adviser", "Org", "Adviser") for u in ("U1", "U2")]
    with FakeSlack() as fake:
        fake.routes = SandboxUI(
            fake,
            people,
            signing_secret="s3cret",
            bot_url=lambda: f"http://127.0.0.1:{bot.server_address[1]}/slack/events",
            reset=lambda: None,
        )
        for person in people:
            fake.add_user(person.id, name=person.name)
        asked = _modal(fake, "U1", "Asks", notify_on_close=True, callback_id="asks")
        _modal(fake, "U2", "Does not ask")

        # Cancel closes the top modal; a view that asked hears of it.
        assert _page_post(fake, "close", **{"as": "U1"}, view_id=asked) == {"ok": True}
        [closed] = _Bot.received
        assert closed["type"] == "view_closed" and closed["view"]["id"] == asked
        assert closed["user"] == {"id": "U1"} and closed["is_cleared"] is False

        again = _modal(fake, "U1", "Asks again", notify_on_close=True)
        assert _page_post(fake, "reload") == {"ok": True}
        assert fake.open_views("U1") == [] and fake.open_views("U2") == []
        assert [(p["view"]["id"], p["is_cleared"]) for p in _Bot.received[1:]] == [(again, True)]
    bot.shutdown()
    bot.server_close()
