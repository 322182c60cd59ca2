"""Tables and the vocabulary they store.

A handover's personal details live in their own table (``Resident``) so that
they can be erased without touching the anonymous record and its history.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Index,
    TypeDecorator,
    false,
    text,
)
from sqlmodel import Field, SQLModel

from storage.crypto import EncryptedText


class State(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    CONTACTED = "contacted"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    UNMATCHED = "unmatched"


OPEN_STATES = (State.PENDING, State.ACCEPTED, State.CONTACTED, State.UNMATCHED)


class DeclineReason(StrEnum):
    NOT_ELIGIBLE = "not_eligible"
    OUT_OF_AREA = "out_of_area"
    AT_CAPACITY = "at_capacity"
    SERVICE_NOT_OFFERED = "service_not_offered"
    OTHER = "other"


class Outcome(StrEnum):
    STARTED_SUPPORT = "started_support"
    NOT_ELIGIBLE = "not_eligible"
    COULD_NOT_CONTACT = "could_not_contact"
    RESIDENT_DECLINED = "resident_declined"
    OTHER = "other"


class Urgency(StrEnum):
    ROUTINE = "routine"
    SOON = "soon"
    URGENT = "urgent"


class EventKind(StrEnum):
    CREATED = "created"
    ROUTED = "routed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    UNMATCHED = "unmatched"
    ROUTED_BY_HAND = "routed_by_hand"
    CONTACTED = "contacted"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"
    REMINDED = "reminded"  # the bot chased it (reason: which reminder)
    ESCALATED = "escalated"  # the bot passed it to the coordinators (reason: why)
    SNOOZED = "snoozed"  # someone put off its next reminder
    CHASED = "chased"  # a coordinator chased the provider
    ERASED = "erased"  # the resident's details were erased (reason: retention or on_request)
    # The same resident already had an open handover and the adviser sent this one anyway
    # (note: which); the digest counts these as duplicates caught.
    DUPLICATE = "duplicate"


class UTCDateTime(TypeDecorator):
    """Timezone-aware timestamps on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; pass an aware one (the clock gives UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _timestamp(*, nullable: bool = True, index: bool = False):
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _encrypted():
    return Field(default=None, sa_column=Column(EncryptedText(), nullable=True))


def _json_list(*, nullable: bool = False):
    return Field(default_factory=list, sa_column=Column(JSON, nullable=nullable))


class Provider(SQLModel, table=True):
    """A provider as synced from the network file, plus what changes day to day."""

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    # Empty for a provider without Slack, whose handovers go by e-mail (``email``).
    channel: str = Field(max_length=32)
    email: str | None = Field(default=None, max_length=254)
    services: list[str] = _json_list()
    areas: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    age_min: int | None = None
    age_max: int | None = None
    description: str | None = Field(default=None, max_length=1000)
    languages: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # Removed from the network file: kept for the history, never routed to.
    active: bool = True
    # Round robin among equals: whoever was routed to longest ago goes first.
    last_routed_at: datetime | None = _timestamp()
    # What changes day to day, set from Slack: open, limited or paused (until a date).
    capacity: str = Field(default="open", max_length=16)
    paused_until: date | None = None
    capacity_reason: str | None = Field(default=None, max_length=300)
    capacity_changed_at: datetime | None = _timestamp()
    capacity_changed_by: str | None = Field(default=None, max_length=32)
    # Its usual volume: handovers routed to it, as a running count that fades with time
    # constant of four weeks (bot/handover/matching.py: usual_volume), kept as it is
    # routed so matching never counts history per request (migration 0013).
    routed_volume: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})
    routed_volume_at: datetime | None = _timestamp()
    # Its handovers open now (pending, accepted or contacted), kept by the database in the
    # transaction of each write that opens, moves or closes one (migration 0015), so
    # matching reads it rather than counting every request.
    open_handovers: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Directory freshness: when the provider first appeared, when its staff (or a coordinator)
    # last said its entry is right, and the bot's last nudge to do so (the due-check's claim).
    created_at: datetime | None = _timestamp()  # set by sync_directory; see migration 0003
    confirmed_at: datetime | None = _timestamp()
    confirmed_by: str | None = Field(default=None, max_length=32)
    confirm_nudged_at: datetime | None = _timestamp()
    # The nudge still waiting for an answer, so a confirmation updates it in place.
    confirm_nudge_ts: str | None = Field(default=None, max_length=32)


class Capacity(StrEnum):
    OPEN = "open"
    LIMITED = "limited"  # takes handovers, ranked after open providers
    PAUSED = "paused"  # takes none until paused_until (or until resumed)


