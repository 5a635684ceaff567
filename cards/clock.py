"""The statutory clock card: every deadline from an awareness date, each with its rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from adaptive_cards import types
from adaptive_cards.card import Container, InputDate, TextBlock

from cards.base import Card, execute, finish, heading, paragraph, subheading
from cards.help import VERB_CLOCK
from safeguarding.clocks import ClockRule, Deadline, format_day


@dataclass(frozen=True)
class ClockView:
    aware_on: date
    today: date
    deadlines: Sequence[Deadline]
    days_left: Sequence[int]
    later: Sequence[ClockRule]
    region: str


def _countdown(days_left: int) -> str:
    if days_left > 1:
        return f"{days_left} working days from today"
    if days_left == 1:
        return "tomorrow's working day"
    if days_left == 0:
        return "due today"
    return f"overdue by {-days_left} working day{'s' if days_left < -1 else ''}"


def _deadline_block(deadline: Deadline, days_left: int) -> Container:
    overdue = days_left < 0
    return Container(
        separator=True,
        spacing=types.Spacing.MEDIUM,
        items=[
            TextBlock(text=deadline.rule.title, weight=types.FontWeight.BOLDER, wrap=True),
            TextBlock(
                text=f"Due {format_day(deadline.due)} ({_countdown(days_left)})",
                color=types.Colors.ATTENTION if overdue else types.Colors.ACCENT,
                wrap=True,
            ),
            paragraph(f"Who acts: {deadline.rule.owner}. {deadline.rule.note}.", small=True),
            paragraph(f"Rule: {deadline.explanation}", subtle=True, small=True),
            paragraph(f"Source: {deadline.rule.source}", subtle=True, small=True),
        ],
    )


def clock_card(view: ClockView) -> Card:
    body = [
        heading("Statutory deadlines"),
        paragraph(
            f"From awareness on **{format_day(view.aware_on)}**, counting working days in "
            f"{view.region} (weekends and bank holidays excluded)."
        ),
        *(_deadline_block(d, left) for d, left in zip(view.deadlines, view.days_left, strict=True)),
        subheading("Clocks that start later in the process"),
        *(paragraph(f"**{rule.title}**: {rule.describe()}.", small=True) for rule in view.later),
        InputDate(id="aware_on", label="Try another date", value=view.aware_on.isoformat()),
    ]
    return finish(
        body,
        [execute("Recalculate", VERB_CLOCK)],
        fallback=f"Statutory deadlines from {format_day(view.aware_on)}",
    )
