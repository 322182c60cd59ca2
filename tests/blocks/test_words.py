"""Sentences people read whole: a note inside one ends once, a cut line ends at a word."""

from __future__ import annotations

import pytest

from bot.blocks.messages import adviser_update, provider_card, thread_line
from bot.blocks.modals import choice_modal
from bot.blocks.replies import event_line
from bot.handover.matching import Candidate, ProviderFacts, Wording
from bot.handover.referral import Referral
from bot.handover.routing import Suggestions
from sandbox.slack.blockkit import validate_view
from storage.models import DeclineReason, EventKind, HandoverEvent, State, Urgency
from tests.blocks.test_blocks import CV_CLINIC, ESOL_HUB, NETWORK, TZ, change, everything
from tests.factories import T0

DOUBLED = (".).", "..", ".)..")


@pytest.mark.parametrize("reason", list(DeclineReason))
@pytest.mark.parametrize("note", ["", "Full until March.", "Full until March...", "  Full.  "])
@pytest.mark.parametrize("routed", [EventKind.ROUTED, EventKind.UNMATCHED])
def test_no_decline_message_doubles_its_full_stops(reason, note, routed):
    declined = change(
        EventKind.DECLINED,
        State.PENDING if routed == EventKind.ROUTED else State.UNMATCHED,
        provider=ESOL_HUB if routed == EventKind.ROUTED else None,
        previous=CV_CLINIC,
        reason=reason,
        note=note or None,
        routed=routed,
    )
    for message in (adviser_update(declined, NETWORK), thread_line(declined, NETWORK)):
        for text in (message.text, everything(message)):
            assert not any(doubled in text for doubled in DOUBLED), text
    if note:
        words = note.strip().rstrip(".")
        assert f"({words}). " in adviser_update(declined, NETWORK).text


def test_a_note_ending_a_sentence_keeps_one_stop_in_outcomes_reopens_and_the_history():
    closed = change(EventKind.CLOSED, State.CLOSED, reason="other", note="Moved to Leeds.")
    assert "closed by *Northside CV Clinic*: other (Moved to Leeds)." in (
        adviser_update(closed, NETWORK).text
    )
    assert thread_line(closed, NETWORK).text.endswith("closed it: other (Moved to Leeds).")
    reopened = change(EventKind.REOPENED, State.UNMATCHED, note="Wrong provider.")
    assert (
        "re-opened HO-0042 (Wrong provider). It is with" in adviser_update(reopened, NETWORK).text
    )
    event = HandoverEvent(
        handover_id=42, kind=EventKind.DECLINED, at=T0, to_state=State.PENDING,
        provider_id="cv-clinic", reason="other", note="Full.",
    )  # fmt: skip
    assert event_line(event, {"cv-clinic": CV_CLINIC}, TZ).endswith(": other (Full)")


LONG_WHY = (
    "specialist for disabled residents and people with a long-term health condition; "
    "covers NW5 explicitly; delivers in Somali"
)


def test_the_why_line_of_a_suggestion_ends_at_a_word_boundary():
    facts = ProviderFacts(id="cv-clinic", name="Northside CV Clinic", services=("cv",))
    candidate = Candidate(facts, covered=("cv", "interview"), reason=LONG_WHY)
    referral = Referral(
        needs=("cv", "interview"), name="R", phone=None, email=None, district="NW5",
        age_band=None, language=None, access_needs=None, urgency=Urgency.ROUTINE,
        context="", organisation="Job Club", consent=True,
    )  # fmt: skip
    view = choice_modal(referral, Suggestions([candidate], [], None), NETWORK)
    assert validate_view(view) == []
    (radio,) = [b for b in view["blocks"] if b.get("block_id") == "destination"]
    (option,) = [o for o in radio["element"]["options"] if o["value"] == "provider:cv-clinic"]
    shown = option["description"]["text"]
    full = candidate.why(Wording(NETWORK.services, NETWORK.residents_phrases))
    assert len(shown) <= 75 and shown.endswith("…")
    kept = shown.removesuffix("…")
    assert full.startswith(kept) and full[len(kept)] in " ;,"  # the next word was left out whole


def test_why_it_came_to_you_is_kept_whole_words_when_it_is_longer_than_its_column(
    db, network, monkeypatch
):
    from tests.followup.test_digest import NOW, Story

    words = " ".join(f"reason{n}" for n in range(80))  # 630 characters, the column holds 500
    monkeypatch.setattr(Candidate, "why", lambda self, wording: words)
    story = Story(db, network)
    for prefer in (None, "cv-clinic"):  # the network's choice, and the adviser's
        kept = story.handovers.handover(story.raised(NOW, "cv", prefer=prefer)).match_reason
        assert len(kept) <= 500 and kept.endswith("…")
        whole = kept.removesuffix("…").split()[-1]
        assert whole.startswith("reason") and f" {whole} " in f" {words} "
        card = provider_card(
            story.handovers.handover(1), card_provider="cv-clinic", provider=CV_CLINIC,
            network=network,
        )  # fmt: skip
        assert "*Why you:* " in everything(card)
