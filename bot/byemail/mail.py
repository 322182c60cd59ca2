"""What a provider without Slack is told by e-mail: pure functions, one per message.

Each e-mail carries what the Slack card or reminder would (the reference, needs, area,
urgency, who referred, the context and why it came to them), never who the resident is or
how to reach them: those are on the page, after Accept. Each fills the network's one
``provider_email`` template: ``subject``, ``body`` and ``link`` (docs/notify-templates.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.directory.network import Network
from bot.text import URGENCIES, day, label
from storage.models import Handover, Provider

NO_LINK = "(There is nothing more to do on this handover's page.)"


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str
    link: str

    def fields(self) -> dict[str, str]:
        return {"subject": self.subject, "body": self.body, "link": self.link}


def _needs(handover: Handover, network: Network) -> str:
    return ", ".join(network.service_label(need) for need in handover.needs)


def _referrer(handover: Handover) -> str:
    return f"an adviser at {handover.adviser_org}" if handover.adviser_org else "an adviser"


def facts(handover: Handover, network: Network) -> list[str]:
    """The card's facts, one per line; never the resident's name or contact details."""
    lines = [
        f"Reference: {handover.ref}",
        f"Needs: {_needs(handover, network)}",
        f"Area: {handover.postcode_district or 'Not given'}",
        f"Urgency: {label(URGENCIES, handover.urgency)}",
        f"Referred by: {_referrer(handover)}",
    ]
    if handover.context:
        lines.append(f"Context: {' '.join(handover.context.split())}")
    if handover.match_reason:
        why = "Routed by hand by a coordinator" if handover.routed_by_hand else "Why you"
        lines.append(f"{why}: {handover.match_reason}")
    return lines


def new_handover(
    handover: Handover, provider: Provider, network: Network, link: str, answer_within: str
) -> Mail:
    intro = (
        f"{network.network.name} has referred a resident to {provider.name}. Their name and "
        "how to contact them are on the handover's page, once you accept it."
    )
    ask = (
        f"Please accept it or decline it within {answer_within}, on its page. If you "
        "decline, it goes straight on to another provider."
    )
    body = "\n\n".join([intro, "\n".join(facts(handover, network)), ask])
    urgent = " (urgent)" if handover.urgency == "urgent" else ""
    subject = f"{handover.ref}: a new handover for {provider.name}{urgent}"
    return Mail(subject, body, link)


def accept_reminder(handover: Handover, provider: Provider, waited: str, link: str) -> Mail:
    body = (
        f"{handover.ref} has waited {waited} for someone at {provider.name} to accept it. "
        "Can someone take it, or decline it so it can go elsewhere?"
    )
    return Mail(f"Reminder: {handover.ref} is waiting for an answer", body, link)


def contact_nudge(handover: Handover, again: bool, link: str) -> Mail:
    first = "Second reminder: " if again else ""
    body = (
        f"{first}{handover.ref}: first contact with the resident was promised by "
        f"{day(handover.promised_contact_by)}. Has it happened? Say so on its page."
    )
    return Mail(f"{first}has {handover.ref}'s first contact happened?", body, link)


def outcome_ask(handover: Handover, link: str) -> Mail:
    body = (
        f"{handover.ref}: what came of it? Record the outcome on its page, so the adviser "
        "and the network know whether the resident was helped."
    )
    return Mail(f"{handover.ref}: what was the outcome?", body, link)


def escalated(handover: Handover, why: str, link: str) -> Mail:
    body = (
        f"{handover.ref} has gone to the network's coordinators: {why}. They may route it "
        "elsewhere; until they do, you can still act on it on its page."
    )
    return Mail(f"{handover.ref} has gone to the coordinators", body, link)


def left(handover: Handover, provider: Provider, why: str) -> Mail:
    """The handover is no longer this provider's: its link stops working."""
    body = f"{handover.ref} is no longer with {provider.name}: {why}. Nothing more to do."
    return Mail(f"{handover.ref} is no longer with you", body, NO_LINK)


def one_time_code(handover: Handover, code: str, minutes: int, link: str) -> Mail:
    body = (
        f"Your code to see the resident's details for {handover.ref} again is {code}. "
        f"It works once, for {minutes} minutes. If you did not ask for it, you can ignore "
        "this e-mail: nobody can see the details without the code."
    )
    return Mail(f"Your code for {handover.ref}: {code}", body, link)
