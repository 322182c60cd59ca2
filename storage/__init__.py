"""Persistence: SQLModel tables, the engine and session, queries, Alembic migrations.

Nothing here knows about Slack.
"""
