"""Reminders: which messages a case's clocks call for, where they go and when they go out.

A missed statutory deadline is the failure this product exists to prevent, so reminders are
*derived*, never scheduled by hand: from the clocks of a case (``case_clocks``), the reminder
policy (configuration) and the working-day calendar, :func:`plan_reminders` lists every
reminder the case should have. Recording a step, correcting a date or closing the case changes
the clocks, and so the reminders, with no clean-up anywhere; a met clock is not open, so it
never reminds.

Each reminder has a stable key ``(case reference, clock key, kind, due date)``: storing the
ones already sent under that key makes re-deriving idempotent (architecture.md, "Clocks are
derived"). :func:`select_due` decides what to send *now* from the plan and the keys already
stored, including the catch-up rule after downtime: of the reminders a clock missed, only the
most recent is sent, marked late - never one per missed tick.

Pure: no clock is read, no I/O; ``now`` and the calendar are passed in.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case_clocks import CaseClock, ClockStatus
from safeguarding.clocks import ClockId
from safeguarding.errors import InvalidInput


class ChannelPurpose(StrEnum):
    """What a registered Teams channel is for; reminders go to the one responsible."""

    HUB = "hub"
    CSPRG = "csprg"
    PARTNERS = "partners"
    AGENCY = "agency"

    @property
    def label(self) -> str:
        return _PURPOSE_LABELS[self]


_PURPOSE_LABELS: Final[Mapping[ChannelPurpose, str]] = MappingProxyType(
    {
        ChannelPurpose.HUB: "Hub",
        ChannelPurpose.CSPRG: "CSPR Group",
        ChannelPurpose.PARTNERS: "Safeguarding partners",
        ChannelPurpose.AGENCY: "Agency",
    }
)

# Who answers for each clock (domain.md, "The statutory clocks"): the Hub runs the process and
# records what goes to the Panel; agencies write their own reports (their channel, else the
# Hub chases them); the partners own the review itself.
DEFAULT_CHANNELS: Final[Mapping[ClockId, ChannelPurpose]] = MappingProxyType(
    {
        ClockId.PANEL_NOTIFICATION: ChannelPurpose.HUB,
        ClockId.AGENCY_REPORTS: ChannelPurpose.AGENCY,
        ClockId.RAPID_REVIEW: ChannelPurpose.HUB,
        ClockId.PANEL_RESPONSE: ChannelPurpose.HUB,
        ClockId.LOCAL_REVIEW: ChannelPurpose.PARTNERS,
        ClockId.NATIONAL_REVIEW: ChannelPurpose.PARTNERS,
        ClockId.REPORT_COPY: ChannelPurpose.HUB,
        ClockId.PUBLISHED_LOCAL: ChannelPurpose.HUB,
        ClockId.PUBLISHED_NATIONAL: ChannelPurpose.HUB,
        ClockId.CARE_LEAVER_DEATH: ChannelPurpose.HUB,
        ClockId.LOOKED_AFTER_DEATH: ChannelPurpose.HUB,
        ClockId.LEARNING_REVIEW: ChannelPurpose.CSPRG,
    }
)


class ReminderKind(StrEnum):
    BEFORE = "before"  # N working days before the due day
    DUE = "due"  # on the due day (the last working day on or before it)
    OVERDUE = "overdue"  # each working day while overdue
    ESCALATION = "escalation"  # to the Hub: overdue, statutory, and nobody acknowledged


@dataclass(frozen=True)
class ReminderPolicy:
    """When and where to remind: configuration, with the partnership's defaults."""

    days_before: tuple[int, ...] = (3, 1)
    on_due_day: bool = True
    while_overdue: bool = True
    escalate_unacknowledged: bool = True
    send_time: time = time(9, 0)
    channels: Mapping[ClockId, ChannelPurpose] = field(default_factory=lambda: DEFAULT_CHANNELS)
    # A reminder sent more than this after its time says it is late (a catch-up after
    # downtime), so nobody reads "3 working days left" on the wrong day without a warning.
    late_after: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if any(isinstance(n, bool) or n < 1 for n in self.days_before):
            raise InvalidInput("Reminders 'days before' a deadline must be 1 or more.")
        if len(set(self.days_before)) != len(self.days_before):
            raise InvalidInput("Each 'days before' reminder may be listed only once.")
        if self.send_time.tzinfo is not None:
            raise InvalidInput("The reminder time is a local time of day, without a zone.")
        object.__setattr__(
            self, "channels", MappingProxyType({**DEFAULT_CHANNELS, **dict(self.channels)})
        )

    def channel_for(self, clock_id: ClockId) -> ChannelPurpose:
        return self.channels[clock_id]


