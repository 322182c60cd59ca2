"""the outbox: every message the bot must send, delivered by a worker

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.crypto
import storage.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", text(length=96), nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=True),
        sa.Column("method", text(length=32), nullable=False),
        sa.Column("channel", text(length=32), nullable=False),
        sa.Column("slot", text(length=80), nullable=True),
        sa.Column("ref_slot", text(length=16), nullable=True),
        sa.Column("ref_ts", text(length=32), nullable=True),
        sa.Column("payload", storage.crypto.EncryptedText(), nullable=True),
        sa.Column("status", text(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("in_doubt", sa.Boolean(), nullable=False),
        sa.Column("next_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("leased_until", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sent_channel", text(length=32), nullable=True),
        sa.Column("ts", text(length=32), nullable=True),
        sa.Column("error", text(length=64), nullable=True),
        sa.ForeignKeyConstraint(["handover_id"], ["handover.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_status_key", "outbox", ["status", "key", "id"])
    op.create_index("ix_outbox_handover_slot", "outbox", ["handover_id", "slot"])
    op.create_table(
        "outbox_pace",
        sa.Column("key", text(length=64), nullable=False),
        sa.Column("next_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("outbox_pace")
    op.drop_index("ix_outbox_handover_slot", table_name="outbox")
    op.drop_index("ix_outbox_status_key", table_name="outbox")
    op.drop_table("outbox")
