"""``python -m bench``: how fast the bot answers, next to bare Bolt, and how cost grows.

Everything runs on this machine: the fake Slack Web API (sandbox/slack) on localhost, the
bot (``app.py --http``) and a bare Bolt app each in a process of its own behind the same
production server (server/web.py, waitress), and the database (SQLite, and PostgreSQL when one
is reachable). See docs/performance.md.
"""
