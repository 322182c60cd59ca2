"""the resident's circumstances, and each provider's usual volume

Which of the network's circumstances apply to the resident (disabled or a long-term health
condition, claiming Universal Credit, care leaver, ...) decide which providers they are
eligible for. Health and disability are special category data: the column is encrypted,
like the access needs, and erased with the rest of the resident's details.

The digest counts circumstances from a table of daily counts (circumstance_tally), never
from the residents' rows.

Each provider's usual volume is a running count of the handovers routed to it that fades
over four weeks, written as it is routed, so matching compares a provider's open handovers
with its usual volume without counting history on every request.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.crypto import EncryptedText
from storage.models import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("resident", sa.Column("circumstances", EncryptedText(), nullable=True))
    op.add_column(
        "provider",
        sa.Column("routed_volume", sa.Float(), nullable=False, server_default="0"),
    )
    op.add_column("provider", sa.Column("routed_volume_at", UTCDateTime(), nullable=True))
    op.create_table(
        "circumstance_tally",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "key"),
    )


def downgrade() -> None:
    op.drop_table("circumstance_tally")
    with op.batch_alter_table("provider") as batch:
        batch.drop_column("routed_volume_at")
        batch.drop_column("routed_volume")
    with op.batch_alter_table("resident") as batch:
        batch.drop_column("circumstances")