@dataclass(frozen=True, order=True)
class ReminderKey:
    """The identity of one reminder: storing it makes re-deriving the plan idempotent."""

    case_reference: str
    clock_key: str
    kind: str  # "before_3", "due", "overdue_2", "escalation"
    due_on: date

    def __str__(self) -> str:
        return f"{self.case_reference}/{self.clock_key}/{self.kind}/{self.due_on.isoformat()}"


@dataclass(frozen=True)
class PlannedReminder:
    """One reminder a case's clock calls for, with the instant it should go out."""

    case_reference: str
    clock: CaseClock
    kind: ReminderKind
    number: int  # working days before (BEFORE) or overdue (OVERDUE); 0 otherwise
    send_on: date
    send_at: datetime  # UTC
    purpose: ChannelPurpose  # the channel responsible (the Hub for escalations)

    @property
    def key(self) -> ReminderKey:
        kind = f"{self.kind}_{self.number}" if self.number else str(self.kind)
        return ReminderKey(self.case_reference, self.clock.key, kind, self.clock.deadline.due)

    @property
    def due_on(self) -> date:
        return self.clock.deadline.due

    @property
    def agency(self) -> str:
        """The agency whose channel is responsible, for per-agency clocks; else ""."""
        return (self.clock.subject or "") if self.purpose is ChannelPurpose.AGENCY else ""

    @property
    def statutory(self) -> bool:
        return self.clock.rule.statutory

    @property
    def _track(self) -> tuple[str, date, bool]:
        # Escalations are a track of their own: catching up a clock's reminders must never
        # swallow its escalation, nor the other way round.
        return (self.clock.key, self.due_on, self.kind is ReminderKind.ESCALATION)


def send_instant(day: date, send_time: time, calendar: WorkingDayCalendar) -> datetime:
    """``send_time`` on ``day`` where the partnership is, as a UTC instant.

    The zone's rules give 09:00 as 08:00 UTC in British Summer Time and 09:00 UTC in winter,
    so reminders keep to the office clock across the March and October changes.
    """
    return datetime.combine(day, send_time, tzinfo=calendar.timezone).astimezone(UTC)


def plan_reminders(
    case_reference: str,
    clocks: Iterable[CaseClock],
    *,
    policy: ReminderPolicy,
    calendar: WorkingDayCalendar,
    until: date,
    acknowledged: Collection[tuple[str, date]] = (),
) -> list[PlannedReminder]:
    """Every reminder the open clocks call for, up to and including the day ``until``.

    ``acknowledged`` holds ``(clock key, due date)`` pairs someone has acknowledged; an
    acknowledged clock is not escalated. Overdue reminders repeat each working day, so the
    list is bounded by ``until``. Reminders fall on working days only.
    """
    planned: list[PlannedReminder] = []
    for clock in clocks:
        if not clock.status.is_open:
            continue
        planned += _plan_clock(case_reference, clock, policy, calendar, until, acknowledged)
    planned.sort(key=lambda r: (r.send_at, r.clock.key, r.kind, r.number))
    return planned


def _plan_clock(
    reference: str,
    clock: CaseClock,
    policy: ReminderPolicy,
    calendar: WorkingDayCalendar,
    until: date,
    acknowledged: Collection[tuple[str, date]],
) -> list[PlannedReminder]:
    due = clock.deadline.due
    purpose = policy.channel_for(clock.rule.id)

    def make(kind: ReminderKind, number: int, day: date, to: ChannelPurpose) -> PlannedReminder:
        return PlannedReminder(
            case_reference=reference,
            clock=clock,
            kind=kind,
            number=number,
            send_on=day,
            send_at=send_instant(day, policy.send_time, calendar),
            purpose=to,
        )

    # A deadline counted in calendar months can fall on a weekend or bank holiday; its
    # due-day reminder goes out on the last working day before it.
    last_day = due if calendar.is_working_day(due) else calendar.previous_working_day(due)
    days: dict[date, PlannedReminder] = {}
    for n in sorted(policy.days_before, reverse=True):
        day = calendar.add_working_days(due, -n)
        days[day] = make(ReminderKind.BEFORE, n, day, purpose)
    if policy.on_due_day:
        # Replaces a "1 working day before" that lands on the same day (a Sunday deadline).
        days[last_day] = make(ReminderKind.DUE, 0, last_day, purpose)
    reminders = [r for day, r in days.items() if day <= until]

    first_overdue = calendar.next_working_day(due)
    if policy.while_overdue:
        day, n = first_overdue, 1
        while day <= until:
            reminders.append(make(ReminderKind.OVERDUE, n, day, purpose))
            day, n = calendar.next_working_day(day), n + 1
    escalation_day = calendar.next_working_day(first_overdue)
    if (
        policy.escalate_unacknowledged
        and clock.rule.statutory
        and (clock.key, due) not in acknowledged
        and escalation_day <= until
    ):
        reminders.append(make(ReminderKind.ESCALATION, 0, escalation_day, ChannelPurpose.HUB))
    return reminders


