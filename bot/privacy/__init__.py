"""Residents' data in our care.

Owns retention and erasure (``erasure``: details erased a set time after closure and on
request, and the Slack messages that showed them redacted), the audit trail of who was
shown a handover's data and its export for subject access requests (``audit``), and logs
that never carry a token, a secret or a resident's detail (``logs``).

May use the kernel, the access rights of ``bot.handover``, the network file and
``storage``. Telling people of an erasure is the notifier's job (``bot.delivery``).
"""
