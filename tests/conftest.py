"""Fixtures: a database per backend (SQLite always, PostgreSQL when reachable), a fake Slack,
and a harness that drives the real app."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from sandbox.slack import FakeSlack
from storage.db import make_engine, upgrade
from tests.clock import MovableClock
from tests.harness import DATA_KEY, ErrorLog, Harness
from tests.network import seed_workspace, test_network

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_engine():
    """A fresh database on the PostgreSQL server, or a reason to skip."""
    admin_url = make_url(POSTGRES_URL)
    try:
        admin = create_engine(
            admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        with admin.connect() as connection:
            name = f"handover_test_{uuid.uuid4().hex[:8]}"
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server, no driver, no rights: all mean "skip"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, None, f"PostgreSQL not reachable at {POSTGRES_URL} ({reason})"
    return admin, name, None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request, tmp_path_factory):
    if request.param == "sqlite":
        engine = make_engine(
            f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}", data_keys=[DATA_KEY]
        )
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    admin, name, reason = _postgres_engine()
    if reason:
        pytest.skip(reason)
    engine = make_engine(
        make_url(POSTGRES_URL).set(database=name).render_as_string(False), data_keys=[DATA_KEY]
    )
    upgrade(engine)
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def db(engine):
    """The engine, emptied after the test."""
    yield engine
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            # References start again at HO-0001 in every test, as on SQLite.
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture(scope="session")
def fake_server():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def fake(fake_server):
    fake_server.reset()
    seed_workspace(fake_server)
    yield fake_server
    fake_server.reset()


@pytest.fixture
def clock():
    return MovableClock()


@pytest.fixture
def network():
    return test_network()


@pytest.fixture
def slack(fake, db, network, clock):
    """The real app, against the fake Slack and a clean database."""
    errors = ErrorLog()
    import logging

    logging.getLogger().addHandler(errors)
    harness = Harness(fake=fake, engine=db, network=network, clock=clock)
    harness.errors = errors
    yield harness
    harness.executor.drain()
    harness.executor.shutdown()
    logging.getLogger().removeHandler(errors)
    unexpected = [
        r.getMessage() for r in errors.records if not getattr(harness, "errors_expected", False)
    ]
    assert not unexpected, f"the app logged errors: {unexpected}"
