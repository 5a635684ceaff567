"""``help``, ``clock <date>``, the clock card's button, the welcome card, and the answer to
words that are not a command.

Anyone the directory knows may use them (``Action.USE_ASSISTANT``): they show no case data.
Words that read like a child in danger now get 999 first (``safeguarding/urgency.py``); any
other unknown words get the closest commands the person may use.
"""

from __future__ import annotations

from datetime import date

from bot_app.basics.views import (
    HelpEntry,
    clock_view,
    closest_commands,
    help_view,
    split_first_screen,
)
from bot_app.core.answers import CardAnswer, Reply, ShowCard, card, text
from bot_app.core.payloads import CardPayload, FormText, FreeText, NoArgs
from bot_app.core.routing import Router
from bot_app.core.turn import Turn
from cards.base import Card
from cards.clock import clock_card
from cards.help import VERB_CLOCK, HelpView, help_card, readable, welcome_card
from cards.safety import urgent_card
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import ClockRule
from safeguarding.dates import ACCEPTED_FORMATS, parse_user_date
from safeguarding.policy import Action, can
from safeguarding.roles import Person
from safeguarding.urgency import looks_urgent

_ECHO_LIMIT = 40


class ShowClock(CardPayload):
    """The clock button: the date typed (or set) in the card's date input."""

    aware_on: FormText = ""


class BasicsHandlers:
    def __init__(
        self,
        *,
        partnership: str,
        calendar: WorkingDayCalendar,
        clocks: tuple[ClockRule, ...],
        convention: CountingConvention,
    ) -> None:
        self._router: Router | None = None
        self._partnership = partnership
        self._calendar = calendar
        self._clocks = clocks
        self._convention = convention

    def register(self, router: Router) -> None:
        """Also keeps ``router``: help lists the commands the person may use, from it."""
        self._router = router
        router.add_command(
            ["help", "hi", "hello", "menu", "start", "?"],
            self.help,
            args=NoArgs,
            usage="help",
            description="Show what you can do here.",
            action=Action.USE_ASSISTANT,
        )
        router.add_command(
            ["clock", "clocks"],
            self.clock,
            args=FreeText,
            usage="clock <date>",
            description="Every statutory deadline from the date the partners became aware, "
            "e.g. clock 23/12/2026 or clock 2026-12-23.",
            action=Action.USE_ASSISTANT,
        )
        router.add_verb(
            VERB_CLOCK, self.clock_button, payload=ShowClock, action=Action.USE_ASSISTANT
        )

    def _entries(self, person: Person) -> list[HelpEntry]:
        """The commands ``person``'s roles allow (safeguarding/policy.py), as help lists them."""
        if self._router is None:
            raise RuntimeError("register the basics with the router before answering")
        return [
            HelpEntry(name=s.names[0], usage=s.usage, description=s.description, action=s.action)
            for s in self._router.available_to(person)
        ]

    def _help_view(self, turn: Turn) -> HelpView:
        return help_view(
            person=turn.actor,
            partnership=self._partnership,
            commands=self._entries(turn.actor),
            today=turn.today,
        )

    async def help(self, turn: Turn, _args: NoArgs) -> Reply:
        return card(help_card(self._help_view(turn)))

    def welcome(self, turn: Turn) -> Reply:
        """The card for someone who has just installed the app or joined its conversation."""
        return card(welcome_card(self._help_view(turn)))

    def unrecognised(self, turn: Turn, words: str) -> Reply:
        """Words that are not a command: 999 first if they read like a child in danger now,
        else the commands the person most likely meant."""
        if looks_urgent(words):
            return card(urgent_card(may_notify=can(turn.actor, Action.NOTIFY)))
        if self._router is None:
            raise RuntimeError("register the basics with the router before answering")
        specs = self._router.available_to(turn.actor)
        names = {name: spec.names[0] for spec in specs for name in spec.names}
        first, _, rest = words.strip().partition(" ")
        suggestions = closest_commands(words, names)
        if suggestions:
            usage = {spec.names[0]: spec.usage for spec in specs}
            # A typo of the first word keeps what followed it ("stauts ABC" -> "status ABC"),
            # when that is short enough to be a reference rather than a story.
            keep = rest.strip() if len(rest.strip()) <= _ECHO_LIMIT else ""
            typos = closest_commands(first, names) if keep else []
            options = [
                f"**{name} {keep}**" if name in typos else f"**{readable(usage[name])}**"
                for name in suggestions
            ]
            return text(
                f"Sorry, I didn't understand that. Did you mean {_either(options)}? "
                "Type **help** to see everything you can do."
            )
        shown, _ = split_first_screen(self._entries(turn.actor))
        listed = ", ".join(f"**{entry.name}**" for entry in shown)
        return text(
            f"Sorry, I didn't understand that. You can use {listed}; type **help** to see what "
            "each does."
        )

    async def clock(self, turn: Turn, args: FreeText) -> Reply:
        if not args.text:
            return text(
                "Which date did the partners become aware? For example "
                f"**clock 23/12/2026**. I accept {ACCEPTED_FORMATS}."
            )
        aware_on = parse_user_date(args.text, today=turn.today)
        return card(self._clock_card(aware_on, turn.today))

    async def clock_button(self, turn: Turn, payload: ShowClock) -> CardAnswer:
        aware_on = parse_user_date(payload.aware_on, today=turn.today)
        return ShowCard(self._clock_card(aware_on, turn.today))

    def _clock_card(self, aware_on: date, today: date) -> Card:
        return clock_card(
            clock_view(
                aware_on=aware_on,
                today=today,
                calendar=self._calendar,
                table=self._clocks,
                convention=self._convention,
            )
        )


def _either(options: list[str]) -> str:
    """ "a", "a or b", "a, b or c"."""
    if len(options) == 1:
        return options[0]
    return f"{', '.join(options[:-1])} or {options[-1]}"
