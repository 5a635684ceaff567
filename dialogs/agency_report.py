"""The agency report dialog: a lead writes their agency's rapid review report in personal chat.

Shaped like the notification dialog (``CardStepDialog``, universal mode): ONE card, replaced
in place at every step, ``Back`` and ``Cancel``, a review before sending, and a token and step
on every button so a stale press (an earlier step, a form sent or abandoned) is recognised.
Send replaces the card with the receipt (what was sent, by whom, when); a second press says
the report was already sent, and when - never that it was cancelled. Each step checks the
actor may still submit reports; the service checks the agency was asked for this case when
the report is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from cards.base import Card
from cards.rapid_review import (
    REPORT_STEPS,
    ReportReviewView,
    ReportStepView,
    report_cancelled_card,
    report_closed_card,
    report_review_card,
    report_step_card,
    report_superseded_card,
)
from dialogs.agency_report_form import (
    DIALOG_ID,
    STEPS,
    ReportStart,
    ReportSubmission,
    is_nil,
    read_step,
    review_pairs,
)
from dialogs.card_dialog import REVIEW, Answer, CardStepDialog, Said, State
from dialogs.turn import DialogTurn as Turn
from safeguarding.policy import Action

CANCELLED = "Report cancelled. Nothing was sent. Type **report {reference}** to start again."

SubmitReport = Callable[[Turn, ReportSubmission], Awaitable[Sequence[Said]]]
# What a report form sent, for a press after the dialog ended: (turn, reference, token).
ReportReceipt = Callable[[Turn, str, str], Awaitable[Card | None]]


__all__ = ["DIALOG_ID", "AgencyReportDialog", "ReportStart", "ReportSubmission", "SubmitReport"]


class AgencyReportDialog(CardStepDialog):
    steps = STEPS
    action = Action.SUBMIT_AGENCY_REPORT
    kind = "agency report"
    universal = True

    def __init__(
        self,
        *,
        submit: SubmitReport,
        receipt: ReportReceipt,
        at_time: Callable[[datetime], str],
    ) -> None:
        super().__init__(DIALOG_ID)
        self._submit = submit
        self._receipt = receipt
        self._at_time = at_time

    def _start(self, options: object) -> State:
        if not isinstance(options, ReportStart):
            raise TypeError("the agency report dialog starts with a ReportStart")
        return {
            "reference": options.reference,
            "agency": options.agency,
            "due": options.due,
            "late": options.late,
            "replacing": options.replacing,
        }

    def _cancelled(self, state: State) -> str:
        return CANCELLED.format(reference=state["reference"])

    def _cancelled_card(self, turn: Turn, state: State) -> Card:
        return report_cancelled_card(
            state["reference"], f"{self._at_time(turn.now)} by {turn.actor.name}"
        )

    def _superseded_card(self, turn: Turn, state: State) -> Card:
        return report_superseded_card(state["reference"], self._at_time(turn.now))

    async def _inactive_card(self, turn: Turn, data: Mapping[str, Any]) -> Answer:
        reference, token = data.get("reference"), data.get("token")
        if not isinstance(reference, str) or not isinstance(token, str):
            return report_closed_card(str(reference or "this case"))
        found = await self._receipt(turn, reference, token)
        return found if found is not None else report_closed_card(reference)

    def _saved_notice(self, turn: Turn, step: str) -> str | None:
        return (
            f"Saved: {REPORT_STEPS[step].lower()}, {self._at_time(turn.now)} by "
            f"{turn.actor.name}. Nothing goes to the Hub until you press Send."
        )

    def _read_step(self, turn: Turn, step: str, value: Mapping[str, Any]) -> dict[str, str]:
        return read_step(step, value)

    def _next_step(self, step: str, answers: Mapping[str, str]) -> str:
        """A nil return has nothing more to say: straight from involvement to the review."""
        if step == "involvement" and is_nil(answers):
            return REVIEW
        return super()._next_step(step, answers)

    async def _submit_answers(self, turn: Turn, state: State) -> Sequence[Said]:
        submission = ReportSubmission(
            token=state["token"],
            reference=state["reference"],
            agency=state["agency"],
            answers=dict(state["answers"]),
        )
        return await self._submit(turn, submission)

    def _step_card(
        self, turn: Turn, state: State, draft: dict[str, str], error: str | None
    ) -> Card:
        return report_step_card(
            ReportStepView(
                reference=state["reference"],
                agency=state["agency"],
                due=state["due"],
                step=state["step"],
                token=state["token"],
                draft=draft,
                error=error,
                replacing=state["replacing"],
            )
        )

    def _review_card(self, state: State, error: str | None) -> Card:
        return report_review_card(
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
