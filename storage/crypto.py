"""Residents' personal details, encrypted at rest with keys from the environment.

The keys (``HANDOVER_DATA_KEYS``: comma-separated Fernet keys, newest first) belong to the
engine: ``attach(engine, keys)`` puts a ``MultiFernet`` on the engine's dialect, and the
``EncryptedText`` columns find it there. The first key encrypts; every key decrypts, so a new
key goes in front and ``rotate`` re-encrypts what the older ones wrote. An engine with no keys
refuses to read or write those columns: nothing is ever stored in plaintext by mistake.

    python -m storage.crypto new-key   # print a new key
    python -m storage.crypto rotate    # re-encrypt every resident with the first key

The same keys give the blind index its key (``storage.blind``): ``attach`` derives it too, and
``rotate`` rewrites every resident's index under the first key (migration 0014 cannot: it
runs without the keys' plaintext, so residents stored before it are indexed by ``rotate``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, TypeDecorator, text
from sqlalchemy.engine import Connection, Engine

from storage.blind import Identity, MatchKeys

# The resident table's encrypted columns as migration 0006 found them (it encrypts these).
RESIDENT_COLUMNS = ("name", "phone", "email", "access_needs")
# Every encrypted column of the resident table today: rotate() re-encrypts these. The
# circumstances (migration 0013) are special category data, like the access needs.
ROTATED_COLUMNS = (*RESIDENT_COLUMNS, "circumstances")

_ATTRIBUTE = "handover_data_cipher"
_KEYS_ATTRIBUTE = "_handover_data_keys"
_MATCH_ATTRIBUTE = "handover_match_keys"
HOW_TO_MAKE = "run `python -m storage.crypto new-key` to make one"


class DataKeyError(RuntimeError):
    """The data keys are missing, malformed, or not the ones the data was encrypted with."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def parse_keys(keys: str | Iterable[str] | None) -> list[str]:
    """``"k1, k2"`` or ``["k1", "k2"]`` as a list of keys, blanks dropped."""
    if keys is None:
        return []
    if isinstance(keys, str):
        keys = keys.split(",")
    return [key.strip() for key in keys if key and key.strip()]


