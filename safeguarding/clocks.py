"""The statutory clocks of a child safeguarding practice review, as data, and their deadlines.

The clocks are a table rather than code because partnerships set some of them locally (the
partnership's CSPR procedure gives agencies 5 working days for a rapid review report; others
give 7), and because each deadline the assistant shows must say which rule produced it
(domain.md). A deadline is derived from an event date and the working-day calendar, never
stored by hand, so re-deriving it gives the same answer (architecture.md).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.errors import InvalidInput


class ClockId(StrEnum):
    PANEL_NOTIFICATION = "panel_notification"
    AGENCY_REPORTS = "agency_reports"
    RAPID_REVIEW = "rapid_review"
    PANEL_RESPONSE = "panel_response"
    LOCAL_REVIEW = "local_review"
    NATIONAL_REVIEW = "national_review"
    LEARNING_REVIEW = "learning_review"
    REPORT_COPY = "report_copy"
    PUBLISHED_LOCAL = "published_local"
    PUBLISHED_NATIONAL = "published_national"
    CARE_LEAVER_DEATH = "care_leaver_death"
    LOOKED_AFTER_DEATH = "looked_after_death"


class ClockTrigger(StrEnum):
    """The recorded event whose date starts a clock."""

    AWARENESS = "awareness"
    AGENCY_REQUEST = "agency_request"
    PANEL_RECEIPT = "panel_receipt"
    REVIEW_DECISION = "review_decision"
    PUBLICATION = "publication"
    # The day the council learned of the death of a care leaver or a looked-after child. It is
    # the same recorded date as awareness, kept apart so the general "deadlines from
    # awareness" (the ``clock`` command) lists only what every serious incident starts.
    DEATH_AWARENESS = "death_awareness"


class ClockUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_MONTHS = "calendar_months"
    YEARS = "years"


class Direction(StrEnum):
    """AFTER for "within N", BEFORE for "no later than N before" (the report copy)."""

    AFTER = "after"
    BEFORE = "before"


# How each trigger reads in a rule ("5 working days after the partners become aware") and in an
# explanation of one case's date ("..., the day the partners became aware").
_TRIGGER_IN_RULE: Final[Mapping[ClockTrigger, str]] = {
    ClockTrigger.AWARENESS: "the partners become aware",
    ClockTrigger.AGENCY_REQUEST: "the Hub asks the agency for its report",
    ClockTrigger.PANEL_RECEIPT: "the Panel receives the rapid review",
    ClockTrigger.REVIEW_DECISION: "the decision to start the review",
    ClockTrigger.PUBLICATION: "publication",
    ClockTrigger.DEATH_AWARENESS: "the council becomes aware of the death",
}
_TRIGGER_DAY: Final[Mapping[ClockTrigger, str]] = {
    ClockTrigger.AWARENESS: "the day the partners became aware",
    ClockTrigger.AGENCY_REQUEST: "the day the Hub asked the agency for its report",
    ClockTrigger.PANEL_RECEIPT: "the day the Panel received the rapid review",
    ClockTrigger.REVIEW_DECISION: "the day of the decision to start the review",
    ClockTrigger.PUBLICATION: "the publication date",
    ClockTrigger.DEATH_AWARENESS: "the day the council became aware of the death",
}
_UNIT_WORDS: Final[Mapping[ClockUnit, tuple[str, str]]] = {
    ClockUnit.WORKING_DAYS: ("working day", "working days"),
    ClockUnit.CALENDAR_MONTHS: ("calendar month", "calendar months"),
    ClockUnit.YEARS: ("year", "years"),
}


@dataclass(frozen=True)
class ClockRule:
    """One row of the clocks table: who must do what, by when, and on whose authority."""

    id: ClockId
    title: str
    trigger: ClockTrigger
    length: int
    unit: ClockUnit
    direction: Direction
    owner: str
    source: str
    note: str
    statutory: bool

    def __post_init__(self) -> None:
        # A clock of zero or fewer units would make the deadline the event day itself or
        # earlier, which no rule in Working Together means; it is a configuration mistake.
        if isinstance(self.length, bool) or not isinstance(self.length, int) or self.length < 1:
            raise InvalidInput(
                f"The clock '{self.title}' needs a length of at least 1 "
                f"{_UNIT_WORDS[self.unit][0]}; {self.length!r} was given."
            )

    def describe(self) -> str:
        # A backward clock and a publication period are minimums, not limits.
        minimum = self.direction is Direction.BEFORE or self.unit is ClockUnit.YEARS
        return (
            f"{'at least ' if minimum else ''}{_quantity(self.length, self.unit)} "
            f"{self.direction.value} {_TRIGGER_IN_RULE[self.trigger]}"
        )


_WT2023: Final = "Working Together to Safeguard Children 2023, chapter 5"
_PROCEDURE: Final = "the partnership's CSPR procedure"
_REGULATIONS: Final = (
    "the Child Safeguarding Practice Review and Relevant Agency (England) Regulations 2018"
)
_PARTNERS: Final = "The safeguarding partners (council, health and police)"
_PANEL: Final = "The national Child Safeguarding Practice Review Panel"
# A local learning review is lighter than a CSPR; the partnership sets its own target
# (``CLOCK_LENGTHS={"learning_review": n}``), 3 calendar months unless it does.
LEARNING_REVIEW_MONTHS: Final = 3

# domain.md "The statutory clocks", in the order a case meets them.
STATUTORY_CLOCKS: Final[tuple[ClockRule, ...]] = (
    ClockRule(
        id=ClockId.PANEL_NOTIFICATION,
        title="Notify the Panel",
        trigger=ClockTrigger.AWARENESS,
        length=5,
        unit=ClockUnit.WORKING_DAYS,
        direction=Direction.AFTER,
        owner="The council, on behalf of the safeguarding partners",
        source=f"Children Act 2004, section 16C; {_WT2023}; {_PROCEDURE}",
        note="Must not be delayed by internal discussion",
        statutory=True,
    ),
    ClockRule(
        id=ClockId.AGENCY_REPORTS,
        title="Agency report for the rapid review",
        trigger=ClockTrigger.AGENCY_REQUEST,
        length=5,
        unit=ClockUnit.WORKING_DAYS,
        direction=Direction.AFTER,
        owner="Each agency the Hub asks for a report",
        source="The partnership's CSPR procedure (a local rule)",
        note="A local rule: the partnership may set a different length",
        statutory=False,
    ),
    ClockRule(
        id=ClockId.RAPID_REVIEW,
        title="Rapid review to the Panel",
        trigger=ClockTrigger.AWARENESS,
        length=15,
        unit=ClockUnit.WORKING_DAYS,
        direction=Direction.AFTER,
        owner=_PARTNERS,
        source=f"{_WT2023}; {_PROCEDURE}",
        note="The rapid review and the partners' decision both go to the Panel",
        statutory=True,
    ),
    ClockRule(
        id=ClockId.PANEL_RESPONSE,
        title="Panel's answer to the rapid review",
        trigger=ClockTrigger.PANEL_RECEIPT,
        length=15,
        unit=ClockUnit.WORKING_DAYS,
        direction=Direction.AFTER,
        owner=_PANEL,
        source=f"The Panel's practice guidance; {_PROCEDURE}",
        note="The Panel's own target, tracked so the Hub can chase",
        statutory=False,
    ),
    ClockRule(
        id=ClockId.LOCAL_REVIEW,
        title="Complete the local CSPR",
        trigger=ClockTrigger.REVIEW_DECISION,
        length=6,
        unit=ClockUnit.CALENDAR_MONTHS,
        direction=Direction.AFTER,
        owner=_PARTNERS,
        source=f"{_WT2023}; {_REGULATIONS}; {_PROCEDURE}",
        note="Partners monitor time and quality along the way",
        statutory=True,
    ),
    ClockRule(
        id=ClockId.NATIONAL_REVIEW,
        title="Complete the national review",
        trigger=ClockTrigger.REVIEW_DECISION,
        length=6,
        unit=ClockUnit.CALENDAR_MONTHS,
        direction=Direction.AFTER,
        owner=_PANEL,
        source=f"{_WT2023}; {_REGULATIONS}; {_PROCEDURE}",
        note="The national review's findings feed the local action plan",
        statutory=True,
    ),
    ClockRule(
        id=ClockId.LEARNING_REVIEW,
        title="Complete the local learning review",
        trigger=ClockTrigger.REVIEW_DECISION,
        length=LEARNING_REVIEW_MONTHS,
        unit=ClockUnit.CALENDAR_MONTHS,
        direction=Direction.AFTER,
        owner="CSPR Group",
        source="The partnership's own target (local rule): the procedure sets no timescale "
        "for a local learning review",
        note="A local rule: the partnership may set a different length",
        statutory=False,
    ),
    ClockRule(
        id=ClockId.REPORT_COPY,
        title="Send the final report to the Panel, Secretary of State and Ofsted",
        trigger=ClockTrigger.PUBLICATION,
        length=7,
        unit=ClockUnit.WORKING_DAYS,
        direction=Direction.BEFORE,
        owner=_PARTNERS,
        source=f"{_REGULATIONS}; {_WT2023}; {_PROCEDURE}",
        note="Counts backwards: the due date is the latest day the copy may be sent",
        statutory=True,
    ),
    ClockRule(
        id=ClockId.PUBLISHED_LOCAL,
        title="Local review report stays published",
        trigger=ClockTrigger.PUBLICATION,
        length=1,
        unit=ClockUnit.YEARS,
        direction=Direction.AFTER,
        owner=_PARTNERS,
        source=f"{_WT2023}; {_PROCEDURE}",
        note="The earliest date the report (or the improvements it requires) may come down",
        statutory=True,
    ),
    ClockRule(
        id=ClockId.PUBLISHED_NATIONAL,
        title="National review report stays published",
        trigger=ClockTrigger.PUBLICATION,
        length=3,
        unit=ClockUnit.YEARS,
        direction=Direction.AFTER,
        owner=_PANEL,
        source=f"{_WT2023}; {_PROCEDURE}",
        note="The earliest date the report (or the improvements it requires) may come down",
        statutory=True,
    ),
    ClockRule(
        id=ClockId.CARE_LEAVER_DEATH,
        title="Notify the Secretary of State and Ofsted (death of a care leaver)",
        trigger=ClockTrigger.DEATH_AWARENESS,
        length=5,
        unit=ClockUnit.WORKING_DAYS,
        direction=Direction.AFTER,
        owner="The council, on behalf of the safeguarding partners",
        source=f"{_WT2023}: the death of a care leaver up to and including the age of 24 is "
        "notified to the Secretary of State and Ofsted, as a serious incident is",
        note="Whether or not abuse or neglect is known or suspected; no rapid review unless "
        "the serious-case definition is met for a child under 18",
        statutory=True,
    ),
    ClockRule(
        id=ClockId.LOOKED_AFTER_DEATH,
        title="Notify the Secretary of State and Ofsted (death of a looked-after child)",
        trigger=ClockTrigger.DEATH_AWARENESS,
        length=5,
        unit=ClockUnit.WORKING_DAYS,
        direction=Direction.AFTER,
        owner="The council, on behalf of the safeguarding partners",
        source=f"{_WT2023}; Care Planning, Placement and Case Review (England) Regulations "
        "2010: the death of a looked-after child is notified to the Secretary of State and "
        "Ofsted",
        note="Whether or not abuse or neglect is known or suspected; a serious case is also "
        "notified to the Panel",
        statutory=True,
    ),
)


def clock_rule(clock_id: ClockId, table: Sequence[ClockRule] = STATUTORY_CLOCKS) -> ClockRule:
    for rule in table:
        if rule.id == clock_id:
            return rule
    raise InvalidInput(f"This partnership's clock table has no clock '{clock_id}'.")


def clock_table(overrides: Mapping[ClockId, int] | None = None) -> tuple[ClockRule, ...]:
    """The clocks with a partnership's own lengths, which are configuration, not code.

    Only local rules (agency reports, the Panel's own target) may change: the lengths set in
    law are not a partnership's to loosen, so overriding one is refused. An overridden rule
    says so in its ``source``, so an explanation never cites the national length for a local
    choice.
    """
    overrides = overrides or {}
    unknown = set(overrides) - {rule.id for rule in STATUTORY_CLOCKS}
    if unknown:
        names = ", ".join(sorted(str(clock_id) for clock_id in unknown))
        raise InvalidInput(f"Unknown clock(s) in the local settings: {names}.")
    fixed = sorted(
        str(rule.id)
        for rule in STATUTORY_CLOCKS
        if rule.statutory and rule.id in overrides and overrides[rule.id] != rule.length
    )
    if fixed:
        raise InvalidInput(
            f"These clocks are set in law and cannot be changed locally: {', '.join(fixed)}."
        )
    table: list[ClockRule] = []
    for rule in STATUTORY_CLOCKS:
        length = overrides.get(rule.id)
        if length is None or length == rule.length:
            table.append(rule)
            continue
        # replace() runs ClockRule's own check, so a zero or negative length is refused here.
        table.append(
            dataclasses.replace(
                rule,
                length=length,
                source=f"{rule.source}; set locally to {_quantity(length, rule.unit)} "
                f"(national default {rule.length})",
            )
        )
    return tuple(table)


@dataclass(frozen=True)
class Deadline:
    """A rule applied to one case's event date, with the reasons in words.

    The reasons are worded only when someone reads them: the reminder sweep and the case
    lists compute thousands of deadlines and show none of their explanations, and naming the
    skipped bank holidays walks every day of the period.
    """

    rule: ClockRule
    start: date
    due: date
    convention: CountingConvention
    calendar: WorkingDayCalendar = dataclasses.field(compare=False, repr=False)

    @functools.cached_property
    def explanation(self) -> str:
        if self.rule.unit is ClockUnit.WORKING_DAYS:
            return _explain_working_days(
                self.rule, self.start, self.due, self.calendar, self.convention
            )
        return _explain_calendar(self.rule, self.start, self.due)

    def working_days_left(self, today: date, calendar: WorkingDayCalendar) -> int:
        """Working days from today to the due day; 0 on it; minus the days late after it.

        Once the due day has passed the answer is at least one day late, even on a weekend
        straight after a Friday deadline, so "overdue" is never shown as "0 days left".
        """
        if today <= self.due:
            return calendar.count_working_days(today, self.due)
        return -max(1, calendar.count_working_days(self.due, today))

    def is_overdue(self, today: date) -> bool:
        return today > self.due


def compute_deadline(
    rule: ClockRule,
    start: date,
    calendar: WorkingDayCalendar,
    convention: CountingConvention = CountingConvention.EXCLUDE_START,
) -> Deadline:
    if rule.unit is ClockUnit.WORKING_DAYS:
        signed = rule.length if rule.direction is Direction.AFTER else -rule.length
        due = calendar.add_working_days(start, signed, convention)
    else:
        months = rule.length * (12 if rule.unit is ClockUnit.YEARS else 1)
        due = _add_months(start, months if rule.direction is Direction.AFTER else -months)
    return Deadline(rule=rule, start=start, due=due, convention=convention, calendar=calendar)


def deadlines_for(
    trigger: ClockTrigger,
    start: date,
    calendar: WorkingDayCalendar,
    convention: CountingConvention = CountingConvention.EXCLUDE_START,
    table: Sequence[ClockRule] = STATUTORY_CLOCKS,
) -> list[Deadline]:
    """Every clock that one recorded event starts, in the table's order."""
    return [
        compute_deadline(rule, start, calendar, convention)
        for rule in table
        if rule.trigger == trigger
    ]


_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_day(d: date) -> str:
    """A date as people in England write it: "Monday 4 January 2027".

    Spelled out from fixed names rather than strftime, whose day and month names follow the
    server's locale.
    """
    return f"{_WEEKDAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def _short_day(d: date) -> str:
    """A short date, "Fri 25 Dec": enough inside an explanation that names the full dates."""
    return f"{_WEEKDAYS[d.weekday()][:3]} {d.day} {_MONTHS[d.month - 1][:3]}"


def _quantity(length: int, unit: ClockUnit) -> str:
    singular, plural = _UNIT_WORDS[unit]
    return f"{length} {singular if length == 1 else plural}"


def _add_months(start: date, months: int) -> date:
    """The same day of the month ``months`` later (or earlier), clamped to the month's end.

    "No later than six months" (Working Together 2023 ch.5) runs to the same date six months
    on; when that month is shorter (31 August + 6 months) the last day of the month is the
    latest the law allows, never the 1st of the month after.
    """
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(start.day, _days_in_month(year, month + 1)))


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def _explain_working_days(
    rule: ClockRule,
    start: date,
    due: date,
    calendar: WorkingDayCalendar,
    convention: CountingConvention,
) -> str:
    start_counts = convention is CountingConvention.INCLUDE_START and calendar.is_working_day(start)
    if start_counts:
        counting = "that day counts as day 1"
    elif convention is CountingConvention.INCLUDE_START:
        counting = "that day is not a working day, so day 1 is the next working day"
    else:
        counting = "that day is not counted"
    sentence = (
        f"{_quantity(rule.length, rule.unit)} {rule.direction.value} {format_day(start)}, "
        f"{_TRIGGER_DAY[rule.trigger]} ({counting})"
    )
    if rule.direction is Direction.BEFORE:
        sentence += f", so {format_day(due)} is the latest day allowed"

    # The days the count walked over: the start only when the convention could have counted it.
    first, last = sorted((start, due))
    if convention is CountingConvention.EXCLUDE_START:
        if start < due:
            first += timedelta(days=1)
        else:
            last -= timedelta(days=1)
    return f"{sentence}. {_skipped(calendar, first, last)}"


