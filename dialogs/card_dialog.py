"""The mechanics every card-by-card dialog shares: steps, ``back`` and ``cancel``, stale cards.

A card dialog shows one card per step, then a review card with a submit button. Every card it
sends carries the dialog's ``token`` and the ``step`` it was drawn for, so a press on a card
from an earlier step (or from an abandoned dialog) is recognised and the current card shown
again instead. ``back`` and ``cancel`` may be pressed or typed; other typed text gets a hint,
since the answers belong on the card. The state (token, step, answers, history and, where
the review can jump to a section, editing) lives in the conversation state on the database,
encrypted (``storage/bot_state.py``), so a restart of the service resumes where the person was.

A dialog whose cards press :data:`STEP_VERB` (``Action.Execute``, ``universal = True``) keeps
ONE card for the whole task: every press arrives as an ``adaptiveCard/action`` invoke, and the
answer - the next step, the same step with the error, or the receipt once sent or cancelled -
replaces the pressed card in place (:data:`ANSWER_KEY`, read by the edge). A press on a card
no dialog is waiting for (sent, cancelled, replaced by a newer one) is answered by
:meth:`CardStepDialog.answer_inactive`: the receipt of what became of it, never a red error.

Such a dialog also remembers the id of every message that shows its card (:data:`COPIES`: the
card it sent, the Start card it replaced, a copy shown again). When the form ends - sent,
cancelled (pressed or typed), or replaced by a newer form (:func:`supersede_active`) - each of
those messages is updated in place, through the connector, to the short receipt without live
buttons, so no copy on another device keeps buttons that no longer lead anywhere.

A concrete dialog supplies only its domain: its steps and the action it needs, what to keep
when it starts, how to read a step's answers, its cards, and what submitting does.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Final

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult
from botbuilder.schema import ActivityTypes

from cards.base import Card, with_notice
from dialogs.attachments import card_attachment
from dialogs.turn import DialogTurn, turn_of
from safeguarding.errors import DomainError
from safeguarding.policy import Action, require

REVIEW: Final = "review"
# The ids of the messages that show a universal dialog's card, in its state.
COPIES: Final = "cards"
# Where a universal dialog leaves its answer to an invoke: a card (replaces the pressed one) or
# a short text (a toast).
ANSWER_KEY: Final = "cspr.card_answer"
WAITING_ON_CARD: Final = (
    "Your answers go on the card above: use its buttons (**Next**, **Back**, **Cancel**). "
    "Type **cancel** to stop."
)
WAITING: Final = (
    "I'm waiting for your answers on the card above: fill it in and press **Next**. "
    "You can also type **back** or **cancel**."
)
STALE: Final = "That card is from an earlier step. Here is where you are now:"
STALE_ON_CARD: Final = (
    "That button was on an earlier step of this form (shown on another device, or pressed "
    "twice). Nothing was changed: here is where you are now."
)
RESUMED: Final = "You have this form in progress - here it is. Type **cancel** to stop it."
NO_LONGER_IN_USE: Final = (
    "This form is no longer in use: nothing from it was sent. If you started a newer one, "
    "carry on there."
)

log = logging.getLogger(__name__)

State = dict[str, Any]
# What submitting answers with: texts and cards for the person, sent after the service's
# unit of work has committed.
Said = str | Card
Answer = str | Card


def is_invoke(context: TurnContext) -> bool:
    return context.activity.type == ActivityTypes.invoke


def pressed(context: TurnContext) -> dict[str, Any] | None:
    """What a press sent: an ``Action.Execute``'s data (inputs merged in), or an
    ``Action.Submit``'s value; ``None`` for typed text."""
    value = context.activity.value
    if is_invoke(context):
        action = value.get("action") if isinstance(value, dict) else None
        data = action.get("data") if isinstance(action, dict) else None
        return dict(data) if isinstance(data, dict) else {}
    return value if isinstance(value, dict) else None


def answer(context: TurnContext, item: Answer) -> None:
    """Leave ``item`` as the answer to this invoke (the last one wins)."""
    context.turn_state[ANSWER_KEY] = item


