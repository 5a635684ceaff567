"""The welcome and help cards: what this person can do here, in their words, on one screen.

The commands the person uses most come first; the rest sit behind "More commands", grouped
by task, so an administrator with eighteen commands sees no more than a practitioner does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from adaptive_cards.card import ActionToggleVisibility, Container, InputDate, TargetElement

from cards.base import Card, execute, facts, finish, heading, paragraph, subheading

VERB_CLOCK = "clock.show"
MORE_COMMANDS_ID = "more_commands"
MORE_COMMANDS = "More commands"


@dataclass(frozen=True)
class CommandHelp:
    usage: str
    description: str


@dataclass(frozen=True)
class TaskHelp:
    """Commands that serve one task ("Follow cases"), under its name."""

    title: str
    commands: tuple[CommandHelp, ...]


@dataclass(frozen=True)
class HelpView:
    user_name: str
    partnership: str
    roles: tuple[str, ...]
    commands: tuple[CommandHelp, ...]  # shown first, in task order
    today: date
    more: tuple[TaskHelp, ...] = ()  # behind the "More commands" toggle


_PLACEHOLDER = re.compile(r"<([^<>]+)>")


def readable(text: str) -> str:
    """``status <reference>`` as ``status «reference»``.

    Teams treats anything that looks like an HTML tag in a message or a card's text as markup
    and drops it, so "register agency <name>" would show as "register agency ". Guillemets
    survive Teams' markdown untouched and read as "put yours here".
    """
    return _PLACEHOLDER.sub(lambda m: f"«{m.group(1)}»", text)


def _rows(commands: tuple[CommandHelp, ...]) -> list[tuple[str, str]]:
    return [(readable(c.usage), readable(c.description)) for c in commands]


def _commands(view: HelpView) -> list[Any]:
    """The first commands, then everything else hidden until "More commands" is pressed."""
    shown: list[Any] = [facts(_rows(view.commands))] if view.commands else []
    if not view.more:
        return shown
    hidden: list[Any] = []
    for task in view.more:
        hidden += [subheading(task.title), facts(_rows(task.commands))]
    shown.append(Container(id=MORE_COMMANDS_ID, is_visible=False, items=hidden))
    return shown


def _more_button(view: HelpView) -> list[ActionToggleVisibility]:
    if not view.more:
        return []
    return [
        ActionToggleVisibility(
            title=MORE_COMMANDS, target_elements=[TargetElement(element_id=MORE_COMMANDS_ID)]
        )
    ]


def _clock_input(today: date) -> InputDate:
    return InputDate(
        id="aware_on",
        label="Statutory deadlines from the date the partners became aware",
        value=today.isoformat(),
        is_required=True,
        error_message="Choose the date the partners became aware of the incident.",
    )


def help_card(view: HelpView) -> Card:
    roles = ", ".join(view.roles) if view.roles else "no role recorded yet"
    body = [
        heading("What I can do for you"),
        paragraph(f"{view.user_name} · {roles}", subtle=True, small=True),
        *_commands(view),
        _clock_input(view.today),
    ]
    return finish(
        body,
        [execute("Show deadlines", VERB_CLOCK), *_more_button(view)],
        fallback="What I can do for you: type help, or clock followed by a date.",
    )


def welcome_card(view: HelpView) -> Card:
    body = [
        heading(f"Hello {view.user_name.split(' ')[0]}"),
        paragraph(
            f"I help the {view.partnership} run child safeguarding practice reviews: I keep "
            "track of every statutory deadline, remind the right people and keep a record of "
            "every decision."
        ),
        paragraph(
            "Channel posts only show a case reference, its stage and its deadlines; details "
            "about a child stay in personal chats with people whose role needs them.",
            subtle=True,
            small=True,
        ),
        subheading("Things you can ask"),
        *_commands(view),
        paragraph("Type **help** any time to see this again.", subtle=True, small=True),
    ]
    return finish(
        body,
        [
            execute("Show deadlines from today", VERB_CLOCK, {"aware_on": view.today.isoformat()}),
            *_more_button(view),
        ],
        fallback="Welcome to the safeguarding practice review assistant. Type help to start.",
    )
