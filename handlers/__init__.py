"""Slack listeners only: each parses Slack's payload, calls one function of ``bot``, answers."""

from slack_bolt import App


def register_all(app: App) -> None:
    from handlers import (
        actions,
        commands,
        deliveries,
        directory,
        errors,
        events,
        followup,
        installations,
        outbox,
        views,
    )

    modules = (errors, deliveries, commands, actions, views, events, directory, followup, outbox,
               installations)  # fmt: skip
    for module in modules:
        module.register(app)
    errors.register_fallbacks(app)  # last: only what no listener above took
