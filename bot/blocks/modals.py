"""Modals: the referral form, accept, decline, record outcome, and their answers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    ConversationSelectElement,
    DatePickerElement,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks.duplicates import duplicate_blocks
from bot.directory.network import Network
from bot.handover.duplicates import Earlier
from bot.handover.matching import AGE_BANDS
from bot.handover.payloads import ModalMeta, dump_referral
from bot.handover.referral import (
    CONTACT_CHOICES,
    CONTACT_NONE,
    CONTEXT_LIMIT,
    Referral,
    consent_text,
)
from bot.handover.routing import Suggestions
from bot.ids import Act, Block, Callback
from bot.text import DECLINE_REASONS, OUTCOMES, URGENCIES, clip, day, escape, when
from storage.models import Handover, Resident, Urgency

URGENCY_DEFAULT = Urgency.ROUTINE


def _input(block: Block, label: str, element, *, optional=False, hint: str | None = None):
    return InputBlock(
        block_id=block,
        label=PlainTextObject(text=label),
        element=element,
        optional=optional,
        hint=PlainTextObject(text=hint) if hint else None,
    )


def _text(placeholder: str | None = None, *, multiline=False, max_length=None, initial=None):
    return PlainTextInputElement(
        action_id=Act.INPUT,
        placeholder=placeholder,
        multiline=multiline,
        max_length=max_length,
        initial_value=initial or None,
    )


def _options(pairs: Iterable[tuple[str, str]]) -> list[Option]:
    return [Option(value=value, text=clip(text, 75)) for value, text in pairs]


def _picked(options: list[Option], values) -> list[Option]:
    chosen = set(values or ())
    return [option for option in options if option.value in chosen]


def _contact_input(given: Referral, editing: bool) -> list:
    """How the resident would like to hear who will contact them (GOV.UK Notify)."""
    options = _options(CONTACT_CHOICES.items())
    chosen = given.contact_by or (CONTACT_NONE if editing else None)
    initial = next((option for option in options if option.value == chosen), None)
    return [
        _input(
            Block.HEAR_BY,
            "How should the resident hear who will contact them?",
            RadioButtonsElement(action_id=Act.INPUT, options=options, initial_option=initial),
            optional=True,
            hint="One message when a provider accepts, and one check-in if nobody has been in "
            "touch by the promised date. Left blank: a text to a mobile, else an e-mail.",
        )
    ]


def referral_modal(
    network: Network,
    *,
    organisation: str = "",
    draft: Referral | None = None,
    messages: bool = False,
) -> dict[str, Any]:
    """The referral form; ``draft`` fills it in again when the adviser goes back to edit.
    ``messages``: the network sends residents messages, so the form asks how."""
    services = _options(network.services.items())[:100]
    urgencies = _options(URGENCIES.items())
    bands = _options((band, band) for band in AGE_BANDS)
    given = draft or Referral(
        needs=(),
        name="",
        phone=None,
        email=None,
        district=None,
        age_band=None,
        language=None,
        access_needs=None,
        urgency=URGENCY_DEFAULT,
        context="",
        organisation=organisation,
    )
    chosen_needs = _picked(services, given.needs)
    chosen_band = _picked(bands, [given.age_band])
    chosen_urgency = _picked(urgencies, [given.urgency]) or urgencies[:1]
    consent = Option(value="yes", text="The resident has agreed to this referral")
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"Refer a resident to the right provider in *{escape(network.network.name)}*. "
                "The provider's channel sees the needs, area, urgency and context; "
                "the name and contact details go only to the worker who accepts."
            )
        ),
        _input(
            Block.NEEDS,
            "What does the resident need?",
            StaticMultiSelectElement(
                action_id=Act.INPUT,
                placeholder="Choose one or more",
                options=services,
                initial_options=chosen_needs or None,
            ),
        ),
        _input(Block.NAME, "Resident's name", _text(max_length=200, initial=given.name)),
        _input(
            Block.PHONE,
            "Phone",
            _text("07911 123456", max_length=32, initial=given.phone),
            optional=True,
            hint="A UK number. Give a phone number or an e-mail address, or both.",
        ),
        _input(
            Block.EMAIL,
            "E-mail",
            _text("name@example.org", max_length=254, initial=given.email),
            optional=True,
        ),
        *(_contact_input(given, draft is not None) if messages else ()),
        _input(
            Block.DISTRICT,
            "Postcode district",
            _text("NW1", max_length=10, initial=given.district),
            optional=True,
            hint="Just the first half of the postcode: it decides which providers cover them.",
        ),
        _input(
            Block.AGE_BAND,
            "Age band",
            StaticSelectElement(
                action_id=Act.INPUT,
                placeholder="Choose",
                options=bands,
                initial_option=chosen_band[0] if chosen_band else None,
            ),
            optional=True,
        ),
        _input(
            Block.LANGUAGE,
            "Preferred language",
            _text("e.g. English, Bengali, Somali", max_length=64, initial=given.language),
            optional=True,
        ),
        _input(
            Block.ACCESS_NEEDS,
            "Access needs",
            _text(multiline=True, max_length=600, initial=given.access_needs),
            optional=True,
            hint="Only what the provider needs to meet the resident well. "
            "Shared only with the worker who accepts.",
        ),
        *_circumstances_input(network, given.circumstances),
        _input(
            Block.URGENCY,
            "Urgency",
            RadioButtonsElement(
                action_id=Act.INPUT, options=urgencies, initial_option=chosen_urgency[0]
            ),
        ),
        _input(
            Block.CONTEXT,
            "Short context for the provider",
            _text(multiline=True, max_length=CONTEXT_LIMIT, initial=given.context),
            optional=True,
            hint="The provider's whole channel sees this: no names, addresses, dates of birth "
            "or health details here.",
        ),
        _input(
            Block.ORGANISATION,
            "Your organisation",
            _text("e.g. Kentish Town Job Club", max_length=120, initial=given.organisation),
            optional=True,
        ),
        _input(
            Block.CONSENT,
            "Consent",
            CheckboxesElement(
                action_id=Act.INPUT,
                options=[consent],
                initial_options=[consent] if draft is not None and draft.consent else None,
            ),
            hint=consent_text(messages),
        ),
    ]
    view = View(
        type="modal",
        callback_id=Callback.NEW_HANDOVER,
        title=PlainTextObject(text="New handover"),
        submit=PlainTextObject(text="Next"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )
    return view.to_dict()


CIRCUMSTANCES_HINT = (
    "Optional: tick what the resident told you. Some providers take only residents in one of "
    "these circumstances. A provider is told only which of its own criteria the resident meets."
)


def _circumstances_input(network: Network, chosen: Iterable[str]) -> list:
    """The optional question of which circumstances apply: checkboxes, or a menu when the
    network lists more than Slack's ten checkboxes."""
    options = _options(network.circumstance_labels.items())
    if not options:
        return []
    picked = _picked(options, chosen) or None
    if len(options) <= 10:
        element = CheckboxesElement(action_id=Act.INPUT, options=options, initial_options=picked)
    else:
        element = StaticMultiSelectElement(
            action_id=Act.INPUT,
            placeholder="Choose any that apply",
            options=options[:100],
            initial_options=picked,
        )
    return [
        _input(
            Block.CIRCUMSTANCES,
            "Which of these apply to the resident?",
            element,
            optional=True,
            hint=CIRCUMSTANCES_HINT,
        )
    ]


