"""The domain's exceptions, described in one place.

Every error the domain raises carries a ``user_message``: plain English that the bot can show
to a professional as it is, without leaking internals. Anything that is *not* a
``DomainError`` is a bug and is reported with a correlation id instead.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the process was broken; the message is safe to show to the user."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class InvalidInput(DomainError):
    """A value given by a user cannot be accepted (an impossible date, an unknown reference)."""


class IllegalTransition(DomainError):
    """A case was asked to move to a stage the process does not allow from where it is."""


class NotFound(DomainError):
    """A case or record that the user named does not exist (or is not theirs to see)."""


class ConcurrencyConflict(DomainError):
    """Someone else changed the same record first; the caller may reload and retry."""
