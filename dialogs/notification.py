"""The notification dialog: guided, forgiving, resumable.

One card per small group of questions; ``back`` returns one step, ``cancel`` abandons
cleanly, ``Edit`` on the review jumps to a section and back to the review (the mechanics are
``CardStepDialog``'s). Each step checks the actor may notify, whatever the card showed them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cards.base import Card
from cards.notification import STEPS, ReviewView, StepView, review_card, step_card
from dialogs.card_dialog import CardStepDialog, Said, State
from dialogs.notification_form import FormOptions, build, read_step, review_sections
from dialogs.turn import DialogTurn as Turn
from safeguarding.clocks import format_day
from safeguarding.notification import Notification, SensitiveDetails, decide_route
from safeguarding.policy import Action

DIALOG_ID = "notification"
CANCELLED = "Notification cancelled. Nothing was saved. Type **notify** to start again."


@dataclass(frozen=True)
class Submission:
    token: str
    notification: Notification
    details: SensitiveDetails


Submit = Callable[[Turn, Submission], Awaitable[Sequence[Said]]]


class NotificationDialog(CardStepDialog):
    steps = STEPS
    action = Action.NOTIFY
    kind = "notification"
    edits_from_review = True

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

    def _cancelled(self, state: State) -> str:
        return CANCELLED

    def _read_step(self, turn: Turn, step: str, value: Mapping[str, Any]) -> dict[str, str]:
        return read_step(step, value, today=turn.today, options=self._options())

    async def _submit_answers(self, turn: Turn, state: State) -> Sequence[Said]:
        notification, details = build(state["answers"])
        return await self._submit(turn, Submission(state["token"], notification, details))

    def _step_card(
        self, turn: Turn, state: State, draft: dict[str, str], error: str | None
    ) -> Card:
        options = self._options()
        return step_card(
            StepView(
                step=state["step"],
                token=state["token"],
                draft=draft,
                agencies=options.agencies,
                names_allowed=options.names_allowed,
                today=turn.today.isoformat(),
                error=error,
            )
        )

    def _review_card(self, state: State, error: str | None) -> Card:
        notification, _ = build(state["answers"])
        decision = decide_route(notification)
        panel_due = (
            format_day(self._panel_due(notification.aware_on))
            if decision.needs_panel_notification
            else None
        )
        return review_card(
            ReviewView(
                token=state["token"],
                sections=review_sections(state["answers"]),
                route_label=decision.route.label,
                route_reasons=decision.reasons,
                panel_due=panel_due,
                error=error,
            )
        )
