"""Providers without Slack: their handovers by e-mail, and a page of the bot's to act on each.

It owns the signed links to a handover's page (``links``), the e-mails a provider without
Slack gets in place of a card, its thread and its worker's DMs (``mail``, written to the
outbox by ``writer`` and sent through GOV.UK Notify by ``sending``), the one-time codes that
show a resident's details again (``codes``), and what the page may do (``pages``): the same
lifecycle operations as the Slack card, through ``bot.handover``. The page's HTML and its
forms are the web layer's (``server/page``).
"""
