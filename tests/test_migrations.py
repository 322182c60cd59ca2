"""Schema changes keep the data a network already has."""

from alembic import command
from sqlalchemy import text

from storage.db import alembic_config, make_engine, upgrade


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