async def continue_card_dialog(
    dialog_context: DialogContext, data: Mapping[str, Any]
) -> Answer | None:
    """An invoke of :data:`STEP_VERB`: the active dialog it names carries on, or - when that
    dialog is not waiting - says what became of the form. ``None``: no such card dialog."""
    dialog_id = data.get("dialog")
    dialog = dialog_context.find_dialog_sync(dialog_id) if isinstance(dialog_id, str) else None
    if not isinstance(dialog, CardStepDialog) or not dialog.universal:
        return None
    active = dialog_context.active_dialog
    if active is not None and active.id == dialog_id:
        await dialog_context.continue_dialog()
    else:
        await dialog.answer_inactive(dialog_context.context, data)
    found = dialog_context.context.turn_state.get(ANSWER_KEY)
    return found if isinstance(found, str | dict) else None


async def supersede_active(dialog_context: DialogContext) -> None:
    """Before a new dialog replaces the active one: a one-card form's messages say it was
    replaced (nothing sent from it), without live buttons."""
    active = dialog_context.active_dialog
    if active is None:
        return
    dialog = dialog_context.find_dialog_sync(active.id)
    if isinstance(dialog, CardStepDialog) and dialog.universal:
        await dialog.supersede(dialog_context.context, active.state)


def is_one_card_form(dialog_context: DialogContext) -> bool:
    """Whether the active dialog keeps its answers on one card (``universal``)."""
    active = dialog_context.active_dialog
    dialog = dialog_context.find_dialog_sync(active.id) if active is not None else None
    return isinstance(dialog, CardStepDialog) and dialog.universal


async def say(context: TurnContext, items: Sequence[Said]) -> list[str]:
    """Send ``items`` (an invoke: leave the answer); the ids of the messages with a card."""
    if is_invoke(context):
        # One answer replaces the pressed card: the last card, else the last text.
        cards = [item for item in items if not isinstance(item, str)]
        if cards or items:
            answer(context, cards[-1] if cards else items[-1])
        return []
    sent: list[str] = []
    for item in items:
        if isinstance(item, str):
            await context.send_activity(MessageFactory.text(item))
        else:
            response = await context.send_activity(MessageFactory.attachment(card_attachment(item)))
            if response is not None and response.id:
                sent.append(response.id)
    return sent


def _remember(state: State, activity_ids: Sequence[str]) -> None:
    copies: list[str] = state.setdefault(COPIES, [])
    copies.extend(i for i in activity_ids if i and i not in copies)


async def _put_card(context: TurnContext, activity_id: str, card: Card) -> None:
    """Update the message ``activity_id`` of this conversation to ``card``, for everyone."""
    update = MessageFactory.attachment(card_attachment(card))
    update.id = activity_id
    try:
        await context.update_activity(update)
    except Exception as error:
        # The form is already sent, cancelled or replaced; a copy left as it was answers
        # with its receipt when pressed (answer_inactive), so this is logged, not raised.
        log.warning("could not update a copy of a form's card: %s", type(error).__name__)


