"""Keeping the resident in the loop, through GOV.UK Notify.

The resident is never in Slack. When a provider accepts, they get one text message or
e-mail (as they chose on the referral form): who will contact them and by when, with the
reference. If the promised date passes with no contact made, one check-in, whom to ask.

- ``daytime``: when a message may reach a resident (08:00 to 20:00 in the network's zone).
- ``messages``: what each message says and when it is due, written to the outbox with the
  change that causes it, and its record for the audit trail.
- ``sending``: one try at one message through Notify's client, for the outbox's senders:
  the resident's number or address is read, decrypted, only then; an in-doubt try is
  looked up by its reference before it is sent again.
- ``receipts``: Notify's delivery receipts (``POST /notify/callback``); a message that
  never arrived is told to the adviser and on the card's thread.
"""
