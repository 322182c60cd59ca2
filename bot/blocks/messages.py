"""Messages: the provider's card, its thread lines, DMs, the coordinators' unmatched card."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    OptionGroup,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.blocks import Message, render
from bot.blocks.modals import resident_blocks
from bot.directory.learning import DirectorySuggestion
from bot.directory.network import Network
from bot.handover.handovers import Change
from bot.handover.payloads import CardRef
from bot.handover.routing import RouteChoices
from bot.ids import Act, Block
from bot.text import (
    DECLINE_REASONS,
    OUTCOMES,
    STATES,
    URGENCIES,
    aside,
    clip,
    day,
    escape,
    label,
    named_worker,
    person,
    sentence,
)
from storage.models import DeclineReason, EventKind, Handover, Provider, Resident, State

_URGENCY_ICON = {"routine": "", "soon": ":large_orange_circle: ", "urgent": ":red_circle: "}


def _needs(handover: Handover, network: Network) -> str:
    return ", ".join(network.service_label(need) for need in handover.needs)


def _referrer(handover: Handover) -> str:
    org = f" ({escape(handover.adviser_org)})" if handover.adviser_org else ""
    return f"<@{handover.adviser_id}>{org}"


def card_status(
    handover: Handover,
    card_provider: str | None,
    provider: Provider | None,
    left: EventKind | None = None,
) -> str:
    """One line saying where the handover stands, from this card's point of view.

    ``left`` says why it is no longer this card's provider's, when the caller knows.
    """
    if handover.state == State.WITHDRAWN:
        return ":no_entry_sign: Withdrawn. Nothing more to do."
    if card_provider is not None and handover.provider_id != card_provider:
        where = f"*{escape(provider.name)}*" if provider else "the coordinators"
        if left == EventKind.REOPENED:
            return f":recycle: Re-opened by a coordinator: it is with {where} again."
        if handover.routed_by_hand:
            return f":compass: A coordinator moved this handover to {where}."
        return f":arrow_right: Declined here; this handover has moved on to {where}."
    match handover.state:
        case State.PENDING:
            return ":hourglass_flowing_sand: Waiting for someone here to accept."
        case State.ACCEPTED:
            return (
                f":white_check_mark: Accepted by {named_worker(handover)}; "
                f"first contact by "
                f"*{day(handover.promised_contact_by)}*."
            )
        case State.CONTACTED:
            return (
                f":telephone_receiver: First contact made by "
                f"{named_worker(handover)}. "
                "Record the outcome when you know it."
            )
        case State.CLOSED:
            return f":checkered_flag: Closed: *{label(OUTCOMES, handover.outcome)}*."
        case _:
            return f"{label(STATES, handover.state)}."


def _buttons(handover: Handover, card_provider: str) -> list[ButtonElement]:
    value = CardRef(h=handover.id, p=card_provider).dump()
    if handover.provider_id != card_provider:
        return []
    match handover.state:
        case State.PENDING:
            return [
                ButtonElement(text="Accept", action_id=Act.ACCEPT, value=value, style="primary"),
                ButtonElement(text="Decline", action_id=Act.DECLINE, value=value),
            ]
        case State.ACCEPTED:
            return [
                ButtonElement(
                    text="Made contact", action_id=Act.CONTACT, value=value, style="primary"
                ),
                ButtonElement(text="Record outcome", action_id=Act.OUTCOME, value=value),
            ]
        case State.CONTACTED:
            return [
                ButtonElement(
                    text="Record outcome", action_id=Act.OUTCOME, value=value, style="primary"
                )
            ]
    return []


def provider_card(
    handover: Handover,
    *,
    card_provider: str,
    provider: Provider | None,
    network: Network,
    left: EventKind | None = None,
) -> Message:
    """The card in the provider's channel: the minimum about the resident, never who they are."""
    needs = _needs(handover, network)
    urgency = label(URGENCIES, handover.urgency)
    blocks = [
        HeaderBlock(text=clip(f"{handover.ref} · {needs}", 150)),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Needs*\n{escape(needs)}"),
                MarkdownTextObject(text=f"*Area*\n{handover.postcode_district or 'Not given'}"),
                MarkdownTextObject(
                    text=f"*Urgency*\n{_URGENCY_ICON.get(handover.urgency, '')}{urgency}"
                ),
                MarkdownTextObject(text=f"*Referred by*\n{_referrer(handover)}"),
            ]
        ),
    ]
    if handover.context:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f"*Context*\n{escape(handover.context)}"))
        )
    if handover.match_reason and handover.provider_id == card_provider:
        why = "Routed by hand by a coordinator" if handover.routed_by_hand else "Why you"
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"*{why}:* {escape(handover.match_reason)}")]
            )
        )
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(text=card_status(handover, card_provider, provider, left))
        )
    )
    buttons = _buttons(handover, card_provider)
    if buttons:
        blocks.append(ActionsBlock(block_id=Block.CARD_ACTIONS, elements=buttons))
    text = f"Handover {handover.ref}: {escape(needs)} ({urgency}). {label(STATES, handover.state)}."
    return Message(text, render(blocks))


