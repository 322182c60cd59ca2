"""residents' details encrypted at rest

The columns become Text (a Fernet token is about twice as long as what it hides), then
every resident row written before this migration is encrypted with the first of
HANDOVER_DATA_KEYS. A database with residents and no key stops here, with a sentence
saying so, rather than leave them in plaintext.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage import crypto

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_LENGTHS = {"name": 200, "phone": 32, "email": 254, "access_needs": 600}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM resident LIMIT 1")).first() is not None:
        try:
            crypto.cipher_of(bind)  # before changing anything
        except crypto.DataKeyError:
            raise crypto.DataKeyError(
                "This database holds residents' details in plaintext: set HANDOVER_DATA_KEYS "
                f"({crypto.HOW_TO_MAKE}) so that they can be encrypted."
            ) from None
    with op.batch_alter_table("resident", schema=None) as batch_op:
        for column, length in OLD_LENGTHS.items():
            batch_op.alter_column(
                column,
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=length),
                type_=sa.Text(),
                existing_nullable=True,
            )
    crypto.encrypt_plaintext_rows(bind)


def downgrade() -> None:
    crypto.decrypt_rows(op.get_bind())
    with op.batch_alter_table("resident", schema=None) as batch_op:
        for column, length in OLD_LENGTHS.items():
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sqlmodel.sql.sqltypes.AutoString(length=length),
                existing_nullable=True,
            )
