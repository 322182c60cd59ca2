"""each provider's open handovers, counted as they change rather than per request

Matching ranks providers by how many handovers each has open. Counting them with a
``GROUP BY`` on every Next and Send grew with history (16 ms at ten thousand handovers,
60 ms at a million); ``provider.open_handovers`` is kept by the database itself, in the
transaction of every write that opens, moves or closes a handover, whichever code path
makes it (triggers on SQLite and PostgreSQL alike), so reading it is flat.

The states that count are storage.queries.LOAD_STATES: pending, accepted, contacted.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "('pending', 'accepted', 'contacted')"

SQLITE = [
    f"""
    CREATE TRIGGER handover_open_count_insert AFTER INSERT ON handover
    WHEN NEW.provider_id IS NOT NULL AND NEW.state IN {OPEN}
    BEGIN
        UPDATE provider SET open_handovers = open_handovers + 1 WHERE id = NEW.provider_id;
    END
    """,
    f"""
    CREATE TRIGGER handover_open_count_update AFTER UPDATE OF state, provider_id ON handover
    WHEN (OLD.provider_id IS NOT NEW.provider_id)
      OR ((OLD.state IN {OPEN}) IS NOT (NEW.state IN {OPEN}))
    BEGIN
        UPDATE provider SET open_handovers = open_handovers - 1
        WHERE id = OLD.provider_id AND OLD.state IN {OPEN};
        UPDATE provider SET open_handovers = open_handovers + 1
        WHERE id = NEW.provider_id AND NEW.state IN {OPEN};
    END
    """,
    f"""
    CREATE TRIGGER handover_open_count_delete AFTER DELETE ON handover
    WHEN OLD.provider_id IS NOT NULL AND OLD.state IN {OPEN}
    BEGIN
        UPDATE provider SET open_handovers = open_handovers - 1 WHERE id = OLD.provider_id;
    END
    """,
]

POSTGRESQL = [
    f"""
    CREATE FUNCTION handover_open_count() RETURNS trigger AS $$
    DECLARE
        was text := NULL;
        now_at text := NULL;
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state IN {OPEN} THEN
            was := OLD.provider_id;
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.state IN {OPEN} THEN
            now_at := NEW.provider_id;
        END IF;
        IF was IS DISTINCT FROM now_at THEN
            -- One statement for both rows, so two handovers moving opposite ways at once
            -- lock the providers in the same order.
            UPDATE provider
            SET open_handovers = open_handovers
                + CASE WHEN id = now_at THEN 1 ELSE 0 END
                - CASE WHEN id = was THEN 1 ELSE 0 END
            WHERE id IN (was, now_at);
        END IF;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER handover_open_count AFTER INSERT OR DELETE OR UPDATE OF state, provider_id
    ON handover FOR EACH ROW EXECUTE FUNCTION handover_open_count()
    """,
]

COUNT_NOW = f"""
UPDATE provider SET open_handovers = (
    SELECT count(*) FROM handover
    WHERE handover.provider_id = provider.id AND handover.state IN {OPEN}
)
"""


def upgrade() -> None:
    op.add_column(
        "provider",
        sa.Column("open_handovers", sa.Integer(), nullable=False, server_default="0"),
    )
    statements = POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE
    for statement in statements:
        op.execute(statement)
    op.execute(COUNT_NOW)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER handover_open_count ON handover")
        op.execute("DROP FUNCTION handover_open_count()")
        op.drop_column("provider", "open_handovers")
        return
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER handover_open_count_{name}")
    # SQLite 3.35+ drops a column in place (a batch copy would trip the foreign keys).
    op.execute("ALTER TABLE provider DROP COLUMN open_handovers")
