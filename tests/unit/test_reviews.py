"""The review after the decision: milestones in order, the family, publication and its
7-working-day copy rule, parallel processes, joint reviews, learning and national reviews.

The partners decided on Wednesday 2 December 2026; England's bank holidays apply.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from safeguarding import milestones as m
from safeguarding import rapid_review as rr
from safeguarding import reviews as rv
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.case_clocks import ClockStatus, case_clocks
from safeguarding.clocks import STATUTORY_CLOCKS, ClockId, clock_table
from safeguarding.errors import DomainError, IllegalTransition, InvalidInput
from safeguarding.reference import CaseReference
from safeguarding.reviews import Milestone, ProcessKind, ProcessStatus, Recipient, ReviewKind
from tests.unit.test_rapid_review import case_at, decided

ENGLAND = WorkingDayCalendar()
RULES = rv.ReviewRules(calendar=ENGLAND)
HUB = Actor(id="hub-1", name="Hana Hub")
PARTNER = Actor(id="partner-1", name="Grace Okafor")
OWNER = rv.Owner("owner-1", "Olu Reviewer")
DECIDED = date(2026, 12, 2)
AT = datetime(2026, 12, 2, 10, tzinfo=UTC)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC)


def review_case(kind: str = "local", stage: Stage = Stage.LOCAL_REVIEW) -> Case:
    case = Case.open(
        reference=CaseReference("NL", 2026, 1),
        aware_on=date(2026, 11, 23),
        incident_on=date(2026, 11, 20),
        actor=HUB,
        at=AT,
        facts={"route": "llr"},
    )
    for step in (Stage.RAPID_REVIEW, Stage.RECOMMENDATION, Stage.PARTNERS_DECISION):
        case.move_to(step, actor=HUB, at=AT)
    if stage is Stage.NATIONAL_REVIEW:
        case.move_to(Stage.WITH_PANEL, actor=HUB, at=AT)
    case.record(
        m.REVIEW_STARTED,
        actor=HUB,
        at=AT,
        what="Review started.",
        data={"decided_on": DECIDED.isoformat(), "kind": kind},
    )
    if stage is not Stage.PARTNERS_DECISION:
        case.move_to(stage, actor=HUB, at=AT)
    return case


def done(case: Case, milestone: Milestone, day: date) -> rv.Review:
    return rv.mark_done(case, milestone, done_on=day, today=day, actor=HUB, at=at(day))


def family(case: Case, day: date) -> rv.Review:
    return rv.record_family(
        case,
        invited=True,
        invited_on=day,
        children_invited=True,
        how="Met the family at home; their views are in the report's chapter 3.",
        today=day,
        actor=HUB,
        at=at(day),
    )


def completed_local(final_on: date = date(2027, 3, 1)) -> Case:
    case = review_case()
    done(case, Milestone.COMMISSIONED, date(2026, 12, 10))
    done(case, Milestone.METHODOLOGY, date(2026, 12, 17))
    done(case, Milestone.PRACTITIONERS, date(2027, 1, 14))
    family(case, date(2027, 1, 20))
    done(case, Milestone.DRAFT, date(2027, 2, 15))
    done(case, Milestone.FINAL, final_on)
    return case


def clocks(case: Case, today: date, table: tuple = STATUTORY_CLOCKS) -> dict[ClockId, object]:
    return {c.rule.id: c for c in case_clocks(case, today=today, calendar=ENGLAND, table=table)}


def unchanged(case: Case, attempt: object) -> None:
    """The attempt raised, and nothing was recorded."""
    before = len(case.events)
    assert callable(attempt)
    with pytest.raises(DomainError):
        attempt()
    assert len(case.events) == before


# -- milestones -------------------------------------------------------------------------------


def test_a_local_cspr_tracks_the_milestones_the_partners_must_see() -> None:
    review = rv.review_of(review_case())
    assert review is not None
    assert review.kind is ReviewKind.LOCAL
    assert review.started_on == DECIDED
    assert [s.label for s in review.milestones] == [
        "Reviewer(s) commissioned",
        "Methodology agreed",
        "Practitioners involved",
        "Family invited (including surviving children)",
        "Draft report received",
        "Final report agreed",
    ]


def test_a_milestone_gets_an_owner_and_a_target_and_is_marked_done_with_a_date() -> None:
    case = review_case()
    rv.plan_milestone(
        case, Milestone.COMMISSIONED, owner=OWNER, target_on=date(2026, 12, 16), actor=HUB, at=AT
    )
    review = done(case, Milestone.COMMISSIONED, date(2026, 12, 14))
    state = review.milestone(Milestone.COMMISSIONED)
    assert state is not None
    assert state.owner == OWNER
    assert state.target_on == date(2026, 12, 16)
    assert state.done_on == date(2026, 12, 14)
    assert state.done_by == "Hana Hub"


def test_a_milestone_past_its_target_and_not_done_is_behind() -> None:
    case = review_case()
    rv.plan_milestone(
        case, Milestone.COMMISSIONED, owner=OWNER, target_on=date(2026, 12, 16), actor=HUB, at=AT
    )
    review = rv.review_of(case)
    assert review is not None
    assert not review.behind(date(2026, 12, 16))
    assert [s.milestone for s in review.behind(date(2026, 12, 17))] == [Milestone.COMMISSIONED]


def test_the_final_report_cannot_be_agreed_before_the_draft_is_received() -> None:
    case = review_case()
    done(case, Milestone.COMMISSIONED, date(2026, 12, 10))
    before = len(case.events)
    with pytest.raises(IllegalTransition, match="can't be done before 'Draft report received'"):
        done(case, Milestone.FINAL, date(2026, 12, 11))
    assert len(case.events) == before


def test_a_milestone_cannot_be_dated_before_the_one_it_follows_nor_in_the_future() -> None:
    case = review_case()
    done(case, Milestone.COMMISSIONED, date(2026, 12, 10))
    with pytest.raises(InvalidInput, match="before 'Reviewer\\(s\\) commissioned'"):
        done(case, Milestone.METHODOLOGY, date(2026, 12, 9))
    unchanged(
        case,
        lambda: rv.mark_done(
            case,
            Milestone.METHODOLOGY,
            done_on=date(2026, 12, 20),
            today=date(2026, 12, 15),
            actor=HUB,
            at=AT,
        ),
    )
    unchanged(case, lambda: done(case, Milestone.COMMISSIONED, date(2026, 12, 11)))  # twice


def test_a_target_before_the_review_started_is_refused() -> None:
    case = review_case()
    unchanged(
        case,
        lambda: rv.plan_milestone(
            case, Milestone.DRAFT, owner=OWNER, target_on=date(2026, 11, 1), actor=HUB, at=AT
        ),
    )


def test_the_family_is_recorded_with_its_own_form_and_its_views_stay_in_the_reason() -> None:
    case = review_case()
    done(case, Milestone.COMMISSIONED, date(2026, 12, 10))
    with pytest.raises(InvalidInput, match="own form"):
        done(case, Milestone.FAMILY, date(2026, 12, 11))
    with pytest.raises(InvalidInput, match="date the family were invited"):
        rv.record_family(
            case,
            invited=True,
            invited_on=None,
            children_invited=False,
            how="Letter sent.",
            today=date(2026, 12, 11),
            actor=HUB,
            at=AT,
        )
    review = family(case, date(2026, 12, 11))
    assert review.family is not None
    assert review.family.invited_on == date(2026, 12, 11)
    assert review.family.children_invited
    event = case.events[-1]
    assert "chapter 3" in (event.why or "")
    assert "chapter 3" not in event.what, "the views never reach the event's summary"


def test_a_family_not_invited_needs_the_reason() -> None:
    case = review_case()
    done(case, Milestone.COMMISSIONED, date(2026, 12, 10))
    unchanged(
        case,
        lambda: rv.record_family(
            case,
            invited=False,
            invited_on=None,
            children_invited=False,
            how=" ",
            today=date(2026, 12, 11),
            actor=HUB,
            at=AT,
        ),
    )


def test_agreeing_the_final_report_completes_the_review_and_meets_its_6_month_clock() -> None:
    running = review_case()
    assert clocks(running, date(2027, 6, 3))[ClockId.LOCAL_REVIEW].status is ClockStatus.OVERDUE
    case = completed_local()
    review = rv.review_of(case)
    assert review is not None
    assert review.completed_on == date(2027, 3, 1)
    assert [e.kind for e in case.events][-1] == m.REVIEW_COMPLETED
    clock = clocks(case, date(2027, 6, 3))[ClockId.LOCAL_REVIEW]
    assert clock.status is ClockStatus.MET
    assert clock.deadline.due == date(2027, 6, 2)


def test_a_review_step_on_a_case_at_another_stage_is_refused() -> None:
    national = review_case("national", Stage.NATIONAL_REVIEW)
    with pytest.raises(DomainError, match="not a milestone of a national review"):
        done(national, Milestone.COMMISSIONED, date(2026, 12, 10))
    published = completed_local()
    published.move_to(Stage.PUBLISHED, actor=HUB, at=at(date(2027, 3, 2)))
    with pytest.raises(IllegalTransition, match="Report published"):
        rv.plan_milestone(
            published, Milestone.DRAFT, owner=OWNER, target_on=date(2027, 4, 1), actor=HUB, at=AT
        )


def test_a_review_that_was_never_started_has_no_track() -> None:
    case = Case.open(
        reference=CaseReference("NL", 2026, 2),
        aware_on=date(2026, 11, 23),
        incident_on=None,
        actor=HUB,
        at=AT,
    )
    assert rv.review_of(case) is None
    with pytest.raises(IllegalTransition, match="No review has been started"):
        done(case, Milestone.COMMISSIONED, date(2026, 12, 10))


def test_a_stale_card_is_refused() -> None:
    case = review_case()
    version = rv.review_version(case)
    rv.check_card(case, version)
    done(case, Milestone.COMMISSIONED, date(2026, 12, 10))
    with pytest.raises(rv.StaleCard, match="out of date"):
        rv.check_card(case, version)


# -- publication ------------------------------------------------------------------------------


def test_the_copy_deadline_counts_7_working_days_back_over_christmas() -> None:
    # Back from Monday 4 January 2027: 31, 30, 29 December (28 is the Boxing Day substitute,
    # 25 is Christmas), 24, 23, 22, 21 - so Monday 21 December 2026.
    assert RULES.copy_deadline(date(2027, 1, 4)).due == date(2026, 12, 21)


def test_a_publication_date_in_the_past_is_refused() -> None:
    case = completed_local()
    unchanged(
        case,
        lambda: rv.plan_publication(
            case,
            publish_on=date(2027, 3, 1),
            today=date(2027, 3, 2),
            rules=RULES,
            confirm_breach=False,
            actor=HUB,
            at=AT,
        ),
    )


def test_a_date_within_7_working_days_is_warned_about_and_recorded_only_when_confirmed() -> None:
    case = completed_local()
    today = date(2027, 3, 2)  # Tuesday
    before = len(case.events)
    check = rv.plan_publication(
        case,
        publish_on=date(2027, 3, 8),
        today=today,
        rules=RULES,
        confirm_breach=False,
        actor=HUB,
        at=at(today),
    )
    assert not check.recorded
    assert check.copy_by.due == date(2027, 2, 25)
    assert check.warning is not None
    assert "breaks the 7-working-day rule" in check.warning
    assert "Thursday 25 February 2027" in check.warning
    assert len(case.events) == before

    confirmed = rv.plan_publication(
        case,
        publish_on=date(2027, 3, 8),
        today=today,
        rules=RULES,
        confirm_breach=True,
        actor=HUB,
        at=at(today),
    )
    assert confirmed.recorded
    review = rv.review_of(case)
    assert review is not None
    assert review.publication is not None
    assert review.publication.breaks_rule
    assert "rule is broken, confirmed by Hana Hub" in case.events[-1].what


def test_a_date_far_enough_ahead_is_recorded_with_its_copy_deadline_and_starts_the_copy_clock() -> (
    None
):
    case = completed_local()
    today = date(2027, 3, 2)
    check = rv.plan_publication(
        case,
        publish_on=date(2027, 4, 1),
        today=today,
        rules=RULES,
        confirm_breach=False,
        actor=HUB,
        at=at(today),
    )
    assert check.recorded
    assert check.warning is None
    # Back from Thursday 1 April 2027 over Easter (Monday 29 and Good Friday 26 March).
    assert check.copy_by.due == date(2027, 3, 19)
    assert clocks(case, today)[ClockId.REPORT_COPY].deadline.due == date(2027, 3, 19)


def test_the_copy_clock_is_met_only_when_all_three_recipients_have_the_report() -> None:
    case = completed_local()
    rv.plan_publication(
        case,
        publish_on=date(2027, 4, 1),
        today=date(2027, 3, 2),
        rules=RULES,
        confirm_breach=False,
        actor=HUB,
        at=at(date(2027, 3, 2)),
    )
    for recipient, day in (
        (Recipient.PANEL, date(2027, 3, 3)),
        (Recipient.SECRETARY_OF_STATE, date(2027, 3, 4)),
    ):
        rv.record_copy(case, recipient, sent_on=day, today=day, actor=HUB, at=at(day))
    assert clocks(case, date(2027, 3, 5))[ClockId.REPORT_COPY].status is ClockStatus.RUNNING
    unchanged(
        case,
        lambda: rv.record_copy(
            case,
            Recipient.PANEL,
            sent_on=date(2027, 3, 5),
            today=date(2027, 3, 5),
            actor=HUB,
            at=AT,
        ),
    )
    rv.record_copy(
        case,
        Recipient.OFSTED,
        sent_on=date(2027, 3, 5),
        today=date(2027, 3, 5),
        actor=HUB,
        at=at(date(2027, 3, 5)),
    )
    clock = clocks(case, date(2027, 3, 5))[ClockId.REPORT_COPY]
    assert clock.status is ClockStatus.MET
    assert clock.met_on == date(2027, 3, 5)


def test_publication_is_refused_until_the_required_content_is_confirmed() -> None:
    case = completed_local()
    day = date(2027, 3, 2)
    rv.plan_publication(
        case, publish_on=date(2027, 3, 16), today=day, rules=RULES, confirm_breach=False,
        actor=HUB, at=at(day),
    )  # fmt: skip
    for recipient in Recipient:
        rv.record_copy(case, recipient, sent_on=day, today=day, actor=HUB, at=at(day))
    publish_day = date(2027, 3, 16)
    with pytest.raises(IllegalTransition, match="summary of the recommended improvements"):
        rv.publish(case, published_on=publish_day, today=publish_day, rules=RULES, actor=HUB, at=AT)
    with pytest.raises(InvalidInput, match="analysis of the systemic or underlying reasons"):
        rv.confirm_checklist(case, improvements=True, systemic=False, actor=HUB, at=AT)
    rv.confirm_checklist(case, improvements=True, systemic=True, actor=HUB, at=at(day))
    review = rv.publish(
        case, published_on=publish_day, today=publish_day, rules=RULES, actor=HUB,
        at=at(publish_day),
    )  # fmt: skip
    assert case.stage is Stage.PUBLISHED
    assert review.published_on == publish_day
    assert review.keep_until == date(2028, 3, 16), "at least a year"


def test_publication_is_refused_until_each_copy_is_recorded() -> None:
    case = completed_local()
    day = date(2027, 3, 2)
    rv.plan_publication(
        case, publish_on=date(2027, 3, 16), today=day, rules=RULES, confirm_breach=False,
        actor=HUB, at=at(day),
    )  # fmt: skip
    rv.confirm_checklist(case, improvements=True, systemic=True, actor=HUB, at=at(day))
    rv.record_copy(case, Recipient.PANEL, sent_on=day, today=day, actor=HUB, at=at(day))
    with pytest.raises(IllegalTransition, match="the Secretary of State, Ofsted first"):
        rv.publish(
            case, published_on=date(2027, 3, 16), today=date(2027, 3, 16), rules=RULES,
            actor=HUB, at=AT,
        )  # fmt: skip


def test_copies_and_the_checklist_wait_for_the_final_report() -> None:
    case = review_case()
    with pytest.raises(IllegalTransition, match="not agreed yet"):
        rv.record_copy(
            case, Recipient.PANEL, sent_on=date(2026, 12, 3), today=date(2026, 12, 3),
            actor=HUB, at=AT,
        )  # fmt: skip
    with pytest.raises(IllegalTransition, match="not agreed yet"):
        rv.confirm_checklist(case, improvements=True, systemic=True, actor=HUB, at=AT)


# -- parallel processes, deferral, joint reviews ----------------------------------------------


def test_publication_deferred_for_proceedings_moves_the_copy_deadline_with_it() -> None:
    case = completed_local()
    day = date(2027, 3, 2)
    rv.plan_publication(
        case, publish_on=date(2027, 4, 1), today=day, rules=RULES, confirm_breach=False,
        actor=HUB, at=at(day),
    )  # fmt: skip
    with pytest.raises(IllegalTransition, match="record it under parallel processes first"):
        rv.defer_publication(
            case, process=ProcessKind.CRIMINAL, publish_on=date(2027, 9, 1),
            review_on=date(2027, 6, 1), reason="Trial listed for June.", today=day,
            rules=RULES, actor=HUB, at=AT,
        )  # fmt: skip
    rv.record_process(
        case,
        ProcessKind.CRIMINAL,
        lead_agency="Humberside Police",
        contact="DI Major Crimes",
        status=ProcessStatus.ONGOING,
        actor=HUB,
        at=at(day),
    )
    with pytest.raises(InvalidInput, match="later than the one planned"):
        rv.defer_publication(
            case, process=ProcessKind.CRIMINAL, publish_on=date(2027, 3, 20),
            review_on=date(2027, 3, 10), reason="Trial.", today=day, rules=RULES,
            actor=HUB, at=AT,
        )  # fmt: skip
    review = rv.defer_publication(
        case, process=ProcessKind.CRIMINAL, publish_on=date(2027, 9, 1),
        review_on=date(2027, 6, 1), reason="Trial listed for June.", today=day, rules=RULES,
        actor=HUB, at=at(day),
    )  # fmt: skip
    assert review.publication is not None
    assert review.publication.publish_on == date(2027, 9, 1)
    assert review.publication.deferral is not None
    assert review.publication.deferral.review_on == date(2027, 6, 1)
    assert review.publication.deferral.reason == "Trial listed for June."
    copy = clocks(case, day)[ClockId.REPORT_COPY]
    assert copy.deadline.due == RULES.copy_deadline(date(2027, 9, 1)).due == date(2027, 8, 20)


def test_a_parallel_process_keeps_its_lead_contact_and_latest_status() -> None:
    case = review_case()
    for status in (ProcessStatus.ONGOING, ProcessStatus.CONCLUDED):
        rv.record_process(
            case,
            ProcessKind.CORONER,
            lead_agency="HM Coroner",
            contact="Coroner's officer",
            status=status,
            actor=HUB,
            at=AT,
        )
    review = rv.review_of(case)
    assert review is not None
    assert [(p.kind, p.lead_agency, p.contact, p.status) for p in review.processes] == [
        (ProcessKind.CORONER, "HM Coroner", "Coroner's officer", ProcessStatus.CONCLUDED)
    ]
    unchanged(
        case,
        lambda: rv.record_process(
            case, ProcessKind.SAR, lead_agency=" ", contact="", status=ProcessStatus.ONGOING,
            actor=HUB, at=AT,
        ),
    )  # fmt: skip


def test_a_joint_review_with_a_dhr_keeps_one_timetable() -> None:
    case = review_case()
    with pytest.raises(InvalidInput, match="only with a Domestic Homicide Review"):
        rv.hold_jointly(case, ProcessKind.CRIMINAL, actor=HUB, at=AT)
    rv.record_process(
        case, ProcessKind.DHR, lead_agency="Community Safety Partnership", contact="",
        status=ProcessStatus.ONGOING, actor=HUB, at=AT,
    )  # fmt: skip
    review = rv.hold_jointly(case, ProcessKind.DHR, actor=HUB, at=AT)
    assert review.joint_with is ProcessKind.DHR
    running = case_clocks(case, today=DECIDED, calendar=ENGLAND, table=STATUTORY_CLOCKS)
    reviews = [c for c in running if c.rule.id in {ClockId.LOCAL_REVIEW, ClockId.NATIONAL_REVIEW}]
    assert [(c.rule.id, c.deadline.due) for c in reviews] == [
        (ClockId.LOCAL_REVIEW, date(2027, 6, 2))
    ]


# -- learning and national reviews ------------------------------------------------------------


def test_a_learning_review_has_its_own_milestones_and_a_configurable_target() -> None:
    case = review_case("learning", Stage.LEARNING_REVIEW)
    review = rv.review_of(case)
    assert review is not None
    assert [s.milestone for s in review.milestones] == [
        Milestone.APPROACH,
        Milestone.LEARNING_EVENT,
        Milestone.FAMILY,
        Milestone.LEARNING_AGREED,
    ]
    default = clocks(case, DECIDED)[ClockId.LEARNING_REVIEW]
    assert default.deadline.due == date(2027, 3, 2), "3 calendar months unless set locally"
    local = clocks(case, DECIDED, clock_table({ClockId.LEARNING_REVIEW: 4}))
    assert local[ClockId.LEARNING_REVIEW].deadline.due == date(2027, 4, 2)
    rv.set_lead(case, owner=OWNER, actor=HUB, at=AT)
    assert (rv.review_of(case) or review).lead == OWNER


def test_a_learning_review_is_not_published_as_a_cspr() -> None:
    case = review_case("learning", Stage.LEARNING_REVIEW)
    with pytest.raises(IllegalTransition, match="another kind of review"):
        rv.plan_publication(
            case, publish_on=date(2027, 4, 1), today=DECIDED, rules=RULES,
            confirm_breach=False, actor=HUB, at=AT,
        )  # fmt: skip


def test_a_national_review_is_published_by_the_panel_for_3_years_and_the_partners_respond() -> None:
    case = review_case("national", Stage.NATIONAL_REVIEW)
    with pytest.raises(IllegalTransition, match="has not published"):
        rv.record_response(
            case, responded_on=DECIDED, summary="Accepted.", today=DECIDED, actor=PARTNER, at=AT
        )
    day = date(2027, 5, 28)
    review = rv.publish(case, published_on=day, today=day, rules=RULES, actor=HUB, at=at(day))
    assert case.stage is Stage.PUBLISHED
    assert review.completed_on == day, "published means complete: the national clock is met"
    assert review.keep_until == date(2030, 5, 28)
    assert clocks(case, day)[ClockId.NATIONAL_REVIEW].status is ClockStatus.MET
    answered = date(2027, 6, 10)
    review = rv.record_response(
        case,
        responded_on=answered,
        summary="Findings 2 and 4 go to the action plan.",
        today=answered,
        actor=PARTNER,
        at=at(answered),
    )
    assert [(r.partner, r.responded_on) for r in review.responses] == [("Grace Okafor", answered)]
    unchanged(
        case,
        lambda: rv.record_response(
            case, responded_on=answered, summary="Again.", today=answered, actor=PARTNER, at=AT
        ),
    )


# -- monitoring -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "period"),
    [
        (date(2026, 12, 31), None),
        (date(2027, 1, 2), 1),
        (date(2027, 2, 1), 1),
        (date(2027, 2, 2), 2),
        (date(2027, 5, 20), 5),
    ],
)
def test_the_partners_are_prompted_each_month_from_the_decision(
    today: date, period: int | None
) -> None:
    review = rv.review_of(review_case())
    assert review is not None
    assert rv.monitoring_period(review, today) == period


def test_a_completed_review_is_no_longer_monitored() -> None:
    review = rv.review_of(completed_local())
    assert review is not None
    assert rv.monitoring_period(review, date(2027, 5, 20)) is None


def test_the_partners_deciding_on_a_learning_review_start_its_clock_that_day() -> None:
    case = case_at(Stage.NOTIFIED, route="llr")
    decided(case, ("sam", "learning_review"), ("fiona", "learning_review"), ("mark", "abstain"))
    rr.confirm(case, round_number=1, required=1, actor=HUB, at=AT, decided_on=DECIDED)
    assert case.stage is Stage.LEARNING_REVIEW
    review = rv.review_of(case)
    assert review is not None
    assert review.kind is ReviewKind.LEARNING
    assert review.started_on == DECIDED
    assert clocks(case, DECIDED)[ClockId.LEARNING_REVIEW].deadline.due == date(2027, 3, 2)


def test_the_panel_agreeing_a_learning_review_starts_it_on_the_panels_decision() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    decided(case, ("sam", "learning_review"), ("fiona", "learning_review"), ("mark", "abstain"))
    rr.confirm(case, round_number=1, required=1, actor=HUB, at=AT, decided_on=DECIDED)
    rr.record_sent(case, sent_on=date(2026, 12, 3), due=date(2026, 12, 14), actor=HUB, at=AT)
    rr.record_panel_decision(
        case, rr.PanelDecision.AGREES, decided_on=date(2026, 12, 16), note="", actor=HUB, at=AT
    )
    assert case.stage is Stage.LEARNING_REVIEW
    review = rv.review_of(case)
    assert review is not None
    assert review.kind is ReviewKind.LEARNING
    assert review.started_on == date(2026, 12, 16)


def test_a_deferred_publication_is_due_for_review_on_the_day_set() -> None:
    case = completed_local()
    day = date(2027, 3, 2)
    rv.plan_publication(
        case, publish_on=date(2027, 4, 1), today=day, rules=RULES, confirm_breach=False,
        actor=HUB, at=at(day),
    )  # fmt: skip
    rv.record_process(
        case, ProcessKind.CORONER, lead_agency="HM Coroner", contact="",
        status=ProcessStatus.ONGOING, actor=HUB, at=at(day),
    )  # fmt: skip
    review = rv.defer_publication(
        case, process=ProcessKind.CORONER, publish_on=date(2027, 9, 1),
        review_on=date(2027, 6, 1), reason="Inquest in May.", today=day, rules=RULES,
        actor=HUB, at=at(day),
    )  # fmt: skip
    assert rv.deferral_due(review, date(2027, 5, 31)) is None
    assert rv.deferral_due(review, date(2027, 6, 1)) == date(2027, 6, 1)
