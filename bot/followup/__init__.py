"""Keeping handovers moving, and telling the coordinators how the network is doing.

Owns working time (the network's hours and England and Wales bank holidays), the due
times each change sets (``due``), the scheduler's one job that asks what is due and
claims it, reminders and escalation (``reminders``), and the weekly digest
(``digest``: its figures, chart, CSV and posting).

May use the kernel, ``bot.handover`` (a reminder is a step of a handover's life), the
network file, ``bot.blocks`` and the outbox of ``bot.delivery.courier``, and ``storage``.
"""
