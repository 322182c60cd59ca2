"""covering indexes for the digest's reads of the audit trail

The weekly digest reads a week (and, for the trend, eight weeks) of handover_event by
time, and by kind and time. With indexes on (at) and (kind, at) alone every matching event
is fetched from the table as well: at a million handovers a year that was most of the
digest's 4.8 s. Carrying the columns those queries read (kind, provider_id, reason,
handover_id) lets them answer from the index. (handover_id, kind) serves the declines of
one handover: the CSV's count per row, and every decline's "who has declined it already".

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDE = {
    "ix_handover_event_at": ["at", "kind", "provider_id", "reason", "handover_id"],
    "ix_handover_event_kind_at": ["kind", "at", "handover_id", "provider_id", "reason"],
}
NARROW = {"ix_handover_event_at": ["at"], "ix_handover_event_kind_at": ["kind", "at"]}


def upgrade() -> None:
    with op.batch_alter_table("handover_event", schema=None) as batch_op:
        for name, columns in WIDE.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
        batch_op.create_index(
            "ix_handover_event_handover_kind", ["handover_id", "kind"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("handover_event", schema=None) as batch_op:
        batch_op.drop_index("ix_handover_event_handover_kind")
        for name, columns in NARROW.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns, unique=False)
