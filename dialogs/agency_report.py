"""The agency report dialog: a lead writes their agency's rapid review report in personal chat.

Shaped like the notification dialog: one card per step, ``back`` and ``cancel``, a review
before sending, and a token and step on every card so a stale card (an earlier step, an
abandoned report) is recognised. Each step checks the actor may still submit reports; the
service checks the agency was asked for this case when the report is sent.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult

from bot_app.replies import send_card, send_text
from bot_app.routing import Turn, current_turn
from bot_app.text import clean_text
from cards.rapid_review import (
    ReportReviewView,
    ReportStepView,
    report_review_card,
    report_step_card,
)
from dialogs.agency_report_form import STEPS, is_nil, read_step, review_pairs
from safeguarding.errors import DomainError
from safeguarding.policy import Action, require

log = logging.getLogger(__name__)

DIALOG_ID = "agency_report"
CANCELLED = "Report cancelled. Nothing was sent. Type **report {reference}** to start again."
WAITING = (
    "I'm waiting for your answers on the card above: fill it in and press **Next**. "
    "You can also type **back** or **cancel**."
)
STALE = "That card is from an earlier step. Here is where you are now:"


@dataclass(frozen=True)
class ReportSubmission:
    token: str
    reference: str
    agency: str
    answers: dict[str, str]


@dataclass(frozen=True)
class ReportStart:
    """What the dialog is told when it starts: which case and agency, and the due date."""

    reference: str
    agency: str
    due: str
    late: bool
    replacing: bool


SubmitReport = Callable[[Turn, ReportSubmission], Awaitable[None]]


class AgencyReportDialog(Dialog):
    def __init__(self, *, submit: SubmitReport) -> None:
        super().__init__(DIALOG_ID)
        self._submit = submit

    async def begin_dialog(
        self, dialog_context: DialogContext, options: object = None
    ) -> DialogTurnResult:
        if not isinstance(options, ReportStart):
            raise TypeError("the agency report dialog starts with a ReportStart")
        state = dialog_context.active_dialog.state
        state.update(
            token=uuid.uuid4().hex,
            step=STEPS[0],
            answers={},
            history=[],
            reference=options.reference,
            agency=options.agency,
            due=options.due,
            late=options.late,
            replacing=options.replacing,
        )
        await self._show(dialog_context.context, state)
        return Dialog.end_of_turn

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        context = dialog_context.context
        state: dict[str, Any] = dialog_context.active_dialog.state
        turn = current_turn(context)
        require(turn.actor, Action.SUBMIT_AGENCY_REPORT)
        value = context.activity.value if isinstance(context.activity.value, dict) else None
        nav = str(value.get("nav", "")) if value is not None else clean_text(context.activity.text)
        nav = nav.lower()
        if nav == "cancel":
            await send_text(context, CANCELLED.format(reference=state["reference"]))
            return await dialog_context.end_dialog()
        if value is None and nav != "back":
            await send_text(context, WAITING)
            return Dialog.end_of_turn
        if value is not None and (
            value.get("token") != state["token"] or value.get("step") != state["step"]
        ):
            log.info("stale agency report card ignored")
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
            submission = ReportSubmission(
                token=state["token"],
                reference=state["reference"],
                agency=state["agency"],
                answers=dict(state["answers"]),
            )
            try:
                await self._submit(turn, submission)
            except DomainError as error:
                await self._show(context, state, error=error.user_message)
                return Dialog.end_of_turn
            return await dialog_context.end_dialog()
        step = state["step"]
        try:
            answers = read_step(step, value or {})
        except DomainError as error:
            await self._show(context, state, error=error.user_message, draft=value)
            return Dialog.end_of_turn
        state["answers"].update(answers)
        state["history"].append(step)
        position = STEPS.index(step)
        last = position + 1 >= len(STEPS) or (step == "involvement" and is_nil(answers))
        state["step"] = "review" if last else STEPS[position + 1]
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
        if state["step"] == "review":
            card = report_review_card(
                ReportReviewView(
                    reference=state["reference"],
                    agency=state["agency"],
                    due=state["due"],
                    token=state["token"],
                    pairs=review_pairs(state["answers"]),
                    late=state["late"],
                    error=error,
                )
            )
        else:
            raw = {**state["answers"], **{k: str(v) for k, v in (draft or {}).items()}}
            card = report_step_card(
                ReportStepView(
                    reference=state["reference"],
                    agency=state["agency"],
                    due=state["due"],
                    step=state["step"],
                    token=state["token"],
                    draft=raw,
                    error=error,
                    replacing=state["replacing"],
                )
            )
        await send_card(context, card)
