"""A case whose review events were recorded before every data key was kept (or with a value
this version does not know) still reads: the review, its processes and the clocks never raise,
and what is missing is left out rather than guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime

from safeguarding import milestones as m
from safeguarding import reviews as rv
from safeguarding.case import Case, Stage
from safeguarding.case_clocks import case_clocks
from safeguarding.clocks import STATUTORY_CLOCKS, ClockId
from safeguarding.reviews import Milestone, Recipient, ReviewKind
from tests.unit.test_reviews import ENGLAND, HUB, RULES, review_case


def older(case: Case, event: str, on: date, **data: object) -> None:
    case.record(
        event,
        actor=HUB,
        at=datetime(on.year, on.month, on.day, 10, tzinfo=UTC),
        what=f"{event} recorded.",
        data=data,
    )


def test_a_review_recorded_without_optional_keys_still_reads() -> None:
    case = review_case()
    older(case, rv.MILESTONE_PLANNED, date(2026, 12, 3), milestone="commissioned")  # no owner
    older(case, rv.MILESTONE_DONE, date(2026, 12, 10), milestone="commissioned")  # no done_on
    older(case, rv.MILESTONE_DONE, date(2026, 12, 11), milestone="a-step-we-dropped")
    older(case, rv.LEAD_SET, date(2026, 12, 11))  # nobody named
    older(case, rv.PROCESS_RECORDED, date(2026, 12, 12), process="criminal", status="halted")
    older(case, rv.PROCESS_RECORDED, date(2026, 12, 12), lead_agency="Police")  # no process
    older(case, rv.PUBLICATION_DEFERRED, date(2026, 12, 13), process="criminal")  # no review_on
    older(case, m.REVIEW_COMPLETED, date(2027, 5, 28))  # no completed_on
    older(case, m.PUBLICATION_PLANNED, date(2027, 5, 31), publish_on="2027-07-01")  # no copy_by
    older(case, m.REPORT_COPIED, date(2027, 6, 10), sent_on="2027-06-10")  # all three at once
    older(case, rv.JOINT, date(2027, 6, 10), **{"with": "something-new"})

    review = rv.review_of(case)

    assert review is not None
    assert review.kind is ReviewKind.LOCAL
    commissioned = review.milestone(Milestone.COMMISSIONED)
    assert commissioned is not None
    assert commissioned.owner is None
    assert commissioned.done_on == date(2026, 12, 10), "the day it was recorded"
    assert review.lead is None
    assert [(p.kind, p.status) for p in review.processes] == [
        (rv.ProcessKind.CRIMINAL, rv.ProcessStatus.ONGOING)
    ]
    assert review.completed_on == date(2027, 5, 28)
    assert review.publication is not None
    assert review.publication.copy_by is None
    assert review.publication.deferral is None
    assert RULES.copy_by(review.publication) == date(2027, 6, 22)
    assert set(review.copies) == set(Recipient)
    assert review.joint_with is None
    copy = next(
        c
        for c in case_clocks(
            case, today=date(2027, 6, 10), calendar=ENGLAND, table=STATUTORY_CLOCKS
        )
        if c.rule.id is ClockId.REPORT_COPY
    )
    assert copy.deadline.due == date(2027, 6, 22)


def test_a_start_without_its_kind_or_date_is_a_local_review_from_the_day_recorded() -> None:
    case = review_case(stage=Stage.PARTNERS_DECISION)
    older(case, m.REVIEW_STARTED, date(2026, 12, 4), kind="")
    older(case, m.PUBLISHED, date(2027, 7, 1))  # no published_on, no keep_until

    review = rv.review_of(case)

    assert review is not None
    assert review.kind is ReviewKind.LOCAL
    assert review.started_on == date(2026, 12, 4)
    assert review.published_on == date(2027, 7, 1)
    assert review.keep_until is None
    assert case_clocks(case, today=date(2027, 7, 1), calendar=ENGLAND, table=STATUTORY_CLOCKS)
