"""The audit trail for a subject access request: who saw and did what, when.

Being shown a handover's data is recorded (status, the details on accepting, App Home's
queue, an erasure, an export); `/handover audit HO-0001` sends a coordinator the trail as
a CSV in their DM, with the resident's details only when asked `with-details`.
"""

import csv
import io
import json

from sqlalchemy import text

from bot.privacy import audit
from tests.network import (
    ADVISER,
    COORDINATOR,
    CV_CHANNEL,
    CV_STAFF,
    NETWORK_YAML,
    OUTSIDER,
)
from tests.scenarios.helpers import last_card, refer


def accept(slack, fake) -> None:
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-30"})


def seen(db) -> list[tuple]:
    with db.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text("SELECT handover_id, viewer_id, what FROM access_log ORDER BY id")
            )
        ]


def exported(fake, user=COORDINATOR) -> tuple[dict, dict[str, str]]:
    """The last upload shared with ``user``: its completeUploadExternal args, and the files."""
    (upload,) = fake.calls_to("files.completeUploadExternal")
    shared = upload.args["files"]
    files = {}
    for entry in json.loads(shared) if isinstance(shared, str) else shared:
        file = fake.file(entry["id"])
        files[file["name"]] = file["content"].decode()
    return upload.args, files


def rows(csv_text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(csv_text)))


def test_seeing_a_handover_is_recorded_once_per_showing_without_reading_the_details(
    slack, fake, db
):
    refer(slack)
    assert seen(db) == []  # the adviser typed the details: nothing shown back yet
    slack.command(ADVISER, "status HO-0001")
    accept(slack, fake)
    slack.open_home(CV_STAFF)
    slack.open_home(OUTSIDER)  # no queue: nothing listed, nothing recorded
    assert seen(db) == [
        (1, ADVISER, "status"),
        (1, CV_STAFF, "details"),
        (1, CV_STAFF, "home"),
    ]
    slack.command(COORDINATOR, "erase HO-0001 resident asked")
    assert seen(db)[-1] == (1, COORDINATOR, "erase")


def test_a_coordinator_gets_the_trail_privately_without_the_residents_details(slack, fake, db):
    refer(slack)
    accept(slack, fake)
    slack.command(ADVISER, "status HO-0001")

    slack.command(COORDINATOR, "audit HO-0001")

    assert "in your DM" in fake.ephemerals(COORDINATOR)[-1]["text"]
    args, files = exported(fake)
    assert args["channel_id"] == fake.dm_channel(COORDINATOR)
    trail = rows(files["HO-0001-audit.csv"])
    did = [(r["what"], r["user_id"]) for r in trail if r["did_or_saw"] == "did"]
    assert did == [
        ("created", ADVISER),
        ("routed", "(the bot)"),
        ("accepted", CV_STAFF),
    ]
    saw = [(r["what"], r["user_id"], r["user_name"]) for r in trail if r["did_or_saw"] == "saw"]
    assert saw == [
        ("details", CV_STAFF, "cleo"),
        ("status", ADVISER, "ada"),
        ("export", COORDINATOR, "cora"),  # the export is in its own trail
    ]
    assert all(r["at"].endswith("+00:00") for r in trail)
    whole = str(files)
    for personal in ("Sam Resident", "7911", "Step-free", "agreed"):
        assert personal not in whole
    # Nobody else was sent anything.
    assert "HO-0001-audit.csv" not in str(fake.messages(CV_CHANNEL))
    assert seen(db)[-1] == (1, COORDINATOR, "export")


def test_with_details_is_for_the_residents_own_request_and_says_so(slack, fake, db):
    refer(slack)
    slack.command(COORDINATOR, "audit HO-0001 with-details")
    args, files = exported(fake)
    assert ":warning:" in args["initial_comment"]
    details = dict(csv.reader(io.StringIO(files["HO-0001-resident.csv"])))
    assert details["name"] == "Sam Resident" and details["phone"] == "07911 123456"
    assert details["consent_recorded_by"] == ADVISER
    assert "agreed" in files["HO-0001-audit.csv"]  # the notes, the consent text among them
    assert "share it only with them" in fake.ephemerals(COORDINATOR)[-1]["text"]
    assert seen(db)[-1] == (1, COORDINATOR, "export_details")


