"""messages to residents: how each resident wants to hear, and each message's record

``resident.contact_by`` is the resident's choice on the referral form (a text message, an
e-mail, or none). ``resident_message`` is the audit trail of what the network sent them
through GOV.UK Notify: which message, when, and what Notify said became of it; never its
content, nor the number or address it went to.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("resident", sa.Column("contact_by", sa.String(length=8), nullable=True))
    op.create_table(
        "resident_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("handover_id", sa.Integer(), sa.ForeignKey("handover.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("template_id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("outbox.id"), nullable=True),
        sa.Column("notify_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("status_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_resident_message_handover_id", "resident_message", ["handover_id"])
    op.create_index("ix_resident_message_outbox_id", "resident_message", ["outbox_id"])
    op.create_index("ix_resident_message_notify_id", "resident_message", ["notify_id"])
    op.create_index("ix_resident_message_reference", "resident_message", ["reference"], unique=True)


def downgrade() -> None:
    op.drop_table("resident_message")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE resident DROP COLUMN contact_by")
    else:
        op.drop_column("resident", "contact_by")
