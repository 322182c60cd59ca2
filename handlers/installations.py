"""Events: a workspace removing the app, or Slack revoking its tokens."""

from __future__ import annotations

from slack_bolt import App


def app_uninstalled(context) -> None:
    workspaces = context["bot"].workspaces
    if workspaces is not None:
        workspaces.uninstalled(context.team_id, context.enterprise_id)


def tokens_revoked(event: dict, context) -> None:
    workspaces = context["bot"].workspaces
    if workspaces is None:
        return
    tokens = event.get("tokens") or {}
    workspaces.revoked(
        context.team_id,
        bots=bool(tokens.get("bot")),
        users=tokens.get("oauth") or (),
        enterprise=context.enterprise_id,
    )


def register(app: App) -> None:
    # Bolt's own listeners (app.enable_token_revocation_listeners) forget a revoked bot
    # token's bots row only, and its installation would go on answering with it.
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