def test_an_erased_handover_still_exports_and_its_details_say_erased(slack, fake, db):
    refer(slack)
    slack.command(COORDINATOR, "erase HO-0001 resident asked")
    slack.command(COORDINATOR, "audit HO-0001 with-details")
    args, files = exported(fake)
    assert "erased on 25 November 2026" in args["initial_comment"]
    assert "erased at 2026-11-25" in files["HO-0001-resident.csv"]
    assert "Sam Resident" not in str(files)
    assert "erased" in [r["what"] for r in rows(files["HO-0001-audit.csv"])]


def test_only_coordinators_export_and_unknown_references_are_said_plainly(slack, fake, db):
    refer(slack)
    for user in (ADVISER, CV_STAFF):
        slack.command(user, "audit HO-0001")
        assert "Only the network's coordinators" in fake.ephemerals(user)[-1]["text"]
    slack.command(COORDINATOR, "audit HO-0099")
    assert "no such handover" in fake.ephemerals(COORDINATOR)[-1]["text"]
    slack.command(COORDINATOR, "audit")
    assert "Say which handover" in fake.ephemerals(COORDINATOR)[-1]["text"]
    slack.command(COORDINATOR, "audit HO-0001 everything")
    assert "with-details" in fake.ephemerals(COORDINATOR)[-1]["text"]
    assert fake.calls_to("files.completeUploadExternal") == []
    assert seen(db) == []


def test_an_operator_exports_from_the_command_line(slack, fake, db, tmp_path, monkeypatch):
    refer(slack)
    network_file = tmp_path / "network.yaml"
    network_file.write_text(NETWORK_YAML)
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setenv("NETWORK_FILE", str(network_file))
    monkeypatch.setenv("HANDOVER_DATA_KEYS", "")
    monkeypatch.setenv("USER", "ops")
    out = tmp_path / "HO-0001.csv"
    assert audit.main(["HO-0001", "--out", str(out)]) == 0
    trail = rows(out.read_text())
    assert [r["what"] for r in trail] == ["created", "routed", "export"]
    assert trail[-1]["user_id"] == "cli:ops"
    assert "Sam Resident" not in out.read_text()
    assert audit.main(["HO-0042", "--out", str(out)]) == 2


FORMULA = '=HYPERLINK("http://x","y")'


def test_the_export_carries_no_spreadsheet_formula_from_what_people_typed(slack, fake, db):
    # A display name, a context and a decline note that a spreadsheet would run.
    fake.add_user(CV_STAFF, name="cleo", real_name="Cleo Clinic", display_name="@cmd|' /c calc'!A0")
    refer(slack, context=FORMULA)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Decline")
    slack.submit(CV_STAFF, {"reason": "other", "reason_note": "-2+3 places left."})
    # The adviser hears the note once, with one full stop.
    declined = [m["text"] for m in fake.dms(ADVISER) if "declined" in m["text"]][-1]
    assert "other (-2+3 places left). " in declined and ".)." not in declined

    slack.command(COORDINATOR, "audit HO-0001 with-details")
    _, files = exported(fake)
    trail = rows(files["HO-0001-audit.csv"])
    (decline,) = [r for r in trail if r["what"] == "declined"]
    assert decline["note"] == "'-2+3 places left."
    assert decline["user_name"] == "'@cmd|' /c calc'!A0"
    details = dict(csv.reader(io.StringIO(files["HO-0001-resident.csv"])))
    assert details["context"] == "'" + FORMULA
    # Nothing in either file begins like a formula; times and ids are as they were.
    for content in files.values():
        for row in csv.reader(io.StringIO(content)):
            assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
    assert decline["at"].startswith("2026-11-25T") and decline["user_id"] == CV_STAFF
