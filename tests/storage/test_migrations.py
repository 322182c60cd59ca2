"""Schema changes keep the data a network already has."""

from datetime import UTC, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, event, text
from sqlmodel import SQLModel

from bot.privacy.erasure import Privacy
from storage.db import alembic_config, make_engine, session_factory, upgrade
from tests.network import test_network as make_network


def test_upgrading_keeps_providers_and_opens_them(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    command.upgrade(config, "0001")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO provider (id, name, channel, services, active) "
                "VALUES ('cv-clinic', 'CV Clinic', 'C0CVCLINIC', '[\"cv\"]', 1)"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT id, capacity FROM provider")).one()
    assert tuple(row) == ("cv-clinic", "open")


def test_every_migration_can_be_undone(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'round.db'}")
    upgrade(engine)
    command.downgrade(alembic_config(engine), "base")
    upgrade(engine)
    with engine.connect() as connection:
        tables = {r[0] for r in connection.execute(text("SELECT name FROM sqlite_master"))}
    assert {"handover", "provider", "directory_event"} <= tables


def test_the_models_and_the_migrations_agree(engine):
    """Autogenerate finds nothing to add: every model change has its migration, and the
    OAuth tables are exactly those slack_sdk's stores define (migration 0019)."""
    everything = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(everything)
    SQLAlchemyInstallationStore.build_installations_table(everything, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(everything, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(everything, "slack_oauth_states")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, everything) == []


HANDOVER_0010 = (
    "INSERT INTO handover (id, needs, urgency, context, adviser_id, adviser_org, state, "
    "version, routed_by_hand, consent_text, consent_at, consent_by, created_at, updated_at, "
    "closed_at) VALUES (:id, '[\"cv\"]', 'routine', '', 'UADV', '', 'closed', 1, 0, "
    "'agreed', :at, 'UADV', :at, :at, :at)"
)


def test_handovers_whose_details_are_gone_are_marked_and_left_out_of_the_retention_index(
    tmp_path,
):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0010")
    at = "2026-01-05 10:00:00.000000"
    with engine.begin() as connection:
        for handover_id in (1, 2, 3):
            connection.execute(text(HANDOVER_0010), {"id": handover_id, "at": at})
        connection.execute(text("INSERT INTO resident (handover_id, name) VALUES (1, 'kept')"))
        connection.execute(
            text("INSERT INTO resident (handover_id, erased_at) VALUES (2, :at)"), {"at": at}
        )
        # HO-0003 has no resident row: nothing to erase.
    upgrade(engine)
    with engine.connect() as connection:
        flags = connection.execute(text("SELECT id, details_erased FROM handover ORDER BY id"))
        assert [tuple(row) for row in flags] == [(1, 0), (2, 1), (3, 1)]
    # The retention check's query is answered from the partial index (the erased history is
    # not in it), not by reading every closed handover.
    seen: list[tuple[str, tuple]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    privacy = Privacy(sessions=session_factory(engine), network=make_network(), clock=None)
    assert privacy.expired(datetime(2027, 1, 1, tzinfo=UTC)) == [1]
    event.remove(engine, "before_cursor_execute", capture)
    (statement, parameters), *_ = [s for s in seen if "FROM handover" in s[0]]
    with engine.connect() as connection:
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    assert "ix_handover_erasable" in str(plan)
