"""The referral an adviser fills in, checked before anything is stored or sent."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from bot.directory.network import Network
from bot.errors import InvalidInput
from bot.handover.matching import AGE_BANDS
from bot.ids import Block
from storage.models import Urgency

CONSENT_TEXT = (
    "The resident agreed that their name, contact details and the details in this referral "
    "may be shared with the receiving provider for this referral."
)
# When the network messages residents (GOV.UK Notify), consent covers those messages too.
CONSENT_MESSAGES = (
    " They also agreed that the network may send them a text message or an e-mail, as chosen "
    "on this form, saying who will contact them and by when, and one check-in if nobody has."
)

# How the resident hears from the network about this referral.
CONTACT_SMS = "sms"
CONTACT_EMAIL = "email"
CONTACT_NONE = "none"
CONTACT_CHOICES = {
    CONTACT_SMS: "Text message",
    CONTACT_EMAIL: "E-mail",
    CONTACT_NONE: "Not at all",
}


def consent_text(messages: bool) -> str:
    """What the resident agrees to: sharing, and the messages when the network sends any."""
    return CONSENT_TEXT + (CONSENT_MESSAGES if messages else "")


CONTEXT_LIMIT = 500
# The form's own limits (bot/blocks/modals.py), checked again for what comes back through
# Slack in the second step's private_metadata.
LIMITS = {
    Block.NAME: 200,
    Block.LANGUAGE: 64,
    Block.ACCESS_NEEDS: 600,
    Block.ORGANISATION: 120,
}
_OUTWARD = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(\d[A-Z]{2})?$")


@dataclass(frozen=True)
class ReferralForm:
    """What the modal held, as typed (strings and lists, nothing trusted)."""

    needs: list[str]
    name: str = ""
    phone: str = ""
    email: str = ""
    district: str = ""
    age_band: str = ""
    language: str = ""
    access_needs: str = ""
    urgency: str = Urgency.ROUTINE
    context: str = ""
    organisation: str = ""
    consent: bool = False
    # Keys of the network's circumstances the adviser ticked.
    circumstances: list[str] = field(default_factory=list)
    # How the resident wants to hear from the network ("" when left to the default).
    contact_by: str = ""


@dataclass(frozen=True)
class Referral:
    """A referral that passed every check, normalised."""

    needs: tuple[str, ...]
    name: str
    phone: str | None
    email: str | None
    district: str | None
    age_band: str | None
    language: str | None
    access_needs: str | None
    urgency: Urgency
    context: str
    organisation: str
    # The resident agreed to CONSENT_TEXT: without it nothing is stored or sent, by any path.
    consent: bool = False
    # Which of the network's circumstances apply: special category data, stored encrypted.
    circumstances: tuple[str, ...] = ()
    # How the resident hears from the network: "sms", "email", or None (not at all, or the
    # network sends residents no messages).
    contact_by: str | None = None


NO_CONSENT = (
    "Nothing was sent: the resident's consent is not recorded on this referral. "
    "Start again with /handover, ask the resident, and tick the consent box."
)


def check_referral(form: ReferralForm, network: Network, *, messages: bool = False) -> Referral:
    """Every problem at once, each under its own field, so the adviser fixes them in one go.
    ``messages``: the network sends residents messages, so the form asked how."""
    errors: dict[str, str] = {}
    needs = tuple(dict.fromkeys(need for need in form.needs if need))
    unknown = [need for need in needs if need not in network.services]
    if not needs:
        errors[Block.NEEDS] = "Choose at least one need."
    elif unknown:
        errors[Block.NEEDS] = "Choose needs from the list (the network's services changed)."

    circumstances = tuple(dict.fromkeys(key for key in form.circumstances if key))
    if any(key not in network.circumstances for key in circumstances):
        errors[Block.CIRCUMSTANCES] = (
            "Choose from the list (the network's circumstances changed): nothing was sent."
        )

    name = " ".join(form.name.split())
    if not name:
        errors[Block.NAME] = "Enter the resident's name, so the provider can find them."

    phone = _phone(form.phone, errors)
    email = _email(form.email, errors)
    if not phone and not email and Block.PHONE not in errors and Block.EMAIL not in errors:
        errors[Block.PHONE] = "Give a phone number or an e-mail address (at least one)."

    contact_by = _contact_by(form, phone, email, errors) if messages else None
    district = _district(form.district, errors)
    if form.age_band and form.age_band not in AGE_BANDS:
        errors[Block.AGE_BAND] = "Choose an age band from the list."
    try:
        urgency = Urgency(form.urgency or Urgency.ROUTINE)
    except ValueError:
        errors[Block.URGENCY] = "Choose how urgent this is."
        urgency = Urgency.ROUTINE
    context = form.context.strip()
    if len(context) > CONTEXT_LIMIT:
        errors[Block.CONTEXT] = f"Keep the context to {CONTEXT_LIMIT} characters or fewer."
    for block, limit in LIMITS.items():
        if len(getattr(form, block)) > limit:
            errors[block] = f"Keep this to {limit} characters or fewer."
    if not form.consent:
        errors[Block.CONSENT] = (
            "The resident's consent is needed before anything is shared. "
            "Ask them, then tick the box."
        )
    if errors:
        raise InvalidInput(errors)
    return Referral(
        needs=needs,
        name=name,
        phone=phone,
        email=email,
        district=district,
        age_band=form.age_band or None,
        language=form.language.strip() or None,
        access_needs=form.access_needs.strip() or None,
        urgency=urgency,
        context=context,
        organisation=" ".join(form.organisation.split()),
        consent=True,
        circumstances=circumstances,
        contact_by=contact_by,
    )


def is_mobile(phone: str | None) -> bool:
    """Whether a (checked, UK) number can take a text message."""
    if not phone:
        return False
    number = phonenumbers.parse(phone, "GB")
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def _contact_by(
    form: ReferralForm, phone: str | None, email: str | None, errors: dict[str, str]
) -> str | None:
    """The resident's choice, or the default: a text to a mobile, else an e-mail, else none."""
    chosen = form.contact_by.strip()
    if chosen and chosen not in CONTACT_CHOICES:
        errors[Block.HEAR_BY] = "Choose how the resident would like to hear from us."
        return None
    if not chosen:
        return CONTACT_SMS if is_mobile(phone) else (CONTACT_EMAIL if email else None)
    if chosen == CONTACT_SMS:
        if Block.PHONE in errors:
            return None
        if not phone:
            errors[Block.HEAR_BY] = "Give a mobile number above to send a text message."
        elif not is_mobile(phone):
            errors[Block.HEAR_BY] = (
                "That number is a landline, which cannot take a text message: give a mobile, "
                "or choose e-mail or not at all."
            )
        return CONTACT_SMS
    if chosen == CONTACT_EMAIL:
        if not email and Block.EMAIL not in errors:
            errors[Block.HEAR_BY] = "Give an e-mail address above to send an e-mail."
        return CONTACT_EMAIL
    return None


def _phone(text: str, errors: dict[str, str]) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number) or number.country_code != 44:
        errors[Block.PHONE] = "That is not a UK phone number (for example 07911 123456)."
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _email(text: str, errors: dict[str, str]) -> str | None:
    text = text.strip()
    if not text:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        errors[Block.EMAIL] = "That is not an e-mail address (for example name@example.org)."
        return None


def _district(text: str, errors: dict[str, str]) -> str | None:
    """Keep only the postcode district: a full postcode is more than the provider needs."""
    compact = text.replace(" ", "").upper()
    if not compact:
        return None
    match = _OUTWARD.match(compact)
    if not match:
        errors[Block.DISTRICT] = "Enter a postcode district such as NW1 (or leave it empty)."
        return None
    return match.group(1)
