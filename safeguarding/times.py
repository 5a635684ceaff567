"""Times of day as people in England type them, and the rule that a record can't be in the future.

A Hub officer recording when the Panel was told types "9.40am", "9:40", "09:40", "9.40",
"21:40", "9pm" or "9.40 pm": all mean a time, and all are read. Without am or pm a time is on
the 24-hour clock ("9.40" is 09:40, "21:40" is 21:40). Pure functions: the caller passes the
partnership's local "now" (from the turn), never the clock.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Final

from safeguarding.errors import InvalidInput

EXAMPLES: Final = "for example 9.40am, 09:40 or 21:40"

_TIME: Final = re.compile(
    r"""^\s*
    (?P<hour>\d{1,2})
    (?:\s*[.:h]\s*(?P<minute>\d{2}))?
    \s*(?P<half>a\.?\s*m\.?|p\.?\s*m\.?)?
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)
_WORDS: Final = {"noon": time(12, 0), "midday": time(12, 0), "midnight": time(0, 0)}


def parse_time_of_day(raw: str) -> time:
    """``raw`` as a time of day, or ``InvalidInput`` saying what is wrong and what works."""
    text = raw.strip().lower()
    if text in _WORDS:
        return _WORDS[text]
    compact = re.fullmatch(r"(\d{2})(\d{2})", text)  # "0940", as on a 24-hour clock
    match = _TIME.match(f"{compact.group(1)}:{compact.group(2)}" if compact else text)
    if match is None:
        raise InvalidInput(f"I couldn't read '{raw.strip()}' as a time: {EXAMPLES}.")
    hour = int(match.group("hour"))
    minute = int(match.group("minute") or 0)
    half = (match.group("half") or "").replace(".", "").replace(" ", "")
    if match.group("minute") is None and not half:
        raise InvalidInput(
            f"'{raw.strip()}' needs minutes or am/pm to be a time: {EXAMPLES}, or 9pm."
        )
    if minute > 59:
        raise InvalidInput(f"'{raw.strip()}' has {minute} minutes: an hour has 60. {EXAMPLES}.")
    if half:
        if not 1 <= hour <= 12:
            raise InvalidInput(
                f"'{raw.strip()}' is not a time: with am or pm the hour is 1 to 12 ({EXAMPLES})."
            )
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif hour > 23:
        raise InvalidInput(f"'{raw.strip()}' is not a time: the hour is 0 to 23 ({EXAMPLES}).")
    return time(hour, minute)


def format_time_of_day(moment: time) -> str:
    """The 24-hour form the assistant shows and stores: "09:40"."""
    return f"{moment.hour:02d}:{moment.minute:02d}"


def check_not_future(day: date, moment: time | None, *, now: datetime, what: str) -> None:
    """Refuse a date (and time) later than ``now``, the partnership's local time of the turn.

    ``what`` names the event in the refusal: "The Panel can't have been notified ...".
    """
    local = now.replace(tzinfo=None)
    if day > local.date():
        raise InvalidInput(f"{what} can't be in the future: check the date.")
    if moment is not None and datetime.combine(day, moment) > local:
        raise InvalidInput(
            f"{what} can't be in the future: {format_time_of_day(moment)} today is later than "
            f"now ({format_time_of_day(local.time())}). Check the time."
        )


def at_time(local: datetime, *, today: date) -> str:
    """When something happened, for a receipt: "at 09:41", or "at 09:41 on Wednesday 25
    November 2026" when it was not today (``local`` is the partnership's local time)."""
    clock = format_time_of_day(local.time())
    if local.date() == today:
        return f"at {clock}"
    return f"at {clock} on {local.strftime('%A')} {local.day} {local.strftime('%B %Y')}"
