"""No child identifier or narrative ever reaches a channel post or a log line.

Cases are seeded with canaries - identifiers and narrative nobody would write by accident -
then every journey that exists is driven in channels and personal chats, including the
refusals and the mistakes. Channel posts and every log record (DEBUG and up) are searched
for the canaries afterwards; the database is searched too, for details stored in the clear.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from storage.db import create_engine
from tests.e2e.conftest import BotUnderTest
from tests.e2e.seed import ADMIN, HUB, PRACTITIONER, seed_case
from tests.harness.activities import thread_id
from tests.harness.canary import assert_no_canaries, channel_posts, log_records

# What reaches a channel or a log does not depend on the database (the journeys run on both).
pytestmark = pytest.mark.sqlite_only

__all__ = ["log_records"]  # the fixture, imported for this module's tests

CHILD = {
    "name": "Zebedee Quillfeather",
    "date_of_birth": "2019-04-01",
    "address": "17 Canary Wharf Lane, Scunthorpe DN99 9ZZ",
    "summary": "Canary summary: found unresponsive after the stepfather left.",
}
NARRATIVE = "Canary rationale: the health visitor saw bruising twice"
CANARIES = [*CHILD.values(), "Quillfeather", "DN99 9ZZ", NARRATIVE]
TEAM, CHANNEL = thread_id("Canary partnership"), thread_id("Canary Hub channel")


async def test_no_journey_leaks_a_childs_identifiers_into_channels_or_logs(
    bot: BotUnderTest, log_records: list[logging.LogRecord]
) -> None:
    case = await seed_case(bot.settings, why=NARRATIVE, details=CHILD)
    old = await seed_case(bot.settings, year=2018, closed=True, why=NARRATIVE, details=CHILD)
    teams = bot.teams

    def in_channel(user: object, words: str) -> dict:
        return teams.channel_message(user, words, team_id=TEAM, channel_id=CHANNEL)  # type: ignore[arg-type]

    # In a channel: the introduction, general help, and everything a careless person might try.
    await bot.send(teams.members_added([HUB], scope="team", team_id=TEAM, team_name="Hub"))
    for user, words in [
        (HUB, "help"),
        (HUB, "clock 23/12/2026"),
        (ADMIN, f"verify {case}"),
        (ADMIN, "whois priya"),
        (ADMIN, f"hold {case} {NARRATIVE}"),
        (HUB, f"export {case}"),
        (PRACTITIONER, f"{CHILD['name']} was seen at {CHILD['address']}"),
        (ADMIN, f"whois {CHILD['name']}"),
        (ADMIN, f"verify {CHILD['name']}"),
        (ADMIN, "retention"),
    ]:
        await bot.send(in_channel(user, words))
    await bot.send(
        teams.card_action(
            PRACTITIONER,
            "directory.revoke",
            {"object_id": HUB.aad_object_id, "role": "hub_officer", "reason": NARRATIVE},
            team_id=TEAM,
            channel_id=CHANNEL,
            reply_to_id="1",
        )
    )

    # In private: the administrator and the Hub do their work, details and all.
    for user, words in [
        (ADMIN, "hello"),
        (ADMIN, f"hold {case} {NARRATIVE}"),
        (ADMIN, "retention"),
        (ADMIN, "retention run"),
        (ADMIN, f"verify {old}"),
        (ADMIN, f"release {case} {NARRATIVE}"),
        (HUB, "hello"),
        (HUB, f"export {case}"),
        (HUB, f"export {CHILD['name']}"),
    ]:
        await bot.send(teams.personal_message(user, words))
    for button in bot.connector.last_card()["actions"]:
        path = button["url"].removeprefix("http://localhost:3978")
        assert (await bot.client.get(path)).status == 200

    assert channel_posts(bot.connector), "the journeys did post in the channel"
    assert_no_canaries(bot.connector, log_records, CANARIES)
    assert any(r.levelno == logging.DEBUG for r in log_records), "DEBUG records were captured"
    engine = create_engine(bot.settings.database_url)
    async with engine.connect() as connection:
        at_rest = " ".join(
            (await connection.execute(text("SELECT ciphertext FROM case_details"))).scalars()
        )
    await engine.dispose()
    assert at_rest, "the open case's details are still stored (the old case's were erased)"
    assert not [canary for canary in CANARIES if canary in at_rest]


async def test_a_mistyped_clock_date_in_a_channel_is_not_repeated_back(
    bot: BotUnderTest, log_records: list[logging.LogRecord]
) -> None:
    await bot.send(
        bot.teams.channel_message(
            PRACTITIONER,
            f"clock {CHILD['date_of_birth']} {CHILD['name']}",
            team_id=TEAM,
            channel_id=CHANNEL,
        )
    )

    assert_no_canaries(bot.connector, log_records, CANARIES)
