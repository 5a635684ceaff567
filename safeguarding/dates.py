"""Reading dates typed by people in chat.

Professionals in England write dates day-first (23/12/2026); systems write ISO (2026-12-23).
Both are accepted, and anything ambiguous or impossible is refused with examples rather than
guessed, because a wrong awareness date silently moves every statutory deadline.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from safeguarding.errors import InvalidInput

# Bank-holiday data is only meaningful for a bounded range; beyond it a date is a typo.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

ACCEPTED_FORMATS = "23/12/2026, 2026-12-23, 23 December 2026, 23 Dec 2026, today or yesterday"

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_WORDS = re.compile(r"^(?:[a-z]+day\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$")


def parse_user_date(text: str, *, today: date) -> date:
    """The date a person meant, or ``InvalidInput`` naming the formats we accept."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned == "today":
        return today
    if cleaned == "yesterday":
        return today - timedelta(days=1)
    if match := _ISO.match(cleaned):
        year, month, day = (int(g) for g in match.groups())
    elif match := _DAY_FIRST.match(cleaned):
        day, month, year = (int(g) for g in match.groups())
    elif (match := _WORDS.match(cleaned)) and match.group(2) in _MONTHS:
        day, month, year = int(match.group(1)), _MONTHS[match.group(2)], int(match.group(3))
    else:
        # What was typed is never repeated back: in a channel it could be a child's name.
        raise InvalidInput(f"I couldn't read that as a date. Try one of: {ACCEPTED_FORMATS}.")
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise InvalidInput(
            "That date is outside the years I can work with "
            f"({EARLIEST_YEAR}-{LATEST_YEAR}). Check the year."
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(
            "That is not a real date (check the day and month). "
            f"Dates are day first, for example {ACCEPTED_FORMATS}."
        ) from None