def thread_line(change: Change, network: Network) -> Message:
    """The line an event adds to the card's thread: the channel keeps the history."""
    handover = change.handover
    actor = person(change.actor_id, handover.worker_name) if change.actor_id else "The bot"
    match change.kind:
        case EventKind.ACCEPTED:
            text = (
                f":white_check_mark: {actor} accepted {handover.ref}; first contact by "
                f"{day(handover.promised_contact_by)}."
            )
        case EventKind.DECLINED:
            declined = f"{actor} declined: {_decline_reason(change)}"
            text = f":leftwards_arrow_with_hook: {sentence(declined)}"
            text += " " + _onward(change)
        case EventKind.CONTACTED:
            text = f":telephone_receiver: {actor} made first contact with the resident."
        case EventKind.CLOSED:
            text = sentence(f":checkered_flag: {actor} closed it: {_outcome(change)}")
        case EventKind.WITHDRAWN:
            text = f":no_entry_sign: {actor} withdrew {handover.ref}."
        case EventKind.ROUTED_BY_HAND:
            text = f":compass: {actor} routed {handover.ref} here by hand."
        case EventKind.REOPENED:
            text = f":recycle: {actor} re-opened {handover.ref}: it is with the coordinators."
        case _:
            text = f"{handover.ref}: {change.kind}."
    return Message(text, render([SectionBlock(text=MarkdownTextObject(text=text))]))


def _decline_reason(change: Change) -> str:
    return label(DECLINE_REASONS, change.reason).lower() + aside(escape(change.note))


def _outcome(change: Change) -> str:
    return label(OUTCOMES, change.reason).lower() + aside(escape(change.note))


def _onward(change: Change) -> str:
    if change.routed == EventKind.ROUTED and change.provider:
        return f"It has gone on to {escape(change.provider.name)}."
    return "No other provider fits, so it is now with the coordinators."


def adviser_update(change: Change, network: Network) -> Message:
    """The DM telling the adviser what just happened to their referral."""
    handover = change.handover
    ref = handover.ref
    provider = escape(change.provider.name) if change.provider else "the provider"
    match change.kind:
        case EventKind.CREATED if change.routed == EventKind.ROUTED:
            why = sentence(f"Why them: {escape(handover.match_reason)}")
            text = (
                f":outbox_tray: {ref} sent to *{provider}*. {why} "
                "You'll hear here when they pick it up."
            )
        case EventKind.CREATED:
            text = (
                f":outbox_tray: {ref} is raised, but no provider in the network matches it. "
                "The coordinators have it now and will route it by hand."
            )
        case EventKind.ACCEPTED:
            text = (
                f":white_check_mark: {ref} accepted by {named_worker(handover)} "
                f"at *{provider}*. "
                f"First contact promised by *{day(handover.promised_contact_by)}*."
            )
        case EventKind.DECLINED:
            previous = escape(change.previous.name) if change.previous else "A provider"
            declined = f"*{previous}* declined {ref}: {_decline_reason(change)}"
            text = f":leftwards_arrow_with_hook: {sentence(declined)} {_onward(change)}"
        case EventKind.CONTACTED:
            text = (
                f":telephone_receiver: {named_worker(handover)} at "
                f"*{provider}* has made first "
                f"contact for {ref}. The warm handover is done."
            )
        case EventKind.CLOSED:
            text = sentence(f":checkered_flag: {ref} is closed by *{provider}*: {_outcome(change)}")
        case EventKind.WITHDRAWN:
            text = f":no_entry_sign: {ref} is withdrawn. The provider has been told."
        case EventKind.ROUTED_BY_HAND:
            text = f":compass: A coordinator routed {ref} to *{provider}*."
        case EventKind.REOPENED:
            text = (
                f":recycle: A coordinator re-opened {ref}{aside(escape(change.note))}. "
                "It is with the coordinators "
                "to route again."
            )
        case _:
            text = f"{ref}: {change.kind}."
    return Message(text, render([SectionBlock(text=MarkdownTextObject(text=text))]))


