"""Errors that carry a sentence meant for a person.

The one error handler in ``handlers/errors.py`` turns a ``DomainError`` into a
message where the user is (an inline modal error, an ephemeral reply); a
``ConfigError`` becomes one sentence at start-up.
"""


class ConfigError(Exception):
    """Settings or the network file are unusable; the message says what to fix."""


class DomainError(Exception):
    """A request the bot understood but will not carry out. ``str(self)`` is user-facing."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        # The modal input (block_id) the message belongs to, when there is one.
        self.field = field


class NotFound(DomainError):
    pass


class Refused(DomainError):
    """The actor has no right to do this."""


class Conflict(DomainError):
    """The handover moved on before this change could apply (double click, race, stale card)."""


class InvalidInput(DomainError):
    """Input that fails validation; ``errors`` maps modal block ids to messages."""

    def __init__(self, errors: dict[str, str]):
        first = next(iter(errors.values()), "That input is not valid.")
        super().__init__(first, field=next(iter(errors), None))
        self.errors = errors
