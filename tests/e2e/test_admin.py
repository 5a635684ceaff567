"""Administration in chat, end to end: the directory, the trail, legal holds and retention.

Every refusal is checked twice: the person sees a clear answer, and nothing changed.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import text

from bot_app.admin.directory import STARTUP_IMPORTER
from bot_app.admin.identity import SqlDirectory
from safeguarding.roles import Role
from storage.db import create_engine, session_factory
from storage.people import PeopleRepository
from tests.e2e.conftest import BotUnderTest
from tests.e2e.seed import ADMIN, HUB, MEMBER, PARTNER, PRACTITIONER, seed_case
from tests.harness.activities import TeamsUser, thread_id

# Directory administration in chat behaves the same on either database; the directory's
# storage runs on both (tests/integration/test_people.py).
pytestmark = pytest.mark.sqlite_only

TEAM, CHANNEL = thread_id("Partnership"), thread_id("Partnership Hub channel")


async def say(bot: BotUnderTest, user: TeamsUser, words: str) -> str:
    """Type in a personal chat; the text the bot answered with (empty for a card)."""
    before = len(bot.connector.texts())
    await bot.send(bot.teams.personal_message(user, words))
    return "\n".join(bot.connector.texts()[before:])


async def roles_of(bot: BotUnderTest, user: TeamsUser) -> frozenset[Role]:
    engine = create_engine(bot.settings.database_url)
    try:
        person = await SqlDirectory(session_factory(engine)).resolve(user.aad_object_id, "")
    finally:
        await engine.dispose()
    return person.roles


async def audit_actors(bot: BotUnderTest) -> list[tuple[str, str, str | None]]:
    """Role changes made in chat (the start-up import of the demo directory left out)."""
    engine = create_engine(bot.settings.database_url)
    try:
        async with session_factory(engine)() as session:
            entries = await PeopleRepository(session).audit_log()
    finally:
        await engine.dispose()
    return [
        (e.change, e.actor_name, e.why)
        for e in entries
        if e.change.startswith("role.") and e.actor_id != STARTUP_IMPORTER.id
    ]


async def press(
    bot: BotUnderTest, user: TeamsUser, verb: str, data: dict[str, Any]
) -> dict[str, Any]:
    reply = await bot.send(bot.teams.card_action(user, verb, data, reply_to_id="1"))
    assert reply.status == 200
    body: dict[str, Any] = reply.body
    return body


async def test_an_administrator_grants_a_role_and_it_applies_to_the_next_message(
    bot: BotUnderTest,
) -> None:
    await say(bot, ADMIN, "hello")
    reply = await say(bot, ADMIN, "grant tom.reed@example.org hub_officer covering December")

    assert reply.startswith("Done: Tom Reed is now Multi Agency Innovation Hub officer")
    assert await roles_of(bot, PRACTITIONER) == {Role.PRACTITIONER, Role.HUB_OFFICER}
    assert await audit_actors(bot) == [("role.granted", "Chris Lane", "covering December")]
    await say(bot, PRACTITIONER, "hello")
    await say(bot, PRACTITIONER, "whois sam")
    assert "sam.hughes@example.org" in json.dumps(bot.connector.last_card())


async def test_a_practitioner_typing_grant_is_refused_and_nothing_changes(
    bot: BotUnderTest,
) -> None:
    await say(bot, PRACTITIONER, "hello")

    reply = await say(bot, PRACTITIONER, "grant tom.reed@example.org admin I want it")

    assert (
        reply
        == "Sorry, you can't change people's roles: that is for Administrator. Nothing was changed."
    )
    assert await roles_of(bot, PRACTITIONER) == {Role.PRACTITIONER}
    assert await audit_actors(bot) == []


async def test_a_grant_without_a_reason_asks_for_one_and_changes_nothing(
    bot: BotUnderTest,
) -> None:
    await say(bot, ADMIN, "hello")

    reply = await say(bot, ADMIN, "grant tom.reed@example.org hub_officer")

    assert "Please say why" in reply
    assert await roles_of(bot, PRACTITIONER) == {Role.PRACTITIONER}


async def test_whois_shows_revoke_buttons_to_administrators_only(bot: BotUnderTest) -> None:
    await say(bot, HUB, "hello")
    await say(bot, HUB, "whois sam.hughes")
    for_hub = json.dumps(bot.connector.last_card())
    await say(bot, ADMIN, "hello")
    await say(bot, ADMIN, "whois Sam")
    for_admin = json.dumps(bot.connector.last_card())

    for card in (for_hub, for_admin):
        assert "Sam Hughes" in card
        assert "CSPR Group core member" in card
    assert "directory.revoke" not in for_hub
    assert "directory.revoke" in for_admin


def revoke_sam(*, claiming: TeamsUser) -> dict[str, Any]:
    """The whois card's button to take Sam's role, with a payload that claims to be sent by
    ``claiming``."""
    return {
        "as": claiming.aad_object_id,
        "object_id": MEMBER.aad_object_id,
        "role": "csprg_member",
        "reason": "Left the police",
    }


async def test_a_button_pressed_by_someone_without_the_role_is_refused_whatever_it_claims(
    bot: BotUnderTest,
) -> None:
    body = await press(bot, PARTNER, "directory.revoke", revoke_sam(claiming=ADMIN))

    assert body["statusCode"] == 400
    assert "can't change people's roles" in body["value"]["message"]
    assert await roles_of(bot, MEMBER) == {Role.CSPRG_MEMBER}
    assert await audit_actors(bot) == []


async def test_the_revoke_button_records_the_presser_not_whoever_the_payload_names(
    bot: BotUnderTest,
) -> None:
    body = await press(bot, ADMIN, "directory.revoke", revoke_sam(claiming=PRACTITIONER))

    assert body["statusCode"] == 200
    assert "Sam Hughes is no longer CSPR Group core member" in json.dumps(body["value"])
    assert await roles_of(bot, MEMBER) == frozenset()
    assert await audit_actors(bot) == [("role.revoked", "Chris Lane", "Left the police")]


async def test_verify_reports_an_intact_trail_then_the_entry_someone_changed(
    bot: BotUnderTest,
) -> None:
    reference = await seed_case(bot.settings, why="Because")
    await say(bot, ADMIN, "hello")

    intact = await say(bot, ADMIN, f"verify {reference}")
    engine = create_engine(bot.settings.database_url)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE case_events SET what = 'Rewritten' WHERE seq = 2"))
    await engine.dispose()
    tampered = await say(bot, ADMIN, f"verify {reference}")
    everything = await say(bot, ADMIN, "verify all")

    assert "is intact: 2 entries" in intact
    assert "TAMPERED" in tampered
    assert "Entry 2:" in tampered
    assert "Checked 1 trail(s): 1 tampered with." in everything
    await say(bot, HUB, "hello")
    assert "can't verify the evidence trail" in await say(bot, HUB, f"verify {reference}")


async def test_a_legal_hold_is_placed_in_private_and_recorded_in_the_trail(
    bot: BotUnderTest,
) -> None:
    reference = await seed_case(bot.settings)
    await say(bot, ADMIN, "hello")
    await bot.send(
        bot.teams.channel_message(
            ADMIN, f"hold {reference} Inquest pending", team_id=TEAM, channel_id=CHANNEL
        )
    )
    assert "in private" in bot.connector.texts()[-1]

    placed = await say(bot, ADMIN, f"hold {reference} Inquest pending")
    again = await say(bot, ADMIN, f"hold {reference} Twice")
    released = await say(bot, ADMIN, f"release {reference}")
    verified = await say(bot, ADMIN, f"verify {reference}")

    assert placed.startswith(f"Case {reference} is now on legal hold")
    assert "already on legal hold (Inquest pending)" in again
    assert "is released" in released
    assert "intact: 4 entries" in verified


async def test_retention_shows_what_would_happen_then_runs_from_its_button(
    bot: BotUnderTest,
) -> None:
    old = await seed_case(bot.settings, year=2018, closed=True, details={"name": "Zed"})
    await say(bot, ADMIN, "hello")
    await say(bot, ADMIN, "retention")
    report = json.dumps(bot.connector.last_card())

    refused = await press(bot, PARTNER, "retention.run", {})
    done = await press(bot, ADMIN, "retention.run", {"as": PARTNER.aad_object_id})
    verified = await say(bot, ADMIN, f"verify {old}")

    assert "Anonymise" in report
    assert old in report
    assert "retention.run" in report
    assert refused["statusCode"] == 400
    assert "run the retention policy" in refused["value"]["message"]
    assert done["statusCode"] == 200
    assert f"{old}: anonymised" in json.dumps(done["value"])
    assert "narrative erased under the retention policy" in verified
    assert "nothing was changed" in await say(bot, ADMIN, "retention run")
