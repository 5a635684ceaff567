"""The HTTP edge: bad bodies, unhandled activity types, health, and unexpected failures."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text

from bot_app.teams.http import MAX_BODY_BYTES
from storage.db import create_engine
from tests.e2e.conftest import BotUnderTest
from tests.harness.activities import make_user

# The Teams edge behaves the same on either database (the journeys run on both).
pytestmark = pytest.mark.sqlite_only

SAM = make_user("Sam Patel")


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[1, 2, 3]", b'"a string"', b"{}", b'{"type": 7}', b"\xff\xfe\x00"],
)
async def test_a_body_that_is_not_an_activity_gets_400_without_a_stack_trace(
    bot: BotUnderTest, raw: bytes
) -> None:
    reply = await bot.post_raw(raw)

    assert reply.status == 400
    assert "Traceback" not in reply.text
    assert bot.connector.requests == []


async def test_a_non_json_content_type_gets_415(bot: BotUnderTest) -> None:
    reply = await bot.post_raw(b"type=message", content_type="application/x-www-form-urlencoded")

    assert reply.status == 415


async def test_an_activity_type_the_bot_does_not_handle_is_accepted_and_ignored(
    bot: BotUnderTest,
) -> None:
    activity = bot.teams.personal_message(SAM, "hi")
    activity["type"] = "messageReaction"
    activity["reactionsAdded"] = [{"type": "like"}]

    reply = await bot.send(activity)

    assert reply.status == 200
    assert bot.connector.requests == []


async def test_an_activity_naming_a_foreign_service_url_is_refused(bot: BotUnderTest) -> None:
    activity = bot.teams.personal_message(SAM, "help")
    activity["serviceUrl"] = "http://169.254.169.254/latest/"

    reply = await bot.send(activity)

    assert reply.status == 400
    assert bot.connector.requests == []


async def test_healthz_reports_a_reachable_database(bot: BotUnderTest) -> None:
    response = await bot.client.get("/healthz")

    assert response.status == 200
    assert (await response.json())["database"] == "reachable"


async def test_healthz_reports_an_unreachable_database(make_bot) -> None:  # type: ignore[no-untyped-def]
    bot: BotUnderTest = await make_bot()
    await bot.client.app["components"].engine.dispose() if False else None
    broken = create_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    from bot_app.teams.components import COMPONENTS

    components = bot.client.app[COMPONENTS]
    object.__setattr__(components, "engine", broken)

    response = await bot.client.get("/healthz")

    assert response.status == 503
    assert (await response.json())["database"] == "unreachable"
    await broken.dispose()


async def test_an_unexpected_failure_apologises_with_a_reference_that_is_in_the_log(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.send(bot.teams.personal_message(SAM, "help"))
    # Corrupt this conversation's stored state, as a bad deploy or a manual edit might.
    engine = create_engine(bot.settings.database_url)
    async with engine.begin() as conn:
        corrupted = await conn.execute(
            text("UPDATE bot_state SET data = 'not a pickle {' WHERE key LIKE '%/conversations/%'")
        )
        assert corrupted.rowcount == 1
    await engine.dispose()

    with caplog.at_level(logging.ERROR):
        reply = await bot.send(bot.teams.personal_message(SAM, "help"))

    assert reply.status == 200
    apology = bot.connector.texts()[-1]
    assert "something went wrong" in apology
    reference = apology.split("reference **")[1].split("**")[0]
    assert any(reference in record.getMessage() for record in caplog.records)
    assert "Traceback" not in apology

    # The broken state was cleared: the next message is answered normally.
    await bot.send(bot.teams.personal_message(SAM, "help"))
    assert "What I can do for you" in str(bot.connector.last_card())


# -- hostile bodies: refused before parsing, with a clear 400 or 413 -------------------------


async def test_a_body_nested_100000_levels_deep_gets_400_not_500(bot: BotUnderTest) -> None:
    for raw in (b"[" * 100_000, b'{"type": "message", "value": ' + b"[" * 100_000 + b"]"):
        reply = await bot.post_raw(raw)

        assert reply.status == 400
        assert reply.body == {"error": "The body is nested too deeply to be an activity."}
    assert bot.connector.requests == []


async def test_brackets_inside_strings_do_not_count_as_nesting(bot: BotUnderTest) -> None:
    activity = bot.teams.personal_message(SAM, "help " + "[" * 5_000)

    reply = await bot.send(activity)

    assert reply.status == 200
    assert len(bot.connector.sent_activities) >= 1


async def test_a_body_over_the_size_limit_gets_413(bot: BotUnderTest) -> None:
    activity = bot.teams.personal_message(SAM, "help")
    activity["text"] = "x" * (MAX_BODY_BYTES + 1)

    reply = await bot.post_raw(json.dumps(activity).encode())

    assert reply.status == 413
    assert reply.body == {"error": "The body is too large for an activity."}
    assert bot.connector.requests == []


# -- service URLs: a forged one is refused and never stored ----------------------------------


@pytest.mark.parametrize(
    "service_url",
    [
        "http://127.0.0.2:3994\\@localhost/",
        "http://127.0.0.1:5432/",
        "gopher://localhost:3978/_POST",
        "http://user:pw@localhost:3978/",
        "https://smba.trafficmanager.net:8443/emea/",
    ],
)
async def test_a_forged_service_url_gets_400_and_is_never_stored(
    bot: BotUnderTest, service_url: str
) -> None:
    activity = bot.teams.personal_message(SAM, "help")
    activity["serviceUrl"] = service_url

    reply = await bot.send(activity)

    assert reply.status == 400
    assert reply.body == {"error": "The activity's serviceUrl is not allowed."}
    assert bot.connector.requests == []
    engine = create_engine(bot.settings.database_url)
    try:
        async with engine.connect() as connection:
            stored = (
                await connection.execute(text("SELECT COUNT(*) FROM conversation_refs"))
            ).one()
    finally:
        await engine.dispose()
    assert stored == (0,), "no conversation reference was remembered for proactive messages"
