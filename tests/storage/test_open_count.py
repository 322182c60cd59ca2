"""Each provider's open handovers, kept by the database as handovers change (what matching
ranks providers by): always what counting them would say, whatever wrote the change."""

from __future__ import annotations

import random

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from bot.directory.providers import sync_directory
from storage import queries
from storage.db import session_factory
from storage.models import Handover, Provider, State
from tests.factories import handover
from tests.network import test_network as make_network

STATES = list(State)


def kept(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        p.id: p.open_handovers for p in session.exec(select(Provider)).all() if p.open_handovers
    }


def test_the_kept_count_matches_the_counted_one_through_every_kind_of_change(db):
    network = make_network()
    sync_directory(network, sessions=session_factory(db))
    providers = [p.id for p in network.providers] + [None]
    rng = random.Random(7)
    with Session(db, expire_on_commit=False) as session:
        for _ in range(40):
            row = handover(id=None, state=rng.choice(STATES), provider_id=rng.choice(providers))
            session.add(row)
        session.commit()
        ids = list(session.exec(select(Handover.id)).all())
        for step in range(120):
            target = rng.choice(ids)
            if step % 15 == 14:
                session.execute(delete(Handover).where(col(Handover.id) == target))
                ids.remove(target)
            elif step % 2:
                session.execute(
                    update(Handover)
                    .where(col(Handover.id) == target)
                    .values(state=rng.choice(STATES))
                )
            else:  # re-routed, perhaps in the same statement as a change of state
                values = {"provider_id": rng.choice(providers)}
                if rng.random() < 0.5:
                    values["state"] = rng.choice(STATES)
                session.execute(update(Handover).where(col(Handover.id) == target).values(**values))
            if step % 10 == 0:
                session.commit()
                assert kept(session) == queries.provider_loads(session=session)
        session.commit()
        counted = queries.provider_loads(session=session)
        assert counted, "the walk left some handovers open"
        assert kept(session) == counted


def test_a_rolled_back_change_leaves_the_count_as_it_was(db):
    network = make_network()
    sync_directory(network, sessions=session_factory(db))
    provider = network.providers[0].id
    with Session(db) as session:
        session.add(handover(id=None, provider_id=provider, state=State.PENDING))
        session.commit()
        session.add(handover(id=None, provider_id=provider, state=State.ACCEPTED))
        session.flush()
        session.rollback()
        assert kept(session) == {provider: 1}


def test_the_directory_sync_keeps_the_count(db):
    network = make_network()
    sessions = session_factory(db)
    sync_directory(network, sessions=sessions)
    provider = network.providers[0].id
    with Session(db) as session:
        session.add(handover(id=None, provider_id=provider, state=State.CONTACTED))
        session.commit()
    sync_directory(network, sessions=sessions)  # the file read again at start-up
    with Session(db) as session:
        assert kept(session) == {provider: 1}
