"""Sessions: a request's reads and its write in one transaction; a connection the database
dropped while it sat in the pool costs nobody their request."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool
from sqlmodel import select

from bot.directory.providers import sync_directory
from storage.db import session_factory
from storage.models import Provider
from tests.network import test_network as make_network


def count_transactions(engine) -> list[int]:
    begun = [0]

    def begin(_connection) -> None:
        begun[0] += 1

    event.listen(engine, "begin", begin)
    return begun


def test_blocks_in_a_unit_share_one_transaction_and_each_starts_afresh(db):
    sessions = session_factory(db)
    sync_directory(make_network(), sessions=sessions)
    begun = count_transactions(db)
    with sessions.unit():
        with sessions() as session:
            first = session.exec(select(Provider).order_by(Provider.id)).first()
        with sessions() as session:
            again = session.exec(select(Provider).order_by(Provider.id)).first()
            again.capacity_reason = "Two advisers off sick"
            session.add(again)
            session.commit()
    assert begun[0] == 1
    # The second block read its own copy, as a session of its own would have.
    assert again is not first and first.capacity_reason is None
    with sessions() as session:
        assert session.get(Provider, first.id).capacity_reason == "Two advisers off sick"


def test_a_failed_block_in_a_unit_rolls_back_and_the_next_block_goes_on(db):
    sessions = session_factory(db)
    sync_directory(make_network(), sessions=sessions)
    with sessions.unit():
        with pytest.raises(RuntimeError), sessions() as session:
            provider = session.exec(select(Provider)).first()
            provider.capacity_reason = "never saved"
            session.add(provider)
            session.flush()
            raise RuntimeError("the request failed half way")
        with sessions() as session:
            assert session.get(Provider, provider.id).capacity_reason is None


def test_outside_a_unit_each_block_has_its_own_transaction(db):
    sessions = session_factory(db)
    begun = count_transactions(db)
    for _ in range(2):
        with sessions() as session:
            session.exec(select(Provider)).all()
    assert begun[0] == 2


def test_a_connection_dropped_in_the_pool_is_replaced_without_failing_the_request(db, caplog):
    if db.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    sessions = session_factory(db)
    sync_directory(make_network(), sessions=sessions)
    db.dispose()  # one connection in the pool from here: the one about to be dropped
    with sessions() as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with create_engine(db.url, poolclass=NullPool).connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    with caplog.at_level(logging.WARNING, logger="storage.db"), sessions() as session:
        providers = session.exec(select(Provider)).all()
        again = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert providers and again != pid
    assert "dropped a pooled connection" in caplog.text
