"""Which route a notification takes, and how its answers are checked."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.notification_form import FormOptions, build, read_step, review_sections
from safeguarding.errors import InvalidInput
from safeguarding.notification import (
    AbuseOrNeglect,
    AgeBand,
    ChildContext,
    HarmType,
    LearningReason,
    Notification,
    Outcome,
    Route,
    check_dates,
    check_details,
    check_initials,
    decide_route,
    possible_names,
)

TODAY = date(2026, 11, 26)
OPTIONS = FormOptions(agencies=("Police", "Health"), names_allowed=False)

DEATH_WITH_NEGLECT = Notification(
    agency="Health",
    notifier_role="Health visitor",
    lead_consulted=True,
    incident_on=date(2026, 11, 20),
    aware_on=date(2026, 11, 23),
    outcome=Outcome.DIED,
    abuse_or_neglect=AbuseOrNeglect.SUSPECTED,
    harm_types=frozenset({HarmType.NEGLECT}),
    learning_reason=LearningReason.NONE,
    child=ChildContext(age_band=AgeBand.UNDER_1),
)


def _with(**changes: object) -> Notification:
    return dataclasses.replace(DEATH_WITH_NEGLECT, **changes)  # type: ignore[arg-type]


def test_a_death_with_suspected_neglect_is_a_serious_case() -> None:
    decision = decide_route(DEATH_WITH_NEGLECT)
    assert decision.route is Route.SERIOUS
    assert decision.needs_panel_notification
    assert "serious child safeguarding case" in decision.reasons[0]


def test_serious_harm_with_known_abuse_is_a_serious_case_even_if_the_child_recovers() -> None:
    decision = decide_route(
        _with(outcome=Outcome.SERIOUSLY_HARMED, abuse_or_neglect=AbuseOrNeglect.KNOWN)
    )
    assert decision.route is Route.SERIOUS


def test_a_child_perpetrator_is_mentioned_as_a_possible_subject() -> None:
    child = ChildContext(age_band=AgeBand.AGE_16_17, child_perpetrator=True)
    assert "child perpetrator" in " ".join(decide_route(_with(child=child)).reasons)


def test_a_near_miss_without_harm_is_for_a_local_learning_review() -> None:
    decision = decide_route(
        _with(outcome=Outcome.NEITHER, learning_reason=LearningReason.NEAR_MISS)
    )
    assert decision.route is Route.LEARNING_REVIEW
    assert "near miss" in decision.reasons[0]


def test_harm_without_suspected_abuse_is_for_a_local_learning_review() -> None:
    decision = decide_route(_with(abuse_or_neglect=AbuseOrNeglect.NOT_SUSPECTED))
    assert decision.route is Route.LEARNING_REVIEW


def test_the_death_of_a_care_leaver_aged_24_goes_to_the_secretary_of_state_and_ofsted() -> None:
    child = ChildContext(age_band=AgeBand.AGE_18_24, care_leaver=True, care_leaver_age=24)
    decision = decide_route(_with(child=child))
    assert decision.route is Route.CARE_LEAVER
    assert "Secretary of State and Ofsted" in decision.reasons[0]
    assert not decision.needs_panel_notification


def test_neither_harm_nor_learning_is_outside_both_with_the_reason() -> None:
    decision = decide_route(
        _with(outcome=Outcome.NEITHER, abuse_or_neglect=AbuseOrNeglect.NOT_SUSPECTED)
    )
    assert decision.route is Route.OUTSIDE
    assert "abuse or neglect is not known or suspected" in decision.reasons[0]
    assert "The Hub will still look at it" in decision.reasons[0]


@pytest.mark.parametrize(
    ("incident", "aware", "message"),
    [
        (date(2026, 11, 27), date(2026, 11, 27), "incident date can't be in the future"),
        (date(2026, 11, 20), date(2026, 11, 27), "can't be in the future"),
        (date(2026, 11, 20), date(2026, 11, 19), "before the incident"),
    ],
)
def test_impossible_dates_are_refused(incident: date, aware: date, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_dates(incident_on=incident, aware_on=aware, today=TODAY)


def test_full_names_are_refused_unless_the_partnership_allows_them() -> None:
    with pytest.raises(InvalidInput, match="initials only"):
        check_details(initials="JS", full_name="Jo Smith", summary="", names_allowed=False)
    assert (
        check_details(initials="js", full_name="Jo Smith", summary="", names_allowed=True).initials
        == "JS"
    )


def test_an_over_long_summary_is_refused_with_its_length() -> None:
    with pytest.raises(InvalidInput, match="1001 characters"):
        check_details(initials="", full_name="", summary="x" * 1001, names_allowed=False)


ANSWERS = {
    "reporter": {"agency": "Health", "role": "Health visitor", "lead_consulted": "true"},
    "dates": {"incident_on": "2026-11-20", "aware_on": "2026-11-23"},
    "harm": {
        "outcome": "died",
        "abuse": "suspected",
        "harm_types": "neglect,physical",
        "learning": "none",
    },
    "child": {
        "age_band": "under_1",
        "looked_after": "false",
        "cp_plan": "true",
        "eotas": "false",
        "child_perpetrator": "false",
        "care_leaver": "false",
    },
    "context": {
        "other_councils": "true",
        "other_police": "false",
        "other_health": "false",
        "parallel": "coroner,criminal_investigation",
    },
    "identifiers": {"initials": "jq", "summary": "Found unresponsive at home."},
}


def test_card_answers_build_the_notification_and_read_back_in_words() -> None:
    answers: dict[str, str] = {}
    for step, values in ANSWERS.items():
        answers.update(read_step(step, values, today=TODAY, options=OPTIONS))

    notification, details = build(answers)

    assert notification == dataclasses.replace(
        DEATH_WITH_NEGLECT,
        harm_types=frozenset({HarmType.NEGLECT, HarmType.PHYSICAL}),
        child=ChildContext(age_band=AgeBand.UNDER_1, child_protection_plan=True),
        cross_boundary=notification.cross_boundary,
        parallel_processes=notification.parallel_processes,
    )
    assert notification.cross_boundary.other_councils
    assert details.initials == "JQ"
    words = str(review_sections(answers))
    assert "Coroner's investigation" in words
    assert "Physical abuse" in words


@pytest.mark.parametrize(
    ("step", "values", "message"),
    [
        ("reporter", {"agency": "MI5", "role": "Spy"}, "choose your agency"),
        ("reporter", {"agency": "Police", "role": "x" * 200}, "too long"),
        ("dates", {"incident_on": "2026-02-30", "aware_on": "2026-11-01"}, "date picker"),
        ("harm", {"outcome": "exploded", "abuse": "known", "learning": "none"}, "Please choose"),
        ("child", {"age_band": "18_24", "care_leaver": "false"}, "care leavers only"),
        (
            "child",
            {"age_band": "16_17", "care_leaver": "true", "care_leaver_age": "40"},
            "outside the rule",
        ),
        (
            "child",
            {"age_band": "18_24", "care_leaver": "true", "care_leaver_age": "25"},
            "At 25, a care leaver is outside the rule",
        ),
        ("child", {"age_band": "5_10", "care_leaver": "true"}, "can't be a care leaver"),
        (
            "child",
            {"age_band": "16_17", "care_leaver": "true", "care_leaver_age": "20"},
            "in the age band",
        ),
        ("identifiers", {"initials": "J0hn"}, "no digits"),
        ("reporter", {"agency": ["Police"], "role": "x"}, "couldn't read"),
    ],
)
def test_bad_answers_are_refused_with_a_specific_message(
    step: str, values: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput, match=f"(?i){message}"):
        read_step(step, values, today=TODAY, options=OPTIONS)


# -- initials and names --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("zj", "ZJ"), ("J.S.", "JS"), ("j s", "JS"), ("ABCD", "ABCD"), ("", ""), (" Z ", "Z")],
)
def test_initials_are_kept_as_capitals(typed: str, kept: str) -> None:
    assert check_initials(typed) == kept


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("Zephyr Jones", "looks like a name"),
        ("Zephyr", "at most 4 letters"),
        ("J5", "no digits"),
        ("J_S", "letters only"),
    ],
)
def test_what_is_not_initials_is_refused_with_the_reason_not_cut_short(
    typed: str, why: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_initials(typed)
    assert why in refused.value.user_message


@given(st.text(alphabet=st.characters(categories=["Lu", "Ll"]), min_size=5, max_size=30))
def test_initials_are_never_silently_shortened(typed: str) -> None:
    try:
        kept = check_initials(typed)
    except InvalidInput:
        return
    assert len(kept) == len(typed)


def test_a_full_name_in_the_summary_is_noticed_but_services_are_not() -> None:
    summary = (
        "Zephyrine Quibbleworth was found unresponsive at home. Humberside Police and "
        "The Hospital were called on Monday."
    )
    assert possible_names(summary) == ("Zephyrine Quibbleworth",)
    assert possible_names("Found at home by a parent; ambulance called.") == ()


def test_the_identifiers_step_refuses_a_name_in_the_initials_box() -> None:
    with pytest.raises(InvalidInput) as refused:
        read_step(
            "identifiers",
            {"initials": "Zephyr Jones", "summary": "Found at home."},
            today=TODAY,
            options=OPTIONS,
        )
    assert "looks like a name" in refused.value.user_message
