"""The coordinators' weekly digest, posted on its day and time and on demand.

The figures come from ``figures`` beside it; this module decides when, and says it: the digest
in the coordinators' channel, with its chart and a CSV of the week's handovers in the
thread, and a short line in each opted-in provider's channel about what waits on them.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.blocks import Message, render
from bot.blocks.digest import attachments, digest_message, period_words, with_circumstances
from bot.clock import Clock
from bot.delivery.outbox import Outbox
from bot.directory.network import Network
from bot.followup.digest.chart import digest_chart
from bot.followup.digest.circumstances import circumstance_counts
from bot.followup.digest.figures import (
    compute_digest,
    last_full_week,
    seven_days_up_to,
)
from bot.followup.digest.spreadsheet import week_csv
from bot.text import escape
from storage import queries
from storage.db import SessionFactory
from storage.models import State

log = logging.getLogger(__name__)

JOB = "weekly_digest"


class WeeklyDigest:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        network: Network,
        clock: Clock,
        working_time,
        client: WebClient,
        outbox: Outbox,
    ):
        self.outbox = outbox
        self.sessions = sessions
        self.network = network
        self.clock = clock
        self.working_time = working_time
        self.client = client
        self.zone = ZoneInfo(network.network.timezone)

    def next_run(self, after: datetime) -> datetime:
        """The first digest day and time (local) strictly after ``after``."""
        rules = self.network.digest
        hour, minute = rules.hour_minute
        local = after.astimezone(self.zone)
        day = local.date()
        for offset in range(8):
            candidate_day = day + timedelta(days=offset)
            if candidate_day.weekday() != rules.weekday_number:
                continue
            candidate = datetime.combine(candidate_day, time(hour, minute), tzinfo=self.zone)
            if candidate > local:
                return candidate.astimezone(ZoneInfo("UTC"))
        raise AssertionError("a weekday recurs within eight days")

    def due(self, now: datetime) -> bool:
        """The scheduler's check: post the last full week once, when its time has come."""
        with self.sessions() as session:
            won = queries.claim_job(session=session, name=JOB, now=now, next_run=self.next_run(now))
        if won:
            start, end = last_full_week(now, self.network.network.timezone)
            self.post(start, end, now)
        return won

    def on_demand(self, now: datetime) -> tuple[datetime, datetime]:
        """A coordinator asked: the 7 days up to this moment, not the last calendar week."""
        start, end = seven_days_up_to(now, self.network.network.timezone)
        self.post(start, end, now, up_to_now=True)
        return start, end

    def post(self, start: datetime, end: datetime, now: datetime, *, up_to_now=False) -> None:
        with self.sessions() as session:
            digest = compute_digest(
                session,
                start=start,
                end=end,
                network=self.network,
                working_time=self.working_time,
                now=now,
                up_to_now=up_to_now,
            )
            csv = week_csv(session, start=start, end=end, network=self.network)
            counts = circumstance_counts(
                session, start=start, end=end, timezone=self.network.network.timezone
            )
        channel = self.network.coordinators.channel
        message = with_circumstances(digest_message(digest, self.network), counts, self.network)
        period = period_words(digest)
        label = start.astimezone(self.zone).strftime("%Y-%m-%d")
        files = [
            {
                "content": csv,
                "filename": f"handovers-{label}.csv",
                "title": f"{period.whose.capitalize()} handovers (no personal details)",
            }
        ]
        if digest.has_chart:  # two empty panels tell nobody anything: the words say why
            files.insert(
                0,
                {
                    "content": digest_chart(digest),
                    "filename": f"handovers-{label}.png",
                    "title": "Handovers by outcome and time to accept",
                    "alt_txt": "Handovers closed or withdrawn per week by outcome over eight "
                    f"weeks, and median working hours to accept by provider {period.this}",
                },
            )
        try:
            posted = self.client.chat_postMessage(channel=channel, **message.as_kwargs())
            self.client.files_upload_v2(
                channel=channel,
                thread_ts=posted["ts"],
                initial_comment=attachments(digest),
                file_uploads=files,
            )
        except SlackApiError as error:
            log.error("Slack refused the digest: %s", error.response.get("error"))
        self._provider_lines(digest)

    def _provider_lines(self, digest) -> None:
        """A short weekly line for each provider that opted in: what is waiting on them."""
        overdue = {row.id: row.overdue_now for row in digest.providers}
        with self.sessions() as session:
            for entry in self.network.providers:
                if not entry.weekly_summary or not entry.channel:
                    continue
                queue = queries.queue_of(session=session, provider_ids=[entry.id], limit=1000)
                message = provider_line(entry.name, queue, overdue.get(entry.id, 0))
                self.outbox.post(session, entry.channel, message)
            session.commit()
        self.outbox.kick()


def provider_line(name: str, queue, overdue: int) -> Message:
    counts = {state: sum(1 for h in queue if h.state == state) for state in State}
    text = (
        f":spiral_calendar_pad: This week at {escape(name)}: "
        f"{counts[State.PENDING]} waiting to be accepted, "
        f"{counts[State.ACCEPTED]} accepted and waiting for first contact, "
        f"{counts[State.CONTACTED]} waiting for an outcome"
        + (f"; *{overdue} overdue*." if overdue else "; nothing overdue.")
    )
    return Message(text, render([SectionBlock(text=MarkdownTextObject(text=text))]))
