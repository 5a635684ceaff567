"""Reminder cards: a deadline coming up, due, overdue or escalated, with "On it" / "Done".

Reminders are posted in channels, so the view holds only what a channel may show: the case
reference, its stage, the clock and its dates (domain.md, "Information governance"). The
buttons are Universal Actions (``Action.Execute``): the bot answers with this card redrawn to
show who acknowledged, and updates the posted message so everyone sees it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from adaptive_cards import types
from adaptive_cards.card import TextBlock

from cards.base import Card, execute, facts, finish, heading, paragraph
from safeguarding.clocks import format_day
from safeguarding.reminders import ReminderKind

VERB_ON_IT = "reminder.on_it"
VERB_DONE = "reminder.done"


@dataclass(frozen=True)
class ReminderView:
    reminder_id: int
    case_reference: str
    stage: str
    clock_title: str
    due_on: date
    kind: ReminderKind
    days_left: int  # working days from the send day; negative when overdue
    responsible: str  # who answers for it: "Hub", "Agency: Humberside Police"
    statutory: bool
    scheduled_local: datetime | None = None  # set when the reminder went out late
    acknowledged: str | None = None  # "On it" or "Done"
    acknowledged_by: str | None = None
    acknowledged_at_local: datetime | None = None


def when(moment: datetime) -> str:
    """A local time as people read it: "09:00 on Monday 4 January 2027"."""
    return f"{moment:%H:%M} on {format_day(moment.date())}"


def countdown(days_left: int) -> str:
    if days_left > 1:
        return f"due in {days_left} working days"
    if days_left == 1:
        return "due in 1 working day"
    if days_left == 0:
        return "due today"
    late = -days_left
    return f"overdue by {late} working day{'s' if late > 1 else ''}"


def _title(view: ReminderView) -> str:
    if view.kind is ReminderKind.ESCALATION:
        return f"Escalation: {view.clock_title} is overdue and nobody has acknowledged it"
    if view.days_left < 0:
        return f"Overdue: {view.clock_title}"
    if view.days_left == 0:
        return f"Due today: {view.clock_title}"
    return f"Reminder: {view.clock_title}"


def summary(view: ReminderView) -> str:
    """One line for notifications and the outbox: reference, clock and date only."""
    return f"{view.case_reference}: {view.clock_title} {countdown(view.days_left)} ({view.due_on})"


def reminder_card(view: ReminderView) -> Card:
    overdue = view.days_left < 0
    body: list[object] = [
        heading(_title(view)),
        facts(
            [
                ("Case", view.case_reference),
                ("Stage", view.stage),
                ("Deadline", format_day(view.due_on)),
                ("Status", countdown(view.days_left)),
                ("For", view.responsible),
            ]
        ),
    ]
    if view.statutory and overdue:
        body.append(
            TextBlock(
                text="This is a statutory deadline. Record the date it was met to stop the clock.",
                color=types.Colors.ATTENTION,
                wrap=True,
            )
        )
    if view.scheduled_local is not None:
        body.append(
            paragraph(
                f"Sent late: this reminder was due at {when(view.scheduled_local)} and the "
                "service was unavailable then.",
                subtle=True,
                small=True,
            )
        )
    actions = []
    if view.acknowledged is not None:
        stamp = f", {when(view.acknowledged_at_local)}" if view.acknowledged_at_local else ""
        body.append(
            TextBlock(
                text=f"**{view.acknowledged}**: {view.acknowledged_by or 'someone'}{stamp}",
                color=types.Colors.GOOD,
                wrap=True,
            )
        )
    if view.acknowledged != "Done":
        data = {"reminder": view.reminder_id}
        if view.acknowledged is None:
            actions.append(execute("On it", VERB_ON_IT, data))
        actions.append(execute("Done", VERB_DONE, data))
    body.append(
        paragraph(
            "Acknowledging tells the Hub someone is on it; the clock stops only when the "
            "step is recorded.",
            subtle=True,
            small=True,
        )
    )
    return finish(body, actions, fallback=summary(view))


# -- what will be sent: ``reminders <reference>`` -------------------------------------------


@dataclass(frozen=True)
class ScheduleLine:
    when_local: datetime
    clock_title: str
    kind: str  # the key's kind: "before_3", "due", "overdue_2", "escalation"
    state: str  # "sent", "sent late", "skipped: ...", "planned"
    destination: str  # where a planned reminder would go now
    acknowledged: str | None  # "On it: Alex Morgan"


@dataclass(frozen=True)
class ScheduleView:
    case_reference: str
    stage: str
    lines: Sequence[ScheduleLine]
    horizon: date


def kind_label(kind: str) -> str:
    name, _, number = kind.partition("_")
    if name == ReminderKind.BEFORE:
        return f"{number} working day{'s' if number != '1' else ''} before"
    if name == ReminderKind.DUE:
        return "on the due day"
    if name == ReminderKind.OVERDUE:
        return f"overdue, day {number}"
    if name == ReminderKind.ESCALATION:
        return "escalation to the Hub if nobody acknowledges"
    return kind


MAX_SCHEDULE_LINES = 40


def schedule_card(view: ScheduleView) -> Card:
    body: list[object] = [
        heading(f"Reminders for {view.case_reference}"),
        paragraph(
            f"Stage: {view.stage}. Planned reminders are shown up to "
            f"{format_day(view.horizon)}; a step recorded in time cancels them."
        ),
    ]
    lines = list(view.lines)[-MAX_SCHEDULE_LINES:]
    for line in lines:
        detail = line.state if line.state != "planned" else f"to {line.destination}"
        if line.acknowledged:
            detail += f" · {line.acknowledged}"
        body.append(
            TextBlock(
                text=f"**{when(line.when_local)}** · {line.clock_title} · "
                f"{kind_label(line.kind)} · {detail}",
                wrap=True,
                is_subtle=line.state != "planned" or None,
                spacing=types.Spacing.SMALL,
            )
        )
    if not lines:
        body.append(paragraph("No reminders: no open clock has a deadline coming up."))
    return finish(body, fallback=f"Reminders for {view.case_reference}")
