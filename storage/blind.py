"""The blind index of residents: "is this the same resident?" answered without their details.

A resident's details are encrypted with a random IV, so the database cannot compare them.
Beside them each resident row keeps two keyed hashes, one per identifier pair:

    match_phone = HMAC-SHA256(key, "phone" | name | phone in E.164)
    match_email = HMAC-SHA256(key, "email" | name | e-mail)

so "the same name and the same phone or e-mail" is an index lookup on either column. The key
is derived (HKDF-SHA256) from a data key of ``HANDOVER_DATA_KEYS``, never stored, and never
printed: without it the columns cannot be recomputed from a guessed name and number, so they
cannot be used to look a resident up (a plain hash of a name and a phone number could be, by
trying every number). Values are written under the first key; they are looked up under every
key, so a match still works between putting a new key first and running
``python -m storage.crypto rotate``, which rewrites them under the new one.

Normalisation, so that the ways people type the same thing give the same value:

- the name: Unicode-normalised (NFKC), accents on Latin letters stripped, case-folded,
  whitespace collapsed. "Zoë" and "Zoe", "JOSÉ" and "jose" are one name: advisers type on
  keyboards with and without accents, and the phone or e-mail that must match too keeps two
  different people apart. Marks of other scripts (Devanagari vowel signs, Arabic vowels) are
  part of the letters there and are kept.
- the phone: E.164, read as a UK number (the referral form accepts only those), so
  "07700 900123" and "+447700900123" are one number.
- the e-mail: stripped and lower-cased.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

# Changing this (or the normalisation) changes every value: run ``storage.crypto rotate``.
_INFO = b"warm-handover resident blind index v1"
_SEP = "\x1f"  # the unit separator: no name, number or address contains it
_LATIN_ACCENTS = range(0x0300, 0x0370)  # Unicode's "Combining Diacritical Marks" block


def normalise_name(name: str | None) -> str:
    decomposed = unicodedata.normalize("NFKD", name or "")
    bare = "".join(ch for ch in decomposed if ord(ch) not in _LATIN_ACCENTS)
    return " ".join(unicodedata.normalize("NFC", bare).casefold().split())


def normalise_phone(phone: str | None) -> str:
    """E.164 (``+447700900123``), or "" for no number or one that is not a number."""
    text = (phone or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


class MatchKey:
    """One derived key. Its repr and str say nothing of it, so it never reaches a log."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes):
        self._secret = secret

    def __repr__(self) -> str:
        return "MatchKey(<hidden>)"

    __str__ = __repr__

    def digest(self, *parts: str) -> str:
        message = _SEP.join(parts).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def derive(data_key: str) -> MatchKey:
    """The blind index key of one Fernet data key (HKDF-SHA256 of its 32 bytes)."""
    material = base64.urlsafe_b64decode(data_key.encode())
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO)
    return MatchKey(hkdf.derive(material))


@dataclass(frozen=True)
class Identity:
    """What the blind index is computed from, normalised."""

    name: str
    phone: str
    email: str

    @classmethod
    def of(cls, *, name: str | None, phone: str | None, email: str | None) -> Identity:
        return cls(normalise_name(name), normalise_phone(phone), normalise_email(email))

    def is_same(self, other: Identity) -> bool:
        """The same resident: the same name, and the same phone or the same e-mail."""
        if not self.name or other.name != self.name:
            return False
        return bool(self.phone and other.phone == self.phone) or bool(
            self.email and other.email == self.email
        )

    def values(self, key: MatchKey) -> tuple[str | None, str | None]:
        """(match_phone, match_email) under ``key``; None where there is nothing to match."""
        if not self.name:
            return None, None
        by_phone = key.digest("phone", self.name, self.phone) if self.phone else None
        by_email = key.digest("email", self.name, self.email) if self.email else None
        return by_phone, by_email


class MatchKeys:
    """The derived keys of ``HANDOVER_DATA_KEYS``, newest first: the first writes."""

    def __init__(self, data_keys: Iterable[str]):
        self._keys = [derive(key) for key in data_keys]

    def __repr__(self) -> str:
        return f"MatchKeys(<{len(self._keys)} hidden>)"

    def columns(self, identity: Identity) -> dict[str, str | None]:
        """The values to store on the resident row."""
        by_phone, by_email = identity.values(self._keys[0])
        return {"match_phone": by_phone, "match_email": by_email}

    def lookups(self, identity: Identity) -> tuple[list[str], list[str]]:
        """Every value the same resident's row may hold (one per key), by phone and by e-mail."""
        phones: list[str] = []
        emails: list[str] = []
        for key in self._keys:
            by_phone, by_email = identity.values(key)
            if by_phone:
                phones.append(by_phone)
            if by_email:
                emails.append(by_email)
        return phones, emails
