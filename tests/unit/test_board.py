"""What the dashboard and the Board read off the clocks: urgency, quarters, time to the Panel,
open actions by age. Pure: the clocks come from real cases and the England calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from safeguarding import milestones as m
from safeguarding.board import (
    AGE_BANDS,
    OpenAction,
    Quarter,
    Urgency,
    actions_by_agency_and_age,
    clocks_kept,
    most_urgent,
    quarter_of,
    time_to_panel,
    urgency,
)
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor, Case
from safeguarding.case_clocks import CaseClock, case_clocks
from safeguarding.clocks import STATUTORY_CLOCKS, ClockId
from safeguarding.reference import CaseReference

CALENDAR = WorkingDayCalendar()
HUB = Actor(id="hub", name="Priya Shah")


def case(aware_on: date, *, notified_on: date | None = None, sent_on: date | None = None) -> Case:
    opened = datetime(aware_on.year, aware_on.month, aware_on.day, 9, tzinfo=UTC)
    c = Case.open(
        reference=CaseReference(prefix="NL", year=aware_on.year, number=1),
        aware_on=aware_on,
        incident_on=aware_on,
        actor=HUB,
        at=opened,
        today=aware_on,
    )
    if notified_on:
        c.record(
            m.PANEL_NOTIFIED,
            actor=HUB,
            at=opened,
            what="Panel notified.",
            data={"notified_on": notified_on.isoformat()},
        )
    if sent_on:
        c.record(
            m.RAPID_REVIEW_SENT,
            actor=HUB,
            at=opened,
            what="Rapid review sent.",
            data={"sent_on": sent_on.isoformat()},
        )
    return c


def clocks(c: Case, today: date) -> list[CaseClock]:
    return case_clocks(c, today=today, calendar=CALENDAR, table=STATUTORY_CLOCKS)


def panel_clock(c: Case, today: date) -> CaseClock:
    return next(k for k in clocks(c, today) if k.rule.id is ClockId.PANEL_NOTIFICATION)


# Aware Friday 20 November 2026: the Panel is due Friday 27 November.
@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 20), Urgency.ON_TRACK),  # 5 working days left
        (date(2026, 11, 23), Urgency.ON_TRACK),  # 4 left
        (date(2026, 11, 24), Urgency.SOON),  # 3 left: amber from here
        (date(2026, 11, 27), Urgency.SOON),  # due today
        (date(2026, 11, 28), Urgency.OVERDUE),  # Saturday after: red
    ],
)
def test_a_clock_turns_amber_3_working_days_before_it_is_due_and_red_after(
    today: date, expected: Urgency
) -> None:
    clock = panel_clock(case(date(2026, 11, 20)), today)

    assert urgency(clock, today=today, calendar=CALENDAR) is expected


def test_a_met_clock_is_done_whatever_the_day() -> None:
    c = case(date(2026, 11, 20), notified_on=date(2026, 11, 23))

    assert urgency(panel_clock(c, date(2027, 1, 4)), today=date(2027, 1, 4), calendar=CALENDAR) is (
        Urgency.DONE
    )


def test_a_case_is_as_urgent_as_its_worst_clock() -> None:
    assert most_urgent([Urgency.ON_TRACK, Urgency.OVERDUE, Urgency.SOON]) is Urgency.OVERDUE
    assert most_urgent([Urgency.DONE, Urgency.SOON]) is Urgency.SOON
    assert most_urgent([]) is Urgency.DONE


def test_quarters_are_named_as_the_board_reads_them() -> None:
    assert quarter_of(date(2026, 12, 31)) == Quarter(2026, 4)
    assert Quarter(2026, 4).label == "Oct to Dec 2026"
    assert Quarter(2026, 4).following() == Quarter(2027, 1)


def test_clocks_count_as_met_or_missed_in_the_quarter_of_their_due_day_and_gaps_show() -> None:
    today = date(2026, 11, 26)
    on_time = case(date(2026, 3, 2), notified_on=date(2026, 3, 3), sent_on=date(2026, 3, 20))
    late = case(date(2026, 10, 1), notified_on=date(2026, 10, 12))  # due 8 October
    running = case(date(2026, 11, 24))  # neither met nor missed yet

    tallies = clocks_kept(
        [*clocks(on_time, today), *clocks(late, today), *clocks(running, today)], today=today
    )

    assert [(t.quarter.label, t.met, t.missed) for t in tallies] == [
        ("Jan to Mar 2026", 2, 0),
        ("Apr to Jun 2026", 0, 1),  # the Panel's answer to that rapid review, still awaited
        ("Jul to Sep 2026", 0, 0),
        # the late Panel notification, and its rapid review (due 22 October, never sent)
        ("Oct to Dec 2026", 0, 2),
    ]


def test_no_clock_met_or_missed_gives_no_quarters() -> None:
    today = date(2026, 11, 26)

    assert clocks_kept(clocks(case(date(2026, 11, 24)), today), today=today) == []


def test_time_to_the_panel_counts_working_days_from_awareness() -> None:
    # Aware Wednesday 23 December 2026; Christmas, Boxing Day (substitute Monday 28th) and
    # New Year's Day are not working days.
    c = case(date(2026, 12, 23), notified_on=date(2027, 1, 4))
    today = date(2027, 1, 6)

    times = time_to_panel(c, clocks(c, today), today=today, calendar=CALENDAR)

    assert times is not None
    assert times.notification is not None
    assert (times.notification.days, times.notification.done) == (5, True)
    assert times.notification.target == 5
    assert times.rapid_review is not None
    assert (times.rapid_review.days, times.rapid_review.done) == (7, False)
    assert times.rapid_review.target == 15


def test_a_case_that_never_needed_the_panel_has_no_time_to_it() -> None:
    c = case(date(2026, 11, 2))
    c.update_facts({"route": "llr"}, actor=HUB, at=datetime(2026, 11, 2, 10, tzinfo=UTC))

    assert (
        time_to_panel(c, clocks(c, date(2026, 11, 26)), today=date(2026, 11, 26), calendar=CALENDAR)
        is None
    )


def test_open_actions_are_counted_per_agency_by_age_busiest_agency_first() -> None:
    today = date(2026, 11, 26)
    actions = [
        OpenAction("Police", date(2026, 11, 20)),  # 6 days
        OpenAction("School", date(2026, 10, 1)),  # 56 days
        OpenAction("School", date(2026, 4, 1)),  # 239 days
        OpenAction("school", date(2026, 11, 26)),  # today; agencies are named as recorded
        OpenAction("", date(2026, 8, 1)),
    ]

    rows = actions_by_agency_and_age(actions, today=today)

    assert [b.label for b in AGE_BANDS] == [
        "Under 1 month",
        "1 to 3 months",
        "3 to 6 months",
        "Over 6 months",
    ]
    assert [(r.agency, r.counts) for r in rows] == [
        ("School", (0, 1, 0, 1)),
        ("No agency named", (0, 0, 1, 0)),
        ("Police", (1, 0, 0, 0)),
        ("school", (1, 0, 0, 0)),
    ]