class CardStepDialog(Dialog):
    """A dialog of step cards and a review card; subclasses override the ``_``-hooks below."""

    steps: ClassVar[tuple[str, ...]]
    action: ClassVar[Action]  # checked on every turn, whatever the card showed
    kind: ClassVar[str]  # what the log calls its cards: "stale {kind} card ignored"
    # The review card's Edit buttons jump to a section and back (``editing`` in the state).
    edits_from_review: ClassVar[bool] = False
    # Its cards press STEP_VERB (Action.Execute): one card, replaced in place at every step.
    universal: ClassVar[bool] = False

    # -- what a concrete dialog supplies ------------------------------------------------------

    def _start(self, options: object) -> State:
        """Check the dialog's start options; what to keep in the state besides the answers."""
        return {}

    def _cancelled(self, state: State) -> str:
        raise NotImplementedError

    def _read_step(self, turn: DialogTurn, step: str, value: Mapping[str, Any]) -> dict[str, str]:
        """Validate one step's inputs: the raw answers to keep, or a ``DomainError``."""
        raise NotImplementedError

    def _next_step(self, step: str, answers: Mapping[str, str]) -> str:
        position = self.steps.index(step)
        return self.steps[position + 1] if position + 1 < len(self.steps) else REVIEW

    def _draft(self, state: State, typed: Mapping[str, Any]) -> dict[str, str]:
        """A step card's inputs: the answers so far, with what was just sent over them."""
        return {**state["answers"], **{k: str(v) for k, v in typed.items()}}

    def _step_card(
        self, turn: DialogTurn, state: State, draft: dict[str, str], error: str | None
    ) -> Card:
        raise NotImplementedError

    def _review_card(self, state: State, error: str | None) -> Card:
        raise NotImplementedError

    async def _submit_answers(self, turn: DialogTurn, state: State) -> Sequence[Said]:
        """The review's submit: what to tell the person. A ``DomainError`` is shown on the
        review card instead."""
        raise NotImplementedError

    def _cancelled_card(self, turn: DialogTurn, state: State) -> Card:
        """A universal dialog's receipt for Cancel, replacing the card (no live buttons)."""
        raise NotImplementedError

    def _superseded_card(self, turn: DialogTurn, state: State) -> Card:
        """A universal dialog's card once a newer form replaced it: nothing sent from it."""
        raise NotImplementedError

    async def _inactive_card(self, turn: DialogTurn, data: Mapping[str, Any]) -> Answer:
        """What became of a form no dialog is waiting for: sent (when, as what) or not."""
        return NO_LONGER_IN_USE

    def _saved_notice(self, turn: DialogTurn, step: str) -> str | None:
        """The receipt shown on the next card once a step's answers are kept."""
        return None

    # -- the mechanics ------------------------------------------------------------------------

    async def begin_dialog(
        self, dialog_context: DialogContext, options: object = None
    ) -> DialogTurnResult:
        kept = self._start(options)
        state: State = dialog_context.active_dialog.state
        state.update(token=uuid.uuid4().hex, step=self.steps[0], answers={}, history=[])
        if self.edits_from_review:
            state["editing"] = False
        state.update(kept)
        await self._show(dialog_context.context, state)
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        context = dialog_context.context
        state: State = dialog_context.active_dialog.state
        turn = turn_of(context)
        require(turn.actor, self.action)
        value = pressed(context)
        nav = str(value.get("nav", "")) if value is not None else turn.text
        nav = nav.lower()

        if value is not None and value.get("token") != state["token"]:
            # A card of another form of the same kind: the one sent, cancelled or replaced.
            logging.getLogger(type(self).__module__).info("stale %s card ignored", self.kind)
            if self.universal and is_invoke(context):
                answer(context, await self._inactive_card(turn, value))
                return Dialog.end_of_turn
            await say(context, [RESUMED if self.universal else STALE])
            await self._show(context, state)
            return Dialog.end_of_turn
        if nav == "cancel":
            if self.universal:
                # Pressed or typed: every message showing the form becomes the receipt.
                receipt = self._cancelled_card(turn, state)
                await self.close_copies(context, state, receipt, keep_pressed=False)
                if is_invoke(context):
                    answer(context, receipt)
                    return await dialog_context.end_dialog()
            await say(context, [self._cancelled(state)])
            return await dialog_context.end_dialog()
        if value is None and (nav != "back" or self.universal):
            await say(context, [WAITING_ON_CARD if self.universal else WAITING])
            return Dialog.end_of_turn
        if value is not None and value.get("step") != state["step"]:
            logging.getLogger(type(self).__module__).info("stale %s step ignored", self.kind)
            if self.universal:
                await self._show(context, state, notice=STALE_ON_CARD)
                return Dialog.end_of_turn
            await say(context, [STALE])
        elif nav == "back":
            self._back(state)
        elif state["step"] == REVIEW:
            if nav == "submit":
                return await self._on_submit(dialog_context, turn, state)
            section = (value or {}).get("section")
            if nav == "edit" and self.edits_from_review and section in self.steps:
                state["step"], state["editing"] = section, True
        else:
            await self._on_step(context, turn, state, value or {})
            return Dialog.end_of_turn
        await self._show(context, state)
        return Dialog.end_of_turn

    async def answer_inactive(self, context: TurnContext, data: Mapping[str, Any]) -> None:
        """A press on one of this dialog's cards while it is not the active dialog."""
        turn = turn_of(context)
        require(turn.actor, self.action)
        logging.getLogger(type(self).__module__).info("%s card pressed after it ended", self.kind)
        answer(context, await self._inactive_card(turn, data))

    async def supersede(self, context: TurnContext, state: State) -> None:
        """A newer form replaces this one: its messages say so, without live buttons (but
        not the message being pressed now, which shows the newer form)."""
        card = self._superseded_card(turn_of(context), state)
        await self.close_copies(context, state, card, keep_pressed=True)

    async def close_copies(
        self, context: TurnContext, state: State, card: Card, *, keep_pressed: bool
    ) -> None:
        """Put ``card`` (a receipt) on every message that shows this form; with
        ``keep_pressed``, not on the message whose button this invoke answers."""
        pressed_id = context.activity.reply_to_id if is_invoke(context) else None
        for activity_id in state.get(COPIES, []):
            if keep_pressed and activity_id == pressed_id:
                continue
            await _put_card(context, activity_id, card)

    def _back(self, state: State) -> None:
        if state.get("editing"):
            state["step"], state["editing"] = REVIEW, False
        elif state["history"]:
            state["step"] = state["history"].pop()

    async def _on_step(
        self, context: TurnContext, turn: DialogTurn, state: State, value: dict[str, Any]
    ) -> None:
        """Keep the step's answers and move on; or leave the step as it is, with the error."""
        step = state["step"]
        try:
            answers = self._read_step(turn, step, value)
        except DomainError as error:
            await self._show(context, state, error=error.user_message, draft=value)
            return
        state["answers"].update(answers)
        if state.get("editing"):
            state["step"], state["editing"] = REVIEW, False
        else:
            state["history"].append(step)
            state["step"] = self._next_step(step, answers)
        await self._show(context, state, notice=self._saved_notice(turn, step))

    async def _on_submit(
        self, dialog_context: DialogContext, turn: DialogTurn, state: State
    ) -> DialogTurnResult:
        try:
            said = await self._submit_answers(turn, state)
        except DomainError as error:
            await self._show(dialog_context.context, state, error=error.user_message)
            return Dialog.end_of_turn
        await say(dialog_context.context, said)
        receipts = [item for item in said if not isinstance(item, str)]
        if self.universal and receipts:
            # Every other copy of the form (a Start card it replaced, a copy shown again on
            # another device) shows the receipt too, not buttons that no longer lead anywhere.
            await self.close_copies(dialog_context.context, state, receipts[-1], keep_pressed=False)
        return await dialog_context.end_dialog()

    async def _show(
        self,
        context: TurnContext,
        state: State,
        *,
        error: str | None = None,
        draft: Mapping[str, Any] | None = None,
        notice: str | None = None,
    ) -> None:
        """Send the current step's card (or the review), with an error and the unsaved draft
        (a universal dialog: the card replaces the pressed one, with ``notice`` on it)."""
        if state["step"] == REVIEW:
            card = self._review_card(state, error)
        else:
            turn = turn_of(context)
            card = self._step_card(turn, state, self._draft(state, draft or {}), error)
        if notice and self.universal:
            card = with_notice(card, notice)
        sent = await say(context, [card])
        if self.universal:
            # The messages that show this form: a card sent now, or the one whose button was
            # pressed (a Start card the form replaced, or the form's own card).
            pressed_id = context.activity.reply_to_id if is_invoke(context) else None
            _remember(state, [*sent, *([pressed_id] if pressed_id else [])])
