"""The statutory clock card: every deadline from an awareness date, on one screen.

For each deadline: what is due and when, the rule in one line, who does it and the source.
How the days were counted (the bank holidays skipped) and the clocks that start later are
behind "Show how it's counted", for whoever wants to check the date by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import (
    ActionToggleVisibility,
    Column,
    ColumnSet,
    Container,
    InputDate,
    TargetElement,
    TextBlock,
)

from cards.base import Card, execute, finish, heading, paragraph, subheading
from cards.help import VERB_CLOCK
from safeguarding.clocks import ClockRule, Deadline, format_day

SHOW_HOW = "Show how it's counted"
LATER_ID = "clock_later"


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


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _how_id(deadline: Deadline) -> str:
    return f"clock_how_{deadline.rule.id}"


def _deadline_block(deadline: Deadline, days_left: int) -> Container:
    rule = deadline.rule
    return Container(
        separator=True,
        spacing=types.Spacing.MEDIUM,
        items=[
            ColumnSet(
                columns=[
                    Column(
                        width="stretch",
                        items=[
                            TextBlock(text=rule.title, weight=types.FontWeight.BOLDER, wrap=True)
                        ],
                    ),
                    Column(
                        width="auto",
                        items=[
                            TextBlock(
                                text=f"Due {format_day(deadline.due)} ({_countdown(days_left)})",
                                color=types.Colors.ATTENTION
                                if days_left < 0
                                else types.Colors.ACCENT,
                                wrap=True,
                            )
                        ],
                    ),
                ]
            ),
            paragraph(
                f"{_sentence(rule.describe())}. Who does it: {_lower(rule.owner)}.", small=True
            ),
            paragraph(f"Source: {rule.source}.", subtle=True, small=True),
            Container(
                id=_how_id(deadline),
                is_visible=False,
                items=[
                    paragraph(f"How it's counted: {deadline.explanation}", small=True),
                    paragraph(f"{rule.note}.", subtle=True, small=True),
                ],
            ),
        ],
    )


def _later(view: ClockView) -> list[Any]:
    if not view.later:
        return []
    return [
        Container(
            id=LATER_ID,
            is_visible=False,
            items=[
                subheading("Clocks that start later in the process"),
                *(
                    paragraph(f"**{rule.title}**: {rule.describe()}.", small=True)
                    for rule in view.later
                ),
            ],
        )
    ]


def clock_card(view: ClockView) -> Card:
    body = [
        heading("Statutory deadlines"),
        paragraph(
            f"From awareness on **{format_day(view.aware_on)}**, in working days "
            f"(weekends and {view.region} bank holidays skipped)."
        ),
        *(_deadline_block(d, left) for d, left in zip(view.deadlines, view.days_left, strict=True)),
        *_later(view),
        InputDate(id="aware_on", label="Try another date", value=view.aware_on.isoformat()),
    ]
    hidden = [_how_id(d) for d in view.deadlines] + ([LATER_ID] if view.later else [])
    actions: list[Any] = [execute("Recalculate", VERB_CLOCK)]
    if hidden:
        actions.append(
            ActionToggleVisibility(
                title=SHOW_HOW, target_elements=[TargetElement(element_id=i) for i in hidden]
            )
        )
    return finish(
        body,
        actions,
        fallback=f"Statutory deadlines from {format_day(view.aware_on)}",
    )