def line_of_words(text: str, limit: int = 75) -> str:
    """Text for a line Slack cuts at ``limit``: whole words only, never cut mid-word."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"


def _card_modal(
    handover: Handover,
    provider_id: str,
    *,
    callback: Callback,
    title: str,
    submit: str,
    blocks: list,
) -> dict[str, Any]:
    """A modal opened from a provider's card; it remembers which handover and which card."""
    view = View(
        type="modal",
        callback_id=callback,
        private_metadata=ModalMeta(h=handover.id, p=provider_id).dump(),
        title=PlainTextObject(text=title),
        submit=PlainTextObject(text=submit),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )
    return view.to_dict()


def _choice_with_note(choice: Block, label: str, options: dict, note: Block, note_label: str):
    return [
        _input(
            choice,
            label,
            RadioButtonsElement(action_id=Act.INPUT, options=_options(options.items())),
        ),
        _input(
            note,
            note_label,
            _text(multiline=True, max_length=500),
            optional=True,
            hint="Required for 'Other'. No personal details.",
        ),
    ]


def _intro(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def accept_modal(handover: Handover, *, provider_id: str, default_date: date) -> dict[str, Any]:
    return _card_modal(
        handover,
        provider_id,
        callback=Callback.ACCEPT,
        title=f"Accept {handover.ref}",
        submit="Accept",
        blocks=[
            _intro(
                "You become the named worker for this resident. Their name and contact "
                "details are shown to you next, and only to you."
            ),
            _input(
                Block.CONTACT_BY,
                "First contact by",
                DatePickerElement(action_id=Act.INPUT, initial_date=default_date.isoformat()),
                hint="The adviser is told this date; the bot reminds you if it passes.",
            ),
        ],
    )


def decline_modal(handover: Handover, *, provider_id: str) -> dict[str, Any]:
    return _card_modal(
        handover,
        provider_id,
        callback=Callback.DECLINE,
        title=f"Decline {handover.ref}",
        submit="Decline",
        blocks=[
            _intro(
                "The handover goes straight on to the next provider that fits, and the "
                "adviser is told your reason."
            ),
            *_choice_with_note(
                Block.REASON,
                "Reason",
                DECLINE_REASONS,
                Block.REASON_NOTE,
                "Anything the adviser should know",
            ),
        ],
    )


def outcome_modal(handover: Handover, *, provider_id: str) -> dict[str, Any]:
    return _card_modal(
        handover,
        provider_id,
        callback=Callback.OUTCOME,
        title=f"Outcome {handover.ref}",
        submit="Record",
        blocks=_choice_with_note(
            Block.OUTCOME, "What happened?", OUTCOMES, Block.OUTCOME_NOTE, "Note"
        ),
    )


def refer_button_modal() -> dict[str, Any]:
    """Where a coordinator posts a Refer a resident button (a Slack Connect channel, say)."""
    view = View(
        type="modal",
        callback_id=Callback.REFER_BUTTON,
        title=PlainTextObject(text="Refer button"),
        submit=PlainTextObject(text="Post"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text="People from other organisations' workspaces in a shared channel "
                    "cannot use `/handover`, but can press the app's buttons: post a "
                    "*Refer a resident* button there and anyone can refer through it."
                )
            ),
            InputBlock(
                block_id=Block.REFER_CHANNEL,
                label=PlainTextObject(text="Channel"),
                element=ConversationSelectElement(
                    action_id=Act.INPUT, placeholder="Choose a channel the bot is in"
                ),
                hint=PlainTextObject(text="Invite the bot to the channel first."),
            ),
        ],
    )
    return view.to_dict()


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """A modal that only tells (the answer to a submission)."""
    view = View(
        type="modal",
        callback_id=Callback.DONE,
        title=PlainTextObject(text=clip(title, 24)),
        close=PlainTextObject(text="Close"),
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )
    return view.to_dict()


