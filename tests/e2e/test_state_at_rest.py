"""A notification's draft answers are never readable in the database, before or after it is sent.

While a practitioner fills in the notification card by card, the answers so far - the child's
name, the summary - are kept in the conversation's dialog state (``bot_state``) so that the
journey survives a restart; once sent, they become the case's encrypted details. Anyone who
can read the database (a backup, a support query, a stolen disk) must find neither.
Runs through the real app and adapter on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import JSON, MetaData, String, select

from storage.db import create_engine
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.reminders_support import deliver, register
from tests.e2e.seed import ADMIN, HUB, PRACTITIONER
from tests.e2e.test_notification_journey import STEPS, fill_in, press, shown, text_of

CANARY_NAME = "Ottoline Brackenfurze"
CANARY_SUMMARY = "Canary summary: left alone with the lodger over half term"
CANARIES = [CANARY_NAME, "Brackenfurze", CANARY_SUMMARY, "with the lodger"]


async def text_at_rest(bot: BotUnderTest) -> dict[str, str]:
    """Every text and JSON column of every table, as stored: table name -> its text."""
    found: dict[str, str] = {}
    engine = create_engine(bot.settings.database_url)
    try:
        async with engine.connect() as connection:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            for table in metadata.sorted_tables:
                columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
                if columns:
                    rows = (await connection.execute(select(*columns))).all()
                    found[table.name] = " ".join(
                        json.dumps(value, ensure_ascii=False)
                        if isinstance(value, dict | list)
                        else str(value)
                        for row in rows
                        for value in row
                    )
    finally:
        await engine.dispose()
    return found


def leaks(at_rest: dict[str, str]) -> dict[str, list[str]]:
    return {
        table: found
        for table, stored in at_rest.items()
        if (found := [canary for canary in CANARIES if canary in stored])
    }


async def test_a_notifications_draft_and_details_are_unreadable_in_every_table(
    make_bot: Callable[..., Any],
) -> None:
    bot: BotUnderTest = await make_bot(allow_child_names=True)
    await register(bot, "register hub", admin=ADMIN)
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER, upto="identifiers")
    await press(
        bot,
        PRACTITIONER,
        **{**STEPS["identifiers"], "full_name": CANARY_NAME, "summary": CANARY_SUMMARY},
    )

    review = text_of(shown(bot, PRACTITIONER))
    assert "Check and send" in review
    assert CANARY_SUMMARY in review, "the practitioner sees their answers to check"
    draft = await text_at_rest(bot)
    assert draft["bot_state"], "the draft is kept in the database, to survive a restart"
    assert leaks(draft) == {}

    await press(bot, PRACTITIONER, "submit")
    assert "Notification received: NL-2026-0001" in text_of(shown(bot, PRACTITIONER))
    await deliver(bot, FIXED_NOW)  # the Hub channel's card, from the outbox

    sent = await text_at_rest(bot)
    assert sent["case_details"], "the details are stored"
    assert leaks(sent) == {}
    await bot.send(bot.teams.personal_message(HUB, "status NL-2026-0001"))
    assert CANARY_NAME in text_of(bot.connector.last_card()), "the Hub can still read them"
