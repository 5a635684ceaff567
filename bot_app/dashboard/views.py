"""The dashboard's view models: cases, clocks, timelines and the Board's figures, from the
domain. Pure: no storage, no HTTP; the pages (``pages.py``) and charts (``charts.py``) draw
them, and the CSV export writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot_app.cases.views import CaseViews
from safeguarding.board import (
    AgencyAges,
    QuarterTally,
    TimeToPanel,
    Urgency,
    most_urgent,
    urgency,
)
from safeguarding.board_report import BoardReport
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Case, CaseEvent
from safeguarding.case_clocks import CaseClock
from safeguarding.clocks import format_day


@dataclass(frozen=True)
class ClockBar:
    """One clock as a bar from its start to its due day, with today marked."""

    title: str
    start: date
    due: date
    urgency: Urgency
    status: str  # "3 working days left", "Overdue by 2 working days", "Met on ..."
    rule: str  # which rule produced the due day

    @property
    def due_text(self) -> str:
        return format_day(self.due)


@dataclass(frozen=True)
class CaseRow:
    reference: str
    stage: str
    stage_key: str
    agency: str
    owner: str
    clocks: tuple[ClockBar, ...]
    urgency: Urgency


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Filters:
    stage: str = ""
    agency: str = ""
    owner: str = ""

    @property
    def any(self) -> bool:
        return bool(self.stage or self.agency or self.owner)


@dataclass(frozen=True)
class Overview:
    today: date
    rows: tuple[CaseRow, ...]
    filters: Filters
    stages: tuple[Option, ...]
    agencies: tuple[Option, ...]
    owners: tuple[Option, ...]
    visible: int  # cases this person may see before filtering

    def count(self, level: Urgency) -> int:
        return sum(1 for row in self.rows if row.urgency is level)


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: str  # local time, as people read it
    actor: str
    what: str
    why: str | None  # None: no reason, or not for this person's eyes


@dataclass(frozen=True)
class VoteLine:
    round: int
    status: str
    ballots: tuple[tuple[str, str], ...]  # (voter, choice)


@dataclass(frozen=True)
class DisputeLine:
    title: str
    topic: str
    stage: str
    status: str


@dataclass(frozen=True)
class ActionLine:
    description: str
    agency: str
    due: str
    status: str


@dataclass(frozen=True)
class ActionPlanView:
    available: bool
    summary: str
    actions: tuple[ActionLine, ...] = ()


@dataclass(frozen=True)
class CasePage:
    row: CaseRow
    aware_on: str
    opened: str
    timeline: tuple[TimelineEntry, ...]
    reasons_shown: bool
    votes: tuple[VoteLine, ...] | None  # None: not for this person
    disputes: tuple[DisputeLine, ...]
    plan: ActionPlanView
    details: tuple[tuple[str, str], ...] | None  # the child's details, when asked and allowed
    may_see_details: bool
    may_export: bool


@dataclass(frozen=True)
class Board:
    today: date
    tallies: tuple[QuarterTally, ...]
    times: tuple[TimeToPanel, ...]
    actions: tuple[AgencyAges, ...]
    actions_available: bool
    report: BoardReport  # the action plans feature's Board report, for the CSV and print


def clock_bars(
    clocks: Sequence[CaseClock], *, today: date, views: CaseViews, calendar: WorkingDayCalendar
) -> tuple[ClockBar, ...]:
    bars = []
    for clock in clocks:
        line = views.clock_line(clock, today)
        start, due = clock.deadline.start, clock.deadline.due
        bars.append(
            ClockBar(
                title=clock.title,
                start=min(start, due),
                due=due,
                urgency=urgency(clock, today=today, calendar=calendar),
                status=line.state,
                rule=clock.rule.describe(),
            )
        )
    return tuple(bars)


def case_row(
    case: Case,
    clocks: Sequence[CaseClock],
    *,
    today: date,
    views: CaseViews,
    calendar: WorkingDayCalendar,
    owner: str,
) -> CaseRow:
    bars = clock_bars(clocks, today=today, views=views, calendar=calendar)
    return CaseRow(
        reference=str(case.reference),
        stage=case.stage.label,
        stage_key=case.stage.value,
        agency=str(case.facts.get("agency") or ""),
        owner=owner,
        clocks=bars,
        urgency=most_urgent(b.urgency for b in bars),
    )


def timeline(
    events: Sequence[CaseEvent], *, zone: ZoneInfo, with_reasons: bool
) -> tuple[TimelineEntry, ...]:
    return tuple(
        TimelineEntry(
            seq=e.seq,
            at=local_time(e.at, zone),
            actor=e.actor.name,
            what=e.what,
            why=(e.why or None) if with_reasons else None,
        )
        for e in events
    )


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{format_day(local.date())}, {local:%H:%M}"