def adviser_receipt(handover: Handover, provider: Provider | None, network: Network) -> Message:
    """The adviser's first DM about a handover; it keeps a Withdraw button while open."""
    needs = _needs(handover, network)
    where = escape(provider.name) if provider else "the coordinators"
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{handover.ref}* · {escape(needs)}\nNow: {label(STATES, handover.state)}"
                f" ({where})."
            )
        )
    ]
    if handover.is_open:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Withdraw",
                        action_id=Act.WITHDRAW,
                        value=CardRef(h=handover.id).dump(),
                        style="danger",
                        confirm=ConfirmObject(
                            title="Withdraw this handover?",
                            text="The provider is told and stops work on it.",
                            confirm="Withdraw",
                            deny="Keep it",
                        ),
                    )
                ]
            )
        )
    text = f"Your handover {handover.ref} ({escape(needs)}): {label(STATES, handover.state)}."
    return Message(text, render(blocks))


def worker_details(handover: Handover, resident: Resident | None, network: Network) -> Message:
    tz = network.network.timezone
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{handover.ref}*: the resident you accepted. First contact by "
                f"*{day(handover.promised_contact_by)}*."
            )
        ),
        *resident_blocks(handover, resident, tz),
    ]
    return Message(f"{handover.ref}: the resident's details (private to you).", render(blocks))


def unmatched_card(
    handover: Handover,
    *,
    choices: RouteChoices | None,
    network: Network,
    routed_to: Provider | None = None,
    note: str = "",
) -> Message:
    """The coordinators' card for a handover no provider could take, with "Route to…"."""
    needs = _needs(handover, network)
    blocks = [
        HeaderBlock(text=clip(f"{handover.ref} · unmatched · {needs}", 150)),
        SectionBlock(
            fields=[
                MarkdownTextObject(text=f"*Needs*\n{escape(needs)}"),
                MarkdownTextObject(text=f"*Area*\n{handover.postcode_district or 'Not given'}"),
                MarkdownTextObject(text=f"*Age band*\n{handover.age_band or 'Not given'}"),
                MarkdownTextObject(text=f"*Referred by*\n{_referrer(handover)}"),
            ]
        ),
    ]
    if handover.context:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f"*Context*\n{escape(handover.context)}"))
        )
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    if routed_to is not None or handover.state != State.UNMATCHED:
        where = escape(routed_to.name) if routed_to else label(STATES, handover.state).lower()
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f":compass: Now with *{where}*.")))
    else:
        blocks.append(
            SectionBlock(
                block_id=Block.CARD_ACTIONS,
                text=MarkdownTextObject(text="No provider matched. Route it by hand:"),
                accessory=route_select(handover, choices),
            )
        )
    return Message(f"{handover.ref} needs routing by hand: {escape(needs)}.", render(blocks))


def route_select(handover: Handover, choices: RouteChoices) -> StaticSelectElement:
    """Every active provider, those that fit first, then those with a catch (saying what it
    is), then the rest. Slack allows 100 options a group."""

    def option(provider: Provider, catch: str | None = None) -> Option:
        label = f"{provider.name} ({catch})" if catch else provider.name
        return Option(value=CardRef(h=handover.id, p=provider.id).dump(), text=clip(label, 75))

    groups = []
    for title, options in (
        ("Fit this referral", [option(p) for p in choices.fit]),
        ("Offer a need, but", [option(p, why) for p, why in choices.caught]),
        ("Other providers", [option(p) for p in choices.other]),
    ):
        if options:
            groups.append(OptionGroup(label=title, options=options[:100]))
    return StaticSelectElement(
        action_id=Act.ROUTE, placeholder=PlainTextObject(text="Route to…"), option_groups=groups
    )