def resident_blocks(handover: Handover, resident: Resident | None, timezone: str) -> list:
    """The resident's details, for the accepting worker's eyes only."""
    if resident is None or resident.erased_at is not None:
        return [SectionBlock(text=MarkdownTextObject(text="_The resident's details were erased._"))]
    fields = [
        MarkdownTextObject(text=f"*Name*\n{escape(resident.name)}"),
        MarkdownTextObject(text=f"*Phone*\n{escape(resident.phone) or '—'}"),
        MarkdownTextObject(text=f"*E-mail*\n{escape(resident.email) or '—'}"),
        MarkdownTextObject(text=f"*Language*\n{escape(handover.language) or '—'}"),
    ]
    blocks = [SectionBlock(fields=fields)]
    if resident.access_needs:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f"*Access needs*\n{escape(resident.access_needs)}")
            )
        )
    blocks += [
        DividerBlock(),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"*Consent* recorded by <@{handover.consent_by}> on "
                    f"{when(handover.consent_at, timezone)}: {escape(handover.consent_text)}"
                )
            ]
        ),
    ]
    return blocks


def accepted_modal(handover: Handover, resident: Resident | None, timezone: str) -> dict:
    view = View(
        type="modal",
        callback_id=Callback.DONE,
        title=PlainTextObject(text=f"{handover.ref} accepted"),
        close=PlainTextObject(text="Done"),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"You are the named worker. First contact by "
                    f"*{day(handover.promised_contact_by)}*. These details are also in your DM "
                    "with the bot."
                )
            ),
            *resident_blocks(handover, resident, timezone),
        ],
    )
    return view.to_dict()


