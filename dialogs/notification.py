"""The notification dialog: guided, forgiving, resumable.

One card per small group of questions; ``back`` returns one step, ``cancel`` abandons
cleanly, ``Edit`` on the review jumps to a section and back to the review. The dialog's state
(step, answers, history) lives in the conversation state on the database, so a restart of
the service resumes where the person was. Each step checks the actor may notify, whatever
the card showed them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from bot_app.replies import send_card, send_text
from bot_app.routing import Turn, current_turn
from bot_app.text import clean_text
from cards.notification import STEPS, ReviewView, StepView, review_card, step_card
from dialogs.notification_form import FormOptions, build, read_step, review_sections
from safeguarding.clocks import format_day
from safeguarding.errors import DomainError
from safeguarding.notification import Notification, SensitiveDetails, decide_route
from safeguarding.policy import Action, require

log = logging.getLogger(__name__)

DIALOG_ID = "notification"
CANCELLED = "Notification cancelled. Nothing was saved. Type **notify** to start again."
WAITING = (
    "I'm waiting for your answers on the card above: fill it in and press **Next**. "
    "You can also type **back** or **cancel**."
)
STALE = "That card is from an earlier step. Here is where you are now:"


@dataclass(frozen=True)
class Submission:
    token: str
    notification: Notification
    details: SensitiveDetails


Submit = Callable[[Turn, Submission], Awaitable[None]]


class NotificationDialog(Dialog):
    def __init__(
        self,
        *,
        options: Callable[[], FormOptions],
        submit: Submit,
        panel_due: Callable[[date], date],
    ) -> None:
        super().__init__(DIALOG_ID)
        self._options = options
        self._submit = submit
        self._panel_due = panel_due

    async def begin_dialog(
        self, dialog_context: DialogContext, options: object = None
    ) -> DialogTurnResult:
        state = dialog_context.active_dialog.state
        state.update(token=uuid.uuid4().hex, step=STEPS[0], answers={}, history=[], editing=False)
        await self._show(dialog_context.context, state)
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        context = dialog_context.context
        state: dict[str, Any] = dialog_context.active_dialog.state
        turn = current_turn(context)
        require(turn.actor, Action.NOTIFY)
        value = context.activity.value if isinstance(context.activity.value, dict) else None
        typed = clean_text(context.activity.text).lower()
        nav = str(value.get("nav", "")) if value is not None else typed

        if nav == "cancel":
            await send_text(context, CANCELLED)
            return await dialog_context.end_dialog()
        if value is None and nav not in {"back"}:
            await send_text(context, WAITING)
            return Dialog.end_of_turn
        if value is not None and (
            value.get("token") != state["token"] or value.get("step") != state["step"]
        ):
            log.info("stale notification card ignored")
            await send_text(context, STALE)
            await self._show(context, state)
            return Dialog.end_of_turn
        if nav == "back":
            if state["editing"]:
                state["step"], state["editing"] = "review", False
            elif state["history"]:
                state["step"] = state["history"].pop()
            await self._show(context, state)
            return Dialog.end_of_turn
        if state["step"] == "review":
            return await self._on_review(dialog_context, turn, state, nav, value or {})
        return await self._on_step(context, turn, state, value or {})

    async def _on_step(
        self, context: TurnContext, turn: Turn, state: dict[str, Any], value: dict[str, Any]
    ) -> DialogTurnResult:
        step = state["step"]
        try:
            answers = read_step(step, value, today=turn.today, options=self._options())
        except DomainError as error:
            await self._show(context, state, error=error.user_message, draft=value)
            return Dialog.end_of_turn
        state["answers"].update(answers)
        if state["editing"]:
            state["step"], state["editing"] = "review", False
        else:
            state["history"].append(step)
            position = STEPS.index(step)
            state["step"] = STEPS[position + 1] if position + 1 < len(STEPS) else "review"
        await self._show(context, state)
        return Dialog.end_of_turn

    async def _on_review(
        self,
        dialog_context: DialogContext,
        turn: Turn,
        state: dict[str, Any],
        nav: str,
        value: dict[str, Any],
    ) -> DialogTurnResult:
        context = dialog_context.context
        if nav == "edit" and value.get("section") in STEPS:
            state["step"], state["editing"] = value["section"], True
            await self._show(context, state)
            return Dialog.end_of_turn
        if nav != "submit":
            await self._show(context, state)
            return Dialog.end_of_turn
        notification, details = build(state["answers"])
        try:
            await self._submit(turn, Submission(state["token"], notification, details))
        except DomainError as error:
            await self._show(context, state, error=error.user_message)
            return Dialog.end_of_turn
        return await dialog_context.end_dialog()

    async def _show(
        self,
        context: TurnContext,
        state: dict[str, Any],
        *,
        error: str | None = None,
        draft: dict[str, Any] | None = None,
    ) -> None:
        turn = current_turn(context)
        options = self._options()
        if state["step"] == "review":
            notification, _ = build(state["answers"])
            decision = decide_route(notification)
            panel_due = (
                format_day(self._panel_due(notification.aware_on))
                if decision.needs_panel_notification
                else None
            )
            card = review_card(
                ReviewView(
                    token=state["token"],
                    sections=review_sections(state["answers"]),
                    route_label=decision.route.label,
                    route_reasons=decision.reasons,
                    panel_due=panel_due,
                    error=error,
                )
            )
        else:
            raw = {**state["answers"], **{k: str(v) for k, v in (draft or {}).items()}}
            card = step_card(
                StepView(
                    step=state["step"],
                    token=state["token"],
                    draft=raw,
                    agencies=options.agencies,
                    names_allowed=options.names_allowed,
                    today=turn.today.isoformat(),
                    error=error,
                )
            )
        await send_card(context, card)
