"""The working-day calendar: weekends, England's bank holidays and their substitute days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.errors import InvalidInput

# One calendar for the whole module: its per-year holiday cache is what keeps the property
# tests fast, and hypothesis refuses function-scoped fixtures.
ENGLAND = WorkingDayCalendar()
SCOTLAND = WorkingDayCalendar(subdivision="SCT")

EXCLUDE = CountingConvention.EXCLUDE_START
INCLUDE = CountingConvention.INCLUDE_START

any_day = st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31))
steps = st.integers(min_value=-40, max_value=40)
positive_steps = st.integers(min_value=1, max_value=40)
bounded = settings(max_examples=150, deadline=None)


def working_day(day: date) -> date:
    return day if ENGLAND.is_working_day(day) else ENGLAND.next_working_day(day)


# --- what counts as a working day ---------------------------------------------------------


def test_weekends_are_not_working_days() -> None:
    assert not ENGLAND.is_working_day(date(2026, 6, 6))  # Saturday
    assert not ENGLAND.is_working_day(date(2026, 6, 7))  # Sunday
    assert ENGLAND.is_working_day(date(2026, 6, 8))  # Monday


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 28), "Boxing Day (substitute day)"),
        (date(2027, 1, 1), "New Year's Day"),
        (date(2027, 12, 27), "Christmas Day (substitute day)"),
        (date(2027, 12, 28), "Boxing Day (substitute day)"),
        (date(2028, 1, 3), "New Year's Day (substitute day)"),
        (date(2026, 4, 3), "Good Friday"),
        (date(2026, 4, 6), "Easter Monday"),
        (date(2027, 3, 26), "Good Friday"),
        (date(2027, 3, 29), "Easter Monday"),
        (date(2028, 4, 14), "Good Friday"),
        (date(2028, 4, 17), "Easter Monday"),
    ],
)
def test_england_bank_holidays_and_substitute_days_are_not_working_days(
    day: date, name: str
) -> None:
    assert not ENGLAND.is_working_day(day)
    assert ENGLAND.holiday_name(day) == name


def test_an_ordinary_day_has_no_holiday_name() -> None:
    assert ENGLAND.holiday_name(date(2026, 12, 29)) is None


def test_scotland_keeps_2_january_as_a_holiday_where_england_works() -> None:
    friday_2_january_2026 = date(2026, 1, 2)
    assert ENGLAND.is_working_day(friday_2_january_2026)
    assert not SCOTLAND.is_working_day(friday_2_january_2026)


def test_scotland_does_not_have_easter_monday() -> None:
    assert SCOTLAND.is_working_day(date(2026, 4, 6))


@pytest.mark.parametrize(
    ("subdivision", "label"),
    [("ENG", "England"), ("SCT", "Scotland"), ("WLS", "Wales"), ("NIR", "Northern Ireland")],
)
def test_region_label_names_the_nation_for_explanations(subdivision: str, label: str) -> None:
    assert WorkingDayCalendar(subdivision=subdivision).region_label == label


@pytest.mark.parametrize(
    "settings_",
    [{"country": "XX"}, {"subdivision": "XYZ"}, {"timezone": "Not/AZone"}],
)
def test_unknown_country_subdivision_or_timezone_is_refused(settings_: dict[str, str]) -> None:
    with pytest.raises(InvalidInput):
        WorkingDayCalendar(**settings_)


# --- adding working days: worked examples -------------------------------------------------


@pytest.mark.parametrize(
    ("aware", "n", "due"),
    [
        # domain.md: aware Wed 23 Dec 2026, skipping 25 Dec, 28 Dec (substitute) and 1 Jan.
        (date(2026, 12, 23), 5, date(2027, 1, 4)),
        (date(2026, 12, 23), 15, date(2027, 1, 18)),
        # 2027-28: Christmas and Boxing Day at the weekend, substitutes 27 and 28 Dec, 3 Jan.
        (date(2027, 12, 23), 5, date(2028, 1, 4)),
        # 2028-29: 25 and 26 Dec on Monday and Tuesday, New Year's Day on Monday.
        (date(2028, 12, 22), 5, date(2029, 1, 3)),
        # Easter 2026 (3 and 6 Apr), 2027 (26 and 29 Mar), 2028 (14 and 17 Apr).
        (date(2026, 4, 2), 5, date(2026, 4, 13)),
        (date(2027, 3, 25), 5, date(2027, 4, 5)),
        (date(2028, 4, 13), 5, date(2028, 4, 24)),
    ],
)
def test_working_days_skip_weekends_and_bank_holidays(aware: date, n: int, due: date) -> None:
    assert ENGLAND.add_working_days(aware, n) == due


def test_aware_on_a_saturday_day_one_is_the_monday() -> None:
    assert ENGLAND.add_working_days(date(2026, 6, 6), 1) == date(2026, 6, 8)


def test_aware_on_the_saturday_before_easter_monday_day_one_is_the_tuesday() -> None:
    assert ENGLAND.add_working_days(date(2026, 4, 4), 1) == date(2026, 4, 7)


def test_aware_on_the_saturday_before_a_spring_bank_holiday_day_one_is_the_tuesday() -> None:
    assert ENGLAND.add_working_days(date(2026, 5, 23), 1) == date(2026, 5, 26)


def test_scotland_counts_past_its_own_new_year_substitute_day() -> None:
    assert SCOTLAND.add_working_days(date(2026, 12, 23), 5) == date(2027, 1, 5)


def test_counting_backwards_seven_days_before_publication_skips_new_years_day() -> None:
    # Working Together 2023: the copy goes out at least 7 working days before publication.
    assert ENGLAND.add_working_days(date(2027, 1, 11), -7) == date(2026, 12, 30)


def test_zero_working_days_is_the_start_itself() -> None:
    assert ENGLAND.add_working_days(date(2026, 6, 6), 0) == date(2026, 6, 6)


def test_include_start_counts_a_working_start_day_as_day_one() -> None:
    assert ENGLAND.add_working_days(date(2026, 6, 1), 5, INCLUDE) == date(2026, 6, 5)
    assert ENGLAND.add_working_days(date(2026, 6, 1), 1, INCLUDE) == date(2026, 6, 1)


def test_include_start_on_a_holiday_starts_on_the_next_working_day() -> None:
    christmas = date(2026, 12, 25)
    assert ENGLAND.add_working_days(christmas, 1, INCLUDE) == date(2026, 12, 29)
    assert ENGLAND.add_working_days(christmas, 5, INCLUDE) == ENGLAND.add_working_days(
        christmas, 5, EXCLUDE
    )


def test_next_and_previous_working_day_are_strict() -> None:
    assert ENGLAND.next_working_day(date(2026, 12, 24)) == date(2026, 12, 29)
    assert ENGLAND.previous_working_day(date(2026, 12, 29)) == date(2026, 12, 24)
    assert ENGLAND.next_working_day(date(2026, 6, 1)) == date(2026, 6, 2)


# --- counting working days ----------------------------------------------------------------


def test_count_never_includes_the_start_day() -> None:
    assert ENGLAND.count_working_days(date(2026, 12, 23), date(2027, 1, 4)) == 5
    assert ENGLAND.count_working_days(date(2026, 6, 1), date(2026, 6, 1)) == 0


def test_count_backwards_is_negative() -> None:
    assert ENGLAND.count_working_days(date(2027, 1, 11), date(2026, 12, 30)) == -7


def test_count_backwards_from_a_weekend_lands_on_the_previous_working_day() -> None:
    saturday, friday = date(2026, 6, 6), date(2026, 6, 5)
    assert ENGLAND.count_working_days(saturday, friday) == -1
    assert ENGLAND.add_working_days(saturday, -1) == friday


def test_skipped_holidays_names_only_weekday_bank_holidays_in_order() -> None:
    assert ENGLAND.skipped_holidays(date(2026, 12, 23), date(2027, 1, 4)) == [
        (date(2026, 12, 25), "Christmas Day"),
        (date(2026, 12, 28), "Boxing Day (substitute day)"),
        (date(2027, 1, 1), "New Year's Day"),
    ]
    # Boxing Day itself (Saturday 26 December) is a weekend already.
    assert ENGLAND.skipped_holidays(date(2026, 12, 26), date(2026, 12, 27)) == []


def test_skipped_holidays_does_not_care_about_argument_order() -> None:
    forwards = ENGLAND.skipped_holidays(date(2027, 3, 20), date(2027, 4, 5))
    assert forwards == ENGLAND.skipped_holidays(date(2027, 4, 5), date(2027, 3, 20))
    assert [day for day, _ in forwards] == [date(2027, 3, 26), date(2027, 3, 29)]


# --- local dates --------------------------------------------------------------------------


def test_local_date_uses_british_summer_time() -> None:
    # 23:30 UTC on 31 May is 00:30 BST on 1 June: the practitioner's day is 1 June.
    assert ENGLAND.local_date(datetime(2026, 5, 31, 23, 30, tzinfo=UTC)) == date(2026, 6, 1)


def test_local_date_in_winter_is_the_utc_date() -> None:
    assert ENGLAND.local_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == date(2026, 12, 31)


def test_local_date_refuses_a_naive_datetime() -> None:
    with pytest.raises(InvalidInput):
        ENGLAND.local_date(datetime(2026, 6, 1, 9, 0))


# --- properties ---------------------------------------------------------------------------


@bounded
@given(start=any_day, n=steps)
def test_adding_then_counting_gives_back_the_number_of_days(start: date, n: int) -> None:
    assert ENGLAND.count_working_days(start, ENGLAND.add_working_days(start, n)) == n


@bounded
@given(start=any_day, end=any_day)
def test_counting_then_adding_lands_on_a_working_end_day(start: date, end: date) -> None:
    end = working_day(end)
    assert ENGLAND.add_working_days(start, ENGLAND.count_working_days(start, end)) == end


@bounded
@given(start=any_day, n=steps.filter(bool), convention=st.sampled_from(CountingConvention))
def test_a_deadline_always_falls_on_a_working_day(
    start: date, n: int, convention: CountingConvention
) -> None:
    assert ENGLAND.is_working_day(ENGLAND.add_working_days(start, n, convention))


@bounded
@given(start=any_day, n=steps)
def test_more_working_days_always_means_a_later_date(start: date, n: int) -> None:
    assert ENGLAND.add_working_days(start, n) < ENGLAND.add_working_days(start, n + 1)


@bounded
@given(day=any_day, n=steps)
def test_going_forward_then_back_returns_to_the_same_working_day(day: date, n: int) -> None:
    day = working_day(day)
    assert ENGLAND.add_working_days(ENGLAND.add_working_days(day, n), -n) == day


@bounded
@given(start=any_day, n=positive_steps)
def test_include_start_is_never_later_than_exclude_start(start: date, n: int) -> None:
    included = ENGLAND.add_working_days(start, n, INCLUDE)
    excluded = ENGLAND.add_working_days(start, n, EXCLUDE)
    assert included <= excluded
    assert (included == excluded) == (not ENGLAND.is_working_day(start))


@bounded
@given(start=any_day, n=positive_steps)
def test_the_awareness_day_is_never_counted_by_default(start: date, n: int) -> None:
    due = ENGLAND.add_working_days(start, n)
    assert due > start
    assert ENGLAND.add_working_days(start, 1) == ENGLAND.next_working_day(start)
    # Walk the calendar by hand rather than trust count_working_days: day 1 is after the start.
    after_start = (start + timedelta(days=i) for i in range(1, (due - start).days + 1))
    assert sum(ENGLAND.is_working_day(day) for day in after_start) == n


# -- the precomputed working days agree with counting one day at a time ------------------


def _walk(start: date, n: int) -> date:
    """The nth working day after (or before) ``start``, found by stepping a day at a time."""
    step = timedelta(days=1 if n > 0 else -1)
    day, remaining = start, abs(n)
    while remaining:
        day += step
        if day.weekday() < 5 and ENGLAND.holiday_name(day) is None:
            remaining -= 1
    return day


@given(start=any_day, n=st.integers(min_value=-700, max_value=700))
@bounded
def test_adding_working_days_agrees_with_walking_day_by_day(start: date, n: int) -> None:
    assert ENGLAND.add_working_days(start, n) == _walk(start, n)


def test_a_fresh_calendar_counts_across_years_it_loads_on_demand() -> None:
    fresh = WorkingDayCalendar()
    # Backwards across New Year, then forwards over three years, from nothing loaded.
    assert fresh.add_working_days(date(2027, 1, 4), -2) == date(2026, 12, 30)
    assert fresh.add_working_days(date(2026, 12, 24), 500) == _walk(date(2026, 12, 24), 500)
    assert fresh.count_working_days(date(2026, 1, 1), date(2028, 12, 31)) == sum(
        1
        for offset in range(1, (date(2028, 12, 31) - date(2026, 1, 1)).days + 1)
        if fresh.is_working_day(date(2026, 1, 1) + timedelta(days=offset))
    )
