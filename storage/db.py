"""The engine, sessions and bringing the schema up to date."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from storage import crypto

MIGRATIONS = Path(__file__).parent / "migrations"

SessionFactory = Callable[[], Session]


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
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
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


def session_factory(engine: Engine) -> SessionFactory:
    def open_session() -> Session:
        return Session(engine, expire_on_commit=False)

    return open_session


def database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