class DirectoryEvent(SQLModel, table=True):
    """An audit line for the directory: who changed a provider's capacity, when and why."""

    __tablename__ = "directory_event"

    id: int | None = Field(default=None, primary_key=True)
    provider_id: str = Field(foreign_key="provider.id", max_length=64, index=True)
    at: datetime | None = _timestamp(nullable=False)
    actor_id: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=24)
    detail: str | None = Field(default=None, max_length=600)


CONSENT_RECORDED = "consent_text <> '' AND consent_by <> ''"
# Handovers whose resident's details are still held, as each database writes the condition
# (so that a query's ``~Handover.details_erased`` matches the partial index's own).
KEPT_SQLITE = "details_erased = 0"
KEPT_POSTGRESQL = "NOT details_erased"


class HandoverBase(SQLModel):
    needs: list[str] = _json_list()
    postcode_district: str | None = Field(default=None, max_length=8)
    age_band: str | None = Field(default=None, max_length=16)
    language: str | None = Field(default=None, max_length=64)
    urgency: str = Field(default=Urgency.ROUTINE, max_length=16)
    context: str = Field(default="", max_length=600)
    adviser_id: str = Field(max_length=32, index=True)
    adviser_org: str = Field(default="", max_length=120)
    # The adviser's own Slack workspace, when it is not the network's (Slack Connect).
    adviser_team: str | None = Field(default=None, max_length=32)


