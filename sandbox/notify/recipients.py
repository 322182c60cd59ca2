"""Recipients as Notify judges them: UK mobile numbers and e-mail addresses.

Notify checks a phone number twice. Its request schema refuses what is not a phone number
at all (``ValidationError``, "phone_number Not enough digits"); then the service's
permissions refuse a UK landline (``InvalidPhoneError``, "Not a UK mobile number") and any
number abroad (``BadRequestError``, "Cannot send to international mobile numbers"). A
service here has neither the landline nor the international permission, as by default.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType, ValidationResult

from .errors import NotifyError, bad_request

UK_COUNTRY_CODE = 44
_ALLOWED_CHARACTERS = set("0123456789()-+")
_ACCEPTED_TYPES = {
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.UAN,
    PhoneNumberType.PERSONAL_NUMBER,
}
_LANDLINE_TYPES = {
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.FIXED_LINE_OR_MOBILE,
    PhoneNumberType.UAN,
}
# Notify's messages in the v2 API, by the kind of fault.
# Notify writes this one with an en dash.
INVALID_NUMBER = "Number is not valid \u2013 double check the phone number you entered"
TOO_LONG = "Too many digits"
TOO_SHORT = "Not enough digits"
NOT_A_UK_MOBILE = "Not a UK mobile number"
UNKNOWN_CHARACTER = "Must not contain letters or symbols"
BAD_COUNTRY_PREFIX = "Not a valid country prefix"
INVALID_EMAIL = "Not a valid email address"


class _Invalid(ValueError):
    pass


def phone_format_problem(text: str) -> str | None:
    """Why Notify's schema refuses ``text`` as a phone number, or None."""
    try:
        _parse(text)
    except _Invalid as fault:
        return str(fault)
    return None


def check_sms_recipient(text: str) -> str:
    """Notify's normalised form (``447700900123``) of a number it would text; else raises.

    Call after ``phone_format_problem`` found nothing.
    """
    number = _parse(text)
    if number.country_code != UK_COUNTRY_CODE:
        raise bad_request("Cannot send to international mobile numbers")
    if phonenumbers.number_type(number) in _LANDLINE_TYPES:
        raise NotifyError(400, "InvalidPhoneError", NOT_A_UK_MOBILE)
    return f"{number.country_code}{number.national_number}"


def normalise_phone(text: str) -> str:
    """The same number however it is written; the text itself if it is no number."""
    try:
        number = _parse(text)
    except _Invalid:
        return "".join(ch for ch in text if ch.isdigit()) or text
    return f"{number.country_code}{number.national_number}"


def _parse(text: str) -> phonenumbers.PhoneNumber:
    try:
        return _parse_strictly(text)
    except _Invalid:
        # Spreadsheets mangle numbers ("+07700900123", "0+44..."); Notify gives them a
        # second chance with the pluses and leading zeros taken off.
        return _parse_strictly(text.replace("+", "").lstrip("0"))


def _parse_strictly(text: str) -> phonenumbers.PhoneNumber:
    if any(not ch.isspace() and ch not in _ALLOWED_CHARACTERS for ch in text):
        raise _Invalid(UNKNOWN_CHARACTER)
    if not text.strip():
        raise _Invalid(TOO_SHORT)
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        raise _Invalid(INVALID_NUMBER) from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != ValidationResult.IS_POSSIBLE:
        number = _as_international(text) or _refuse(reason)
    kind = phonenumbers.number_type(number)
    if not (phonenumbers.is_valid_number(number) and kind in _ACCEPTED_TYPES):
        # Ofcom keeps 07700 900000-900999 for drama; libphonenumber calls them invalid and
        # Notify lets the 07700 prefix through (here only at a mobile's full length).
        national = str(number.national_number)
        if not (national.startswith("7700") and len(national) == 10):
            raise _Invalid(INVALID_NUMBER)
    return number


def _as_international(text: str) -> phonenumbers.PhoneNumber | None:
    """A number whose leading + a spreadsheet dropped, e.g. 4915112345678."""
    try:
        number = phonenumbers.parse(f"+{text.strip()}")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def _refuse(reason: int):
    if reason == ValidationResult.TOO_LONG:
        raise _Invalid(TOO_LONG)
    if reason in (ValidationResult.TOO_SHORT, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise _Invalid(TOO_SHORT)
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        raise _Invalid(BAD_COUNTRY_PREFIX)
    raise _Invalid(INVALID_NUMBER)


# Notify is stricter than the RFC about the local part (no quotes, no semicolons), so that
# its e-mail provider never fails on an address it accepted.
_EMAIL = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@([^.@][^@\s]+)$")
_HOST_PART = re.compile(r"^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$", re.IGNORECASE)
_TOP_LEVEL = re.compile(r"^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$", re.IGNORECASE)
_INVISIBLE = dict.fromkeys(map(ord, "\u180e\u200b\u200c\u200d\u2060\ufeff"))


def email_problem(text: str) -> str | None:
    """Notify's message if it would refuse ``text`` as an e-mail address, else None."""
    address = text.translate(_INVISIBLE).strip()
    match = _EMAIL.match(address)
    if not match or len(address) > 320 or ".." in address:
        return INVALID_EMAIL
    try:
        host = match.group(1).encode("idna").decode("ascii")
    except UnicodeError:
        return INVALID_EMAIL
    parts = host.split(".")
    if len(host) > 253 or len(parts) < 2:
        return INVALID_EMAIL
    if any(not part or len(part) > 63 or not _HOST_PART.match(part) for part in parts):
        return INVALID_EMAIL
    return None if _TOP_LEVEL.match(parts[-1]) else INVALID_EMAIL


def normalise_email(text: str) -> str:
    return text.translate(_INVISIBLE).strip().lower()


def normalise(kind: str, to: str) -> str:
    return normalise_phone(to) if kind == "sms" else normalise_email(to)
