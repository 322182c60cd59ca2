"""The product, in packages by capability (docs/architecture.md draws the layers):

- ``handover``: what a handover is and how it changes (lifecycle, referral, matching,
  routing, access rights, payloads);
- ``directory``: the network file, providers and their capacity, freshness, learning from
  declines, the Open Referral import;
- ``followup``: working time, due times, reminders and escalation, the scheduler, the digest;
- ``delivery``: who is told what, the outbox and its courier;
- ``privacy``: retention and erasure, the audit trail, log redaction;
- ``blocks``: Block Kit, built by pure functions.

The kernel beside them is what every package may use: ``settings``, ``clock``, ``ids``,
``errors``, ``text``, and ``services`` (the bot's services as the listeners get them).
Nothing here imports ``handlers`` or ``server``; ``storage`` imports nothing from here.
"""
