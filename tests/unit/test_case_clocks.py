"""A case's clocks follow its evidence trail: started, met, late, overdue or stopped."""

from __future__ import annotations

from datetime import UTC, date, datetime

from safeguarding import milestones as m
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.case_clocks import ClockStatus, case_clocks
from safeguarding.clocks import STATUTORY_CLOCKS, ClockId
from safeguarding.reference import CaseReference

ENGLAND = WorkingDayCalendar()
HUB = Actor(id="hub-1", name="Hana Hub")
AT = datetime(2026, 12, 23, 10, tzinfo=UTC)


def _case(route: str = "serious") -> Case:
    return Case.open(
        reference=CaseReference("NL", 2026, 1),
        aware_on=date(2026, 12, 23),
        incident_on=date(2026, 12, 21),
        actor=HUB,
        at=AT,
        facts={"route": route},
    )


def _clocks(case: Case, today: date) -> dict[str, ClockStatus]:
    return {
        c.key: c.status
        for c in case_clocks(case, today=today, calendar=ENGLAND, table=STATUTORY_CLOCKS)
    }


def test_a_serious_case_starts_the_panel_and_rapid_review_clocks_at_awareness() -> None:
    clocks = case_clocks(
        _case(), today=date(2026, 12, 24), calendar=ENGLAND, table=STATUTORY_CLOCKS
    )

    assert [(c.rule.id, c.deadline.due) for c in clocks] == [
        (ClockId.PANEL_NOTIFICATION, date(2027, 1, 4)),
        (ClockId.RAPID_REVIEW, date(2027, 1, 18)),
    ]
    assert all(c.status is ClockStatus.RUNNING for c in clocks)


def test_a_learning_review_consideration_has_no_panel_clocks() -> None:
    assert _clocks(_case(route="llr"), date(2026, 12, 24)) == {}


def test_the_panel_clock_is_due_on_its_day_and_overdue_after_it() -> None:
    case = _case()
    assert _clocks(case, date(2027, 1, 4))["panel_notification"] is ClockStatus.DUE_TODAY
    assert _clocks(case, date(2027, 1, 5))["panel_notification"] is ClockStatus.OVERDUE


def test_recording_the_notification_meets_the_clock_or_marks_it_late() -> None:
    on_time, late = _case(), _case()
    on_time.record(
        m.PANEL_NOTIFIED,
        actor=HUB,
        at=AT,
        what="Panel notified.",
        data={"notified_on": "2026-12-30", "notified_by": "Hana Hub"},
    )
    late.record(
        m.PANEL_NOTIFIED,
        actor=HUB,
        at=AT,
        what="Panel notified.",
        data={"notified_on": "2027-01-05", "notified_by": "Hana Hub"},
    )

    assert _clocks(on_time, date(2027, 1, 6))["panel_notification"] is ClockStatus.MET
    assert _clocks(late, date(2027, 1, 6))["panel_notification"] is ClockStatus.MET_LATE


def test_each_agency_has_its_own_report_clock() -> None:
    case = _case()
    for agency in ("Police", "Health"):
        case.record(
            m.AGENCY_REQUESTED,
            actor=HUB,
            at=AT,
            what=f"{agency} asked.",
            data={"agency": agency, "requested_on": "2027-01-04"},
        )
    case.record(
        m.AGENCY_SUBMITTED,
        actor=HUB,
        at=AT,
        what="Police report.",
        data={"agency": "Police", "submitted_on": "2027-01-06"},
    )

    clocks = _clocks(case, date(2027, 1, 12))

    assert clocks["agency_reports:Police"] is ClockStatus.MET
    assert clocks["agency_reports:Health"] is ClockStatus.OVERDUE  # due Mon 11 Jan


def test_closing_a_case_stops_its_unmet_clocks() -> None:
    case = _case()
    case.move_to(Stage.CLOSED, actor=HUB, at=AT, why="Criteria not met.")
    statuses = _clocks(case, date(2027, 2, 1))

    assert set(statuses.values()) == {ClockStatus.STOPPED}
    assert not any(status.is_open for status in statuses.values())


def test_the_rapid_review_sent_starts_the_panels_own_clock() -> None:
    case = _case()
    case.record(m.RAPID_REVIEW_SENT, actor=HUB, at=AT, what="Sent.", data={"sent_on": "2027-01-15"})

    clocks = {
        c.key: c
        for c in case_clocks(
            case, today=date(2027, 1, 18), calendar=ENGLAND, table=STATUTORY_CLOCKS
        )
    }

    assert clocks["rapid_review"].status is ClockStatus.MET
    assert clocks["panel_response"].deadline.due == date(2027, 2, 5)
