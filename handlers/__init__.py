"""Slack listeners only: each parses Slack's payload, calls one function of ``bot``, answers."""

from slack_bolt import App


def register_all(app: App) -> None:
    from handlers import actions, commands, directory, errors, events, followup, views

    for module in (errors, commands, actions, views, events, directory, followup):
        module.register(app)
    errors.register_fallbacks(app)  # last: only what no listener above took