def _skipped(calendar: WorkingDayCalendar, first: date, last: date) -> str:
    """Say what the count skipped, naming each bank holiday, so the date can be checked by hand."""
    region = calendar.region_label
    # A Saturday (weekday 5) lies in [first, last] when the span reaches it from first's weekday.
    any_weekend = first.weekday() >= 5 or first.weekday() + (last - first).days >= 5
    skipped = calendar.skipped_holidays(first, last)
    named = ", ".join(f"{name} ({_short_day(day)})" for day, name in skipped)
    if skipped and any_weekend:
        return f"Weekends and {region} bank holidays skipped: {named}."
    if skipped:
        return f"{region} bank holidays skipped: {named}."
    if any_weekend:
        return f"Weekends skipped; no {region} bank holidays fell in this period."
    return f"No weekends or {region} bank holidays fell in this period."


def _explain_calendar(rule: ClockRule, start: date, due: date) -> str:
    if due.day == start.day:
        how = "the same date" if rule.unit is ClockUnit.YEARS else "the same day of the month"
    else:
        # 31 August + 6 months, or 29 February + 1 year: the month has no such day.
        how = (
            f"{_MONTHS[due.month - 1]} {due.year} has only {due.day} days, so the deadline is "
            f"the last day of that month, {format_day(due)}"
        )
    return (
        f"{_quantity(rule.length, rule.unit)} {rule.direction.value} {format_day(start)}, "
        f"{_TRIGGER_DAY[rule.trigger]} ({how}). Weekends and bank holidays count like any "
        "other day, and the date is not moved if it falls on one."
    )
