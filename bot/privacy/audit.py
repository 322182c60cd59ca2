"""The audit trail of a handover, for a subject access request: who saw and did what, when.

What was *done* is in ``handover_event``; what was *seen* is recorded here, in
``access_log``, whenever someone is shown a handover's data (``/handover status``, the
resident's details on accepting, a provider's queue in App Home, an erasure, an export).
Recording is one insert, never decrypts anything and never fails the answer the person
already has.

The export is a CSV sent privately to the coordinator who asks: Slack user ids and, where
Slack tells us, display names. The resident's details are not in it, nor the free-text
notes people wrote, unless it is asked for ``with-details`` (for the resident's own
request): then a second file has the details, decrypted, and the notes are included.

    python -m bot.privacy.audit HO-0042 --out HO-0042.csv [--with-details]

writes the same CSV for an operator, reading DATABASE_URL (and HANDOVER_DATA_KEYS).
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock, SystemClock
from bot.directory.network import Network
from bot.errors import DomainError, NotFound, Refused
from bot.ids import COMMAND, PAGE_ACTOR
from bot.text import spreadsheet_row
from storage import queries
from storage.db import SessionFactory
from storage.models import Access, format_ref

log = logging.getLogger(__name__)

WITH_DETAILS = "with-details"
REFUSAL = (
    "Only the network's coordinators can export a handover's audit trail. "
    "Ask them if a resident has asked what happened to their referral."
)
USAGE = (
    f"Say which handover: `{COMMAND} audit HO-0042`, adding `{WITH_DETAILS}` only for the "
    "resident's own request."
)
WARNING = (
    ":warning: This export holds the resident's personal details. It is for answering "
    "their own request: send it only to them, by a secure route, and delete your copy after."
)
TRAIL_COLUMNS = [
    "at",
    "did_or_saw",
    "what",
    "user_id",
    "user_name",
    "from_state",
    "to_state",
    "provider",
    "reason",
    "note",
]


@dataclass(frozen=True)
class Export:
    ref: str
    trail: str  # CSV
    details: str | None  # CSV, only with-details
    erased_at: datetime | None


Names = Callable[[str], str]


class Audit:
    def __init__(
        self,
        *,
        sessions: SessionFactory,
        network: Network,
        clock: Clock,
        client: WebClient | None = None,
    ):
        self.sessions = sessions
        self.network = network
        self.clock = clock
        self.client = client

    # -- who saw what ----------------------------------------------------------------------

    def seen(self, handover_ids: int | Iterable[int], *, viewer_id: str, what: Access) -> None:
        """Record that ``viewer_id`` was shown these handovers. Called after the answer is
        on its way; a failure is logged, never passed on to the person."""
        ids = [handover_ids] if isinstance(handover_ids, int) else list(handover_ids)
        if not ids:
            return
        try:
            with self.sessions() as session:
                queries.record_access(
                    session=session,
                    handover_ids=ids,
                    viewer_id=viewer_id,
                    what=what,
                    at=self.clock.now(),
                )
                session.commit()
        except Exception:
            log.exception("could not record that %s was shown %s handovers", viewer_id, len(ids))

    # -- the export ------------------------------------------------------------------------

    def export(
        self, handover_id: int, *, actor_id: str, with_details: bool, names: Names | None = None
    ) -> Export:
        """The trail of one handover, the export itself included in it."""
        ref = format_ref(handover_id)
        with self.sessions() as session:
            if queries.get_handover(session=session, handover_id=handover_id) is None:
                raise NotFound("There is no such handover.")
            what = Access.EXPORT_DETAILS if with_details else Access.EXPORT
            queries.record_access(
                session=session,
                handover_ids=[handover_id],
                viewer_id=actor_id,
                what=what,
                at=self.clock.now(),
            )
            session.commit()
            handover = queries.get_handover(session=session, handover_id=handover_id)
            events = queries.events_of(session=session, handover_id=handover_id)
            seen = queries.accesses_of(session=session, handover_id=handover_id)
            told = queries.resident_messages_of(session=session, handover_id=handover_id)
            erased_at = queries.resident_erased_at(session=session, handover_id=handover_id)
            # Decrypted only when asked for: the one place the export reads the details.
            resident = (
                queries.get_resident(session=session, handover_id=handover_id)
                if with_details
                else None
            )
        names = names or (lambda user_id: "")
        rows = (
            [
                {
                    "at": event.at,
                    "did_or_saw": "did",
                    "what": event.kind,
                    "user_id": event.actor_id or "(the bot)",
                    "from_state": event.from_state or "",
                    "to_state": event.to_state,
                    "provider": event.provider_id or "",
                    "reason": event.reason or "",
                    "note": (event.note or "") if with_details else "",
                }
                for event in events
            ]
            + [
                {
                    "at": entry.at,
                    "did_or_saw": "saw",
                    "what": entry.what,
                    "user_id": entry.viewer_id,
                }
                for entry in seen
            ]
            + [
                # Each message to the resident: which, by what, and what became of it; never
                # its content nor where it went.
                {
                    "at": message.sent_at or message.created_at,
                    "did_or_saw": "told the resident",
                    "what": f"{message.kind} by {message.channel}: {message.status}",
                    "user_id": "(the bot)",
                    "reason": f"Notify template {message.template_id}",
                }
                for message in told
            ]
        )
        rows.sort(key=lambda row: (row["at"], row["did_or_saw"] == "saw"))
        trail = io.StringIO()
        writer = csv.DictWriter(trail, fieldnames=TRAIL_COLUMNS, restval="")
        writer.writeheader()
        known: dict[str, str] = {}
        for row in rows:
            user_id = row["user_id"]
            if user_id not in known:
                known[user_id] = (
                    names(user_id) if user_id.startswith(("U", "W")) else self._page(user_id)
                )
            at = row["at"].isoformat(timespec="seconds")
            writer.writerow(spreadsheet_row({**row, "at": at, "user_name": known[user_id]}))
        details = _details_csv(handover, resident) if with_details else None
        return Export(ref, trail.getvalue(), details, erased_at)

    def send(self, handover_id: int, *, actor_id: str, with_details: bool) -> Export:
        """A coordinator's export, as files in their DM with the bot (nobody else sees it)."""
        if not self.network.is_coordinator(actor_id):
            raise Refused(REFUSAL)
        export = self.export(
            handover_id, actor_id=actor_id, with_details=with_details, names=self._name
        )
        files = [
            {
                "content": export.trail,
                "filename": f"{export.ref}-audit.csv",
                "title": f"{export.ref}: who saw and did what, when",
            }
        ]
        comment = f"The audit trail of {export.ref}: who saw and did what, when (UTC)."
        if export.details is not None:
            files.append(
                {
                    "content": export.details,
                    "filename": f"{export.ref}-resident.csv",
                    "title": f"{export.ref}: the resident's details",
                }
            )
            comment = f"{WARNING}\n{comment}"
        if export.erased_at is not None:
            comment += f" The resident's details were erased on {export.erased_at:%-d %B %Y}."
        try:
            dm = self.client.conversations_open(users=actor_id)["channel"]["id"]
            self.client.files_upload_v2(channel=dm, initial_comment=comment, file_uploads=files)
        except SlackApiError as error:
            log.error("Slack refused the audit export of %s: %s", export.ref, error.response)
            raise DomainError(
                f"Slack did not take the export of {export.ref} "
                f"({error.response.get('error')}); nothing was sent. Try again later."
            ) from None
        return export

    def _page(self, user_id: str) -> str:
        """A provider without Slack, named, acting from its handover page."""
        if not user_id.startswith(PAGE_ACTOR):
            return ""
        entry = self.network.provider(user_id.removeprefix(PAGE_ACTOR))
        return f"{entry.name} (its handover page)" if entry else "a handover page"

    def _name(self, user_id: str) -> str:
        """A Slack display name where Slack tells us (users:read), else nothing."""
        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError:
            return ""
        profile = user.get("profile") or {}
        return profile.get("display_name") or profile.get("real_name") or user.get("name") or ""


