"""How many SQL statements a turn costs, through HTTP: the database is most of a turn's time
when the bot is busy, so the count is held down here (performance targets: a ``help`` turn
at most 2, a dialog turn at most 4) - on SQLite and PostgreSQL. A message reads the
conversation's state and the person's in one statement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot_app.teams.components import COMPONENTS
from tests.e2e.conftest import BotUnderTest
from tests.harness.activities import make_user

ALEX = make_user("Alex Practitioner")
SAM = make_user("Sam Practitioner")


@contextmanager
def statements(bot: BotUnderTest, *, compiled: list[str] | None = None) -> Iterator[list[str]]:
    """Every statement the bot's engine sends while the block runs (pings included), and in
    ``compiled`` those SQLAlchemy had to compile rather than take from its cache."""
    engine = bot.client.app[COMPONENTS].engine.sync_engine
    seen: list[str] = []

    def record(
        _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, *_: Any
    ) -> None:
        seen.append(statement.split(None, 1)[0].upper())
        if compiled is not None and context.cache_hit is not context.dialect.CACHE_HIT:
            compiled.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_help_turn_costs_one_statement(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(ALEX, "help"))  # welcome, directory, reference

    with statements(bot) as seen:
        await bot.send(bot.teams.personal_message(ALEX, "help"))

    assert "Here's what I can do" in " ".join(bot.connector.texts()) or bot.connector.cards()
    assert seen == ["SELECT"], seen


async def test_a_dialog_turn_costs_at_most_four_statements(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(ALEX, "help"))

    with statements(bot) as seen:
        await bot.send(bot.teams.personal_message(ALEX, "notify"))  # the form, in a dialog

    assert bot.connector.cards()
    assert len(seen) <= 4, seen


async def test_a_turn_like_one_before_compiles_no_statement(bot: BotUnderTest) -> None:
    """Compiling a statement costs about a millisecond: a turn like one before (here, a
    person's first message: the welcome, the person's state saved, the conversation
    remembered - all three upserts) takes every statement from SQLAlchemy's cache."""
    await bot.send(bot.teams.personal_message(ALEX, "help"))

    compiled: list[str] = []
    with statements(bot, compiled=compiled) as seen:
        await bot.send(bot.teams.personal_message(SAM, "help"))

    assert seen.count("INSERT") >= 2, seen
    assert compiled == []
