"""The weekly digest reaches the coordinators on its day, once, and on demand."""

import json
from datetime import UTC, datetime, timedelta

from tests.network import ADVISER, COORD_CHANNEL, COORDINATOR, CV_CHANNEL, CV_STAFF
from tests.scenarios.helpers import last_card, refer


def shared_files(fake) -> list[dict]:
    (upload,) = fake.calls_to("files.completeUploadExternal")
    shared = upload.args["files"]
    shared = json.loads(shared) if isinstance(shared, str) else shared
    return [fake.file(f["id"]) for f in shared]


def digests(fake) -> list[dict]:
    return [
        m
        for m in fake.messages(COORD_CHANNEL)
        if "Weekly digest" in m["text"] or "digest" in m["text"].lower()
    ]


def test_the_digest_goes_out_on_monday_at_nine_once_with_chart_and_csv(slack, fake, clock):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-27"})
    slack.app.scheduler.tick()  # Wednesday: nothing yet
    assert digests(fake) == []
    clock._now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 09:00 London
    slack.app.scheduler.tick()
    slack.app.scheduler.tick()
    (digest,) = digests(fake)
    uploads = fake.calls_to("files.completeUploadExternal")
    assert len(uploads) == 1 and uploads[0].args.get("thread_ts") == digest["ts"]
    assert fake.calls_to("files.upload") == []  # the retired method is never used
    shared = uploads[0].args["files"]
    shared = json.loads(shared) if isinstance(shared, str) else shared
    files = [fake.file(f["id"]) for f in shared]
    png, csv = sorted(files, key=lambda f: f["name"].endswith(".csv"))
    assert png["content"].startswith(b"\x89PNG") and png["mimetype"] == "image/png"
    text = csv["content"].decode()
    assert "HO-0001" in text and "Sam Resident" not in text and "07911" not in text
    # The clinic opted in to a weekly line of its own.
    line = fake.messages(CV_CHANNEL)[-1]["text"]
    assert "This week at Northside CV Clinic" in line and "1 accepted" in line


def test_coordinators_ask_for_it_and_others_are_refused(slack, fake):
    slack.command(ADVISER, "digest")
    assert "for the network's coordinators" in fake.ephemerals(ADVISER)[-1]["text"]
    assert digests(fake) == []
    slack.command(COORDINATOR, "digest")
    assert len(digests(fake)) == 1
    assert "is in <#C0COORD001>" in fake.ephemerals(COORDINATOR)[-1]["text"]


def test_on_demand_the_digest_has_the_handover_made_a_minute_ago(slack, fake, clock):
    refer(slack)  # Wed 25 Nov 10:00
    clock.advance(timedelta(minutes=1))
    slack.command(COORDINATOR, "digest")
    (digest,) = digests(fake)
    assert "the 7 days up to now, Wed 25 Nov 10:01" in digest["text"]
    assert "raised 1, up from 0" in digest["text"]
    assert "7 days up to now" in fake.ephemerals(COORDINATOR)[-1]["text"]
    (csv,) = [f for f in shared_files(fake) if f["name"].endswith(".csv")]
    assert "HO-0001" in csv["content"].decode()


def test_with_nothing_to_draw_no_chart_is_posted_and_the_digest_says_why(slack, fake):
    slack.command(COORDINATOR, "digest")  # a network with no handovers yet
    (digest,) = digests(fake)
    said = str(digest["blocks"])
    assert "No chart: no handover was closed or withdrawn in these 8 weeks" in said
    (only,) = shared_files(fake)
    assert only["name"].endswith(".csv") and not only["content"].startswith(b"\x89PNG")


def test_a_handover_accepted_this_week_still_brings_the_chart(slack, fake, clock):
    refer(slack)
    slack.click_button(CV_STAFF, last_card(fake, CV_CHANNEL), CV_CHANNEL, "Accept")
    slack.submit(CV_STAFF, {"contact_by": "2026-11-27"})
    clock.advance(timedelta(minutes=1))
    slack.command(COORDINATOR, "digest")
    names = sorted(f["name"] for f in shared_files(fake))
    assert [name.rsplit(".", 1)[1] for name in names] == ["csv", "png"]
