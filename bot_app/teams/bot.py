"""The Teams handler: translates activities into turns, dispatches them, carries out answers.

It only translates, authorises and dispatches - through the router, which checks the role
and access to the case a command or button names before any handler runs. Handlers
(``bot_app/<feature>/handlers.py``) receive a :class:`Turn` and a validated payload and return
plain answers; this class sends them - after the handler's unit of work has committed.
Anything that is not a ``DomainError`` propagates to the adapter's ``on_turn_error``, which
logs it with a correlation id.
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
    MessageFactory,
    TurnContext,
    UserState,
)
from botbuilder.dialogs import DialogContext, DialogSet
from botbuilder.schema import ChannelAccount

from bot_app.admin.identity import Directory
from bot_app.core.answers import BeginDialog, CardMessage, Reply, ShowCard, Text, Toast
from bot_app.core.payloads import MalformedPayload, NoArgs
from bot_app.core.routing import Router
from bot_app.core.turn import Turn
from bot_app.teams.invoke import error_response, invoke_response
from bot_app.teams.translate import command_in, translate
from cards.base import START_VERB, STEP_VERB
from cards.safety import CALL_999
from dialogs.attachments import card_attachment
from dialogs.card_dialog import (
    ANSWER_KEY,
    continue_card_dialog,
    is_one_card_form,
    supersede_active,
)
from dialogs.turn import TURN_KEY
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.errors import ConcurrencyConflict, DomainError
from safeguarding.policy import require
from safeguarding.urgency import looks_urgent, urgency
from storage.bot_state import SqlStorage

log = logging.getLogger(__name__)

UNKNOWN_HINT = (
    "Sorry, I didn't understand that. Type **help** to see what I can do, or "
    "**clock 23/12/2026** to see the statutory deadlines from a date."
)
PERSONAL_ONLY = (
    "That's something we should do in private: I've sent you a personal message. "
    "Please carry on there."
)
NO_LONGER_ACTIVE = "That card is no longer active. Type **help** to see what you can do."
# Typed during a one-card form, these words are the form's own (type cancel to stop it).
FORM_WORDS = frozenset({"cancel", "back", "next"})
NO_LONGER_SUPPORTED = "This button is no longer supported. Type help for the current options."
INSTALLED_IN_TEAM = (
    "Hello, I'm the safeguarding practice review assistant. I post case references, stages "
    "and deadlines here - never details about a child. Mention me with **help** to see what "
    "I can do."
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
    state_store: SqlStorage  # where both states are kept
    welcome: Callable[[Turn], Reply]
    now: Callable[[], datetime]
    # Called for every message, invoke and conversation update before it is handled, e.g. to
    # remember conversation references for proactive messages. They must not reply.
    observers: tuple[Callable[[Turn], Awaitable[None]], ...] = ()
    # The answer to words that are not a command (or that read like a child in danger now):
    # 999 first when urgent, else the closest commands. Without one, a fixed hint.
    unrecognised: Callable[[Turn, str], Reply] | None = None


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
        # A message needs the conversation's state (its form) and the person's (welcomed?):
        # both are read in one statement.
        async with self._deps.state_store.reading_ahead(self._state_keys(turn_context)):
            await self._on_message(turn_context)

    def _state_keys(self, turn_context: TurnContext) -> list[str]:
        try:
            return [
                self._deps.conversation_state.get_storage_key(turn_context),
                self._deps.user_state.get_storage_key(turn_context),
            ]
        except (TypeError, AttributeError):  # no conversation or sender: botbuilder refuses
            return []

    async def _on_message(self, turn_context: TurnContext) -> None:
        turn = await self._turn(turn_context)
        await self._observe(turn)
        dialog_context = await self._deps.dialogs.create_context(turn_context)
        try:
            if dialog_context.active_dialog is not None and not self._command_over_form(
                dialog_context, turn
            ):
                if turn.text and looks_urgent(turn.text):
                    # Safety first, even in the middle of a form; the form stays as it was.
                    log.info("urgent words in a dialog (%s)", urgency(turn.text))
                    await self._send(turn_context, [Text(CALL_999)])
                await dialog_context.continue_dialog()
                return
            text = turn.text or command_in(turn_context.activity)
            value = turn_context.activity.value
            if not text and isinstance(value, dict):
                await self._send(turn_context, await self._orphan_submit(turn, value))
                return
            word, _, args = text.partition(" ")
            spec = self._deps.router.command(word.rstrip("?!.") or "help")
            # "help, the baby is not breathing" must not get the help card: words after a
            # command that takes none are read like any other unrecognised text.
            spoken = spec is None or (spec.args is NoArgs and bool(args.strip()))
            if spoken and looks_urgent(text):
                log.info("urgent words (%s)", urgency(text))
                await self._send(turn_context, self._unrecognised(turn, text))
                return
            if not await self._welcomed(turn_context) and turn.is_personal:
                await self._mark_welcomed(turn_context)
                await self._send(turn_context, self._deps.welcome(turn))
                if spec is not None and spec.names[0] == "help":
                    return
            if spec is None:
                log.info("unrecognised message (%d characters)", len(text))
                await self._send(turn_context, self._unrecognised(turn, text))
                return
            require(turn.actor, spec.action)
            if spec.personal_only and not turn.is_personal:
                await self._send(turn_context, [Text(PERSONAL_ONLY)])
                return
            parsed = spec.args.parse(
                args.strip(), prefix=self._deps.router.reference_prefix, usage=spec.usage
            )
            await self._send(turn_context, await self._deps.router.run_command(spec, turn, parsed))
        except DomainError as error:
            log.info("refused: %s", type(error).__name__)
            await self._send(turn_context, [Text(error.user_message)])

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
        if verb == STEP_VERB:
            return await self._card_step(turn_context, data or {})
        if verb == START_VERB:
            return await self._card_start(turn_context, data or {})
        spec = self._deps.router.verb(verb)
        if spec is None:
            log.warning("unknown card verb %r", verb)
            return error_response("UnknownAction", NO_LONGER_SUPPORTED)
        turn = await self._turn(turn_context)
        await self._observe(turn)
        try:
            require(turn.actor, spec.action)
            payload = spec.payload.read(data or {})
            return invoke_response(await self._deps.router.run_verb(spec, turn, payload))
        except MalformedPayload as error:
            log.warning("card verb %r with a malformed payload: %s", verb, error.fields)
            return error_response("BadRequest", error.user_message)
        except DomainError as error:
            log.info("card action %r refused: %s", verb, type(error).__name__)
            return error_response(type(error).__name__, error.user_message)

    async def _card_step(
        self, turn_context: TurnContext, data: dict[str, object]
    ) -> InvokeResponse:
        """A step button of a card dialog (the notification, the agency report): the dialog
        checks the role and the answers, and its answer replaces the card in place."""
        turn = await self._turn(turn_context)
        await self._observe(turn)
        try:
            dialog_context = await self._deps.dialogs.create_context(turn_context)
            answer = await continue_card_dialog(dialog_context, data)
        except DomainError as error:
            log.info("card step refused: %s", type(error).__name__)
            return error_response(type(error).__name__, error.user_message)
        if answer is None:
            log.warning("card step for an unknown dialog")
            return error_response("UnknownAction", NO_LONGER_SUPPORTED)
        return invoke_response(Toast(answer) if isinstance(answer, str) else ShowCard(answer))

    async def _card_start(
        self, turn_context: TurnContext, data: dict[str, object]
    ) -> InvokeResponse:
        """A Start button (``Action.Execute``): its command runs as if typed - the role and
        access checked as for typed words - and the form it begins replaces the card (a
        form already open is replaced, and its card says so). A refusal changes nothing."""
        turn = await self._turn(turn_context)
        await self._observe(turn)
        command = data.get("command")
        word, _, args = command.partition(" ") if isinstance(command, str) else ("", "", "")
        spec = self._deps.router.command(word)
        if spec is None:
            log.warning("start button for an unknown command")
            return error_response("UnknownAction", NO_LONGER_SUPPORTED)
        try:
            require(turn.actor, spec.action)
            if spec.personal_only and not turn.is_personal:
                return invoke_response(Toast(PERSONAL_ONLY))
            parsed = spec.args.parse(
                args.strip(), prefix=self._deps.router.reference_prefix, usage=spec.usage
            )
            reply = await self._deps.router.run_command(spec, turn, parsed)
            await self._send(turn_context, [s for s in reply if isinstance(s, BeginDialog)])
        except DomainError as error:
            log.info("start button refused: %s", type(error).__name__)
            return error_response(type(error).__name__, error.user_message)
        found = turn_context.turn_state.get(ANSWER_KEY)
        cards = [s.card for s in reply if isinstance(s, CardMessage)]
        texts = [s.text for s in reply if isinstance(s, Text)]
        if isinstance(found, dict) or cards:
            return invoke_response(ShowCard(found if isinstance(found, dict) else cards[-1]))
        return invoke_response(Toast(" ".join(texts) or str(found or "Done.")))

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
                await self._send(turn_context, self._deps.welcome(turn))
            return
        await self._send(turn_context, [Text(INSTALLED_IN_TEAM)])

    async def on_installation_update(self, turn_context: TurnContext) -> None:
        # Teams sends conversationUpdate alongside installationUpdate; welcoming on both
        # would greet twice, so the welcome happens on conversationUpdate only.
        conversation = turn_context.activity.conversation
        log.info(
            "app %s in a %s conversation",
            turn_context.activity.action,
            (conversation.conversation_type if conversation else None) or "personal",
        )

    async def on_unrecognized_activity_type(self, turn_context: TurnContext) -> None:
        log.info("ignored activity type %r", turn_context.activity.type)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        await self._observe(await self._turn(turn_context))
        await super().on_conversation_update_activity(turn_context)

    # --- helpers ----------------------------------------------------------------------

    async def _observe(self, turn: Turn) -> None:
        for observer in self._deps.observers:
            await observer(turn)

    async def _turn(self, turn_context: TurnContext) -> Turn:
        turn = await translate(
            turn_context.activity,
            directory=self._deps.directory,
            calendar=self._deps.calendar,
            now=self._deps.now(),
        )
        turn_context.turn_state[TURN_KEY] = turn  # for dialogs (dialogs.turn.turn_of)
        return turn

    async def _send(self, turn_context: TurnContext, reply: Reply) -> None:
        """Carry out a handler's answer: texts and cards in this conversation, dialogs begun."""
        for said in reply:
            if isinstance(said, Text):
                await turn_context.send_activity(MessageFactory.text(said.text))
            elif isinstance(said, CardMessage):
                await turn_context.send_activity(
                    MessageFactory.attachment(card_attachment(said.card))
                )
            elif isinstance(said, BeginDialog):
                dialog_context = await self._deps.dialogs.create_context(turn_context)
                # A one-card form replaced by this one says so on its card, without buttons.
                await supersede_active(dialog_context)
                await dialog_context.cancel_all_dialogs()
                await dialog_context.begin_dialog(said.dialog_id, said.options)

    def _command_over_form(self, dialog_context: DialogContext, turn: Turn) -> bool:
        """A command typed while a one-card form is open runs as usual: the form stays on
        its card, or - when the command starts a new form - is replaced, and its card says
        so. Other typed words (and ``cancel``, ``back``) go to the form."""
        if dialog_context.context.activity.value is not None or not turn.text:
            return False
        word = turn.text.partition(" ")[0].rstrip("?!.").lower()
        if word in FORM_WORDS or self._deps.router.command(word) is None:
            return False
        return is_one_card_form(dialog_context)

    def _unrecognised(self, turn: Turn, text: str) -> Reply:
        if self._deps.unrecognised is None:
            return [Text(CALL_999 if looks_urgent(text) else UNKNOWN_HINT)]
        return self._deps.unrecognised(turn, text)

    async def _orphan_submit(self, turn: Turn, value: dict[str, object]) -> Reply:
        for handler in self._deps.router.orphan_submit_handlers:
            reply = await handler(turn, dict(value))
            if reply is not None:
                return reply
        log.info("card submit outside a dialog ignored")
        return [Text(NO_LONGER_ACTIVE)]

    async def _welcomed(self, turn_context: TurnContext) -> bool:
        profile = await self._profile.get(turn_context, dict)
        return bool(profile.get("welcomed"))

    async def _mark_welcomed(self, turn_context: TurnContext) -> None:
        profile = await self._profile.get(turn_context, dict)
        profile["welcomed"] = True
        await self._profile.set(turn_context, profile)
