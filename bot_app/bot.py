"""The Teams handler: translates activities into commands and verbs, and dispatches them.

It only translates, authorises and dispatches. Rules live in ``safeguarding/``, card layout
in ``cards/``, and each feature registers its commands and verbs with the router. Anything
that is not a ``DomainError`` propagates to the adapter's ``on_turn_error``, which logs it
with a correlation id.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus

from botbuilder.core import (
    ActivityHandler,
    ConversationState,
    InvokeResponse,
    TurnContext,
    UserState,
)
from botbuilder.dialogs import DialogSet
from botbuilder.schema import Activity, ChannelAccount

from bot_app.identity import Directory
from bot_app.invoke import error_response
from bot_app.replies import send_text
from bot_app.routing import TURN_KEY, Router, Turn
from bot_app.text import clean_text
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.errors import ConcurrencyConflict, DomainError
from safeguarding.policy import require

log = logging.getLogger(__name__)

UNKNOWN_HINT = (
    "Sorry, I didn't understand that. Type **help** to see what I can do, or "
    "**clock 23/12/2026** to see the statutory deadlines from a date."
)
PERSONAL_ONLY = (
    "That's something we should do in private: I've sent you a personal message. "
    "Please carry on there."
)


@dataclass(frozen=True)
class BotDeps:
    """What the handler needs, built once by the composition root."""

    router: Router
    directory: Directory
    calendar: WorkingDayCalendar
    conversation_state: ConversationState
    user_state: UserState
    dialogs: DialogSet
    welcome: Callable[[Turn], Awaitable[None]]
    now: Callable[[], datetime]
    # Called for every message, invoke and conversation update before it is handled, e.g. to
    # remember conversation references for proactive messages. They must not reply.
    observers: tuple[Callable[[Turn], Awaitable[None]], ...] = ()


class SafeguardingBot(ActivityHandler):
    def __init__(self, deps: BotDeps) -> None:
        self._deps = deps
        self._profile = deps.user_state.create_property("Profile")

    async def on_turn(self, turn_context: TurnContext) -> None:
        await super().on_turn(turn_context)
        try:
            await self._deps.conversation_state.save_changes(turn_context)
            await self._deps.user_state.save_changes(turn_context)
        except ConcurrencyConflict:
            # Two activities of one conversation were handled at once (a double-pressed
            # button). The other turn's state was saved and this one's is stale; it is not
            # written over the other, and the person already has this turn's answer.
            log.warning("conversation state changed by a concurrent turn; this turn's is dropped")

    # --- messages -----------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        turn = await self._turn(turn_context)
        await self._observe(turn)
        dialog_context = await self._deps.dialogs.create_context(turn_context)
        try:
            if dialog_context.active_dialog is not None:
                await dialog_context.continue_dialog()
                return
            text = clean_text(turn_context.activity.text) or _command_in(turn_context.activity)
            value = turn_context.activity.value
            if not text and isinstance(value, dict):
                await self._orphan_submit(turn, value)
                return
            word, _, args = text.partition(" ")
            spec = self._deps.router.command(word.rstrip("?!.") or "help")
            if not await self._welcomed(turn_context) and turn.is_personal:
                await self._mark_welcomed(turn_context)
                await self._deps.welcome(turn)
                if spec is not None and spec.names[0] == "help":
                    return
            if spec is None:
                log.info("unrecognised message (%d characters)", len(text))
                await send_text(turn_context, UNKNOWN_HINT)
                return
            require(turn.actor, spec.action)
            if spec.personal_only and not turn.is_personal:
                await send_text(turn_context, PERSONAL_ONLY)
                return
            await spec.handler(turn, args.strip())
        except DomainError as error:
            log.info("refused: %s", type(error).__name__)
            await send_text(turn_context, error.user_message)

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
        spec = self._deps.router.verb(verb)
        if spec is None:
            log.warning("unknown card verb %r", verb)
            return error_response(
                "UnknownAction",
                "This button is no longer supported. Type help for the current options.",
            )
        turn = await self._turn(turn_context)
        await self._observe(turn)
        try:
            require(turn.actor, spec.action)
            return await spec.handler(turn, data or {})
        except DomainError as error:
            log.info("card action %r refused: %s", verb, type(error).__name__)
            return error_response(type(error).__name__, error.user_message)

    # --- installation and first contact ------------------------------------------------

    async def on_members_added_activity(
        self, members_added: list[ChannelAccount], turn_context: TurnContext
    ) -> None:
        """Welcome when the bot is added; in a team, one introduction for the channel."""
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if not any(member.id == bot_id for member in members_added):
            return
        turn = await self._turn(turn_context)
        if turn.is_personal:
            if not await self._welcomed(turn_context):
                await self._mark_welcomed(turn_context)
                await self._deps.welcome(turn)
            return
        await send_text(
            turn_context,
            "Hello, I'm the safeguarding practice review assistant. I post case references, "
            "stages and deadlines here - never details about a child. Mention me with **help** "
            "to see what I can do.",
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

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        await self._observe(await self._turn(turn_context))
        await super().on_conversation_update_activity(turn_context)

    async def _observe(self, turn: Turn) -> None:
        for observer in self._deps.observers:
            await observer(turn)

    async def _turn(self, turn_context: TurnContext) -> Turn:
        activity = turn_context.activity
        sender = activity.from_property
        now = self._deps.now()
        # The Entra object id is the stable identity; without one (some test clients) the
        # Teams id stands in, and such a person only ever gets the default roles.
        object_id = (
            sender.aad_object_id if sender else None
        ) or f"teams:{sender.id if sender else ''}"
        actor = await self._deps.directory.resolve(object_id, (sender.name if sender else "") or "")
        turn = Turn(
            context=turn_context,
            actor=actor,
            teams_user_id=(sender.id if sender else "") or "",
            conversation_type=_conversation_type(activity),
            now=now,
            today=self._deps.calendar.local_date(now),
        )
        turn_context.turn_state[TURN_KEY] = turn
        return turn

    async def _orphan_submit(self, turn: Turn, value: dict[str, object]) -> None:
        for handler in self._deps.router.orphan_submit_handlers:
            if await handler(turn, dict(value)):
                return
        log.info("card submit outside a dialog ignored")
        await send_text(
            turn.context, "That card is no longer active. Type **help** to see what you can do."
        )

    async def _welcomed(self, turn_context: TurnContext) -> bool:
        profile = await self._profile.get(turn_context, dict)
        return bool(profile.get("welcomed"))

    async def _mark_welcomed(self, turn_context: TurnContext) -> None:
        profile = await self._profile.get(turn_context, dict)
        profile["welcomed"] = True
        await self._profile.set(turn_context, profile)


def _command_in(activity: Activity) -> str:
    """A button that starts a command (``{"command": "notify"}``) acts as if it were typed."""
    value = activity.value
    command = value.get("command") if isinstance(value, dict) else None
    return command if isinstance(command, str) else ""


def _conversation_type(activity: Activity) -> str:
    conversation = activity.conversation
    return (conversation.conversation_type if conversation else None) or "personal"
