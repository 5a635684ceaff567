"""The reminder, schedule and digest cards' view models, from a case and its clocks.

Pure: everything here is derived from the case, the stored reminder rows and the settings
(calendar, clock table, counting convention, reminder policy), never from the database or
the wall clock, so the scheduler and the buttons draw exactly the same card.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from cards.base import Card
from cards.digest import digest_card
from cards.reminder import ReminderView, ScheduleLine
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Case
from safeguarding.case_clocks import CaseClock, case_clocks
from safeguarding.clocks import ClockId, ClockRule, Deadline, clock_rule
from safeguarding.reminders import (
    CaseSummary,
    ChannelPurpose,
    PlannedReminder,
    ReminderKey,
    ReminderKind,
    ReminderPolicy,
    build_digest,
)
from storage.reminders import ReminderRecord, ReminderStatus


class ReminderViews:
    """Clocks and cards for reminders, with the partnership's calendar and policy."""

    def __init__(
        self,
        *,
        calendar: WorkingDayCalendar,
        table: Sequence[ClockRule],
        convention: CountingConvention,
        policy: ReminderPolicy,
    ) -> None:
        self.calendar = calendar
        self.policy = policy
        self._table = tuple(table)
        self._convention = convention

    def clocks_of(self, case: Case, today: date) -> list[CaseClock]:
        return case_clocks(
            case,
            today=today,
            calendar=self.calendar,
            table=self._table,
            convention=self._convention,
        )

    def rule_of(self, key: ReminderKey) -> ClockRule:
        return clock_rule(ClockId(key.clock_key.partition(":")[0]), self._table)

    def view(
        self,
        *,
        reminder_id: int,
        case: Case,
        key: ReminderKey,
        clock_title: str,
        days_left: int,
        send_at: datetime,
        late: bool,
        record: ReminderRecord | None = None,
    ) -> ReminderView:
        """The card's view model, for a reminder being queued or one already stored."""
        rule = self.rule_of(key)
        subject = key.clock_key.partition(":")[2]
        kind = ReminderKind(key.kind.split("_")[0])
        zone = self.calendar.timezone
        acknowledged_at = record.acknowledged_at if record else None
        return ReminderView(
            reminder_id=reminder_id,
            case_reference=key.case_reference,
            stage=case.stage.label,
            clock_title=clock_title,
            due_on=key.due_on,
            kind=kind,
            days_left=days_left,
            responsible=responsible(kind, self.policy.channel_for(rule.id), subject),
            statutory=rule.statutory,
            scheduled_local=send_at.astimezone(zone) if late else None,
            acknowledged=record.acknowledged.label if record and record.acknowledged else None,
            acknowledged_by=record.acknowledged_by_name if record else None,
            acknowledged_at_local=acknowledged_at.astimezone(zone) if acknowledged_at else None,
        )

    def planned_view(
        self, reminder_id: int, case: Case, reminder: PlannedReminder, *, today: date, late: bool
    ) -> ReminderView:
        """The card of a reminder about to be queued."""
        return self.view(
            reminder_id=reminder_id,
            case=case,
            key=reminder.key,
            clock_title=reminder.clock.title,
            days_left=reminder.clock.deadline.working_days_left(today, self.calendar),
            send_at=reminder.send_at,
            late=late,
        )

    def stored_view(self, case: Case, record: ReminderRecord, *, today: date) -> ReminderView:
        """The card of a reminder sent earlier, redrawn as it stands (acknowledged or not)."""
        return self.view(
            reminder_id=record.id,
            case=case,
            key=record.key,
            clock_title=record.clock_title,
            days_left=self.days_left(case, record, today),
            send_at=record.send_at,
            late=record.late,
            record=record,
        )

    def days_left(self, case: Case, record: ReminderRecord, today: date) -> int:
        for clock in self.clocks_of(case, today):
            if clock.key == record.key.clock_key and clock.deadline.due == record.key.due_on:
                return clock.deadline.working_days_left(today, self.calendar)
        # The clock was met or its date corrected since: count to the date on the card.
        due = record.key.due_on
        on_card = Deadline(
            rule=self.rule_of(record.key),
            start=due,
            due=due,
            convention=self._convention,
            calendar=self.calendar,
        )
        return on_card.working_days_left(today, self.calendar)

    def sent_line(self, record: ReminderRecord) -> ScheduleLine:
        return ScheduleLine(
            when_local=record.send_at.astimezone(self.calendar.timezone),
            clock_title=record.clock_title,
            kind=record.key.kind,
            state=state_of(record),
            destination="",
            acknowledged=(
                f"{record.acknowledged.label}: {record.acknowledged_by_name}"
                if record.acknowledged
                else None
            ),
        )

    def planned_line(self, reminder: PlannedReminder, destination: str) -> ScheduleLine:
        return ScheduleLine(
            when_local=reminder.send_at.astimezone(self.calendar.timezone),
            clock_title=reminder.clock.title,
            kind=reminder.key.kind,
            state="planned",
            destination=destination,
            acknowledged=None,
        )

    def digest_card(self, cases: Iterable[Case], today: date, *, horizon_working_days: int) -> Card:
        digest = build_digest(
            (
                CaseSummary(
                    case_reference=str(case.reference),
                    stage=case.stage.label,
                    opened_on=self.calendar.local_date(case.opened_at),
                    clocks=tuple(self.clocks_of(case, today)),
                )
                for case in cases
            ),
            today=today,
            calendar=self.calendar,
            horizon_working_days=horizon_working_days,
        )
        return digest_card(digest)


def state_of(record: ReminderRecord) -> str:
    if record.status is ReminderStatus.SKIPPED:
        return "skipped: missed while the service was down"
    return "sent late" if record.late else "sent"


def responsible(kind: ReminderKind, purpose: ChannelPurpose, subject: str | None) -> str:
    """Who answers for a reminder, as its card says: "Hub", "Agency: Humberside Police"."""
    if kind is ReminderKind.ESCALATION:
        return "Hub (escalation)"
    if purpose is ChannelPurpose.AGENCY and subject:
        return f"{purpose.label}: {subject}"
    return purpose.label
