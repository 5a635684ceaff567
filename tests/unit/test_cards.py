"""Every card the bot can build renders in Teams: valid 1.5 schema, under the size limit."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot_app.basics.views import clock_view
from cards.clock import clock_card
from cards.help import CommandHelp, HelpView, help_card, welcome_card
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import STATUTORY_CLOCKS
from tests.harness.cards import assert_valid_card

ENGLAND = WorkingDayCalendar()
TODAY = date(2026, 11, 26)


def test_help_and_welcome_cards_are_valid_and_show_the_commands() -> None:
    view = HelpView(
        user_name="Alex Morgan",
        partnership="Test Partnership",
        roles=("Practitioner",),
        commands=(CommandHelp("clock <date>", "Statutory deadlines from a date."),),
        today=TODAY,
    )
    for card in (help_card(view), welcome_card(view)):
        assert_valid_card(card)
        assert "clock «date»" in str(card)


@settings(max_examples=60, deadline=None)
@given(
    aware_on=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    convention=st.sampled_from(list(CountingConvention)),
)
def test_the_clock_card_is_valid_for_any_awareness_date(
    aware_on: date, convention: CountingConvention
) -> None:
    card = clock_card(
        clock_view(
            aware_on=aware_on,
            today=TODAY,
            calendar=ENGLAND,
            table=STATUTORY_CLOCKS,
            convention=convention,
        )
    )
    assert_valid_card(card)


def test_an_overdue_clock_says_by_how_many_working_days() -> None:
    aware_on = TODAY - timedelta(days=30)
    card = str(
        clock_card(
            clock_view(
                aware_on=aware_on,
                today=TODAY,
                calendar=ENGLAND,
                table=STATUTORY_CLOCKS,
                convention=CountingConvention.EXCLUDE_START,
            )
        )
    )
    assert "overdue by" in card
