"""the adviser's own workspace: a handover referred from a Slack Connect channel

``handover.adviser_team`` is the Slack team of an adviser from another organisation's
workspace, who referred through a Refer a resident button in a shared channel (the slash
command is not theirs to use); empty for the network's own workspace.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("handover", sa.Column("adviser_team", sa.String(length=32), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE handover DROP COLUMN adviser_team")
    else:
        op.drop_column("handover", "adviser_team")
