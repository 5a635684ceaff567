"""The working-day calendar every statutory clock is counted on.

Working Together 2023 sets most review deadlines in *working days*, and what a working day is
depends on the partnership's nation: Scotland's 2 January or Northern Ireland's 12 July are
ordinary days in England. So the calendar is an object built from configuration (country,
subdivision, timezone) and passed in to the clocks, never a global, and it never reads the
system clock: callers pass the dates in, which keeps every deadline a pure, testable function.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from safeguarding.errors import InvalidInput

_ONE_DAY = timedelta(days=1)
_SATURDAY = 5  # date.weekday(): Monday is 0, so Saturday and Sunday are 5 and 6


class CountingConvention(StrEnum):
    """Which day a working-day clock counts as day 1.

    domain.md: the day of awareness is never counted, whether or not it is a working day. Some
    local procedures count the start day itself when it is a working day, so the convention is
    configuration with the national reading as its default.
    """

    EXCLUDE_START = "exclude_start"
    INCLUDE_START = "include_start"


class WorkingDayCalendar:
    """Weekends and the bank holidays of one nation, with the arithmetic the clocks need.

    Bank holidays come from the ``holidays`` package, which includes substitute days (Boxing
    Day 2026 falls on a Saturday, so Monday 28 December 2026 is the bank holiday). Years are
    loaded lazily and cached, because a case can run for years and no one can list in advance
    which years a clock will touch.
    """

    def __init__(
        self,
        *,
        country: str = "UK",
        subdivision: str | None = "ENG",
        timezone: str = "Europe/London",
    ) -> None:
        try:
            self.timezone: ZoneInfo = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInput(f"'{timezone}' is not a time zone this assistant knows.") from exc
        try:
            # An empty year list checks the country and subdivision without computing anything.
            probe = holidays.country_holidays(country, subdiv=subdivision, years=())
        except NotImplementedError as exc:
            where = f"{country}/{subdivision}" if subdivision else country
            raise InvalidInput(f"There is no bank holiday calendar for '{where}'.") from exc
        self._country = country
        self._subdivision = subdivision
        self.region_label: str = _region_label(country, subdivision, probe)
        self._years: dict[int, holidays.HolidayBase] = {}

    def __repr__(self) -> str:
        return (
            f"WorkingDayCalendar(country={self._country!r}, subdivision={self._subdivision!r}, "
            f"timezone={self.timezone.key!r})"
        )

    def _holidays_in(self, year: int) -> holidays.HolidayBase:
        # Populating one year yields every holiday dated in that year, including a substitute
        # day moved in from a neighbouring year, so a per-year cache keyed on the date's year
        # is complete.
        found = self._years.get(year)
        if found is None:
            found = holidays.country_holidays(
                self._country, subdiv=self._subdivision, years=year, expand=False
            )
            self._years[year] = found
        return found

    def holiday_name(self, day: date) -> str | None:
        """The bank holiday's name, in the words of GOV.UK ("substitute day", not "observed")."""
        name = self._holidays_in(day.year).get(day)
        if name is None:
            return None
        return str(name).replace("(observed)", "(substitute day)")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < _SATURDAY and day not in self._holidays_in(day.year)

    def next_working_day(self, day: date) -> date:
        day += _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def previous_working_day(self, day: date) -> date:
        day -= _ONE_DAY
        while not self.is_working_day(day):
            day -= _ONE_DAY
        return day

    def add_working_days(
        self,
        start: date,
        n: int,
        convention: CountingConvention = CountingConvention.EXCLUDE_START,
    ) -> date:
        """The nth working day after ``start`` (or the |n|th before it when n is negative).

        Counting backwards serves "at least 7 working days before publication" (Working
        Together 2023 ch.5): the publication day is the start and is not counted either.
        Under INCLUDE_START the start day is day 1 when it is a working day, in either
        direction.
        """
        if n == 0:
            return start
        step = self.next_working_day if n > 0 else self.previous_working_day
        remaining = abs(n)
        day = start
        if convention is CountingConvention.INCLUDE_START and self.is_working_day(start):
            remaining -= 1
        while remaining > 0:
            day = step(day)
            remaining -= 1
        return day

    def count_working_days(self, start: date, end: date) -> int:
        """How many working days lie between two dates, signed, never counting ``start``.

        Forwards that is the working days in (start, end]; backwards it is minus the working
        days in [end, start). Both leave the start out, as the default convention does, so
        ``add_working_days(start, count_working_days(start, end))`` lands on ``end`` whenever
        ``end`` is a working day, in either direction.
        """
        if end >= start:
            return sum(1 for day in _days(start + _ONE_DAY, end) if self.is_working_day(day))
        return -sum(1 for day in _days(end, start - _ONE_DAY) if self.is_working_day(day))

    def skipped_holidays(self, start: date, end: date) -> list[tuple[date, str]]:
        """The bank holidays that took a working day away between two dates, both included.

        Only holidays on a weekday are listed: one on a weekend (Boxing Day, Saturday 26
        December 2026) skipped nothing that the weekend had not already skipped, and naming it
        would confuse the explanation. The order of the arguments does not matter.
        """
        low, high = min(start, end), max(start, end)
        skipped: list[tuple[date, str]] = []
        for day in _days(low, high):
            if day.weekday() < _SATURDAY:
                name = self.holiday_name(day)
                if name is not None:
                    skipped.append((day, name))
        return skipped

    def local_date(self, moment: datetime) -> date:
        """The calendar date of an instant where the partnership is.

        Teams reports times in UTC; a message sent at 00:30 BST on 1 June is 31 May in UTC,
        and the clocks must start on the day the practitioner lived through. A naive datetime
        has no defined instant, so it is refused rather than guessed.
        """
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise InvalidInput("A time without a time zone cannot be placed on the calendar.")
        return moment.astimezone(self.timezone).date()


def _days(first: date, last: date) -> Iterator[date]:
    """Every date from ``first`` to ``last``, both included (none when last < first)."""
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _region_label(country: str, subdivision: str | None, probe: holidays.HolidayBase) -> str:
    """A name for the nation to use in explanations ("England bank holidays")."""
    if subdivision is None:
        return country
    aliases: dict[str, str] = getattr(type(probe), "subdivisions_aliases", {})
    for name, code in aliases.items():
        if code == subdivision.upper():
            return name
    # Already a name (holidays accepts "England"), or a code with no alias.
    return subdivision
