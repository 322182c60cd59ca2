"""providers without Slack: their e-mail address, the name their worker gives, and the
one-time codes that show a resident's details again on a handover's page

``provider.email`` is where a provider without Slack (``channel`` empty) gets its
handovers. ``handover.worker_name`` is the name its worker typed on the handover's page.
``page_code`` keeps a keyed hash of each one-time code, never the code.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("provider", sa.Column("email", sa.String(length=254), nullable=True))
    op.add_column("handover", sa.Column("worker_name", sa.String(length=64), nullable=True))
    op.create_table(
        "page_code",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("handover_id", sa.Integer(), sa.ForeignKey("handover.id"), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("tries", sa.Integer(), nullable=False),
    )
    op.create_index("ix_page_code_handover_id", "page_code", ["handover_id"])


def downgrade() -> None:
    op.drop_table("page_code")
    for table, column in (("handover", "worker_name"), ("provider", "email")):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
