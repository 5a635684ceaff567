"""Who may do what: every role against every action, checked against a table written here.

The table below is the specification, written out by hand rather than derived from
``POLICY``: any change to the policy - a role gaining or losing an action, a new action -
fails a test here until this table is changed too, on purpose and in review.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from safeguarding.case import Actor, Case
from safeguarding.milestones import AGENCY_REQUESTED
from safeguarding.policy import (
    POLICY,
    Action,
    Forbidden,
    can,
    may_see_case,
    require,
    require_case_access,
    require_seat,
    voting_seat,
)
from safeguarding.reference import CaseReference
from safeguarding.roles import DEFAULT_ROLE_NAMES, Person, Role

# Y = allowed, . = refused.
_COLUMNS = "practitioner agency_lead hub_officer csprg_member csprg_deputy partner scrutiny_officer splig_member admin"  # noqa: E501
_MATRIX = """
use_assistant              Y Y Y Y Y Y Y Y Y
notify                     Y Y Y Y Y Y Y Y Y
view_case                  Y Y Y Y Y Y Y Y Y
view_case_details          . . Y Y Y Y . . .
list_all_cases             . . Y Y Y Y . . Y
record_panel_notification  . . Y . . . . . .
close_criteria_not_met     . . Y . . . . . .
confirm_closure            . . . Y Y . . . .
correct_case               . . Y . . . . . .
record_statutory_notification . . Y . . . . . .
start_rapid_review         . . Y . . . . . .
submit_agency_report       . Y . . . . . . .
vote                       . . . Y Y . . . .
decide_recommendation      . . . . . Y . . .
record_panel_exchange      . . Y . . . . . .
raise_dispute              . Y Y Y Y Y . . .
mediate_dispute            . . . . . . Y . .
respond_dispute            . Y Y Y Y Y Y . .
manage_action_plan         . . Y Y Y . . Y .
acknowledge_reminder       . Y Y Y Y Y Y Y .
export_evidence            . . Y . . . . . Y
register_channel           . . . . . . . . Y
manage_directory           . . . . . . . . Y
view_directory             . . Y . . . . . Y
verify_trail               . . . . . . . . Y
run_retention              . . . . . . . . Y
manage_legal_hold          . . . . . . . . Y
update_own_action          Y Y Y Y Y Y Y Y Y
view_actions               Y Y Y Y Y Y Y Y Y
sign_off_action_plan       . . . . . Y . . .
view_board_report          . . Y . . Y . . .
"""


def _expected() -> dict[tuple[Role, Action], bool]:
    roles = [Role(name) for name in _COLUMNS.split()]
    table: dict[tuple[Role, Action], bool] = {}
    for line in _MATRIX.strip().splitlines():
        action, *marks = line.split()
        assert len(marks) == len(roles), f"row {action} has {len(marks)} marks"
        for role, mark in zip(roles, marks, strict=True):
            table[(role, Action(action))] = mark == "Y"
    return table


EXPECTED = _expected()


def person(*roles: Role, deputy_for: str | None = None) -> Person:
    return Person(object_id="p-1", name="Pat Doe", roles=frozenset(roles), deputy_for=deputy_for)


def test_the_table_covers_every_role_and_every_action() -> None:
    assert {role for role, _ in EXPECTED} == set(Role)
    assert {action for _, action in EXPECTED} == set(Action) == set(POLICY)


@pytest.mark.parametrize("action", list(Action), ids=str)
@pytest.mark.parametrize("role", list(Role), ids=str)
def test_each_role_may_do_exactly_what_the_table_says(role: Role, action: Action) -> None:
    allowed = EXPECTED[(role, action)]

    assert can(person(role), action) is allowed
    if allowed:
        require(person(role), action)
    else:
        with pytest.raises(Forbidden) as refused:
            require(person(role), action)
        assert "Nothing was changed" in refused.value.user_message


def test_someone_with_no_role_may_do_nothing_at_all() -> None:
    assert not any(can(person(), action) for action in Action)


def test_a_person_with_two_roles_may_do_what_either_allows() -> None:
    lead_and_partner = person(Role.AGENCY_LEAD, Role.PARTNER)

    assert can(lead_and_partner, Action.SUBMIT_AGENCY_REPORT)
    assert can(lead_and_partner, Action.DECIDE_RECOMMENDATION)
    assert not can(lead_and_partner, Action.VOTE)


def test_a_refusal_names_who_can_do_it_in_the_partnerships_own_words() -> None:
    names = {**DEFAULT_ROLE_NAMES, Role.HUB_OFFICER: "Multi Agency Innovation Hub officer"}
    practitioner = Person(
        object_id="p-1", name="Pat", roles=frozenset({Role.PRACTITIONER}), role_names=names
    )

    with pytest.raises(Forbidden) as refused:
        require(practitioner, Action.RECORD_PANEL_NOTIFICATION)

    message = refused.value.user_message
    assert "record the Panel notification" in message
    assert "Multi Agency Innovation Hub officer" in message
    assert "Traceback" not in message


def test_a_deputy_votes_in_the_seat_of_the_member_they_stand_in_for() -> None:
    assert voting_seat(person(Role.CSPRG_MEMBER)) == "p-1"
    assert voting_seat(person(Role.CSPRG_DEPUTY, deputy_for="member-9")) == "member-9"
    assert voting_seat(person(Role.PARTNER)) is None


def test_a_deputy_the_directory_names_for_nobody_cannot_vote() -> None:
    with pytest.raises(Forbidden) as refused:
        require_seat(person(Role.CSPRG_DEPUTY))

    assert "whose deputy" in refused.value.user_message
    with pytest.raises(Forbidden):
        require_seat(person(Role.HUB_OFFICER))


# --- which cases a person may see ----------------------------------------------------------


def _case_notified_by(notifier: str, agency: str) -> Case:
    return Case.open(
        reference=CaseReference("NL", 2026, 1),
        aware_on=date(2026, 11, 23),
        incident_on=date(2026, 11, 20),
        actor=Actor(id=notifier, name="Tom Reed"),
        at=datetime(2026, 11, 24, 10, tzinfo=UTC),
        facts={"notifier_object_id": notifier, "agency": agency},
    )


def _someone(object_id: str, role: Role, agency: str = "") -> Person:
    return Person(object_id=object_id, name="Someone", agency=agency, roles=frozenset({role}))


def test_a_practitioner_sees_the_cases_they_notified_and_no_others() -> None:
    case = _case_notified_by("tom", "Hospital trust")
    assert may_see_case(_someone("tom", Role.PRACTITIONER), case)
    assert not may_see_case(_someone("pat", Role.PRACTITIONER), case)
    with pytest.raises(Forbidden, match="don't have access to case NL-2026-0001"):
        require_case_access(_someone("pat", Role.PRACTITIONER), case)


def test_an_agency_lead_sees_cases_their_agency_notified_or_was_asked_about() -> None:
    case = _case_notified_by("tom", "Hospital trust")
    hospital_lead = _someone("h", Role.AGENCY_LEAD, agency="hospital trust")
    school_lead = _someone("s", Role.AGENCY_LEAD, agency="Riverside Primary School")
    assert may_see_case(hospital_lead, case)
    assert not may_see_case(school_lead, case)

    case.record(
        AGENCY_REQUESTED,
        actor=Actor(id="hub", name="Priya Shah"),
        at=datetime(2026, 11, 25, 10, tzinfo=UTC),
        what="Riverside Primary School asked for its report.",
        data={"agency": "Riverside Primary School", "requested_on": "2026-11-25"},
    )
    assert may_see_case(school_lead, case)


def test_the_hub_sees_every_case() -> None:
    assert may_see_case(_someone("hub", Role.HUB_OFFICER), _case_notified_by("tom", "Police"))
