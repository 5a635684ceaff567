"""The agency report dialog: a lead writes their agency's rapid review report in personal chat.

Shaped like the notification dialog (``CardStepDialog``): one card per step, ``back`` and
``cancel``, a review before sending, and a token and step on every card so a stale card (an
earlier step, an abandoned report) is recognised. Each step checks the actor may still submit
reports; the service checks the agency was asked for this case when the report is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from cards.base import Card
from cards.rapid_review import (
    ReportReviewView,
    ReportStepView,
    report_review_card,
    report_step_card,
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
from dialogs.card_dialog import REVIEW, CardStepDialog, Said, State
from dialogs.turn import DialogTurn as Turn
from safeguarding.policy import Action

CANCELLED = "Report cancelled. Nothing was sent. Type **report {reference}** to start again."

SubmitReport = Callable[[Turn, ReportSubmission], Awaitable[Sequence[Said]]]


__all__ = ["DIALOG_ID", "AgencyReportDialog", "ReportStart", "ReportSubmission", "SubmitReport"]


class AgencyReportDialog(CardStepDialog):
    steps = STEPS
    action = Action.SUBMIT_AGENCY_REPORT
    kind = "agency report"

    def __init__(self, *, submit: SubmitReport) -> None:
        super().__init__(DIALOG_ID)
        self._submit = submit

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
