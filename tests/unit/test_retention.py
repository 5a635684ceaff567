"""The retention policy: when a closed case is due, what happens to it, and legal holds."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from safeguarding.case import Actor, CaseEvent
from safeguarding.retention import (
    HOLD,
    RELEASED,
    HoldState,
    Outcome,
    RetentionAction,
    RetentionCase,
    RetentionPolicy,
    decide,
    due_on,
    hold_state,
)

ADMIN = Actor(id="admin-1", name="Chris Lane")
SEVEN_YEARS = RetentionPolicy(years_after_closure=7, action=RetentionAction.ANONYMISE)


def closed(on: date, *, hold: HoldState | None = None, anonymised: bool = False) -> RetentionCase:
    return RetentionCase(
        reference="NL-2019-0003",
        closed_on=on,
        hold=hold or HoldState(reason=None),
        anonymised=anonymised,
    )


def event(seq: int, kind: str, why: str | None = None) -> CaseEvent:
    return CaseEvent(
        seq=seq, at=datetime(2020, 1, seq, tzinfo=UTC), actor=ADMIN, kind=kind, what="x", why=why
    )


def test_a_case_is_kept_until_the_anniversary_of_its_closure() -> None:
    case = closed(date(2019, 3, 4))

    assert decide(case, SEVEN_YEARS, today=date(2026, 3, 3)).outcome is Outcome.NOT_DUE
    due = decide(case, SEVEN_YEARS, today=date(2026, 3, 4))
    assert due.outcome is Outcome.ANONYMISE
    assert due.explanation == "closed 4 March 2019; due for anonymisation since 4 March 2026"


def test_a_case_closed_on_29_february_is_never_removed_early() -> None:
    assert due_on(date(2024, 2, 29), 7) == date(2031, 3, 1)
    assert due_on(date(2024, 2, 29), 4) == date(2028, 2, 29)


def test_the_delete_policy_deletes_even_an_anonymised_case() -> None:
    delete = RetentionPolicy(years_after_closure=7, action=RetentionAction.DELETE)
    anonymised = closed(date(2010, 1, 1), anonymised=True)

    assert decide(anonymised, delete, today=date(2026, 1, 1)).outcome is Outcome.DELETE
    assert decide(anonymised, SEVEN_YEARS, today=date(2026, 1, 1)).outcome is (
        Outcome.ALREADY_ANONYMISED
    )


def test_a_legal_hold_stops_the_policy_and_says_why() -> None:
    held = closed(date(2010, 1, 1), hold=HoldState(reason="Civil claim pending", placed_seq=9))

    decision = decide(held, SEVEN_YEARS, today=date(2026, 1, 1))

    assert decision.outcome is Outcome.HELD
    assert not decision.outcome.acts
    assert "Civil claim pending" in decision.explanation


def test_the_hold_in_force_is_the_last_hold_unless_released_after_it() -> None:
    assert not hold_state([]).held
    assert hold_state([event(1, HOLD, "Inquest")]).reason == "Inquest"
    assert not hold_state([event(1, HOLD, "Inquest"), event(2, RELEASED)]).held
    again = hold_state([event(1, HOLD, "A"), event(2, RELEASED), event(3, HOLD, "B")])
    assert (again.reason, again.placed_seq) == ("B", 3)


def test_a_policy_keeps_cases_at_least_a_year() -> None:
    with pytest.raises(ValueError, match="at least a year"):
        RetentionPolicy(years_after_closure=0, action=RetentionAction.DELETE)
    assert SEVEN_YEARS.describe() == "closed cases are anonymised 7 years after closure"
