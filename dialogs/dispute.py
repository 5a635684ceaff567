"""The raise dialog: what it is about, then the position and reasons, then Raise.

Short, and shaped like the notification dialog (``CardStepDialog``): ``back`` returns one
step, ``cancel`` abandons cleanly, a card from an earlier step (or an abandoned dialog) is
recognised by its token and step. It runs in personal chat only: the position and reasons
are narrative.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from cards.base import Card
from cards.dispute import (
    RAISE_STEPS,
    RaiseReviewView,
    RaiseStepView,
    raise_review_card,
    raise_step_card,
)
from dialogs.card_dialog import CardStepDialog, Said, State
from dialogs.dispute_form import DIALOG_ID, RaiseRequest, build, read_step, topic
from dialogs.turn import DialogTurn as Turn
from safeguarding.policy import Action

CANCELLED = "Cancelled: no difference of opinion was raised, and nothing was saved."

__all__ = ["CANCELLED", "DIALOG_ID", "Raise", "RaiseDisputeDialog"]

Raise = Callable[[Turn, RaiseRequest], Awaitable[Sequence[Said]]]


class RaiseDisputeDialog(CardStepDialog):
    steps = RAISE_STEPS
    action = Action.RAISE_DISPUTE
    kind = "dispute"

    def __init__(self, *, submit: Raise, stage_days: int) -> None:
        super().__init__(DIALOG_ID)
        self._submit = submit
        self._stage_days = stage_days

    def _start(self, options: object) -> State:
        reference = options.get("reference") if isinstance(options, dict) else None
        if not isinstance(reference, str):
            raise ValueError("the raise dialog needs a case reference")
        return {"reference": reference}

    def _cancelled(self, state: State) -> str:
        return CANCELLED

    def _read_step(self, turn: Turn, step: str, value: Mapping[str, Any]) -> dict[str, str]:
        return read_step(step, value)

    async def _submit_answers(self, turn: Turn, state: State) -> Sequence[Said]:
        return await self._submit(turn, build(state["token"], state["reference"], state["answers"]))

    def _draft(self, state: State, typed: Mapping[str, Any]) -> dict[str, str]:
        """Only what was typed as text goes back on the card (not a stray non-string value)."""
        return {**state["answers"], **{k: v for k, v in typed.items() if isinstance(v, str)}}

    def _step_card(
        self, turn: Turn, state: State, draft: dict[str, str], error: str | None
    ) -> Card:
        return raise_step_card(
            RaiseStepView(
                reference=state["reference"],
                step=state["step"],
                token=state["token"],
                draft=draft,
                error=error,
            )
        )

    def _review_card(self, state: State, error: str | None) -> Card:
        answers: dict[str, str] = state["answers"]
        return raise_review_card(
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
