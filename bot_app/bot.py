"""The Teams handler: translates activities into commands and verbs, and answers them.

It only translates and dispatches. Rules live in ``safeguarding/``; card layout in
``cards/``. Anything that is not a ``DomainError`` propagates to the adapter's
``on_turn_error``, which logs it with a correlation id.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from http import HTTPStatus
from typing import Any

from botbuilder.core import (
    ActivityHandler,
    ConversationState,
    InvokeResponse,
    MessageFactory,
    TurnContext,
    UserState,
)
from botbuilder.dialogs import DialogSet
from botbuilder.schema import Activity, Attachment, ChannelAccount

from bot_app.commands import Clock, Help, Unknown, parse_command
from bot_app.invoke import card_response, error_response
from bot_app.settings import Settings
from bot_app.views import clock_view, help_view
from cards.base import CARD_CONTENT_TYPE, Card
from cards.clock import clock_card
from cards.help import VERB_CLOCK, HelpView, help_card, welcome_card
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.clocks import ClockRule
from safeguarding.dates import ACCEPTED_FORMATS, parse_user_date
from safeguarding.errors import DomainError

log = logging.getLogger(__name__)

UNKNOWN_HINT = (
    "Sorry, I didn't understand that. Type **help** to see what I can do, or "
    "**clock 23/12/2026** to see the statutory deadlines from a date."
)


@dataclass(frozen=True)
class BotDeps:
    """What the handler needs, built once by the composition root."""

    settings: Settings
    calendar: WorkingDayCalendar
    clocks: tuple[ClockRule, ...]
    conversation_state: ConversationState
    user_state: UserState
    now: Callable[[], datetime]


class SafeguardingBot(ActivityHandler):
    def __init__(self, deps: BotDeps) -> None:
        self._deps = deps
        self._profile = deps.user_state.create_property("Profile")
        self._dialogs = DialogSet(deps.conversation_state.create_property("DialogState"))
        self._verbs: dict[str, Callable[[TurnContext, dict[str, Any]], Awaitable[Card]]] = {
            VERB_CLOCK: self._clock_card_for,
        }

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        await self._deps.conversation_state.save_changes(turn_context)
        await self._deps.user_state.save_changes(turn_context)

    # --- messages -----------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        dialog_context = await self._dialogs.create_context(turn_context)
        if dialog_context.active_dialog is not None:
            await dialog_context.continue_dialog()
            return
        if not await self._welcomed(turn_context):
            await self._welcome(turn_context)
            if isinstance(parse_command(turn_context.activity.text), Help):
                return
        command = parse_command(turn_context.activity.text)
        try:
            if isinstance(command, Help):
                await self._send_card(turn_context, help_card(self._help_view(turn_context)))
            elif isinstance(command, Clock):
                await self._answer_clock(turn_context, command.date_text)
            elif isinstance(command, Unknown):
                log.info("unrecognised message (%d characters)", len(command.text))
                await turn_context.send_activity(UNKNOWN_HINT)
        except DomainError as error:
            await turn_context.send_activity(error.user_message)

    async def _answer_clock(self, turn_context: TurnContext, date_text: str) -> None:
        if not date_text:
            await turn_context.send_activity(
                "Which date did the partners become aware? For example "
                f"**clock 23/12/2026**. I accept {ACCEPTED_FORMATS}."
            )
            return
        aware_on = parse_user_date(date_text, today=self._today())
        await self._send_card(turn_context, self._clock_card(aware_on))

    # --- Universal Actions --------------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name != "adaptiveCard/action":
            log.info("ignored invoke %r", activity.name)
            return InvokeResponse(status=HTTPStatus.NOT_IMPLEMENTED)
        action = activity.value.get("action") if isinstance(activity.value, dict) else None
        verb = action.get("verb") if isinstance(action, dict) else None
        data = action.get("data") if isinstance(action, dict) else None
        if not isinstance(verb, str) or not isinstance(data, dict | None):
            log.warning("malformed adaptiveCard/action payload")
            return error_response("BadRequest", "That button sent something I couldn't read.")
        handler = self._verbs.get(verb)
        if handler is None:
            log.warning("unknown card verb %r", verb)
            return error_response(
                "UnknownAction",
                "This button is no longer supported. Type help for the current options.",
            )
        try:
            return card_response(await handler(turn_context, data or {}))
        except DomainError as error:
            return error_response("InvalidInput", error.user_message)

    async def _clock_card_for(self, turn_context: TurnContext, data: dict[str, Any]) -> Card:
        value = data.get("aware_on")
        aware_on = parse_user_date(value if isinstance(value, str) else "", today=self._today())
        return self._clock_card(aware_on)

    # --- installation and first contact ------------------------------------------------

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        """Welcome when the bot is added; in a team, one introduction for the channel."""
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if not any(member.id == bot_id for member in members_added):
            return
        if _conversation_type(turn_context.activity) == "personal":
            if not await self._welcomed(turn_context):
                await self._welcome(turn_context)
            return
        await turn_context.send_activity(
            "Hello, I'm the safeguarding practice review assistant. I post case references, "
            "stages and deadlines here - never details about a child. Mention me with **help** "
            "to see what I can do."
        )

    async def on_installation_update(self, turn_context: TurnContext) -> None:
        # Teams sends conversationUpdate alongside installationUpdate; welcoming on both
        # would greet twice, so the welcome happens on conversationUpdate only.
        log.info(
            "app %s in a %s conversation",
            turn_context.activity.action,
            _conversation_type(turn_context.activity),
        )

    async def on_unrecognized_activity_type(self, turn_context: TurnContext) -> None:
        log.info("ignored activity type %r", turn_context.activity.type)

    # --- helpers ----------------------------------------------------------------------

    def _today(self) -> date:
        return self._deps.calendar.local_date(self._deps.now())

    def _clock_card(self, aware_on: date) -> Card:
        return clock_card(
            clock_view(
                aware_on=aware_on,
                today=self._today(),
                calendar=self._deps.calendar,
                table=self._deps.clocks,
                convention=self._deps.settings.counting_convention,
            )
        )

    def _help_view(self, turn_context: TurnContext) -> HelpView:
        sender = turn_context.activity.from_property
        return help_view(
            user_name=(sender.name if sender else "") or "",
            partnership=self._deps.settings.partnership_name,
            roles=(),
            today=self._today(),
        )

    async def _welcomed(self, turn_context: TurnContext) -> bool:
        profile = await self._profile.get(turn_context, dict)
        return bool(profile.get("welcomed"))

    async def _welcome(self, turn_context: TurnContext) -> None:
        profile = await self._profile.get(turn_context, dict)
        profile["welcomed"] = True
        await self._profile.set(turn_context, profile)
        await self._send_card(turn_context, welcome_card(self._help_view(turn_context)))

    @staticmethod
    async def _send_card(turn_context: TurnContext, card: Card) -> None:
        attachment = Attachment(content_type=CARD_CONTENT_TYPE, content=card)
        await turn_context.send_activity(MessageFactory.attachment(attachment))


def _conversation_type(activity: Activity) -> str:
    conversation = activity.conversation
    return (conversation.conversation_type if conversation else None) or "personal"
