"""The raise dialog: what it is about, then the position and reasons, then Raise.

Short, and shaped like the notification dialog: ``back`` returns one step, ``cancel``
abandons cleanly, a card from an earlier step (or an abandoned dialog) is recognised by its
token and step. State lives in the conversation state on the database, so a restart resumes.
It runs in personal chat only: the position and reasons are narrative.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from bot_app.replies import send_card, send_text
from bot_app.routing import Turn, current_turn
from bot_app.text import clean_text
from cards.dispute import (
    RAISE_STEPS,
    RaiseReviewView,
    RaiseStepView,
    raise_review_card,
    raise_step_card,
)
from dialogs.dispute_form import RaiseRequest, build, read_step, topic
from safeguarding.errors import DomainError
from safeguarding.policy import Action, require

log = logging.getLogger(__name__)

DIALOG_ID = "dispute.raise"
CANCELLED = "Cancelled: no difference of opinion was raised, and nothing was saved."
WAITING = (
    "I'm waiting for your answers on the card above: fill it in and press **Next**. "
    "You can also type **back** or **cancel**."
)
STALE = "That card is from an earlier step. Here is where you are now:"

Raise = Callable[[Turn, RaiseRequest], Awaitable[None]]


class RaiseDisputeDialog(Dialog):
    def __init__(self, *, submit: Raise, stage_days: int) -> None:
        super().__init__(DIALOG_ID)
        self._submit = submit
        self._stage_days = stage_days

    async def begin_dialog(
        self, dialog_context: DialogContext, options: object = None
    ) -> DialogTurnResult:
        reference = options.get("reference") if isinstance(options, dict) else None
        if not isinstance(reference, str):
            raise ValueError("the raise dialog needs a case reference")
        state = dialog_context.active_dialog.state
        state.update(
            token=uuid.uuid4().hex, reference=reference, step=RAISE_STEPS[0], answers={}, history=[]
        )
        await self._show(dialog_context.context, state)
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        context = dialog_context.context
        state: dict[str, Any] = dialog_context.active_dialog.state
        turn = current_turn(context)
        require(turn.actor, Action.RAISE_DISPUTE)
        value = context.activity.value if isinstance(context.activity.value, dict) else None
        nav = str(value.get("nav", "")) if value is not None else clean_text(context.activity.text)
        nav = nav.lower()

        if nav == "cancel":
            await send_text(context, CANCELLED)
            return await dialog_context.end_dialog()
        if value is None and nav != "back":
            await send_text(context, WAITING)
            return Dialog.end_of_turn
        if value is not None and (
            value.get("token") != state["token"] or value.get("step") != state["step"]
        ):
            log.info("stale dispute card ignored")
            await send_text(context, STALE)
            await self._show(context, state)
            return Dialog.end_of_turn
        if nav == "back":
            if state["history"]:
                state["step"] = state["history"].pop()
            await self._show(context, state)
            return Dialog.end_of_turn
        if state["step"] == "review":
            if nav != "submit":
                await self._show(context, state)
                return Dialog.end_of_turn
            try:
                await self._submit(
                    turn, build(state["token"], state["reference"], state["answers"])
                )
            except DomainError as error:
                await self._show(context, state, error=error.user_message)
                return Dialog.end_of_turn
            return await dialog_context.end_dialog()
        try:
            answers = read_step(state["step"], value or {})
        except DomainError as error:
            await self._show(context, state, error=error.user_message, draft=value)
            return Dialog.end_of_turn
        state["answers"].update(answers)
        state["history"].append(state["step"])
        position = RAISE_STEPS.index(state["step"])
        state["step"] = RAISE_STEPS[position + 1] if position + 1 < len(RAISE_STEPS) else "review"
        await self._show(context, state)
        return Dialog.end_of_turn

    async def _show(
        self,
        context: TurnContext,
        state: dict[str, Any],
        *,
        error: str | None = None,
        draft: dict[str, Any] | None = None,
    ) -> None:
        answers: dict[str, str] = state["answers"]
        if state["step"] == "review":
            card = raise_review_card(
                RaiseReviewView(
                    reference=state["reference"],
                    token=state["token"],
                    topic=topic(answers["topic"]).label,
                    position=answers["position"],
                    reasons=answers["reasons"],
                    stage_days=self._stage_days,
                    error=error,
                )
            )
        else:
            typed = {k: v for k, v in (draft or {}).items() if isinstance(v, str)}
            card = raise_step_card(
                RaiseStepView(
                    reference=state["reference"],
                    step=state["step"],
                    token=state["token"],
                    draft={**answers, **typed},
                    error=error,
                )
            )
        await send_card(context, card)
