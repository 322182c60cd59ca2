"""Running the bot: what an operator watches it by.

Owns the Prometheus metrics (``metrics``: every metric's name, kind and labels in one
place, and the counters the outbox and the scheduler move) and the figures read from the
database when a scrape asks (``figures``: handovers by state, what the outbox holds, whether
the database answers). It knows nothing of HTTP: ``server/`` serves ``GET /metrics``.

May use the kernel, the outbox's own words (``bot.delivery.claim``: which messages go
through Notify) and ``storage``; the outbox and the scheduler use it.
"""
