"""The welcome and help cards: what this person can do here, in their words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from adaptive_cards.card import InputDate

from cards.base import Card, execute, facts, finish, heading, paragraph, subheading

VERB_CLOCK = "clock.show"


@dataclass(frozen=True)
class CommandHelp:
    usage: str
    description: str


@dataclass(frozen=True)
class HelpView:
    user_name: str
    partnership: str
    roles: tuple[str, ...]
    commands: tuple[CommandHelp, ...]
    today: date


def _usage(usage: str) -> str:
    """``status <reference>`` as ``status REFERENCE``: Teams drops anything that looks like an
    HTML tag from card text, so angle-bracket placeholders would vanish."""
    return re.sub(r"<([^>]+)>", lambda m: m.group(1).upper(), usage)


def _commands(view: HelpView) -> list[tuple[str, str]]:
    return [(_usage(c.usage), c.description) for c in view.commands]


def _clock_input(today: date) -> InputDate:
    return InputDate(
        id="aware_on",
        label="Date the partners became aware",
        value=today.isoformat(),
        is_required=True,
        error_message="Choose the date the partners became aware of the incident.",
    )


def help_card(view: HelpView) -> Card:
    roles = ", ".join(view.roles) if view.roles else "no role recorded yet"
    body = [
        heading("What I can do for you"),
        paragraph(f"{view.user_name} · {roles}", subtle=True, small=True),
        facts(_commands(view)),
        subheading("Work out the statutory deadlines"),
        paragraph(
            "Pick the date the partners became aware of an incident to see every statutory "
            "deadline that follows from it, and the rule behind each."
        ),
        _clock_input(view.today),
    ]
    return finish(
        body,
        [execute("Show deadlines", VERB_CLOCK)],
        fallback="What I can do for you: type help, or clock followed by a date.",
    )


def welcome_card(view: HelpView) -> Card:
    body = [
        heading(f"Hello {view.user_name.split(' ')[0]}"),
        paragraph(
            f"I help the {view.partnership} run child safeguarding practice reviews: I keep "
            "track of every statutory clock, remind the right people before each deadline and "
            "keep an evidence trail of every decision."
        ),
        paragraph(
            "Channel posts only ever show a case reference, its stage and its deadlines. "
            "Details about a child are shared only in a personal chat with people whose role "
            "needs them.",
            subtle=True,
            small=True,
        ),
        subheading("Things you can ask"),
        facts(_commands(view)),
    ]
    return finish(
        body,
        [execute("Show deadlines from today", VERB_CLOCK, {"aware_on": view.today.isoformat()})],
        fallback="Welcome to the safeguarding practice review assistant. Type help to start.",
    )
