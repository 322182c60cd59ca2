"""trust: who saw a handover (access_log), Slack deliveries taken once (slack_delivery),
and the consent record enforced by the database

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSENT_RECORDED = "consent_text <> '' AND consent_by <> ''"


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    timestamp = storage.models.UTCDateTime(timezone=True)
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=False),
        sa.Column("at", timestamp, nullable=False),
        sa.Column("viewer_id", text(length=32), nullable=False),
        sa.Column("what", text(length=24), nullable=False),
        sa.ForeignKeyConstraint(["handover_id"], ["handover.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_handover_at", "access_log", ["handover_id", "at"])
    op.create_table(
        "slack_delivery",
        sa.Column("key", text(length=96), nullable=False),
        sa.Column("received_at", timestamp, nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_slack_delivery_received_at", "slack_delivery", ["received_at"])

    # Who recorded the consent was implicit (the adviser); now it is a column of its own,
    # and no row can be written without the consent record.
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_consent_required()
        return
    op.add_column("handover", sa.Column("consent_by", text(length=32), nullable=True))
    op.execute("UPDATE handover SET consent_by = adviser_id WHERE consent_by IS NULL")
    op.alter_column("handover", "consent_by", existing_type=text(length=32), nullable=False)
    op.create_check_constraint("ck_handover_consent", "handover", CONSENT_RECORDED)


def _sqlite_consent_required() -> None:
    """SQLite adds a CHECK only by copying the table and dropping the old one, which its
    foreign keys (residents, events, outbox) refuse inside the migration's transaction; so
    the same rule is two triggers, failing as a constraint does (IntegrityError)."""
    op.add_column(
        "handover",
        sa.Column(
            "consent_by",
            sqlmodel.sql.sqltypes.AutoString(length=32),
            nullable=False,
            server_default="",
        ),
    )
    op.execute("UPDATE handover SET consent_by = adviser_id")
    for when in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER ck_handover_consent_{when.lower()} BEFORE {when} ON handover "
            f"WHEN NOT (coalesce(NEW.consent_text, '') <> '' AND "
            f"coalesce(NEW.consent_by, '') <> '') "
            "BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: ck_handover_consent'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ck_handover_consent_insert")
        op.execute("DROP TRIGGER IF EXISTS ck_handover_consent_update")
        # SQLite 3.35+ drops a column in place (a batch copy would trip the foreign keys).
        op.execute("ALTER TABLE handover DROP COLUMN consent_by")
    else:
        op.drop_constraint("ck_handover_consent", "handover", type_="check")
        op.drop_column("handover", "consent_by")
    op.drop_index("ix_slack_delivery_received_at", table_name="slack_delivery")
    op.drop_table("slack_delivery")
    op.drop_index("ix_access_log_handover_at", table_name="access_log")
    op.drop_table("access_log")