@dataclass(frozen=True)
class Selection:
    """What a scheduler tick does with a case's plan."""

    send: tuple[tuple[PlannedReminder, bool], ...]  # (reminder, late)
    skip: tuple[PlannedReminder, ...]  # missed while the service was down: never sent


def select_due(
    planned: Sequence[PlannedReminder],
    *,
    now: datetime,
    stored: Collection[ReminderKey],
    not_before: datetime | None = None,
    late_after: timedelta = ReminderPolicy().late_after,
) -> Selection:
    """The reminders to send at ``now``: per clock, only the latest one that is due.

    A tick every minute normally finds one reminder due per clock. After downtime a clock may
    have missed several: the most recent is sent (late, if more than ``late_after`` past its
    time) and the older ones are skipped, so nobody receives a burst of stale reminders.
    Reminders timed before ``not_before`` (when the case was recorded) are not candidates:
    the case did not exist then.
    """
    tracks: dict[tuple[str, date, bool], list[PlannedReminder]] = {}
    for reminder in planned:
        if reminder.send_at > now or (not_before is not None and reminder.send_at < not_before):
            continue
        tracks.setdefault(reminder._track, []).append(reminder)
    send: list[tuple[PlannedReminder, bool]] = []
    skip: list[PlannedReminder] = []
    for candidates in tracks.values():
        candidates.sort(key=lambda r: r.send_at)
        latest = candidates[-1]
        skip += [r for r in candidates[:-1] if r.key not in stored]
        if latest.key not in stored:
            send.append((latest, now - latest.send_at > late_after))
    send.sort(key=lambda item: item[0].send_at)
    return Selection(send=tuple(send), skip=tuple(skip))


# -- the weekly digest ---------------------------------------------------------------------

WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def digest_day(today: date, weekday: int, calendar: WorkingDayCalendar) -> date:
    """The day this week's digest goes out: ``weekday`` (0 = Monday) of ``today``'s ISO week,
    or the next working day when that is a bank holiday (Easter Monday moves it to Tuesday)."""
    day = today - timedelta(days=today.weekday()) + timedelta(days=weekday)
    return day if calendar.is_working_day(day) else calendar.next_working_day(day)


@dataclass(frozen=True)
class DigestLine:
    case_reference: str
    stage: str
    clock_title: str
    due_on: date
    working_days: int  # left (upcoming) or late (overdue, positive)


@dataclass(frozen=True)
class DigestCase:
    case_reference: str
    stage: str
    opened_on: date


@dataclass(frozen=True)
class Digest:
    """The weekly summary: references, stages and dates only - never details of a child."""

    today: date
    horizon: date
    open_cases: tuple[DigestCase, ...]
    upcoming: tuple[DigestLine, ...]
    overdue: tuple[DigestLine, ...]


@dataclass(frozen=True)
class CaseSummary:
    """What the digest needs of one open case: no facts, no narrative, no names."""

    case_reference: str
    stage: str
    opened_on: date
    clocks: tuple[CaseClock, ...]


def build_digest(
    cases: Iterable[CaseSummary],
    *,
    today: date,
    calendar: WorkingDayCalendar,
    horizon_working_days: int = 10,
) -> Digest:
    """Open cases, deadlines in the next ``horizon_working_days`` and everything overdue."""
    horizon = calendar.add_working_days(today, horizon_working_days)
    open_cases: list[DigestCase] = []
    upcoming: list[DigestLine] = []
    overdue: list[DigestLine] = []
    for case in cases:
        open_cases.append(DigestCase(case.case_reference, case.stage, case.opened_on))
        for clock in case.clocks:
            if not clock.status.is_open:
                continue
            due = clock.deadline.due
            if clock.status is ClockStatus.OVERDUE:
                late = -clock.deadline.working_days_left(today, calendar)
                overdue.append(DigestLine(case.case_reference, case.stage, clock.title, due, late))
            elif due <= horizon:
                left = clock.deadline.working_days_left(today, calendar)
                upcoming.append(DigestLine(case.case_reference, case.stage, clock.title, due, left))
    return Digest(
        today=today,
        horizon=horizon,
        open_cases=tuple(sorted(open_cases, key=lambda c: (c.opened_on, c.case_reference))),
        upcoming=tuple(sorted(upcoming, key=lambda line: (line.due_on, line.case_reference))),
        overdue=tuple(sorted(overdue, key=lambda line: (line.due_on, line.case_reference))),
    )
