"""What a handover is and how it changes.

Owns the lifecycle (which change applies from which state), the referral and its checks,
matching (who is a candidate and in what order), the access matrix (who may do and see
what), the typed payloads that travel in Slack's buttons and views, and the ``Handovers``
service that applies each change as one transaction.

May use the kernel (``bot.errors``, ``bot.ids``, ``bot.text``, ``bot.clock``), the network
file and working time, and ``storage``. It knows nothing of Slack's requests: the
notifier in ``bot.delivery.courier`` decides who is told of a change.
"""
