"""The statutory clocks table and the deadlines, with their explanations, computed from it."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import (
    STATUTORY_CLOCKS,
    ClockId,
    ClockRule,
    ClockTrigger,
    ClockUnit,
    Deadline,
    Direction,
    clock_rule,
    clock_table,
    compute_deadline,
    deadlines_for,
    format_day,
)
from safeguarding.errors import InvalidInput

ENGLAND = WorkingDayCalendar()
SCOTLAND = WorkingDayCalendar(subdivision="SCT")

NOTIFY = clock_rule(ClockId.PANEL_NOTIFICATION)
RAPID_REVIEW = clock_rule(ClockId.RAPID_REVIEW)
LOCAL_REVIEW = clock_rule(ClockId.LOCAL_REVIEW)
REPORT_COPY = clock_rule(ClockId.REPORT_COPY)

AWARE_BEFORE_CHRISTMAS_2026 = date(2026, 12, 23)  # a Wednesday

bounded = settings(max_examples=150, deadline=None)


def deadline(rule: ClockRule, start: date, **kwargs: CountingConvention) -> Deadline:
    return compute_deadline(rule, start, ENGLAND, **kwargs)


# --- the table ----------------------------------------------------------------------------


def test_the_table_holds_every_clock_once_in_process_order() -> None:
    assert [rule.id for rule in STATUTORY_CLOCKS] == list(ClockId)


def test_only_the_agency_report_the_panels_own_target_and_the_learning_review_are_local() -> None:
    not_statutory = {rule.id for rule in STATUTORY_CLOCKS if not rule.statutory}
    assert not_statutory == {
        ClockId.AGENCY_REPORTS,
        ClockId.PANEL_RESPONSE,
        ClockId.LEARNING_REVIEW,
    }


def test_every_rule_cites_its_source_and_names_who_acts() -> None:
    for rule in STATUTORY_CLOCKS:
        assert rule.title
        assert rule.owner
        assert rule.source
        assert rule.note


def test_the_table_has_the_lengths_of_domain_md() -> None:
    lengths = {rule.id: (rule.length, rule.unit, rule.direction) for rule in STATUTORY_CLOCKS}
    days, months, years = ClockUnit.WORKING_DAYS, ClockUnit.CALENDAR_MONTHS, ClockUnit.YEARS
    after, before = Direction.AFTER, Direction.BEFORE
    assert lengths == {
        ClockId.PANEL_NOTIFICATION: (5, days, after),
        ClockId.AGENCY_REPORTS: (5, days, after),
        ClockId.RAPID_REVIEW: (15, days, after),
        ClockId.PANEL_RESPONSE: (15, days, after),
        ClockId.LOCAL_REVIEW: (6, months, after),
        ClockId.NATIONAL_REVIEW: (6, months, after),
        ClockId.LEARNING_REVIEW: (3, months, after),
        ClockId.REPORT_COPY: (7, days, before),
        ClockId.PUBLISHED_LOCAL: (1, years, after),
        ClockId.PUBLISHED_NATIONAL: (3, years, after),
        ClockId.CARE_LEAVER_DEATH: (5, days, after),
        ClockId.LOOKED_AFTER_DEATH: (5, days, after),
    }


@pytest.mark.parametrize(
    ("clock_id", "described"),
    [
        (ClockId.PANEL_NOTIFICATION, "5 working days after the partners become aware"),
        (ClockId.AGENCY_REPORTS, "5 working days after the Hub asks the agency for its report"),
        (ClockId.PANEL_RESPONSE, "15 working days after the Panel receives the rapid review"),
        (ClockId.LOCAL_REVIEW, "6 calendar months after the decision to start the review"),
        (ClockId.REPORT_COPY, "at least 7 working days before publication"),
        (ClockId.PUBLISHED_LOCAL, "at least 1 year after publication"),
        (ClockId.PUBLISHED_NATIONAL, "at least 3 years after publication"),
        (
            ClockId.CARE_LEAVER_DEATH,
            "5 working days after the council becomes aware of the death",
        ),
    ],
)
def test_a_rule_describes_itself_in_plain_english(clock_id: ClockId, described: str) -> None:
    assert clock_rule(clock_id).describe() == described


def test_looking_up_a_clock_missing_from_the_table_is_refused() -> None:
    with pytest.raises(InvalidInput):
        clock_rule(ClockId.REPORT_COPY, table=[NOTIFY])


def test_without_overrides_the_table_is_the_national_one() -> None:
    assert clock_table() == STATUTORY_CLOCKS
    assert clock_table({ClockId.AGENCY_REPORTS: 5}) == STATUTORY_CLOCKS


def test_a_partnership_can_give_agencies_seven_working_days() -> None:
    table = clock_table({ClockId.AGENCY_REPORTS: 7})
    agency = clock_rule(ClockId.AGENCY_REPORTS, table)
    assert agency.length == 7
    assert "set locally to 7 working days" in agency.source
    assert agency.describe() == "7 working days after the Hub asks the agency for its report"
    # Monday 1 June 2026 + 7 working days.
    assert compute_deadline(agency, date(2026, 6, 1), ENGLAND).due == date(2026, 6, 10)
    # Every other clock is untouched.
    assert [r for r in table if r.id != agency.id] == [
        r for r in STATUTORY_CLOCKS if r.id != agency.id
    ]


@pytest.mark.parametrize("length", [0, -5])
def test_a_zero_or_negative_length_is_refused(length: int) -> None:
    with pytest.raises(InvalidInput):
        clock_table({ClockId.AGENCY_REPORTS: length})


def test_a_rule_cannot_be_built_with_no_length() -> None:
    with pytest.raises(InvalidInput):
        dataclasses.replace(NOTIFY, length=0)


@pytest.mark.parametrize(
    "clock_id", [ClockId.PANEL_NOTIFICATION, ClockId.RAPID_REVIEW, ClockId.REPORT_COPY]
)
def test_a_clock_set_in_law_cannot_be_changed_locally(clock_id: ClockId) -> None:
    with pytest.raises(InvalidInput, match="set in law"):
        clock_table({clock_id: 10})


def test_an_override_for_an_unknown_clock_is_refused() -> None:
    with pytest.raises(InvalidInput):
        clock_table({"agency_report": 7})  # type: ignore[dict-item]


# --- working-day deadlines ----------------------------------------------------------------


def test_aware_on_wednesday_before_christmas_2026_notification_due_monday_4_january() -> None:
    notify = deadline(NOTIFY, AWARE_BEFORE_CHRISTMAS_2026)
    assert notify.due == date(2027, 1, 4)
    assert notify.start == AWARE_BEFORE_CHRISTMAS_2026
    assert notify.convention is CountingConvention.EXCLUDE_START
    assert notify.explanation == (
        "5 working days after Wednesday 23 December 2026, the day the partners became aware "
        "(that day is not counted). Weekends and England bank holidays skipped: Christmas Day "
        "(Fri 25 Dec), Boxing Day (substitute day) (Mon 28 Dec), New Year's Day (Fri 1 Jan)."
    )


def test_aware_on_wednesday_before_christmas_2026_rapid_review_due_monday_18_january() -> None:
    rapid = deadline(RAPID_REVIEW, AWARE_BEFORE_CHRISTMAS_2026)
    assert rapid.due == date(2027, 1, 18)
    assert rapid.explanation.startswith("15 working days after Wednesday 23 December 2026")


@pytest.mark.parametrize(
    ("aware", "due"),
    [
        (date(2027, 12, 23), date(2028, 1, 4)),  # substitutes 27, 28 Dec and 3 Jan
        (date(2028, 12, 22), date(2029, 1, 3)),  # 25, 26 Dec and 1 Jan on weekdays
        (date(2026, 4, 2), date(2026, 4, 13)),  # Good Friday 3 Apr, Easter Monday 6 Apr
        (date(2027, 3, 25), date(2027, 4, 5)),  # 26 and 29 Mar
        (date(2028, 4, 13), date(2028, 4, 24)),  # 14 and 17 Apr
        (date(2026, 6, 6), date(2026, 6, 12)),  # aware on a Saturday: Monday is day 1
        (date(2026, 4, 4), date(2026, 4, 13)),  # a Saturday before Easter Monday: Tuesday is day 1
    ],
)
def test_panel_notification_skips_weekends_and_bank_holidays(aware: date, due: date) -> None:
    assert deadline(NOTIFY, aware).due == due


def test_the_explanation_names_the_substitute_days_of_christmas_2027() -> None:
    explanation = deadline(NOTIFY, date(2027, 12, 23)).explanation
    assert "Christmas Day (substitute day) (Mon 27 Dec)" in explanation
    assert "Boxing Day (substitute day) (Tue 28 Dec)" in explanation
    assert "New Year's Day (substitute day) (Mon 3 Jan)" in explanation


def test_the_explanation_names_easter_2026() -> None:
    explanation = deadline(NOTIFY, date(2026, 4, 2)).explanation
    assert "Good Friday (Fri 3 Apr), Easter Monday (Mon 6 Apr)" in explanation


def test_scotland_notification_falls_a_day_later_for_its_new_year_holiday() -> None:
    notify = compute_deadline(NOTIFY, AWARE_BEFORE_CHRISTMAS_2026, SCOTLAND)
    assert notify.due == date(2027, 1, 5)
    assert "Scotland bank holidays" in notify.explanation
    assert "New Year Holiday (substitute day) (Mon 4 Jan)" in notify.explanation


def test_a_quiet_week_says_nothing_was_skipped() -> None:
    # Monday 1 June 2026 + 3 working days stays inside the week.
    short = dataclasses.replace(NOTIFY, length=3)
    assert deadline(short, date(2026, 6, 1)).explanation.endswith(
        "No weekends or England bank holidays fell in this period."
    )


def test_a_week_with_no_bank_holiday_names_only_weekends() -> None:
    assert deadline(NOTIFY, date(2026, 6, 1)).explanation.endswith(
        "Weekends skipped; no England bank holidays fell in this period."
    )


def test_include_start_counts_the_awareness_day_and_says_so() -> None:
    notify = deadline(NOTIFY, date(2026, 6, 1), convention=CountingConvention.INCLUDE_START)
    assert notify.due == date(2026, 6, 5)
    assert notify.convention is CountingConvention.INCLUDE_START
    assert "(that day counts as day 1)" in notify.explanation


def test_include_start_on_a_saturday_says_day_one_is_the_next_working_day() -> None:
    notify = deadline(NOTIFY, date(2026, 6, 6), convention=CountingConvention.INCLUDE_START)
    assert notify.due == date(2026, 6, 12)
    assert "so day 1 is the next working day" in notify.explanation


# --- the backward clock -------------------------------------------------------------------


def test_publication_on_monday_11_january_2027_copy_due_by_wednesday_30_december() -> None:
    copy = deadline(REPORT_COPY, date(2027, 1, 11))
    assert copy.due == date(2026, 12, 30)
    assert copy.explanation == (
        "7 working days before Monday 11 January 2027, the publication date (that day is not "
        "counted), so Wednesday 30 December 2026 is the latest day allowed. Weekends and "
        "England bank holidays skipped: New Year's Day (Fri 1 Jan)."
    )


# --- calendar-month and year clocks -------------------------------------------------------


def test_six_months_from_31_august_2026_is_28_february_2027() -> None:
    review = deadline(LOCAL_REVIEW, date(2026, 8, 31))
    assert review.due == date(2027, 2, 28)
    assert "February 2027 has only 28 days" in review.explanation
    assert "Sunday 28 February 2027" in review.explanation


def test_six_months_from_31_august_2027_is_29_february_2028() -> None:
    assert deadline(LOCAL_REVIEW, date(2027, 8, 31)).due == date(2028, 2, 29)


def test_a_calendar_month_deadline_is_not_moved_off_a_weekend() -> None:
    # Saturday 15 May 2027: "no later than six months" is the date itself.
    review = deadline(LOCAL_REVIEW, date(2026, 11, 15))
    assert review.due == date(2027, 5, 15)
    assert "the same day of the month" in review.explanation
    assert "not moved" in review.explanation


def test_a_report_published_on_29_february_stays_up_until_28_february() -> None:
    published = date(2028, 2, 29)
    local = deadline(clock_rule(ClockId.PUBLISHED_LOCAL), published)
    national = deadline(clock_rule(ClockId.PUBLISHED_NATIONAL), published)
    assert local.due == date(2029, 2, 28)
    assert national.due == date(2031, 2, 28)


# --- which clocks an event starts ---------------------------------------------------------


def test_awareness_starts_the_notification_and_rapid_review_clocks() -> None:
    started = deadlines_for(ClockTrigger.AWARENESS, AWARE_BEFORE_CHRISTMAS_2026, ENGLAND)
    assert [(d.rule.id, d.due) for d in started] == [
        (ClockId.PANEL_NOTIFICATION, date(2027, 1, 4)),
        (ClockId.RAPID_REVIEW, date(2027, 1, 18)),
    ]


def test_publication_starts_the_copy_and_the_publication_periods() -> None:
    started = deadlines_for(ClockTrigger.PUBLICATION, date(2027, 1, 11), ENGLAND)
    assert [(d.rule.id, d.due) for d in started] == [
        (ClockId.REPORT_COPY, date(2026, 12, 30)),
        (ClockId.PUBLISHED_LOCAL, date(2028, 1, 11)),
        (ClockId.PUBLISHED_NATIONAL, date(2030, 1, 11)),
    ]


def test_deadlines_follow_a_partnerships_own_table() -> None:
    table = clock_table({ClockId.AGENCY_REPORTS: 7})
    [agency] = deadlines_for(ClockTrigger.AGENCY_REQUEST, date(2026, 6, 1), ENGLAND, table=table)
    assert agency.due == date(2026, 6, 10)


# --- time left ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "left"),
    [
        (date(2026, 12, 23), 5),
        (date(2026, 12, 31), 1),
        (date(2027, 1, 1), 1),  # New Year's Day: Monday is still to come
        (date(2027, 1, 4), 0),
        (date(2027, 1, 5), -1),
        (date(2027, 1, 8), -4),
    ],
)
def test_working_days_left_counts_down_to_zero_on_the_due_day(today: date, left: int) -> None:
    assert deadline(NOTIFY, AWARE_BEFORE_CHRISTMAS_2026).working_days_left(today, ENGLAND) == left


def test_a_deadline_missed_on_friday_is_one_day_overdue_over_the_weekend() -> None:
    # Aware Friday 29 May 2026; due Friday 5 June.
    notify = deadline(NOTIFY, date(2026, 5, 29))
    assert notify.due == date(2026, 6, 5)
    assert notify.working_days_left(date(2026, 6, 6), ENGLAND) == -1
    assert notify.working_days_left(date(2026, 6, 8), ENGLAND) == -1
    assert notify.working_days_left(date(2026, 6, 9), ENGLAND) == -2


def test_a_deadline_is_overdue_only_after_its_due_day() -> None:
    notify = deadline(NOTIFY, AWARE_BEFORE_CHRISTMAS_2026)
    assert not notify.is_overdue(date(2027, 1, 4))
    assert notify.is_overdue(date(2027, 1, 5))


# --- display ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "shown"),
    [
        (date(2027, 1, 4), "Monday 4 January 2027"),
        (date(2026, 12, 23), "Wednesday 23 December 2026"),
        (date(2028, 2, 29), "Tuesday 29 February 2028"),
    ],
)
def test_dates_are_shown_uk_style_without_a_leading_zero(day: date, shown: str) -> None:
    assert format_day(day) == shown


# --- properties ---------------------------------------------------------------------------

any_day = st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31))


@bounded
@given(start=any_day, months=st.integers(min_value=1, max_value=24))
def test_a_calendar_month_deadline_is_after_the_start_in_the_right_month(
    start: date, months: int
) -> None:
    rule = dataclasses.replace(LOCAL_REVIEW, length=months)
    due = deadline(rule, start).due
    assert due > start
    assert (due.year * 12 + due.month) - (start.year * 12 + start.month) == months
    # The same day of the month, or the month's last day when it is too short (31 Aug -> 28 Feb).
    last_of_month = (due + timedelta(days=1)).day == 1
    assert due.day == start.day or (due.day < start.day and last_of_month)


@bounded
@given(start=any_day, rule=st.sampled_from(STATUTORY_CLOCKS))
def test_every_explanation_names_the_start_and_the_length(start: date, rule: ClockRule) -> None:
    explanation = deadline(rule, start).explanation
    assert format_day(start) in explanation
    assert explanation.startswith(f"{rule.length} ")


@bounded
@given(start=any_day, today=any_day, rule=st.sampled_from(STATUTORY_CLOCKS))
def test_time_left_is_negative_exactly_when_overdue(
    start: date, today: date, rule: ClockRule
) -> None:
    due = deadline(rule, start)
    assert (due.working_days_left(today, ENGLAND) < 0) == due.is_overdue(today)
