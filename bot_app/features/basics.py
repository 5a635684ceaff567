"""Help and the statutory clock: what everyone can use, with no case data involved."""

from __future__ import annotations

from datetime import date
from typing import Any

from botbuilder.core import InvokeResponse

from bot_app.invoke import card_response
from bot_app.replies import send_card, send_text
from bot_app.routing import Router, Turn
from bot_app.views import clock_view
from cards.base import Card
from cards.clock import clock_card
from cards.help import VERB_CLOCK, CommandHelp, HelpView, help_card, welcome_card
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import ClockRule
from safeguarding.dates import ACCEPTED_FORMATS, parse_user_date
from safeguarding.policy import Action


class Basics:
    def __init__(
        self,
        *,
        router: Router,
        partnership: str,
        calendar: WorkingDayCalendar,
        clocks: tuple[ClockRule, ...],
        convention: CountingConvention,
    ) -> None:
        self._router = router
        self._partnership = partnership
        self._calendar = calendar
        self._clocks = clocks
        self._convention = convention

    def register(self, router: Router) -> None:
        router.add_command(
            ["help", "hi", "hello", "menu", "start", "?"],
            self.help,
            usage="help",
            description="Show what you can do here.",
            action=Action.USE_ASSISTANT,
        )
        router.add_command(
            ["clock", "clocks"],
            self.clock,
            usage="clock <date>",
            description="Every statutory deadline from the date the partners became aware, "
            "e.g. clock 23/12/2026 or clock 2026-12-23.",
            action=Action.USE_ASSISTANT,
        )
        router.add_verb(VERB_CLOCK, self.clock_button, action=Action.USE_ASSISTANT)

    def help_view(self, turn: Turn) -> HelpView:
        return HelpView(
            user_name=turn.actor.name or "there",
            partnership=self._partnership,
            roles=turn.actor.role_labels(),
            commands=tuple(
                CommandHelp(spec.usage, spec.description)
                for spec in self._router.available_to(turn.actor)
            ),
            today=turn.today,
        )

    async def help(self, turn: Turn, _args: str) -> None:
        await send_card(turn.context, help_card(self.help_view(turn)))

    async def welcome(self, turn: Turn) -> None:
        await send_card(turn.context, welcome_card(self.help_view(turn)))

    async def clock(self, turn: Turn, args: str) -> None:
        if not args.strip():
            await send_text(
                turn.context,
                "Which date did the partners become aware? For example "
                f"**clock 23/12/2026**. I accept {ACCEPTED_FORMATS}.",
            )
            return
        aware_on = parse_user_date(args, today=turn.today)
        await send_card(turn.context, self._clock_card(aware_on, turn.today))

    async def clock_button(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        value = data.get("aware_on")
        aware_on = parse_user_date(value if isinstance(value, str) else "", today=turn.today)
        return card_response(self._clock_card(aware_on, turn.today))

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
