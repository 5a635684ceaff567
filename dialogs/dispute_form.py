"""Reading the raise card's answers: what a client sends is checked again here.

The raise card (``cards/dispute.py``, ``raise_form_card``) keeps no state in the bot: each
press carries every answer so far, which stay raw strings (so a step can be shown again as
the person left it) and become a :class:`RaiseRequest` only when the person presses Raise.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from safeguarding.disputes import MAX_POSITION_CHARS, MAX_TEXT_CHARS, Topic, check_text
from safeguarding.errors import InvalidInput

STEPS: Final = ("topic", "position", "review")
STEP_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "topic": ("topic",),
    "position": ("position", "reasons"),
    "review": ("topic", "position", "reasons"),
}
ANSWERS: Final = ("topic", "position", "reasons")


@dataclass(frozen=True)
class RaiseRequest:
    token: str  # the raise card's: a second press of Raise finds the dispute it opened
    reference: str
    topic: Topic
    position: str
    reasons: str


def read_step(step: str, values: Mapping[str, object]) -> dict[str, str]:
    """Validate one step's inputs; the raw answers to keep, or ``InvalidInput``."""
    answers: dict[str, str] = {}
    for key in STEP_FIELDS[step]:
        value = values.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidInput("That card sent something I couldn't read. Please try again.")
        answers[key] = (value or "").strip()
    if "topic" in answers:
        topic(answers["topic"])
    if "position" in answers:
        answers["position"] = check_text(answers["position"], "your position", MAX_POSITION_CHARS)
        answers["reasons"] = check_text(answers["reasons"], "your reasons", MAX_TEXT_CHARS)
    return answers


def first_unanswered(values: Mapping[str, str]) -> str | None:
    """The first step whose answers do not pass (a forged or truncated review), if any."""
    for step in STEPS[:-1]:
        try:
            read_step(step, values)
        except InvalidInput:
            return step
    return None


def topic(raw: str) -> Topic:
    try:
        return Topic(raw)
    except ValueError:
        raise InvalidInput("Please choose what the difference of opinion is about.") from None


def build(token: str, reference: str, answers: Mapping[str, str]) -> RaiseRequest:
    return RaiseRequest(
        token=token,
        reference=reference,
        topic=topic(answers.get("topic", "")),
        position=answers.get("position", ""),
        reasons=answers.get("reasons", ""),
    )
