"""The engine, sessions and bringing the schema up to date."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from storage import crypto

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

# A pooled connection older than this is replaced at checkout rather than trusted: shorter
# than the idle timeouts of the servers, proxies and firewalls between the bot and its
# database, so the pool rarely holds one they have dropped.
POOL_RECYCLE_SECONDS = 300


def make_engine(url: str, *, data_keys: str | Iterable[str] | None = None) -> Engine:
    """An engine for this URL. ``data_keys`` (newest first) encrypt residents' details; an
    engine made without them can do everything except read or write those details."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        if url.startswith("postgresql://"):
            # One driver for the whole project: psycopg 3.
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        # No ping before each checkout (a round trip on every transaction): a connection
        # the server dropped fails its first statement, and BotSession tries that once more
        # on a fresh connection (the pool discards the rest of its old ones as it does).
        engine = create_engine(
            url, pool_size=10, max_overflow=10, pool_recycle=POOL_RECYCLE_SECONDS
        )
    if data_keys is not None:
        crypto.attach(engine, data_keys)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (App Home, status) run while a handover is being written.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration; safe to run on every start."""
    command.upgrade(alembic_config(engine), "head")


class BotSession(Session):
    """A session that survives a connection the database dropped while it sat in the pool:
    when the first statement of a transaction finds it gone, nothing has been done yet, so
    the statement is tried once more on a new connection."""

    def exec(self, *args, **kwargs):
        return self._once_more(super().exec, args, kwargs)

    def execute(self, *args, **kwargs):
        return self._once_more(super().execute, args, kwargs)

    def scalars(self, *args, **kwargs):
        return self._once_more(super().scalars, args, kwargs)

    def scalar(self, *args, **kwargs):
        return self._once_more(super().scalar, args, kwargs)

    def _once_more(self, call, args, kwargs):
        if self.info.get("connected"):
            return call(*args, **kwargs)
        try:
            return call(*args, **kwargs)
        except DBAPIError as exc:
            if not exc.connection_invalidated or self.info.get("retried"):
                raise
            log.warning("the database dropped a pooled connection; trying again on a new one")
            self.rollback()
            self.info["retried"] = True
            try:
                return call(*args, **kwargs)
            finally:
                self.info.pop("retried", None)


@event.listens_for(BotSession, "after_begin")
def _connected(session, _transaction, _connection) -> None:
    # A statement has a connection now: failing from here on is not a stale checkout.
    session.info["connected"] = True


@event.listens_for(BotSession, "after_transaction_end")
def _ended(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop("connected", None)


class _Borrowed:
    """The unit's session, lent to one ``with sessions() as session:`` block. Its end leaves
    the transaction open for the next block (a failure rolls it back, as closing would
    have). A block starts with nothing loaded, as a session of its own would: rows an
    earlier block loaded stay usable as they were, and are read afresh when asked for."""

    def __init__(self, session: Session, local: threading.local):
        self.session = session
        self.local = local

    def __enter__(self) -> Session:
        if self.local.depth == 0:
            self.session.expunge_all()
        self.local.depth += 1
        return self.session

    def __exit__(self, kind, _value, _traceback) -> None:
        self.local.depth -= 1
        if kind is not None:
            # As closing would: what it loaded stays as it was, what it did is undone.
            self.session.expunge_all()
            self.session.rollback()


class Sessions:
    """Opens sessions on one engine. Inside ``unit()``, every session opened on that thread
    is the unit's one, so a request's reads and its write share one transaction instead of
    a transaction each; a block's ``commit()`` commits what the unit has done so far."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._local = threading.local()

    def __call__(self) -> Session | _Borrowed:
        shared = getattr(self._local, "session", None)
        if shared is not None:
            return _Borrowed(shared, self._local)
        return self.alone()

    def alone(self) -> Session:
        """A session of its own, whatever unit this thread is in (the outbox's deliveries,
        which settle on their own)."""
        return BotSession(self.engine, expire_on_commit=False)

    @contextmanager
    def unit(self) -> Iterator[None]:
        if getattr(self._local, "session", None) is not None:
            yield  # already in one: the outer unit ends it
            return
        session = self.alone()
        self._local.session, self._local.depth, self._local.after = session, 0, []
        try:
            yield
        finally:
            after, self._local.after = self._local.after, []
            self._local.session = None
            session.close()
            for then in after:
                then()

    def after_unit(self, then: Callable[[], None]) -> Callable[[], None]:
        """``then``, called when the unit this thread is in ends (once, however often it is
        asked for), or at once outside a unit: the outbox is woken after the request has
        answered rather than while it is still answering."""

        def call() -> None:
            after = getattr(self._local, "after", None)
            if getattr(self._local, "session", None) is None or after is None:
                then()
            elif then not in after:
                after.append(then)

        return call


SessionFactory = Callable[[], Session]


def upsert_insert(dialect: str):
    """The INSERT that can say ON CONFLICT on this database (``dialect``: the engine's
    dialect name): PostgreSQL's, or SQLite's."""
    return (postgresql if dialect == "postgresql" else sqlite).insert


def session_factory(engine: Engine) -> Sessions:
    return Sessions(engine)


def database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
