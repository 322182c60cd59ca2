"""Alembic environment: runs against the engine the app hands over (or DATABASE_URL)."""

import os

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.db import make_engine

config = context.config
engine = config.attributes.get("engine") or make_engine(
    os.environ.get("DATABASE_URL", "sqlite:///handover.db"),
    # Migration 0006 encrypts residents' details that were stored in plaintext.
    data_keys=os.environ.get("HANDOVER_DATA_KEYS") or None,
)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
