"""The network's directory of providers: what the network file says, and what changes day
to day.

Owns reading and checking the network file (``network``, ``yamltext``), keeping the
database's providers in step with it and their capacity (``providers``), how fresh each
entry is (``freshness``), what declines teach about an entry (``learning``), and the
Open Referral / HSDS import that writes provider entries (``openreferral``).

May use the kernel, the access rights and payloads of ``bot.handover`` (who may change a
provider's capacity), ``bot.blocks`` and the outbox of ``bot.delivery.courier`` for the nudges it
writes, and ``storage``.
"""