class Handover(HandoverBase, table=True):
    __table_args__ = (
        Index("ix_handover_provider_state", "provider_id", "state"),
        Index("ix_handover_adviser_state", "adviser_id", "state"),
        Index("ix_handover_request_key", "request_key", unique=True),
        # The retention check's question, "closed before the cutoff and still holding
        # details?", read from an index of only the handovers that still hold details: the
        # erased history, which grows by the week, is not in it (migration 0011).
        Index(
            "ix_handover_erasable",
            "closed_at",
            "id",
            sqlite_where=text(KEPT_SQLITE),
            postgresql_where=text(KEPT_POSTGRESQL),
        ),
        # No path can store a handover without the consent record (see migration 0009).
        CheckConstraint(CONSENT_RECORDED, name="ck_handover_consent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # The Slack request that raised it (the modal's view id): a repeated delivery of the
    # same submission finds this handover instead of raising a second one.
    request_key: str | None = Field(default=None, max_length=64)
    state: str = Field(default=State.PENDING, max_length=16, index=True)
    # Bumped by every transition: the compare-and-set that makes changes apply once.
    version: int = 0
    provider_id: str | None = Field(default=None, foreign_key="provider.id", max_length=64)
    match_reason: str | None = Field(default=None, max_length=500)
    routed_by_hand: bool = False
    worker_id: str | None = Field(default=None, max_length=32)
    # The name a worker gave on the handover's page (a provider without Slack), where
    # Slack has no profile to say it (migration 0018).
    worker_name: str | None = Field(default=None, max_length=64)
    promised_contact_by: date | None = None
    outcome: str | None = Field(default=None, max_length=32)
    outcome_note: str | None = Field(default=None, max_length=600)
    # Consent: what the resident agreed to, when, and who recorded it (the adviser).
    consent_text: str = Field(max_length=600)
    consent_at: datetime | None = _timestamp(nullable=False)
    consent_by: str = Field(max_length=32)
    created_at: datetime | None = _timestamp(nullable=False)
    updated_at: datetime | None = _timestamp(nullable=False)
    accepted_at: datetime | None = _timestamp()
    contacted_at: datetime | None = _timestamp()
    closed_at: datetime | None = _timestamp()
    # Where the bot's messages about this handover are, so they can be updated in place.
    card_channel: str | None = Field(default=None, max_length=32)
    card_ts: str | None = Field(default=None, max_length=32)
    coordinator_ts: str | None = Field(default=None, max_length=32)
    adviser_dm_channel: str | None = Field(default=None, max_length=32)
    adviser_dm_ts: str | None = Field(default=None, max_length=32)
    # Follow-up: when the next reminder is due and which it is. Set by every transition,
    # cleared when nothing more is owed; the scheduler claims what is due with the version.
    due_at: datetime | None = _timestamp(index=True)
    due_kind: str | None = Field(default=None, max_length=24)
    # When it was routed to its current provider (reminders to accept count from here).
    routed_at: datetime | None = _timestamp()
    # The resident's details are gone: erased (``Resident.erased_at``), or never stored.
    # Set in the erasure's transaction; it keeps erased handovers out of the retention
    # check's index, so the check reads only what is due.
    details_erased: bool = Field(default=False, sa_column_kwargs={"server_default": false()})

    @property
    def ref(self) -> str:
        return format_ref(self.id)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def format_ref(handover_id: int | None) -> str:
    return f"HO-{handover_id:04d}" if handover_id is not None else "HO-????"


_REF = re.compile(r"^(?:HO-?)?0*(\d{1,9})$", re.IGNORECASE)


def ref_number(text: str) -> int | None:
    """The handover id in a reference as people type it (``HO-0042``, ``ho42``, ``42``)."""
    match = _REF.match(text.strip())
    return int(match.group(1)) if match else None


class Resident(SQLModel, table=True):
    """The resident's personal details for one handover, apart so they can be erased."""

    handover_id: int = Field(primary_key=True, foreign_key="handover.id")
    # Encrypted at rest (storage/crypto.py): the stored tokens are longer than the text.
    name: str | None = _encrypted()
    phone: str | None = _encrypted()
    email: str | None = _encrypted()
    access_needs: str | None = _encrypted()
    # The blind index (storage/blind.py): keyed hashes of the name with the phone, and with
    # the e-mail, so the same resident is found by index. Emptied with the details.
    match_phone: str | None = Field(default=None, max_length=64, index=True)
    match_email: str | None = Field(default=None, max_length=64, index=True)
    # Which of the network's circumstances apply (keys, comma-separated): special category
    # data, encrypted like the access needs (migration 0013).
    circumstances: str | None = _encrypted()
    erased_at: datetime | None = _timestamp()
    # The worker's private DM that showed these details, redacted when they are erased.
    shown_channel: str | None = Field(default=None, max_length=32)
    shown_ts: str | None = Field(default=None, max_length=32)
    # How they hear from the network about this referral (GOV.UK Notify): "sms", "email",
    # or None for not at all.
    contact_by: str | None = Field(default=None, max_length=8)


class ResidentMessage(SQLModel, table=True):
    """One message to a resident through GOV.UK Notify, for the audit trail: which, when,
    and what became of it. Never its content nor where it went (those stay with the
    resident's details); the outbox message that carries it is ``outbox_id``."""

    __tablename__ = "resident_message"

    id: int | None = Field(default=None, primary_key=True)
    handover_id: int = Field(foreign_key="handover.id", index=True)
    kind: str = Field(max_length=16)  # accepted, check_in
    channel: str = Field(max_length=8)  # sms, email
    template_id: str = Field(max_length=36)
    # What Notify knows it by (the handover's reference and the kind): one per message.
    reference: str = Field(max_length=64, unique=True, index=True)
    outbox_id: int | None = Field(default=None, foreign_key="outbox.id", index=True)
    notify_id: str | None = Field(default=None, max_length=36, index=True)
    # waiting, sending (Notify has it), delivered, permanent-failure, temporary-failure,
    # technical-failure, refused (Notify would never take it), dropped (erased first)
    status: str = Field(default="waiting", max_length=24)
    error: str | None = Field(default=None, max_length=200)
    created_at: datetime | None = _timestamp(nullable=False)
    sent_at: datetime | None = _timestamp()
    status_at: datetime | None = _timestamp()


class CircumstanceTally(SQLModel, table=True):
    """How many handovers raised on a day (the network's local date) had a circumstance:
    counts only, apart from the residents, so the digest never reads a resident's row."""

    __tablename__ = "circumstance_tally"

    day: date = Field(primary_key=True)
    key: str = Field(primary_key=True, max_length=64)
    count: int = 0


class HandoverEvent(SQLModel, table=True):
    """One line of the audit trail: who moved the handover from where to where, and why."""

    __tablename__ = "handover_event"
    # The digest reads a week of events by time, mostly of one kind: the indexes carry what
    # it reads, so it answers from them (migration 0010). Declines are looked up by handover.
    __table_args__ = (
        Index("ix_handover_event_at", "at", "kind", "provider_id", "reason", "handover_id"),
        Index("ix_handover_event_kind_at", "kind", "at", "handover_id", "provider_id", "reason"),
        Index("ix_handover_event_handover_kind", "handover_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    handover_id: int = Field(foreign_key="handover.id", index=True)
    at: datetime | None = _timestamp(nullable=False)
    actor_id: str | None = Field(default=None, max_length=32)
    kind: str = Field(max_length=24)
    from_state: str | None = Field(default=None, max_length=16)
    to_state: str = Field(max_length=16)
    provider_id: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=32)
    note: str | None = Field(default=None, max_length=600)
    # accepted and contacted: the working time since the handover was raised, in seconds,
    # by the network's working hours when it happened. The digest's times to accept and to
    # first contact are these numbers; NULL (events from before migration 0012) is computed.
    working_seconds: float | None = Field(default=None, sa_column=Column(Float, nullable=True))


class ScheduledJob(SQLModel, table=True):
    """A recurring job's next run (the weekly digest): a column, like every due time, so a
    restart loses nothing and two copies of the bot run it once (compare-and-set)."""

    __tablename__ = "scheduled_job"

    name: str = Field(primary_key=True, max_length=64)
    next_run_at: datetime | None = _timestamp(nullable=False)
    last_run_at: datetime | None = _timestamp()


class Delivery(StrEnum):
    """Where an outbox message is on its way to Slack."""

    PENDING = "pending"  # to send, now or at next_at (a retry waits there)
    SENT = "sent"
    HELD = "held"  # Slack refused the channel: waits for it to be fixed, then goes
    FAILED = "failed"  # can never go as it is (the person left, Slack refused its content)
    CANCELLED = "cancelled"  # withdrawn before it went (the details in it were erased)


class OutboxMessage(SQLModel, table=True):
    """One message the bot must send, written in the transaction of the change that causes
    it and delivered by the outbox worker (bot/delivery/outbox.py)."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The worker's question: the oldest undelivered message of each ordering key.
        Index("ix_outbox_status_key", "status", "key", "id"),
        # "Where did the card go?": the message a thread line or an update refers to.
        Index("ix_outbox_handover_slot", "handover_id", "slot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Messages with one key go in the order they were written: one handover in one channel.
    key: str = Field(max_length=96)
    handover_id: int | None = Field(default=None, foreign_key="handover.id")
    method: str = Field(max_length=32)  # chat.postMessage or chat.update
    channel: str = Field(max_length=32)  # a channel id, or a user id for a DM
    # What this message is, so later ones can refer to it (card, receipt, unmatched, details).
    slot: str | None = Field(default=None, max_length=80)
    # A thread line or an update names the message it belongs to: by slot, or by its ts.
    ref_slot: str | None = Field(default=None, max_length=16)
    ref_ts: str | None = Field(default=None, max_length=32)
    # The message itself (text, blocks): encrypted, since a worker's DM carries the details;
    # emptied once sent.
    payload: str | None = _encrypted()
    status: str = Field(default=Delivery.PENDING, max_length=16)
    attempts: int = 0
    # A try whose result is unknown (a timeout, a crash mid-call): look before posting again.
    in_doubt: bool = False
    next_at: datetime | None = _timestamp(nullable=False)
    leased_until: datetime | None = _timestamp()
    created_at: datetime | None = _timestamp(nullable=False)
    sent_at: datetime | None = _timestamp()
    sent_channel: str | None = Field(default=None, max_length=32)
    ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=64)


class OutboxPace(SQLModel, table=True):
    """When a channel (or a method) may next be sent to: Slack's pace, shared by replicas."""

    __tablename__ = "outbox_pace"

    key: str = Field(primary_key=True, max_length=64)
    next_at: datetime | None = _timestamp(nullable=False)


class Access(StrEnum):
    """What someone was shown of a handover (the audit trail's "who saw what")."""

    STATUS = "status"  # /handover status: its state and history
    DETAILS = "details"  # the resident's details, in the accept modal and by DM
    HOME = "home"  # listed in a provider's queue in App Home
    ERASE = "erase"  # a coordinator erased its details (and saw which handovers were erased)
    EXPORT = "export"  # the audit trail exported
    EXPORT_DETAILS = "export_details"  # exported with the resident's details
    PAGE = "page"  # its page, opened from the e-mail to a provider without Slack


class AccessEntry(SQLModel, table=True):
    """One line of "who saw what, when": written when someone is shown a handover's data.

    Cheap on purpose (one insert, nothing decrypted); what was *done* is in handover_event.
    """

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_handover_at", "handover_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    handover_id: int = Field(foreign_key="handover.id")
    at: datetime | None = _timestamp(nullable=False)
    viewer_id: str = Field(max_length=32)
    what: str = Field(max_length=24)


class PageCode(SQLModel, table=True):
    """A one-time code e-mailed to a provider without Slack, for its worker to see the
    resident's details again on the handover's page. Only a keyed hash of the code is kept;
    it works once, for a short while, and only a few wrong tries are allowed."""

    __tablename__ = "page_code"

    id: int | None = Field(default=None, primary_key=True)
    handover_id: int = Field(foreign_key="handover.id", index=True)
    provider_id: str = Field(max_length=64)
    code_hash: str = Field(max_length=64)
    created_at: datetime | None = _timestamp(nullable=False)
    expires_at: datetime | None = _timestamp(nullable=False)
    used_at: datetime | None = _timestamp()
    tries: int = 0


class SlackDelivery(SQLModel, table=True):
    """A request from Slack already taken (an event id, an interaction): a retry or a
    duplicate delivery of it finds its row and is applied once, whichever replica gets it."""

    __tablename__ = "slack_delivery"

    key: str = Field(primary_key=True, max_length=96)
    received_at: datetime | None = _timestamp(nullable=False, index=True)