def directory_suggestion(
    suggestion: DirectorySuggestion, provider: Provider, network: Network
) -> Message:
    """To the coordinators: repeated declines of one kind suggest the entry is out of date."""
    name = escape(provider.name)
    if suggestion.reason == DeclineReason.OUT_OF_AREA:
        seen = ", ".join(suggestion.districts) or "districts not given"
        areas = ", ".join(provider.areas) if provider.areas else "any area"
        said = f"as *out of area* (residents in {seen}). Its entry covers {areas}"
        fix = "`areas`"
    else:
        seen = ", ".join(suggestion.age_bands) or "age bands not given"
        entry = network.provider(provider.id)
        ages = (
            f"ages {provider.age_min}-{provider.age_max}"
            if provider.age_min is not None
            else "any age"
        )
        rule = f"; eligibility: {escape(entry.eligibility)}" if entry and entry.eligibility else ""
        said = f"as *not eligible* (age bands {seen}). Its entry says {ages}{rule}"
        fix = "`ages` or `eligibility`"
    text = (
        f":bulb: *{name}* declined {suggestion.declines} handovers in the last 30 days {said}. "
        f"If that is out of date, correct {fix} for `{provider.id}` in the network file, so "
        "handovers stop going there only to bounce."
    )
    return Message(text, render([SectionBlock(text=MarkdownTextObject(text=text))]))


PROBLEMS = {
    "channel_not_found": "the channel no longer exists, or the bot cannot see it",
    "not_in_channel": "the bot is not a member of the channel",
    "is_archived": "the channel is archived",
    "not_installed": "the app is not installed in the channel's workspace (any more)",
    "account_inactive": "that person's Slack account is deactivated",
    "user_not_found": "Slack does not know that person",
    "user_disabled": "that person's Slack account is disabled",
    "cannot_dm_bot": "that account cannot receive messages",
}


def delivery_problem(*, channel: str, error: str, ref: str | None, held: bool) -> Message:
    """To the coordinators: a message Slack would not take. The handover itself is safe."""
    where = f"<#{channel}>" if channel.startswith(("C", "G")) else f"<@{channel}>"
    why = PROBLEMS.get(error, f"Slack said `{escape(error)}`")
    if channel.startswith("mail:"):  # the e-mails of a provider without Slack
        where = f"the e-mail address of `{escape(channel.removeprefix('mail:'))}`"
        why = PROBLEMS.get(error, f"GOV.UK Notify said `{escape(error)}`")
    what = f"about *{ref}*" if ref else ""
    if held:
        then = (
            "It is kept, with anything after it for that channel, and goes as soon as the "
            "channel is fixed: invite the bot back, unarchive the channel, or press Try again. "
            "The bot also tries again every hour."
        )
    else:
        then = "It could not be delivered; the handover itself is safe and unchanged."
    text = f":warning: A message {what} to {where} could not be sent: {why}. {then}"
    text = " ".join(text.split())
    blocks = [SectionBlock(text=MarkdownTextObject(text=text))]
    if held:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(
                        text="Try again", action_id=Act.RETRY_DELIVERY, value=channel[:2000]
                    )
                ]
            )
        )
    return Message(text, render(blocks))


def refer_button(network_name: str) -> Message:
    """A message anyone in the channel can refer a resident from, whichever workspace they
    are in: in a Slack Connect channel, people from other organisations' workspaces cannot
    use the app's slash command, but can press its buttons."""
    text = (
        f"Referring a resident to *{escape(network_name)}*? Press the button: the referral "
        "form opens for you, whichever organisation's workspace you are in."
    )
    blocks = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            elements=[
                ButtonElement(text="Refer a resident", action_id=Act.OPEN_NEW, style="primary")
            ]
        ),
    ]
    return Message(text=f"Refer a resident to {network_name}", blocks=render(blocks))
