"""What the dashboard and the Board read off the clocks: urgency, quarters, time to the Panel.

Everything here is derived from the case clocks (``case_clocks``) and the working-day
calendar, so a chart can never disagree with the case card: a corrected awareness date moves
a case's bar, its quarter and its days to the Panel together. Pure: the caller passes today.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Case
from safeguarding.case_clocks import CaseClock, ClockStatus
from safeguarding.clocks import ClockId

# "Due soon": within this many working days (the dashboard's amber). The first reminder goes
# 3 working days before a deadline (REMINDER_DAYS_BEFORE), so amber and the reminder agree.
SOON_WORKING_DAYS: Final = 3


class Urgency(StrEnum):
    """How a clock stands for someone scanning forty cases: the colour of its bar."""

    OVERDUE = "overdue"  # red: past its due day and not met
    SOON = "soon"  # amber: due today or within SOON_WORKING_DAYS working days
    ON_TRACK = "on_track"  # running, with time left
    DONE = "done"  # met, met late, stopped or waived: nothing left to do

    @property
    def label(self) -> str:
        return _URGENCY_LABELS[self]


_URGENCY_LABELS: Final = {
    Urgency.OVERDUE: "Overdue",
    Urgency.SOON: "Due soon",
    Urgency.ON_TRACK: "On track",
    Urgency.DONE: "Done",
}


def urgency(
    clock: CaseClock,
    *,
    today: date,
    calendar: WorkingDayCalendar,
    soon: int = SOON_WORKING_DAYS,
) -> Urgency:
    if not clock.status.is_open:
        return Urgency.DONE
    if clock.status is ClockStatus.OVERDUE:
        return Urgency.OVERDUE
    if clock.deadline.working_days_left(today, calendar) <= soon:
        return Urgency.SOON
    return Urgency.ON_TRACK


def most_urgent(urgencies: Iterable[Urgency]) -> Urgency:
    """The worst of a case's clocks (a case with no running clock is done)."""
    order = (Urgency.OVERDUE, Urgency.SOON, Urgency.ON_TRACK)
    found = set(urgencies)
    return next((u for u in order if u in found), Urgency.DONE)


# -- quarters -------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, as the Board's reports name it ("Oct to Dec 2026")."""

    year: int
    number: int  # 1..4

    @property
    def label(self) -> str:
        first, last = _QUARTER_MONTHS[self.number - 1]
        return f"{first} to {last} {self.year}"

    @property
    def key(self) -> str:
        return f"{self.year}-Q{self.number}"

    def following(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )


_QUARTER_MONTHS: Final = (("Jan", "Mar"), ("Apr", "Jun"), ("Jul", "Sep"), ("Oct", "Dec"))


def quarter_of(day: date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


@dataclass(frozen=True)
class QuarterTally:
    quarter: Quarter
    met: int  # met on or before the due day
    missed: int  # met late, or past due and still not met


def clocks_kept(clocks: Iterable[CaseClock], *, today: date) -> list[QuarterTally]:
    """Clocks met and missed, by the quarter their due day fell in; every quarter from the
    first to the last that has one, so a quarter with none still shows (as zero).

    Only clocks whose outcome is known count: a running clock is neither met nor missed yet,
    and a stopped or waived one was never due.
    """
    met: dict[Quarter, int] = {}
    missed: dict[Quarter, int] = {}
    for clock in clocks:
        quarter = quarter_of(clock.deadline.due)
        if clock.status is ClockStatus.MET:
            met[quarter] = met.get(quarter, 0) + 1
        elif clock.status is ClockStatus.MET_LATE or (
            clock.status is ClockStatus.OVERDUE and today > clock.deadline.due
        ):
            missed[quarter] = missed.get(quarter, 0) + 1
    seen = set(met) | set(missed)
    if not seen:
        return []
    tallies: list[QuarterTally] = []
    quarter, last = min(seen), max(seen)
    while quarter <= last:
        tallies.append(QuarterTally(quarter, met.get(quarter, 0), missed.get(quarter, 0)))
        quarter = quarter.following()
    return tallies


# -- time from awareness to the Panel -------------------------------------------------------


@dataclass(frozen=True)
class Elapsed:
    """Working days from awareness to a step; ``done`` False: the step is still to come and
    ``days`` is how long it has been so far."""

    days: int
    done: bool
    target: int


@dataclass(frozen=True)
class TimeToPanel:
    reference: str
    aware_on: date
    notification: Elapsed | None  # None: the case has no Panel notification clock
    rapid_review: Elapsed | None


def time_to_panel(
    case: Case, clocks: Sequence[CaseClock], *, today: date, calendar: WorkingDayCalendar
) -> TimeToPanel | None:
    """Working days from the partners' awareness to the Panel notification and to the rapid
    review reaching the Panel (targets: 5 and 15 working days, Working Together 2023 ch.5).

    ``None`` for a case neither clock applies to (one that never needed the Panel).
    """

    def elapsed(clock_id: ClockId) -> Elapsed | None:
        clock = next((c for c in clocks if c.rule.id == clock_id and not c.subject), None)
        if clock is None or clock.status in {ClockStatus.WAIVED, ClockStatus.STOPPED}:
            return None
        target = clock.rule.length
        if clock.met_on is not None:
            return Elapsed(calendar.count_working_days(case.aware_on, clock.met_on), True, target)
        return Elapsed(max(0, calendar.count_working_days(case.aware_on, today)), False, target)

    notification = elapsed(ClockId.PANEL_NOTIFICATION)
    rapid_review = elapsed(ClockId.RAPID_REVIEW)
    if notification is None and rapid_review is None:
        return None
    return TimeToPanel(str(case.reference), case.aware_on, notification, rapid_review)


# -- open actions by agency and age ---------------------------------------------------------


@dataclass(frozen=True)
class AgeBand:
    label: str
    from_days: int
    to_days: int | None  # exclusive; None: no upper bound


AGE_BANDS: Final = (
    AgeBand("Under 1 month", 0, 31),
    AgeBand("1 to 3 months", 31, 92),
    AgeBand("3 to 6 months", 92, 183),
    AgeBand("Over 6 months", 183, None),
)


@dataclass(frozen=True)
class OpenAction:
    """An action of an action plan that is not done yet: whose, and since when."""

    agency: str
    opened_on: date


@dataclass(frozen=True)
class AgencyAges:
    agency: str
    counts: tuple[int, ...]  # one per AGE_BANDS entry

    @property
    def total(self) -> int:
        return sum(self.counts)


def actions_by_agency_and_age(actions: Iterable[OpenAction], *, today: date) -> list[AgencyAges]:
    """Open actions per agency, split into age bands (calendar days since the action was
    agreed), busiest agency first."""
    counts: dict[str, list[int]] = {}
    for action in actions:
        age = max(0, (today - action.opened_on).days)
        band = next(
            i
            for i, b in enumerate(AGE_BANDS)
            if b.from_days <= age and (b.to_days is None or age < b.to_days)
        )
        counts.setdefault(action.agency or "No agency named", [0] * len(AGE_BANDS))[band] += 1
    rows = [AgencyAges(agency, tuple(c)) for agency, c in counts.items()]
    return sorted(rows, key=lambda r: (-r.total, r.agency.casefold()))