def _details_csv(handover, resident) -> str:
    out = io.StringIO()
    writer = csv.writer(out)

    def write(field: str, value: str) -> None:
        # The details are typed text: every cell is made inert for a spreadsheet.
        writer.writerow(spreadsheet_row((field, value)))

    write("field", "value")
    if resident is None or resident.erased_at is not None:
        when = resident.erased_at.isoformat(timespec="seconds") if resident else "-"
        write("details", f"erased at {when}: nothing is kept")
    else:
        for field in ("name", "phone", "email", "access_needs"):
            write(field, getattr(resident, field) or "")
    write("consent", handover.consent_text)
    write("consent_at", handover.consent_at.isoformat(timespec="seconds"))
    write("consent_recorded_by", handover.consent_by)
    for field in ("needs", "postcode_district", "age_band", "language", "context"):
        value = getattr(handover, field)
        write(field, ", ".join(value) if isinstance(value, list) else value or "")
    return out.getvalue()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.privacy.audit", description="Export a handover's audit trail as CSV."
    )
    parser.add_argument("ref", help="the handover, like HO-0042")
    parser.add_argument("--out", required=True, help="the CSV file to write")
    parser.add_argument(
        "--with-details",
        action="store_true",
        help="also write the resident's details next to it (needs HANDOVER_DATA_KEYS)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from dotenv import find_dotenv, load_dotenv

    from bot.directory.network import load_network
    from bot.text import parse_ref
    from storage.db import make_engine, session_factory

    load_dotenv(find_dotenv(usecwd=True))
    args = parse_args(argv)
    engine = make_engine(
        os.environ.get("DATABASE_URL") or "sqlite:///handover.db",
        data_keys=os.environ.get("HANDOVER_DATA_KEYS") or None,
    )
    network = load_network(os.environ.get("NETWORK_FILE") or "network.yaml")
    audit = Audit(sessions=session_factory(engine), network=network, clock=SystemClock())
    operator = "cli:" + (os.environ.get("USER") or "operator")
    try:
        export = audit.export(
            parse_ref(args.ref), actor_id=operator, with_details=args.with_details
        )
    except DomainError as error:
        print(f"Cannot export: {error.message}", file=sys.stderr)
        return 2
    with open(args.out, "w", encoding="utf-8", newline="") as out:
        out.write(export.trail)
    print(f"Wrote the audit trail of {export.ref} to {args.out}.")
    if export.details is not None:
        details = args.out.removesuffix(".csv") + "-resident.csv"
        with open(details, "w", encoding="utf-8", newline="") as out:
            out.write(export.details)
        print(f"Wrote the resident's details to {details}: {WARNING.split(': ', 1)[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
