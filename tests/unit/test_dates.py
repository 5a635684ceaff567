from __future__ import annotations

from datetime import date

import pytest

from safeguarding.dates import parse_user_date
from safeguarding.errors import InvalidInput

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    "text",
    [
        "23/12/2026",
        "2026-12-23",
        "23-12-2026",
        "23.12.2026",
        "23 December 2026",
        "23 Dec 2026",
        "Wednesday 23rd December 2026",
        "  23/12/2026 ",
        "23 dec. 2026",
    ],
)
def test_day_first_and_iso_dates_are_read_as_23_december_2026(text: str) -> None:
    assert parse_user_date(text, today=TODAY) == date(2026, 12, 23)


def test_today_and_yesterday_are_relative_to_the_given_day() -> None:
    assert parse_user_date("Today", today=TODAY) == TODAY
    assert parse_user_date("yesterday", today=TODAY) == date(2026, 11, 25)


def test_slashed_dates_are_day_first_as_written_in_england() -> None:
    assert parse_user_date("03/04/2026", today=TODAY) == date(2026, 4, 3)


@pytest.mark.parametrize("text", ["31/02/2026", "2026-13-01", "30 February 2027"])
def test_impossible_dates_are_refused_with_the_accepted_formats(text: str) -> None:
    with pytest.raises(InvalidInput, match="not a real date") as error:
        parse_user_date(text, today=TODAY)
    assert "23/12/2026" in error.value.user_message


@pytest.mark.parametrize("text", ["next tuesday", "12/2026", "2026/12/23x", "", "23 Smarch 2026"])
def test_unreadable_text_is_refused_with_examples(text: str) -> None:
    with pytest.raises(InvalidInput, match="couldn't read") as error:
        parse_user_date(text, today=TODAY)
    assert "2026-12-23" in error.value.user_message


def test_years_far_outside_the_working_range_are_refused() -> None:
    with pytest.raises(InvalidInput, match="outside the years"):
        parse_user_date("23/12/0026", today=TODAY)
