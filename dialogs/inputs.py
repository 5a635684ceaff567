"""Reading a form's inputs as the text to keep, whatever the client sent."""

from __future__ import annotations

from collections.abc import Mapping

from safeguarding.errors import InvalidInput


def text_in(values: Mapping[str, object], key: str) -> str:
    """A form input as the raw text to keep: "" when absent, toggles as "true"/"false"."""
    value = values.get(key)
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    if not isinstance(value, str):
        raise InvalidInput("That card sent something I couldn't read. Please try again.")
    return value.strip()


def flag(raw: str) -> bool:
    """A toggle's kept answer ("true" or "false") as a bool."""
    return raw.lower() == "true"
