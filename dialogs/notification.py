"""The notification dialog: guided, forgiving, resumable - on ONE card, updated in place.

One card per small group of questions; ``Back`` returns one step, ``Cancel`` abandons
cleanly, ``Edit`` on the review jumps to a section and back to the review (the mechanics are
``CardStepDialog``'s, in its universal mode: every button is an ``Action.Execute`` and the
answer replaces the card). Each step checks the actor may notify, whatever the card showed
them, and answers with a receipt of what was kept, by whom, when. The draft lives in the
conversation state (encrypted at rest), so a restart resumes where the person was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from cards.base import Card
from cards.notification import (
    DIALOG,
    STEP_TITLES,
    STEPS,
    ReviewView,
    StepView,
    cancelled_card,
    no_longer_in_use_card,
    review_card,
    step_card,
    superseded_card,
)
from dialogs.card_dialog import Answer, CardStepDialog, Said, State
from dialogs.notification_form import FormOptions, build, read_step, review_sections
from dialogs.turn import DialogTurn as Turn
from safeguarding.clocks import format_day
from safeguarding.notification import Notification, SensitiveDetails, decide_route, possible_names
from safeguarding.policy import Action

DIALOG_ID = DIALOG
CANCELLED = "Notification cancelled. Nothing was saved. Type **notify** to start again."


@dataclass(frozen=True)
class Submission:
    token: str
    notification: Notification
    details: SensitiveDetails


Submit = Callable[[Turn, Submission], Awaitable[Sequence[Said]]]
# What became of a form the dialog is no longer waiting for: its receipt (sent as a case), or
# ``None`` when it was never sent.
Receipt = Callable[[Turn, str], Awaitable[Card | None]]


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


class NotificationDialog(CardStepDialog):
    steps = STEPS
    action = Action.NOTIFY
    kind = "notification"
    edits_from_review = True
    universal = True

    def __init__(
        self,
        *,
        options: Callable[[], FormOptions],
        submit: Submit,
        panel_due: Callable[[date], date],
        receipt: Receipt,
        at_time: Callable[[datetime], str],
    ) -> None:
        super().__init__(DIALOG_ID)
        self._options = options
        self._submit = submit
        self._panel_due = panel_due
        self._receipt = receipt
        self._at_time = at_time

    def _cancelled(self, state: State) -> str:
        return CANCELLED

    def _cancelled_card(self, turn: Turn, state: State) -> Card:
        return cancelled_card(f"{self._at_time(turn.now)} by {turn.actor.name}")

    def _superseded_card(self, turn: Turn, state: State) -> Card:
        return superseded_card(self._at_time(turn.now))

    async def _inactive_card(self, turn: Turn, data: Mapping[str, Any]) -> Answer:
        token = data.get("token")
        found = await self._receipt(turn, token) if isinstance(token, str) and token else None
        return found if found is not None else no_longer_in_use_card()

    def _saved_notice(self, turn: Turn, step: str) -> str | None:
        return (
            f"Saved: {STEP_TITLES[step].lower()}, {self._at_time(turn.now)} by "
            f"{turn.actor.name}. Your answers are kept, encrypted, until you send or cancel."
        )

    def _read_step(self, turn: Turn, step: str, value: Mapping[str, Any]) -> dict[str, str]:
        return read_step(step, value, today=turn.today, options=self._options())

    async def _submit_answers(self, turn: Turn, state: State) -> Sequence[Said]:
        notification, details = build(state["answers"])
        return await self._submit(turn, Submission(state["token"], notification, details))

    def _step_card(
        self, turn: Turn, state: State, draft: dict[str, str], error: str | None
    ) -> Card:
        options = self._options()
        if state["step"] == "reporter" and not draft.get("agency"):
            # What the directory knows: the practitioner's own agency, if it is on the list.
            mine = _key(turn.actor.agency or "")
            draft["agency"] = next((a for a in options.agencies if mine and _key(a) == mine), "")
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
        notification, details = build(state["answers"])
        decision = decide_route(notification)
        panel_due = (
            format_day(self._panel_due(notification.aware_on))
            if decision.needs_panel_notification
            else None
        )
        names = possible_names(details.summary)
        warnings = (
            [
                "Your summary may name someone ("
                + ", ".join(names)
                + "). The Hub needs the facts only: use initials, never names. Use **Edit "
                "identifiers and summary** to change it."
            ]
            if names
            else []
        )
        return review_card(
            ReviewView(
                token=state["token"],
                sections=review_sections(state["answers"]),
                route_label=decision.route.label,
                route_reasons=decision.reasons,
                panel_due=panel_due,
                error=error,
                warnings=warnings,
            )
        )
