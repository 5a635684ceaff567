from __future__ import annotations

import pytest

from bot_app.commands import Clock, Help, Unknown, clean_text, parse_command


def test_channel_mentions_and_html_are_stripped_before_reading_the_command() -> None:
    assert clean_text("<at>CSPR Assistant</at>&nbsp;clock <p>23/12/2026</p>") == "clock 23/12/2026"


@pytest.mark.parametrize("text", ["help", "HELP", "Hi", "hello!", "", None, "<at>CSPR</at> help"])
def test_greetings_and_help_show_the_help_card(text: str | None) -> None:
    assert parse_command(text) == Help()


def test_clock_keeps_the_date_text_as_typed() -> None:
    assert parse_command("Clock 23 December 2026") == Clock("23 December 2026")


def test_clock_without_a_date_asks_for_one() -> None:
    assert parse_command("clock") == Clock("")


def test_anything_else_is_unknown() -> None:
    assert parse_command("what is the weather") == Unknown("what is the weather")