def make_cipher(keys: str | Iterable[str] | None) -> MultiFernet:
    """A MultiFernet of these keys (newest first), or DataKeyError in one sentence."""
    parsed = parse_keys(keys)
    if not parsed:
        raise DataKeyError(f"No data key was given; {HOW_TO_MAKE}.")
    fernets = []
    for position, key in enumerate(parsed, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise DataKeyError(
                f"Key {position} of {len(parsed)} is not a Fernet key (44 characters of "
                f"url-safe base64); {HOW_TO_MAKE}."
            ) from None
    return MultiFernet(fernets)


def attach(engine: Engine, keys: str | Iterable[str] | None) -> Engine:
    """Give this engine the keys its EncryptedText columns use; returns the engine."""
    setattr(engine.dialect, _ATTRIBUTE, make_cipher(keys))
    setattr(engine.dialect, _MATCH_ATTRIBUTE, MatchKeys(parse_keys(keys)))
    setattr(engine.dialect, _KEYS_ATTRIBUTE, parse_keys(keys))
    return engine


def keys_of(engine: Engine) -> list[str]:
    """The data keys given to this engine (newest first), for keys derived from them:
    the signing keys of providers' page links (bot/byemail/links.py)."""
    cipher_of(engine)
    return list(getattr(engine.dialect, _KEYS_ATTRIBUTE))


def cipher_of(dialect_or_bind) -> MultiFernet:
    dialect = getattr(dialect_or_bind, "dialect", dialect_or_bind)
    cipher = getattr(dialect, _ATTRIBUTE, None)
    if cipher is None:
        raise DataKeyError(
            "This database engine has no data keys, so residents' details can be neither "
            "stored nor read: pass HANDOVER_DATA_KEYS to make_engine (or storage.crypto.attach)."
        )
    return cipher


def match_keys_of(dialect_or_bind) -> MatchKeys:
    """The blind index's keys of this engine (or DataKeyError, as for the details)."""
    cipher_of(dialect_or_bind)
    dialect = getattr(dialect_or_bind, "dialect", dialect_or_bind)
    return getattr(dialect, _MATCH_ATTRIBUTE)


def decrypt(cipher: MultiFernet, token: str) -> str:
    try:
        return cipher.decrypt(token.encode()).decode()
    except InvalidToken:
        raise DataKeyError(
            "A resident's details cannot be decrypted with HANDOVER_DATA_KEYS: the key they "
            "were encrypted with is not among them (or the data was changed)."
        ) from None


class EncryptedText(TypeDecorator):
    """Text stored as a Fernet token; read back as the text. ``None`` stays ``None``."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return cipher_of(dialect).encrypt(str(value).encode()).decode()

    def process_result_value(self, value: str | None, dialect) -> str | None:
        if value is None:
            return None
        return decrypt(cipher_of(dialect), value)


def encrypt_plaintext_rows(connection: Connection) -> int:
    """Encrypt every resident row still in plaintext (migration 0006); returns how many."""
    rows = _resident_rows(connection)
    if not rows:
        return 0
    cipher = cipher_of(connection)
    for handover_id, *values in rows:
        encrypted = [None if v is None else cipher.encrypt(v.encode()).decode() for v in values]
        _update(connection, handover_id, encrypted)
    return len(rows)


def decrypt_rows(connection: Connection) -> int:
    """Back to plaintext (migration 0006's downgrade); returns how many rows."""
    rows = _resident_rows(connection)
    if not rows:
        return 0
    cipher = cipher_of(connection)
    for handover_id, *values in rows:
        plain = [None if v is None else decrypt(cipher, v) for v in values]
        _update(connection, handover_id, plain)
    return len(rows)


def rotate(connection: Connection) -> int:
    """Re-encrypt every resident row with the first key; returns how many rows.

    After this the older keys can be dropped from HANDOVER_DATA_KEYS. Run it in a
    transaction (``with engine.begin() as connection``): all rows or none.
    """
    cipher = cipher_of(connection)
    rows = _resident_rows(connection, ROTATED_COLUMNS)
    for handover_id, *values in rows:
        rotated = []
        for value in values:
            if value is None:
                rotated.append(None)
                continue
            try:
                rotated.append(cipher.rotate(value.encode()).decode())
            except InvalidToken:
                decrypt(cipher, value)  # raises the one-sentence DataKeyError
        _update(connection, handover_id, rotated, ROTATED_COLUMNS)
    reindex(connection)
    return len(rows)


def reindex(connection: Connection) -> int:
    """Write every resident's blind index under the first key; returns how many rows.

    Erased residents hold no details and get no index, so nothing can match them.
    """
    cipher, keys = cipher_of(connection), match_keys_of(connection)
    rows = list(connection.execute(text("SELECT handover_id, name, phone, email FROM resident")))
    for handover_id, *tokens in rows:
        name, phone, email = (None if t is None else decrypt(cipher, t) for t in tokens)
        columns = keys.columns(Identity.of(name=name, phone=phone, email=email))
        connection.execute(
            text(
                "UPDATE resident SET match_phone = :match_phone, match_email = :match_email "
                "WHERE handover_id = :handover_id"
            ),
            {"handover_id": handover_id, **columns},
        )
    return len(rows)


def _resident_rows(connection: Connection, names: tuple[str, ...] = RESIDENT_COLUMNS) -> list:
    columns = ", ".join(names)
    # Raw text, not the model: these are the stored tokens, not the decrypted values.
    return list(connection.execute(text(f"SELECT handover_id, {columns} FROM resident")))


def _update(
    connection: Connection,
    handover_id: int,
    values: list[str | None],
    names: tuple[str, ...] = RESIDENT_COLUMNS,
) -> None:
    assignments = ", ".join(f"{column} = :{column}" for column in names)
    connection.execute(
        text(f"UPDATE resident SET {assignments} WHERE handover_id = :handover_id"),
        {"handover_id": handover_id, **dict(zip(names, values, strict=True))},
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["new-key"]:
        print(new_key())
        return 0
    if argv == ["rotate"]:
        from dotenv import find_dotenv, load_dotenv

        from storage.db import make_engine

        load_dotenv(find_dotenv(usecwd=True))
        url = os.environ.get("DATABASE_URL") or "sqlite:///handover.db"
        try:
            engine = make_engine(url, data_keys=os.environ.get("HANDOVER_DATA_KEYS", ""))
            with engine.begin() as connection:
                count = rotate(connection)
        except DataKeyError as error:
            print(f"Cannot rotate: {error}", file=sys.stderr)
            return 2
        print(
            f"Re-encrypted {count} residents' details, and rewrote their blind index, with "
            "the first key of HANDOVER_DATA_KEYS."
        )
        return 0
    print("usage: python -m storage.crypto new-key | rotate", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
