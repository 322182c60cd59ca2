"""Events: App Home."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.blocks.home import home_view
from bot.handover.access import Right
from bot.services import Bot
from storage.models import Access


def publish_home(bot: Bot, client: WebClient, user_id: str) -> None:
    handovers = bot.handovers
    providers = handovers.providers_of(user_id)
    queue = handovers.queue(providers)
    queues = [(p, [h for h in queue if h.provider_id == p.id]) for p in providers]
    may = handovers.access.may
    coordinator = handovers.network_view() if may(user_id, Right.HOME_NETWORK) else None
    sees_directory = may(user_id, Right.HOME_DIRECTORY)
    directory = handovers.all_providers() if sees_directory else []
    shown = {p.id: p for p in [*providers, *directory]}.values()
    view = home_view(
        network=bot.network,
        mine=handovers.open_for_adviser(user_id),
        queues=queues,
        coordinator=coordinator,
        capacities={p.id: bot.directory.capacity(p) for p in shown},
        directory=directory,
        overdue=bot.directory.overdue() if sees_directory else (),
    )
    client.views_publish(user_id=user_id, view=view)
    bot.audit.seen([h.id for h in queue], viewer_id=user_id, what=Access.HOME)


def app_home_opened(event: dict, client: WebClient, context) -> None:
    if event.get("tab", "home") != "home":
        return
    publish_home(context["bot"], client, event["user"])


def register(app: App) -> None:
    app.event("app_home_opened")(app_home_opened)
