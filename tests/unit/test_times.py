"""Times of day as people type them, and a record that can't be in the future."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safeguarding.errors import InvalidInput
from safeguarding.times import at_time, check_not_future, format_time_of_day, parse_time_of_day


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("9.40am", time(9, 40)),
        ("9:40", time(9, 40)),
        ("09:40", time(9, 40)),
        ("9.40", time(9, 40)),
        ("21:40", time(21, 40)),
        ("9pm", time(21, 0)),
        ("9.40 pm", time(21, 40)),
        ("9.40 P.M.", time(21, 40)),
        ("12am", time(0, 0)),
        ("12.15pm", time(12, 15)),
        ("0940", time(9, 40)),
        ("noon", time(12, 0)),
        ("  14:30 ", time(14, 30)),
    ],
)
def test_common_uk_time_forms_are_read(typed: str, meant: time) -> None:
    assert parse_time_of_day(typed) == meant


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("25:00", "the hour is 0 to 23"),
        ("9:75", "an hour has 60"),
        ("13pm", "the hour is 1 to 12"),
        ("9", "needs minutes or am/pm"),
        ("tea time", "couldn't read"),
        ("", "couldn't read"),
    ],
)
def test_what_is_not_a_time_is_refused_with_the_reason(typed: str, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_time_of_day(typed)
    assert why in refused.value.user_message


@given(st.times())
def test_every_time_reads_back_from_its_24_hour_form(moment: time) -> None:
    whole = moment.replace(second=0, microsecond=0)
    assert parse_time_of_day(format_time_of_day(whole)) == whole


@given(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=59))
def test_am_and_pm_are_twelve_hours_apart(hour: int, minute: int) -> None:
    morning = parse_time_of_day(f"{hour}.{minute:02d}am")
    evening = parse_time_of_day(f"{hour}.{minute:02d} pm")
    assert (evening.hour - morning.hour) % 24 == 12
    assert morning.minute == evening.minute == minute


NOW = datetime(2026, 11, 26, 10, 0)  # local time of the turn


def test_a_time_later_today_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_not_future(date(2026, 11, 26), time(10, 1), now=NOW, what="The Panel notification")
    assert "can't be in the future" in refused.value.user_message
    assert "10:01" in refused.value.user_message


def test_the_same_minute_and_earlier_days_are_accepted() -> None:
    check_not_future(date(2026, 11, 26), time(10, 0), now=NOW, what="It")
    check_not_future(date(2026, 11, 25), time(23, 59), now=NOW, what="It")
    check_not_future(date(2026, 11, 26), None, now=NOW, what="It")


def test_a_future_date_is_refused() -> None:
    with pytest.raises(InvalidInput):
        check_not_future(date(2026, 11, 27), None, now=NOW, what="It")


def test_a_receipt_names_the_day_only_when_it_was_not_today() -> None:
    assert at_time(datetime(2026, 11, 26, 9, 41), today=date(2026, 11, 26)) == "at 09:41"
    assert (
        at_time(datetime(2026, 11, 25, 9, 41), today=date(2026, 11, 26))
        == "at 09:41 on Wednesday 25 November 2026"
    )
