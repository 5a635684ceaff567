"""``help``, ``clock <date>``, the clock card's button, and the welcome card.

Anyone the directory knows may use them (``Action.USE_ASSISTANT``): they show no case data.
"""

from __future__ import annotations

from datetime import date

from bot_app.basics.views import clock_view, help_view
from bot_app.core.answers import CardAnswer, Reply, ShowCard, card, text
from bot_app.core.payloads import CardPayload, FormText, FreeText, NoArgs
from bot_app.core.routing import Router
from bot_app.core.turn import Turn
from cards.base import Card
from cards.clock import clock_card
from cards.help import VERB_CLOCK, HelpView, help_card, welcome_card
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import ClockRule
from safeguarding.dates import ACCEPTED_FORMATS, parse_user_date
from safeguarding.policy import Action


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

    def _help_view(self, turn: Turn) -> HelpView:
        if self._router is None:
            raise RuntimeError("register the basics with the router before answering")
        return help_view(
            person=turn.actor,
            partnership=self._partnership,
            commands=[(s.usage, s.description) for s in self._router.available_to(turn.actor)],
            today=turn.today,
        )

    async def help(self, turn: Turn, _args: NoArgs) -> Reply:
        return card(help_card(self._help_view(turn)))

    def welcome(self, turn: Turn) -> Reply:
        """The card for someone who has just installed the app or joined its conversation."""
        return card(welcome_card(self._help_view(turn)))

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
