"""Reading the values a card sends back: a button's data, or a form's inputs.

A client can send anything, so each reader checks what it gets and refuses with a short
``InvalidInput`` the person can act on, rather than failing further in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from safeguarding.errors import InvalidInput
from safeguarding.reference import CaseReference


def reference_in(data: Mapping[str, Any]) -> CaseReference:
    """The case a button is for."""
    raw = data.get("reference")
    if not isinstance(raw, str):
        raise InvalidInput("That button didn't say which case it is for.")
    return CaseReference.parse(raw)


def date_in(data: Mapping[str, Any], key: str, what: str) -> date:
    """A date picker's value; ``what`` names it in the refusal ("the date the Panel was …")."""
    raw = data.get(key)
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise InvalidInput(f"Please choose {what} with the date picker.") from None


def number_in(data: Mapping[str, Any]) -> int:
    """The difference of opinion a button is for (its number on the case)."""
    number = data.get("number")
    if isinstance(number, bool) or not isinstance(number, int):
        raise InvalidInput("That button didn't say which difference of opinion it is for.")
    return number


def round_in(data: Mapping[str, Any]) -> int:
    """The round of the CSPR Group vote a card is for."""
    raw = data.get("round")
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise InvalidInput("That card didn't say which round of the vote it is for.")
    return int(raw)


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