def choice_modal(
    referral: Referral,
    suggestions: Suggestions,
    network: Network,
    *,
    earlier: Sequence[Earlier] = (),
    again: bool = False,
) -> dict:
    """Step two of a referral: the adviser sees who fits and why, then chooses or lets the
    network decide. Pushed over the form, so 'Back' returns to it with nothing lost.

    ``earlier``: the resident's open handovers; the adviser is told before anything is sent
    and chooses to send anyway or stop (``again``: one appeared after they pressed Next)."""
    needs = ", ".join(network.service_label(n) for n in referral.needs)
    facts = " · ".join(
        x
        for x in (
            referral.district,
            referral.age_band,
            referral.language,
            *(network.circumstance_label(key) for key in referral.circumstances),
        )
        if x
    )
    blocks: list = [_intro(f"*{escape(needs)}*" + (f" · {escape(facts)}" if facts else ""))]
    labels = network.services
    options: list[Option] = []
    if suggestions.candidates:
        best = suggestions.candidates[0]
        options.append(
            Option(
                value="network",
                text="Let the network decide (recommended)",
                description=clip(f"Now: {best.provider.name}", 75),
            )
        )
        for candidate in suggestions.candidates:
            options.append(
                Option(
                    value=f"provider:{candidate.provider.id}",
                    text=clip(candidate.provider.name, 75),
                    description=line_of_words(candidate.reason),
                )
            )
    else:
        blocks.append(
            _intro(
                "No provider in the network fits this referral now, so it will go to the "
                "coordinators, who route it by hand."
            )
        )
        options.append(Option(value="network", text="Send it to the coordinators"))
    if suggestions.split is not None:
        plan = "; ".join(
            f"{', '.join(labels.get(n, n) for n in part_needs)} → {part.provider.name}"
            for part_needs, part in suggestions.split.parts
        )
        options.append(
            Option(
                value="split",
                text=clip("Split: one handover per provider", 75),
                description=clip(plan, 75),
            )
        )
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"No single provider covers every need. Split sends: {escape(plan)}"
                    )
                ]
            )
        )
    blocks.insert(
        1,
        _input(
            Block.DESTINATION,
            "Where should it go?",
            RadioButtonsElement(action_id=Act.INPUT, options=options, initial_option=options[0]),
        ),
    )
    blocks.append(
        ActionsBlock(
            elements=[ButtonElement(text="Change the details", action_id=Act.EDIT_REFERRAL)]
        )
    )
    if suggestions.excluded:
        left_out = "; ".join(
            f"{escape(provider.name)} ({escape(reason)})"
            for provider, reason in suggestions.excluded
        )
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=clip(f"Not suggested: {left_out}", 2000))]
            )
        )
    if earlier:
        blocks[:0] = duplicate_blocks(earlier, network, again=again)
    view = View(
        type="modal",
        callback_id=Callback.CHOOSE,
        private_metadata=dump_referral(referral),
        title=PlainTextObject(text="Where it goes"),
        submit=PlainTextObject(text="Send"),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
    )
    return view.to_dict()
