"""What people do with reminders: see a case's schedule, and acknowledge a reminder.

An acknowledgement is recorded on the reminder and in the case's evidence trail (who took it
on, and when, is part of the record of the review), and every posted copy is redrawn through
the outbox so everyone sees it. An acknowledged clock is not escalated to the Hub.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot_app.core.people import People
from bot_app.reminders import messages
from bot_app.reminders.views import ReminderViews
from cards.base import Card
from cards.reminder import ScheduleView, reminder_card, summary
from safeguarding.case import Actor, Case
from safeguarding.clocks import format_day
from safeguarding.errors import NotFound
from safeguarding.policy import require_case_access
from safeguarding.reference import CaseReference
from safeguarding.reminders import plan_reminders
from safeguarding.roles import Person
from storage.reminders import Acknowledgement, ReminderRecord
from storage.uow import UnitOfWork

ACKNOWLEDGED = "reminder.acknowledged"
SCHEDULE_HORIZON_WORKING_DAYS = 15


@dataclass(frozen=True)
class ShowSchedule:
    reference: CaseReference
    by: Person


async def schedule_of(
    command: ShowSchedule,
    uow: UnitOfWork,
    *,
    now: datetime,
    views: ReminderViews,
    people: People,
    horizon_days: int = SCHEDULE_HORIZON_WORKING_DAYS,
) -> ScheduleView:
    """Reminders sent so far and those planned for the next ``horizon_days`` working days,
    each with where it would go now: what ``reminders <reference>`` shows."""
    case = await uow.cases.get(command.reference)
    require_case_access(command.by, case)
    reference = str(case.reference)
    today = views.calendar.local_date(now)
    until = views.calendar.add_working_days(today, horizon_days)
    records = await uow.reminders.for_case(reference)
    plan = plan_reminders(
        reference,
        views.clocks_of(case, today),
        policy=views.policy,
        calendar=views.calendar,
        until=until,
        acknowledged=await uow.reminders.acknowledged_clocks(reference),
    )
    lines = [views.sent_line(record) for record in records]
    stored = {record.key for record in records}
    for reminder in plan:
        if reminder.send_at <= now or reminder.key in stored:
            continue
        to = await messages.recipients(uow, case, reminder, people=people)
        lines.append(views.planned_line(reminder, to.describe()))
    lines.sort(key=lambda line: line.when_local)
    return ScheduleView(
        case_reference=reference, stage=case.stage.label, lines=tuple(lines), horizon=until
    )


@dataclass(frozen=True)
class Acknowledge:
    reminder_id: int
    state: Acknowledgement
    by: Person


@dataclass(frozen=True)
class Acknowledged:
    card: Card  # the reminder as it stands now, for the person who pressed
    changed: bool  # False when it was acknowledged like this (or "Done") before


async def acknowledge(
    command: Acknowledge, uow: UnitOfWork, *, now: datetime, views: ReminderViews
) -> Acknowledged:
    """Record "On it" or "Done" on a reminder; the first "On it" stands and "Done" is final."""
    record = await uow.reminders.get(command.reminder_id)
    if record is None or not record.key.case_reference:
        raise NotFound("I can't find that reminder any more.")
    case = await uow.cases.get(CaseReference.parse(record.key.case_reference))
    name = command.by.name or "Someone"
    changed = await uow.reminders.acknowledge(
        command.reminder_id,
        state=command.state,
        by=command.by.object_id,
        by_name=name,
        at=now,
    )
    record = await uow.reminders.get(command.reminder_id)
    assert record is not None
    if changed:
        _record_in_trail(case, record, command, name, now=now)
        await uow.cases.save(case)
    view = views.stored_view(case, record, today=views.calendar.local_date(now))
    card = reminder_card(view)
    if changed and record.outbox_key:
        await messages.update_posted_copies(
            uow,
            record.outbox_key,
            card,
            command.state,
            case_reference=record.key.case_reference,
            summary=summary(view),
            now=now,
        )
    return Acknowledged(card=card, changed=changed)


def _record_in_trail(
    case: Case, record: ReminderRecord, command: Acknowledge, name: str, *, now: datetime
) -> None:
    """Who acknowledged what, and when, belongs in the case's evidence trail."""
    case.record(
        ACKNOWLEDGED,
        actor=Actor(id=command.by.object_id, name=name),
        at=now,
        what=f"{name} marked the reminder for '{record.clock_title}' (due "
        f"{format_day(record.key.due_on)}) as '{command.state.label}'.",
        data={
            "clock": record.key.clock_key,
            "kind": record.key.kind,
            "due_on": record.key.due_on.isoformat(),
            "state": command.state.value,
        },
    )
