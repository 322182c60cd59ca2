"""What the stand-in Slack does for the sandbox: file uploads and surviving a restart."""

import urllib.request

from slack_sdk import WebClient

from sandbox.slack import FakeSlack

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
