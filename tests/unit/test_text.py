from __future__ import annotations

import pytest

from bot_app.teams.text import clean_text


def test_channel_mentions_and_html_are_stripped_before_reading_the_command() -> None:
    assert clean_text("<at>CSPR Assistant</at>&nbsp;clock <p>23/12/2026</p>") == "clock 23/12/2026"


@pytest.mark.parametrize("text", [None, "", "   ", "<at>CSPR Assistant</at>"])
def test_nothing_but_a_mention_is_empty(text: str | None) -> None:
    assert clean_text(text) == ""
