"""The dispute cards: one raise card that carries its answers from step to step and ends
without buttons, and a party's card that asks why a stage is skipped only when it is."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cards.dispute import (
    DisputeView,
    RaisedView,
    RaiseFormView,
    dispute_card,
    raise_form_card,
    raised_card,
)
from tests.harness.cards import assert_valid_card

DRAFT = {"topic": "criteria", "position": "It meets the definition", "reasons": "Long-term harm"}


def actions(card: Any) -> dict[str, dict[str, Any]]:
    """Every action on the card (show-cards' too), by title."""
    found: dict[str, dict[str, Any]] = {}
    if isinstance(card, dict):
        if str(card.get("type", "")).startswith("Action."):
            found[str(card.get("title"))] = card
        for value in card.values():
            found.update(actions(value))
    elif isinstance(card, list):
        for value in card:
            found.update(actions(value))
    return found


def form(step: str) -> dict[str, Any]:
    return raise_form_card(RaiseFormView("NL-2026-0001", "token-1", step, DRAFT, stage_days=5))


@pytest.mark.parametrize("step", ["topic", "position", "review"])
def test_every_step_of_the_raise_card_is_valid_and_carries_the_other_answers(step: str) -> None:
    card = form(step)
    assert_valid_card(card)

    buttons = actions(card)
    forward = buttons["Raise it" if step == "review" else "Next"]
    assert forward["type"] == "Action.Execute"
    assert forward["verb"] == "dispute.raise"
    data = forward["data"]
    assert (data["token"], data["step"]) == ("token-1", step)
    typed_here = {"topic": {"topic"}, "position": {"position", "reasons"}, "review": set()}[step]
    for answer in set(DRAFT) - typed_here:
        assert data[answer] == DRAFT[answer], f"{answer} travels with the {step} step"
    assert buttons["Cancel"]["associatedInputs"] == "none"
    assert ("Back" in buttons) is (step != "topic")


def test_the_review_step_shows_every_answer_before_raising() -> None:
    shown = json.dumps(form("review"))
    assert "It meets the definition" in shown
    assert "Long-term harm" in shown
    assert "Step 3 of 3" in shown


def test_the_raise_card_ends_as_a_summary_without_buttons() -> None:
    card = raised_card(
        RaisedView(
            "Difference of opinion 1 on NL-2026-0001",
            "Whether the case meets the criteria",
            "Raised by Amira Khan at 10:00 on Thursday 26 November 2026.",
            "Thursday 3 December 2026",
        )
    )
    assert_valid_card(card)
    assert actions(card) == {}
    assert "Raised by Amira Khan at 10:00" in json.dumps(card)


@pytest.mark.parametrize("untried", [True, False])
def test_escalating_asks_why_a_stage_is_skipped_only_when_nobody_has_responded(
    untried: bool,
) -> None:
    card = dispute_card(
        DisputeView(
            reference="NL-2026-0001",
            number=1,
            topic="Whether the case meets the criteria",
            stage=1,
            stage_label="Stage 1 of 3: liaison with the partners' representatives and the Hub",
            target="Thursday 3 December 2026",
            status="Open",
            raised_by="Amira Khan",
            history=[],
            can_act=True,
            can_escalate=True,
            untried=untried,
        )
    )
    assert_valid_card(card)
    asked = "Why stage 1 was not tried first" in json.dumps(card)
    assert asked is untried
