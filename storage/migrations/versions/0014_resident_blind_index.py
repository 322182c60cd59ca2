"""the residents' blind index: the same resident found by index, not by decrypting everyone

Two keyed hashes per resident (storage/blind.py): of the name with the phone, and of the
name with the e-mail, each indexed, so "the same name and the same phone or e-mail" is an
index lookup. The key comes from HANDOVER_DATA_KEYS, which a migration does not hold as
something it may decrypt with on every deploy, so the residents already stored get their
index from ``python -m storage.crypto rotate`` (run it once after this migration); until
then they are not found as duplicates.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("match_phone", "match_email")


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("resident", sa.Column(column, sa.String(length=64), nullable=True))
        op.create_index(f"ix_resident_{column}", "resident", [column])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column in COLUMNS:
        op.drop_index(f"ix_resident_{column}", table_name="resident")
        if sqlite:
            # SQLite 3.35+ drops a column in place (a batch copy would trip the foreign keys).
            op.execute(f"ALTER TABLE resident DROP COLUMN {column}")
        else:
            op.drop_column("resident", column)
