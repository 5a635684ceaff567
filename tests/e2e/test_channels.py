"""Registering channels: admins say in a channel what it is for; everyone else is refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import BotUnderTest
from tests.e2e.reminders_support import (
    ADA,
    HUB_CHANNEL,
    HUB_TEAM,
    PARTNERS_CHANNEL,
    PAT,
    POLICE_CHANNEL,
    default_roster,
    register,
)

# Registering channels in chat behaves the same on either database; their storage runs on
# both (tests/integration/test_outbox.py).
pytestmark = pytest.mark.sqlite_only


async def start(make_bot: Callable[..., Any]) -> BotUnderTest:
    roster = default_roster()
    bot: BotUnderTest = await make_bot(directory=roster, people=roster)
    return bot


async def channels_card(bot: BotUnderTest) -> str:
    await bot.send(bot.teams.personal_message(ADA, "channels"))
    return json.dumps(bot.connector.last_card(), ensure_ascii=False)


async def test_an_admin_registers_the_channel_the_bot_was_installed_in_by_its_team_name(
    make_bot: Callable[..., Any],
) -> None:
    bot = await start(make_bot)
    await bot.send(
        bot.teams.members_added(
            [ADA],
            scope="team",
            team_id=HUB_TEAM,
            channel_id=HUB_CHANNEL,
            team_name="Safeguarding Hub",
        )
    )

    answer = await register(bot, "register hub")

    assert "**Hub** channel" in answer
    assert "Safeguarding Hub" in answer
    assert "never details about a child" in answer
    listing = await channels_card(bot)
    assert "Hub" in listing
    assert "team Safeguarding Hub" in listing
    assert "by Ada Admin" in listing


async def test_someone_who_is_not_an_admin_cannot_register_or_list_channels(
    make_bot: Callable[..., Any],
) -> None:
    bot = await start(make_bot)

    answer = await register(bot, "register hub", admin=PAT)
    await bot.send(bot.teams.personal_message(PAT, "channels"))

    assert "can't register channels" in answer
    assert "Administrator" in answer
    assert "can't register channels" in bot.connector.texts()[-1]
    assert "No channel is registered yet" in await channels_card(bot)


async def test_registering_outside_a_team_channel_says_where_to_do_it(
    make_bot: Callable[..., Any],
) -> None:
    bot = await start(make_bot)

    await bot.send(bot.teams.personal_message(ADA, "register hub"))
    await bot.send(bot.teams.group_message(ADA, "register hub", chat_id="19:chat@thread.v2"))

    personal, group = bot.connector.texts()[-2:]
    assert "This is a personal chat" in personal
    assert "only a team channel can be registered" in personal
    assert "**register hub**" in personal
    assert "This is a group chat" in group


async def test_a_purpose_it_does_not_know_is_explained(make_bot: Callable[..., Any]) -> None:
    bot = await start(make_bot)

    unknown = await register(bot, "register kitchen")
    nameless = await register(bot, "register agency")

    assert "hub, csprg, partners or agency «name»" in unknown
    assert "Which agency?" in nameless


async def test_registering_the_hub_elsewhere_moves_it_and_unregister_undoes_registrations(
    make_bot: Callable[..., Any],
) -> None:
    bot = await start(make_bot)
    await register(bot, "register hub", channel_id=PARTNERS_CHANNEL)
    moved = await register(bot, "register hub")
    await register(bot, "register partners", channel_id=PARTNERS_CHANNEL)
    await register(bot, "register agency Humberside Police", channel_id=POLICE_CHANNEL)
    await register(bot, "register csprg", channel_id=POLICE_CHANNEL)

    assert "It replaces" in moved
    listing = await channels_card(bot)
    for label in ["Hub", "CSPR Group", "Safeguarding partners", "Agency: Humberside Police"]:
        assert label in listing

    one = await register(bot, "unregister agency humberside police", channel_id=POLICE_CHANNEL)
    assert "no longer the **Agency: Humberside Police** channel" in one
    assert "CSPR Group" in await channels_card(bot), "the channel's other purpose stays"

    everything = await register(bot, "unregister", channel_id=POLICE_CHANNEL)
    nothing = await register(bot, "unregister", channel_id=POLICE_CHANNEL)
    assert "**CSPR Group**" in everything
    assert "nothing changed" in nothing
    listing = await channels_card(bot)
    assert "CSPR Group" not in listing
    assert "Safeguarding partners" in listing
