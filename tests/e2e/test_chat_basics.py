"""A person's first minutes with the bot: welcome, help, the statutory clock, wrong input."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import BotUnderTest
from tests.harness.activities import make_user
from tests.harness.cards import assert_valid_card

# The Teams edge behaves the same on either database (the journeys run on both).
pytestmark = pytest.mark.sqlite_only

ALEX = make_user("Alex Morgan")


def card_text(card: dict) -> str:
    """Everything a person can read on a card, for assertions."""
    return json.dumps(card, ensure_ascii=False)


async def test_first_message_gets_a_welcome_card_then_help_lists_the_commands(
    bot: BotUnderTest,
) -> None:
    reply = await bot.send(bot.teams.personal_message(ALEX, "hello"))

    assert reply.status == 200
    cards = bot.connector.cards()
    assert len(cards) == 1, "a greeting from a new user gets exactly one card: the welcome"
    assert "Hello Alex" in card_text(cards[0])

    await bot.send(bot.teams.personal_message(ALEX, "help"))
    help_card = bot.connector.last_card()
    assert "What I can do for you" in card_text(help_card)
    assert "clock «date»" in card_text(help_card)
    assert len(bot.connector.cards()) == 2


async def test_installing_the_app_in_personal_scope_welcomes_once(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.installation_update(ALEX, "add"))
    await bot.send(bot.teams.members_added([ALEX]))
    await bot.send(bot.teams.members_added([ALEX]))

    cards = bot.connector.cards()
    assert len(cards) == 1
    assert "Hello Alex" in card_text(cards[0])

    await bot.send(bot.teams.personal_message(ALEX, "help"))
    assert "What I can do for you" in card_text(bot.connector.last_card())


async def test_adding_the_bot_to_a_team_introduces_it_in_the_channel(bot: BotUnderTest) -> None:
    await bot.send(
        bot.teams.members_added(
            [ALEX], scope="team", team_id="19:team-hub@thread.tacv2", team_name="Hub"
        )
    )

    sent = bot.connector.activities_to("19:team-hub@thread.tacv2")
    assert len(sent) == 1
    assert "never details about a child" in sent[0]["text"]


async def test_clock_shows_the_panel_and_rapid_review_deadlines_with_their_rules(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(ALEX, "clock 2026-12-23"))

    card = card_text(bot.connector.last_card())
    assert "Wednesday 23 December 2026" in card
    assert "Notify the Panel" in card
    assert "Due Monday 4 January 2027" in card
    assert "Due Monday 18 January 2027" in card
    assert "Christmas Day" in card, "the rule names the skipped holidays"
    assert "New Year" in card
    assert "not counted" in card, "the rule says how the days are counted"
    assert "7 working days before" in card, "later clocks, including the backward one, are listed"


async def test_clock_accepts_the_day_first_form_used_in_england(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(ALEX, "clock 23/12/2026"))

    assert "Due Monday 4 January 2027" in card_text(bot.connector.last_card())


async def test_clock_with_an_impossible_date_explains_the_accepted_formats(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(ALEX, "clock 31/02/2026"))
    await bot.send(bot.teams.personal_message(ALEX, "clock next week"))
    await bot.send(bot.teams.personal_message(ALEX, "clock"))

    texts = [t for t in bot.connector.texts() if t]
    assert "not a real date" in texts[-3]
    assert "2026-12-23" in texts[-3]
    assert "couldn't read" in texts[-2]
    assert "23/12/2026" in texts[-2]
    assert "Which date" in texts[-1]


async def test_unknown_text_gets_a_short_hint(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(ALEX, "hello"))
    await bot.send(bot.teams.personal_message(ALEX, "what's for lunch"))

    hint = bot.connector.texts()[-1]
    assert "didn't understand" in hint
    assert "**help**" in hint


async def test_a_channel_mention_is_answered_in_the_channel_thread(bot: BotUnderTest) -> None:
    activity = bot.teams.channel_message(
        ALEX,
        "clock 23/12/2026",
        team_id="19:team-hub@thread.tacv2",
        channel_id="19:hub-general@thread.tacv2",
    )
    await bot.send(activity)

    sent = bot.connector.activities_to(activity["conversation"]["id"])
    assert any(
        "Due Monday 4 January 2027" in card_text(c)
        for s in sent
        for c in [a["content"] for a in s.get("attachments", [])]
    )


async def test_show_deadlines_button_answers_with_a_clock_card_in_the_invoke_response(
    bot: BotUnderTest,
) -> None:
    reply = await bot.send(
        bot.teams.card_action(ALEX, "clock.show", {"aware_on": "2026-12-23"}, reply_to_id="1")
    )

    assert reply.status == 200
    assert reply.body["statusCode"] == 200
    assert reply.body["type"] == "application/vnd.microsoft.card.adaptive"
    assert_valid_card(reply.body["value"])
    assert "Due Monday 4 January 2027" in card_text(reply.body["value"])


async def test_a_playground_invoke_without_trigger_works_too(bot: BotUnderTest) -> None:
    reply = await bot.send(
        bot.teams.card_action(
            ALEX, "clock.show", {"aware_on": "2027-03-24"}, trigger=None, title="Show deadlines"
        )
    )

    assert reply.body["statusCode"] == 200
    assert_valid_card(reply.body["value"])


async def test_an_unknown_button_verb_gets_a_clear_error_not_a_500(bot: BotUnderTest) -> None:
    reply = await bot.send(bot.teams.card_action(ALEX, "vote.rig", {"case": "NL-2026-0001"}))

    assert reply.status == 200
    assert reply.body["statusCode"] == 400
    assert reply.body["type"] == "application/vnd.microsoft.error"
    assert "no longer supported" in reply.body["value"]["message"]
    assert bot.connector.sent_activities == []


async def test_a_button_with_a_wrong_date_explains_the_formats(bot: BotUnderTest) -> None:
    reply = await bot.send(bot.teams.card_action(ALEX, "clock.show", {"aware_on": "2026-02-30"}))

    assert reply.body["statusCode"] == 400
    assert "not a real date" in reply.body["value"]["message"]
