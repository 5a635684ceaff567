"""The working-day calendar every statutory clock is counted on.

Working Together 2023 sets most review deadlines in *working days*, and what a working day is
depends on the partnership's nation: Scotland's 2 January or Northern Ireland's 12 July are
ordinary days in England. So the calendar is an object built from configuration (country,
subdivision, timezone) and passed in to the clocks, never a global, and it never reads the
system clock: callers pass the dates in, which keeps every deadline a pure, testable function.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
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

    The arithmetic does not walk day by day: the working days of every year loaded so far are
    kept as one sorted list of day ordinals, so "the 20th working day after" is a binary
    search and an index, and "how many working days between" is two binary searches. The
    reminder sweep and every case card compute thousands of deadlines, so this matters.
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
        # Working days of the years first_year..last_year, as sorted ordinals and as a set.
        self._first_year = 0
        self._last_year = -1
        self._ordinals: list[int] = []
        self._working: set[int] = set()

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
        self._cover(day.year, day.year)
        return day.toordinal() in self._working

    def next_working_day(self, day: date) -> date:
        self._cover(day.year, day.year + 1)
        return date.fromordinal(self._ordinals[bisect_right(self._ordinals, day.toordinal())])

    def previous_working_day(self, day: date) -> date:
        self._cover(day.year - 1, day.year)
        return date.fromordinal(self._ordinals[bisect_left(self._ordinals, day.toordinal()) - 1])

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
        remaining = abs(n)
        if convention is CountingConvention.INCLUDE_START and self.is_working_day(start):
            remaining -= 1
            if remaining == 0:
                return start
        ordinal = start.toordinal()
        # About 250 working days a year: load enough years for the answer, then index.
        years = remaining // 240 + 1
        if n > 0:
            self._cover(start.year, start.year + years)
            while True:
                index = bisect_right(self._ordinals, ordinal) + remaining - 1
                if index < len(self._ordinals):
                    return date.fromordinal(self._ordinals[index])
                self._cover(self._first_year, self._last_year + 1)
        self._cover(start.year - years, start.year)
        while True:
            index = bisect_left(self._ordinals, ordinal) - remaining
            if index >= 0:
                return date.fromordinal(self._ordinals[index])
            self._cover(self._first_year - 1, self._last_year)

    def count_working_days(self, start: date, end: date) -> int:
        """How many working days lie between two dates, signed, never counting ``start``.

        Forwards that is the working days in (start, end]; backwards it is minus the working
        days in [end, start). Both leave the start out, as the default convention does, so
        ``add_working_days(start, count_working_days(start, end))`` lands on ``end`` whenever
        ``end`` is a working day, in either direction.
        """
        low, high = min(start, end), max(start, end)
        self._cover(low.year, high.year)
        ordinals = self._ordinals
        if end >= start:
            return bisect_right(ordinals, end.toordinal()) - bisect_right(
                ordinals, start.toordinal()
            )
        return -(bisect_left(ordinals, start.toordinal()) - bisect_left(ordinals, end.toordinal()))

    def _cover(self, first: int, last: int) -> None:
        """Make sure the working days of the years ``first``..``last`` are loaded."""
        first, last = max(first, date.min.year), min(last, date.max.year)
        if self._first_year <= first and last <= self._last_year:
            return
        if self._last_year < self._first_year:  # nothing loaded yet
            self._first_year, self._last_year = first, first - 1
        added: list[int] = []
        for year in range(min(first, self._first_year), max(last, self._last_year) + 1):
            if not self._first_year <= year <= self._last_year:
                added += self._working_days_in(year)
        self._first_year = min(first, self._first_year)
        self._last_year = max(last, self._last_year)
        self._working.update(added)
        self._ordinals = sorted(self._working)

    def _working_days_in(self, year: int) -> list[int]:
        bank_holidays = self._holidays_in(year)
        return [
            day.toordinal()
            for day in _days(date(year, 1, 1), date(year, 12, 31))
            if day.weekday() < _SATURDAY and day not in bank_holidays
        ]

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
