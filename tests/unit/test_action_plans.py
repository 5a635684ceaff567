"""Action plans as the case's events tell them: actions, their status, sign-off, closure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from safeguarding import action_plans as ap
from safeguarding.action_plans import ActionStatus, PlanNotReady, PlanOwner, StaleAction
from safeguarding.case import Actor, Case, Stage
from safeguarding.errors import IllegalTransition, InvalidInput
from safeguarding.milestones import PUBLISHED
from safeguarding.policy import Forbidden
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role

AT = datetime(2026, 12, 1, 10, tzinfo=UTC)  # Tuesday
TODAY = date(2026, 12, 1)
HUB = Person(object_id="hub-1", name="Hana Hub", roles=frozenset({Role.HUB_OFFICER}))
CSPRG = Person(object_id="cs-1", name="Cara Group", roles=frozenset({Role.CSPRG_MEMBER}))
SPLIG = Person(object_id="sp-1", name="Sam Splig", roles=frozenset({Role.SPLIG_MEMBER}))
PARTNER = Person(object_id="pa-1", name="Pat Partner", roles=frozenset({Role.PARTNER}))
OWNER = Person(
    object_id="ow-1",
    name="Olu Owner",
    agency="Humberside Police",
    roles=frozenset({Role.PRACTITIONER}),
)
OTHER = Person(object_id="ot-1", name="Oti Other", roles=frozenset({Role.PRACTITIONER}))
DEFAULT = PlanOwner.CSPRG


def actor(person: Person) -> Actor:
    return Actor(id=person.object_id, name=person.name)


def published_case(stage: Stage = Stage.PUBLISHED) -> Case:
    """A case whose local CSPR report was published, as the reviews record it."""
    case = Case(
        reference=CaseReference("NL", 2026, 7),
        stage=Stage.LOCAL_REVIEW,
        version=1,
        aware_on=date(2026, 1, 5),
        incident_on=date(2026, 1, 2),
        opened_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
        facts={},
        events=(),
    )
    case.record("case.opened", actor=actor(HUB), at=AT - timedelta(days=300), what="Opened.")
    if stage is Stage.PUBLISHED:
        case.record(
            PUBLISHED,
            actor=actor(HUB),
            at=AT - timedelta(days=1),
            what="Published.",
            data={"published_on": "2026-11-30"},
        )
        case.move_to(Stage.PUBLISHED, actor=actor(HUB), at=AT - timedelta(days=1))
    return case


def add(case: Case, *, due_on: date = date(2026, 12, 18), **kwargs: object) -> ap.PlanAction:
    args: dict[str, object] = {
        "description": "Review the police referral pathway",
        "agency": "",
        "owner": OWNER,
        "due_on": due_on,
        "national": False,
        "actor": actor(HUB),
        "at": AT,
        "today": TODAY,
        "default_owner": DEFAULT,
    }
    args.update(kwargs)
    return ap.add_action(case, **args)  # type: ignore[arg-type]


def test_adding_an_action_records_it_and_moves_a_published_case_to_its_action_plan() -> None:
    case = published_case()

    action = add(case)

    assert case.stage is Stage.ACTION_PLAN
    assert (action.number, action.status, action.agency) == (
        1,
        ActionStatus.OPEN,
        "Humberside Police",
    )
    assert action.owner == Actor(id="ow-1", name="Olu Owner")
    added = case.events[-1]
    assert added.kind == ap.ACTION_ADDED
    assert added.why == "Review the police referral pathway"  # sealed at rest, not in data
    assert "Review" not in str(dict(added.data))


def test_an_owner_outside_the_directory_is_refused_and_nothing_is_recorded() -> None:
    case = published_case()
    before = len(case.events)

    with pytest.raises(InvalidInput, match="directory"):
        add(case, owner=None)

    assert len(case.events) == before
    assert case.stage is Stage.PUBLISHED


def test_a_due_date_in_the_past_is_refused_today_is_allowed() -> None:
    case = published_case()
    with pytest.raises(InvalidInput, match="in the past"):
        add(case, due_on=TODAY - timedelta(days=1))
    assert add(case, due_on=TODAY).due_on == TODAY


def test_actions_from_a_national_review_are_marked_as_such() -> None:
    case = published_case()
    add(case)
    national = add(case, national=True, agency="Children's social care")

    assert national.number == 2
    assert national.national
    assert "from the national review" in case.events[-1].what


def test_marking_done_needs_evidence_given_now_or_recorded_before() -> None:
    case = published_case()
    action = add(case)
    with pytest.raises(InvalidInput, match="evidence"):
        ap.change_status(
            case,
            1,
            ActionStatus.DONE,
            person=OWNER,
            actor=actor(OWNER),
            at=AT,
            revision=action.revision,
            default_owner=DEFAULT,
        )

    recorded = ap.record_evidence(
        case,
        1,
        evidence="Pathway reissued to all officers",
        person=OWNER,
        actor=actor(OWNER),
        at=AT,
        revision=action.revision,
        default_owner=DEFAULT,
    )
    done = ap.change_status(
        case,
        1,
        ActionStatus.DONE,
        person=OWNER,
        actor=actor(OWNER),
        at=AT,
        revision=recorded.revision,
        default_owner=DEFAULT,
    )

    assert done.status is ActionStatus.DONE
    assert done.evidence == "Pathway reissued to all officers"


def test_an_owner_updates_their_own_action_but_not_someone_elses() -> None:
    case = published_case()
    action = add(case)
    with pytest.raises(Forbidden, match="Olu Owner's"):
        ap.change_status(
            case,
            1,
            ActionStatus.IN_PROGRESS,
            person=OTHER,
            actor=actor(OTHER),
            at=AT,
            revision=action.revision,
            default_owner=DEFAULT,
        )
    moved = ap.change_status(
        case,
        1,
        ActionStatus.IN_PROGRESS,
        person=OWNER,
        actor=actor(OWNER),
        at=AT,
        revision=action.revision,
        default_owner=DEFAULT,
    )
    assert moved.status is ActionStatus.IN_PROGRESS


def test_only_the_plans_managers_close_an_action_and_a_reason_is_required() -> None:
    case = published_case()
    action = add(case)
    with pytest.raises(Forbidden):
        ap.change_status(
            case,
            1,
            ActionStatus.CLOSED,
            person=OWNER,
            actor=actor(OWNER),
            at=AT,
            revision=action.revision,
            default_owner=DEFAULT,
            text="No longer needed",
        )
    with pytest.raises(InvalidInput, match="reason"):
        ap.change_status(
            case,
            1,
            ActionStatus.CLOSED,
            person=CSPRG,
            actor=actor(CSPRG),
            at=AT,
            revision=action.revision,
            default_owner=DEFAULT,
            text="  ",
        )
    closed = ap.change_status(
        case,
        1,
        ActionStatus.CLOSED,
        person=CSPRG,
        actor=actor(CSPRG),
        at=AT,
        revision=action.revision,
        default_owner=DEFAULT,
        text="Superseded by action 2",
    )
    assert (closed.status, closed.closed_reason) == (ActionStatus.CLOSED, "Superseded by action 2")


def test_the_owning_group_manages_the_plan_splig_when_the_plan_says_so() -> None:
    case = published_case()
    add(case)
    plan = ap.plan_of(case, default_owner=DEFAULT)
    assert plan.may_manage(CSPRG)
    assert plan.may_manage(HUB)
    assert not plan.may_manage(SPLIG)

    plan = ap.set_owner(case, PlanOwner.SPLIG, actor=actor(HUB), at=AT, default_owner=DEFAULT)

    assert plan.owner is PlanOwner.SPLIG
    assert plan.may_manage(SPLIG)
    assert plan.may_manage(HUB)
    assert not plan.may_manage(CSPRG)
    # The configured default applies until someone sets it.
    assert ap.plan_of(published_case(), default_owner=PlanOwner.SPLIG).owner is PlanOwner.SPLIG


def test_a_card_drawn_before_the_action_changed_is_refused() -> None:
    case = published_case()
    action = add(case)
    ap.change_status(
        case,
        1,
        ActionStatus.IN_PROGRESS,
        person=OWNER,
        actor=actor(OWNER),
        at=AT,
        revision=action.revision,
        default_owner=DEFAULT,
    )
    before = len(case.events)

    with pytest.raises(StaleAction, match="out of date"):
        ap.record_evidence(
            case,
            1,
            evidence="Done",
            person=OWNER,
            actor=actor(OWNER),
            at=AT,
            revision=action.revision,
            default_owner=DEFAULT,
        )
    assert len(case.events) == before


def test_done_and_closed_are_final() -> None:
    case = published_case()
    action = add(case)
    done = ap.change_status(
        case,
        1,
        ActionStatus.DONE,
        person=OWNER,
        actor=actor(OWNER),
        at=AT,
        revision=action.revision,
        default_owner=DEFAULT,
        text="Evidence",
    )
    with pytest.raises(IllegalTransition):
        ap.change_status(
            case,
            1,
            ActionStatus.OPEN,
            person=HUB,
            actor=actor(HUB),
            at=AT,
            revision=done.revision,
            default_owner=DEFAULT,
        )


def test_the_plan_closes_only_when_every_action_is_done_or_closed_listing_what_is_open() -> None:
    case = published_case()
    first = add(case)
    add(case, agency="Health", due_on=date(2027, 1, 8))
    ap.sign_off(
        case,
        board_on=TODAY,
        person=PARTNER,
        actor=actor(PARTNER),
        at=AT,
        today=TODAY,
        default_owner=DEFAULT,
    )
    before = len(case.events)

    with pytest.raises(PlanNotReady) as refused:
        ap.close_plan(case, person=CSPRG, actor=actor(CSPRG), at=AT, default_owner=DEFAULT)

    message = refused.value.user_message
    assert "action 1 (Humberside Police, due Friday 18 December 2026) is open" in message
    assert "action 2 (Health, due Friday 8 January 2027) is open" in message
    assert len(case.events) == before
    assert case.is_open

    ap.change_status(
        case,
        1,
        ActionStatus.DONE,
        person=OWNER,
        actor=actor(OWNER),
        at=AT,
        revision=first.revision,
        default_owner=DEFAULT,
        text="Reissued",
    )
    ap.change_status(
        case,
        2,
        ActionStatus.CLOSED,
        person=HUB,
        actor=actor(HUB),
        at=AT,
        revision=1,
        default_owner=DEFAULT,
        text="Covered by the national review's action",
    )
    plan = ap.close_plan(case, person=CSPRG, actor=actor(CSPRG), at=AT, default_owner=DEFAULT)

    assert plan.is_closed
    assert case.stage is Stage.CLOSED
    assert case.closed_at is not None
    assert [e.kind for e in case.events[-2:]] == [ap.PLAN_CLOSED, "stage.changed"]
    # A closed case keeps its plan: the history reads back in full.
    assert [a.status for a in ap.plan_of(case).actions] == [ActionStatus.DONE, ActionStatus.CLOSED]
    with pytest.raises(IllegalTransition):
        add(case)


def test_closing_needs_the_boards_sign_off_and_a_published_review() -> None:
    case = published_case(stage=Stage.LOCAL_REVIEW)
    action = add(case)
    ap.change_status(
        case,
        1,
        ActionStatus.DONE,
        person=OWNER,
        actor=actor(OWNER),
        at=AT,
        revision=action.revision,
        default_owner=DEFAULT,
        text="Evidence",
    )
    with pytest.raises(PlanNotReady) as refused:
        ap.close_plan(case, person=HUB, actor=actor(HUB), at=AT, default_owner=DEFAULT)
    assert "not yet signed the plan off" in refused.value.user_message
    assert "review is not yet published" in refused.value.user_message


def test_a_learning_reviews_plan_closing_closes_the_case() -> None:
    llr = Case(
        reference=CaseReference("NL", 2026, 8),
        stage=Stage.LEARNING_REVIEW,
        version=1,
        aware_on=date(2026, 1, 5),
        incident_on=None,
        opened_at=datetime(2026, 1, 5, 9, tzinfo=UTC),
        facts={},
        events=(),
    )
    llr.record("case.opened", actor=actor(HUB), at=AT - timedelta(days=10), what="Opened.")
    action = add(llr)
    assert llr.stage is Stage.LEARNING_REVIEW  # the learning review goes on meanwhile
    ap.change_status(
        llr,
        1,
        ActionStatus.DONE,
        person=OWNER,
        actor=actor(OWNER),
        at=AT,
        revision=action.revision,
        default_owner=DEFAULT,
        text="Evidence",
    )
    ap.sign_off(
        llr,
        board_on=TODAY,
        person=PARTNER,
        actor=actor(PARTNER),
        at=AT,
        today=TODAY,
        default_owner=DEFAULT,
    )

    ap.close_plan(llr, person=HUB, actor=actor(HUB), at=AT, default_owner=DEFAULT)

    stages = [e.data.get("to") for e in llr.events if e.kind == "stage.changed"]
    assert stages == ["action_plan", "closed"]


def test_only_the_partners_sign_off_and_not_before_the_board_met() -> None:
    case = published_case()
    add(case)
    with pytest.raises(Forbidden, match="safeguarding partners"):
        ap.sign_off(
            case,
            board_on=TODAY,
            person=HUB,
            actor=actor(HUB),
            at=AT,
            today=TODAY,
            default_owner=DEFAULT,
        )
    with pytest.raises(InvalidInput, match="future"):
        ap.sign_off(
            case,
            board_on=TODAY + timedelta(days=1),
            person=PARTNER,
            actor=actor(PARTNER),
            at=AT,
            today=TODAY,
            default_owner=DEFAULT,
        )
    plan = ap.sign_off(
        case,
        board_on=date(2026, 11, 30),
        person=PARTNER,
        actor=actor(PARTNER),
        at=AT,
        today=TODAY,
        default_owner=DEFAULT,
    )
    assert plan.signed_off is not None
    assert (plan.signed_off.board_on, plan.signed_off.signed_by.name) == (
        date(2026, 11, 30),
        "Pat Partner",
    )


def test_no_plan_before_the_decision_on_a_review() -> None:
    case = Case.open(
        reference=CaseReference("NL", 2026, 9),
        aware_on=TODAY,
        incident_on=None,
        actor=actor(HUB),
        at=AT,
    )
    with pytest.raises(IllegalTransition, match="follows the decision"):
        add(case)


def test_a_redelivered_press_is_recognised() -> None:
    case = published_case()
    add(case, activity="act-1")
    assert ap.replayed(case, "act-1")
    assert not ap.replayed(case, "act-2")
