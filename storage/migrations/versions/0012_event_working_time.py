"""the working time to accept and to first contact, kept on the event

The weekly digest's medians and 90th percentiles of the time to accept and to first contact
worked out the working time of every accepted and contacted event of the week, and of the
week before, in Python: about 64 thousand calculations at a million handovers a year,
1.0 s of the digest's 2.5 s. The Handovers service now writes that number on the event when
it happens (it knows when the handover was raised, and the network's working time).

Events written before this migration keep NULL: the working time is the network's (its
hours, timezone and bank holidays), which SQL cannot work out, so the digest computes those
as before.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("handover_event", sa.Column("working_seconds", sa.Float(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops a column in place (a batch copy would trip the foreign keys).
        op.execute("ALTER TABLE handover_event DROP COLUMN working_seconds")
    else:
        op.drop_column("handover_event", "working_seconds")
