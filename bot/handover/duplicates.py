"""A resident referred twice: their open handovers, found before anything is sent.

"The same resident" is the same name and the same phone or e-mail, looked up by the blind
index (``storage.residents``), so nobody's details are decrypted to find out. What the
adviser is shown of an earlier handover is the access matrix's to say
(``Right.EARLIER_HANDOVER``): where it is, to those who may see it; to anyone else only
that the resident is already being helped, and whom to ask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.handover.access import Access, Right
from bot.handover.referral import Referral
from storage import queries, residents
from storage.db import SessionFactory
from storage.models import EventKind, Handover, Provider, format_ref


@dataclass(frozen=True)
class Earlier:
    """An open handover of the same resident, as the adviser referring them again sees it."""

    handover: Handover
    provider: Provider | None
    visible: bool  # may this adviser see where it is (and so its provider)?


def acknowledged_ids(earlier: Sequence[Earlier]) -> tuple[int, ...]:
    return tuple(item.handover.id for item in earlier)


def unacknowledged(earlier: Sequence[Earlier], acknowledged: Sequence[int]) -> bool:
    """Is there one the adviser was not shown (another adviser's, raised meanwhile)?"""
    return bool(set(acknowledged_ids(earlier)) - set(acknowledged))


def _same_request(handover: Handover, request_key: str | None) -> bool:
    """Raised by this very submission (Slack delivered it twice, or a split's other part)."""
    key = handover.request_key or ""
    return bool(request_key) and (key == request_key or key.startswith(f"{request_key}:"))


class DuplicateCheck:
    """The duplicate half of ``Handovers``."""

    sessions: SessionFactory
    access: Access

    def earlier_handovers(
        self, referral: Referral, *, user_id: str, request_key: str | None = None
    ) -> list[Earlier]:
        """The resident's open handovers (not ``request_key``'s own), oldest first."""
        with self.sessions() as session:
            found = residents.open_handovers_of(
                session=session, name=referral.name, phone=referral.phone, email=referral.email
            )
            providers = {
                h.provider_id: queries.get_provider(session=session, provider_id=h.provider_id)
                for h in found
                if h.provider_id
            }
        earlier = []
        for handover in found:
            if _same_request(handover, request_key):
                continue
            provider = providers.get(handover.provider_id)
            visible = self.access.may(
                user_id, Right.EARLIER_HANDOVER, handover=handover, provider=provider
            )
            earlier.append(Earlier(handover, provider, visible))
        return earlier

    def _record_sent_anyway(self, session, handover, duplicate_of, now, adviser_id) -> None:
        """The adviser saw the same resident's open handovers and sent this one anyway: the
        audit trail says so, and the digest counts it as a duplicate caught."""
        refs = ", ".join(format_ref(handover_id) for handover_id in duplicate_of)
        queries.record_event(
            session=session,
            handover=handover,
            kind=EventKind.DUPLICATE,
            at=now,
            actor_id=adviser_id,
            from_state=handover.state,
            note=f"sent anyway by the adviser: the resident already had {refs} open"[:600],
        )
