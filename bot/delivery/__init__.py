"""Telling people: who is told what, and getting it to them once.

Owns the notifier (which messages a change, a reminder or an erasure causes, and for whom),
the outbox (messages written in the transaction of the change that causes them), and the
courier (the worker that delivers them to Slack at Slack's pace, retries, holds a channel
that refuses, and never posts twice), in rounds: ``claim`` (what may go now, in one
statement), ``pacing`` (a channel's pace, with Slack's short bursts), ``senders`` (a few
channels posted to at once) and ``settle`` (every answer written down in one transaction).
Other ways of reaching people than Slack belong here.

May use the kernel, ``bot.handover``, ``bot.directory``, ``bot.followup``, ``bot.privacy.erasure``
(what a change means for each person), ``bot.blocks`` (what they see) and ``storage``.
"""
