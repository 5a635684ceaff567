"""Help, the welcome card and the statutory clock, answered without Teams or a database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot_app.admin.handlers import AdminHandlers
from bot_app.basics.handlers import BasicsHandlers, ShowClock
from bot_app.core.answers import CardMessage, ShowCard, Text
from bot_app.core.payloads import FreeText
from bot_app.core.routing import Router
from bot_app.core.turn import Turn, Where
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.errors import InvalidInput
from safeguarding.retention import RetentionAction, RetentionPolicy
from safeguarding.roles import Person, Role
from storage.outbox import ConversationTarget

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
ENGLAND = WorkingDayCalendar()


def turn(*roles: Role) -> Turn:
    return Turn(
        actor=Person("p-1", "Pat Jones", roles=frozenset(roles)),
        teams_user_id="29:p",
        where=Where("personal", ConversationTarget("a:1", "https://smba.example/", "t", "28:b")),
        activity_id="act-1",
        now=NOW,
        today=NOW.date(),
    )


@pytest.fixture
def basics() -> BasicsHandlers:
    router = Router()
    handlers = BasicsHandlers(
        partnership="North Lincolnshire",
        calendar=ENGLAND,
        clocks=STATUTORY_CLOCKS,
        convention=CountingConvention.EXCLUDE_START,
    )
    handlers.register(router)
    policy = RetentionPolicy(years_after_closure=7, action=RetentionAction.DELETE)
    AdminHandlers(tx=None, calendar=ENGLAND, retention=policy).register(router)  # type: ignore[arg-type]
    return handlers


async def test_help_lists_only_what_the_person_may_do(basics: BasicsHandlers) -> None:
    for_practitioner = str(await basics.help(turn(Role.PRACTITIONER), None))  # type: ignore[arg-type]
    for_admin = str(await basics.help(turn(Role.ADMIN), None))  # type: ignore[arg-type]

    assert "retention [run]" not in for_practitioner
    assert "retention [run]" in for_admin


def test_the_welcome_greets_the_person_by_first_name(basics: BasicsHandlers) -> None:
    (said,) = basics.welcome(turn(Role.PRACTITIONER))

    assert isinstance(said, CardMessage)
    assert "Hello Pat" in str(said.card)


async def test_clock_without_a_date_asks_for_one(basics: BasicsHandlers) -> None:
    (said,) = await basics.clock(turn(Role.PRACTITIONER), FreeText(text=""))

    assert isinstance(said, Text)
    assert said.text.startswith("Which date did the partners become aware?")


async def test_the_clock_button_shows_the_deadlines_and_refuses_an_impossible_date(
    basics: BasicsHandlers,
) -> None:
    shown = await basics.clock_button(
        turn(Role.PRACTITIONER), ShowClock.read({"aware_on": "2026-12-23"})
    )

    assert isinstance(shown, ShowCard)
    with pytest.raises(InvalidInput, match="not a real date"):
        await basics.clock_button(
            turn(Role.PRACTITIONER), ShowClock.read({"aware_on": "2026-02-30"})
        )


def test_urgent_words_are_answered_with_999_and_an_offer_to_notify(
    basics: BasicsHandlers,
) -> None:
    (said,) = basics.unrecognised(turn(Role.PRACTITIONER), "the baby is not breathing")

    assert isinstance(said, CardMessage)
    assert "call 999" in str(said.card)
    assert "{'command': 'notify'}" in str(said.card)


def test_someone_who_may_not_notify_still_gets_999_but_no_notify_button(
    basics: BasicsHandlers,
) -> None:
    (said,) = basics.unrecognised(turn(), "a child is missing")

    assert isinstance(said, CardMessage)
    assert "call 999" in str(said.card)
    assert "notify" not in str(said.card.get("actions", ""))


def test_a_typo_is_answered_with_the_command_the_person_may_use(basics: BasicsHandlers) -> None:
    (for_admin,) = basics.unrecognised(turn(Role.ADMIN), "retnetion run")
    (for_practitioner,) = basics.unrecognised(turn(Role.PRACTITIONER), "retnetion run")

    assert isinstance(for_admin, Text)
    assert "Did you mean **retention run**?" in for_admin.text
    assert isinstance(for_practitioner, Text)
    assert "retention" not in for_practitioner.text
