"""How long a closed case is kept, and what happens to it then: the retention policy.

Retention is a local policy (domain.md, "Information governance"): a number of years after
closure, then either *anonymise* (the child's details and every recorded reason are erased;
the reference, the stages, the dates and the fingerprinted trail remain, so the partnership
can still show what it did and when) or *delete* (the case goes entirely, leaving a tombstone
that says it existed and when it was removed). A legal hold (litigation, an inquest, an
inspection) stops both until it is released. Holds, releases and the policy's own actions
are events in the trail, so the trail explains itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from safeguarding.case import CaseEvent
from safeguarding.trail import ANONYMISED

HOLD: Final = "retention.hold"  # why: the reason for the hold
RELEASED: Final = "retention.released"  # why: optional


class RetentionAction(StrEnum):
    ANONYMISE = "anonymise"
    DELETE = "delete"


class Outcome(StrEnum):
    ANONYMISE = "anonymise"
    DELETE = "delete"
    HELD = "held"
    NOT_DUE = "not_due"
    ALREADY_ANONYMISED = "already_anonymised"

    @property
    def acts(self) -> bool:
        """Whether running the policy changes this case."""
        return self in {Outcome.ANONYMISE, Outcome.DELETE}


@dataclass(frozen=True)
class RetentionPolicy:
    years_after_closure: int
    action: RetentionAction

    def __post_init__(self) -> None:
        if self.years_after_closure < 1:
            raise ValueError("cases are kept for at least a year after closure")

    def describe(self) -> str:
        verb = "anonymised" if self.action is RetentionAction.ANONYMISE else "deleted"
        years = self.years_after_closure
        return f"closed cases are {verb} {years} year{'s' if years != 1 else ''} after closure"


@dataclass(frozen=True)
class HoldState:
    """Whether a legal hold is in force, and why (None when there is none)."""

    reason: str | None
    placed_seq: int | None = None

    @property
    def held(self) -> bool:
        return self.placed_seq is not None


@dataclass(frozen=True)
class RetentionCase:
    """What the policy needs to know about one closed case."""

    reference: str
    closed_on: date
    hold: HoldState
    anonymised: bool


@dataclass(frozen=True)
class RetentionDecision:
    reference: str
    outcome: Outcome
    closed_on: date
    due_on: date
    explanation: str


def hold_state(events: Sequence[CaseEvent]) -> HoldState:
    """The hold in force after these events: the last hold, unless a release followed it."""
    state = HoldState(reason=None)
    for event in events:
        if event.kind == HOLD:
            state = HoldState(reason=event.why or "no reason recorded", placed_seq=event.seq)
        elif event.kind == RELEASED:
            state = HoldState(reason=None)
    return state


def is_anonymised(events: Sequence[CaseEvent]) -> bool:
    return any(event.kind == ANONYMISED for event in events)


def due_on(closed_on: date, years: int) -> date:
    """Closure date plus whole years; a case closed on 29 February is due on 1 March.

    "Kept for N years" must never end early, so a day that does not exist in the due year
    rolls forward rather than back.
    """
    try:
        return closed_on.replace(year=closed_on.year + years)
    except ValueError:
        return closed_on.replace(year=closed_on.year + years, day=28) + timedelta(days=1)


def decide(case: RetentionCase, policy: RetentionPolicy, *, today: date) -> RetentionDecision:
    """What the policy does to ``case`` today, with the reason in words."""
    due = due_on(case.closed_on, policy.years_after_closure)

    def decision(outcome: Outcome, explanation: str) -> RetentionDecision:
        return RetentionDecision(case.reference, outcome, case.closed_on, due, explanation)

    closed = f"closed {_day(case.closed_on)}"
    if case.hold.held:
        return decision(Outcome.HELD, f"{closed}; on legal hold: {case.hold.reason}")
    if today < due:
        return decision(Outcome.NOT_DUE, f"{closed}; kept until {_day(due)}")
    if policy.action is RetentionAction.DELETE:
        return decision(Outcome.DELETE, f"{closed}; due for deletion since {_day(due)}")
    if case.anonymised:
        return decision(Outcome.ALREADY_ANONYMISED, f"{closed}; already anonymised")
    return decision(Outcome.ANONYMISE, f"{closed}; due for anonymisation since {_day(due)}")


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"
