"""What people read: 999 first for a child in danger, commands they can use, sources by name.

Through HTTP, the real adapter and the fake connector, as people in the demo directory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import BotUnderTest
from tests.e2e.seed import ADMIN, HUB, MEMBER, PARTNER, PRACTITIONER, seed_case
from tests.harness.activities import TeamsUser, make_user
from tests.harness.cards import assert_valid_card

# The Teams edge behaves the same on either database (the journeys run on both).
pytestmark = pytest.mark.sqlite_only

CALL_999 = "If a child is in immediate danger call 999 - then follow your agency's safeguarding"
NEWCOMER = make_user("Alex Morgan")  # not in the directory: a practitioner by default
PLACEHOLDER = re.compile(r"<[a-z][a-z ]*>", re.IGNORECASE)


# -- reading cards as a person sees them ---------------------------------------------------


def _nodes(node: Any, *, visible_only: bool) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if visible_only and node.get("isVisible") is False:
            return
        yield node
        for key, value in node.items():
            if visible_only and key == "actions":
                continue  # a ShowCard's hidden card lives under actions
            yield from _nodes(value, visible_only=visible_only)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value, visible_only=visible_only)


def words(card: dict[str, Any], *, visible_only: bool = False) -> list[str]:
    """Every piece of text on the card (only what shows before any toggle, if asked)."""
    found: list[str] = []
    for node in _nodes(card.get("body", []), visible_only=visible_only):
        if node.get("type") == "TextBlock":
            found.append(node["text"])
        elif node.get("type") == "FactSet":
            found += [f"{fact['title']}: {fact['value']}" for fact in node["facts"]]
        elif str(node.get("type", "")).startswith("Input."):
            found.append(str(node.get("label", "")))
    return found


def visible_commands(card: dict[str, Any]) -> list[str]:
    """The commands listed before "More commands" (the titles of the facts shown)."""
    return [
        fact["title"]
        for node in _nodes(card["body"], visible_only=True)
        if node.get("type") == "FactSet"
        for fact in node["facts"]
    ]


def all_commands(card: dict[str, Any]) -> list[str]:
    return [
        fact["title"]
        for node in _nodes(card["body"], visible_only=False)
        if node.get("type") == "FactSet"
        for fact in node["facts"]
    ]


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    return list(card.get("actions", []))


def everything_sent(bot: BotUnderTest) -> str:
    return json.dumps([r.activity for r in bot.connector.sent_activities], ensure_ascii=False)


# -- safety first ----------------------------------------------------------------------------


async def test_urgent_words_get_999_first_and_a_button_that_starts_the_notification(
    bot: BotUnderTest,
) -> None:
    await bot.send(
        bot.teams.personal_message(NEWCOMER, "i found the baby not breathing what do i do")
    )

    sent = bot.connector.sent_activities
    assert len(sent) == 1, "the 999 answer comes first and alone, before any welcome"
    card = bot.connector.last_card()
    assert words(card)[0].startswith(CALL_999), "999 is the first thing on the card"
    assert "didn't understand" not in everything_sent(bot)
    assert "clock 23/12/2026" not in everything_sent(bot), "no calendar tip for an emergency"
    start = next(b for b in buttons(card) if b["title"] == "Start a notification")
    assert start["type"] == "Action.Submit"
    assert start["data"] == {"command": "notify"}

    # Pressing it starts the notification, as typing "notify" would.
    await bot.send(bot.teams.personal_submit(NEWCOMER, start["data"]))
    assert "Notify a serious incident" in json.dumps(bot.connector.last_card())


async def test_urgent_words_after_a_command_that_takes_none_get_999_not_the_help_card(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "help my pupil is bleeding"))

    card = bot.connector.last_card()
    assert words(card)[0].startswith(CALL_999)
    assert "What I can do for you" not in json.dumps(card)


async def test_urgent_words_in_the_middle_of_a_notification_get_999_and_keep_the_form(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await bot.send(bot.teams.personal_message(PRACTITIONER, "the baby has stopped breathing"))

    texts = bot.connector.texts()
    assert texts[-2].startswith(CALL_999)
    assert "card above" in texts[-1], "the form is still there to finish"


async def test_ordinary_commands_never_get_the_999_answer(bot: BotUnderTest) -> None:
    for command in ["help", "clock 23/12/2026", "cases", "deadlines", "status NL-2026-0009"]:
        await bot.send(bot.teams.personal_message(HUB, command))

    assert CALL_999 not in everything_sent(bot)


# -- unknown words: the closest commands -------------------------------------------------------


async def test_a_typo_gets_the_command_it_was_meant_to_be(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(HUB, "help"))
    await bot.send(bot.teams.personal_message(HUB, "stauts ABC"))

    hint = bot.connector.texts()[-1]
    assert "Did you mean **status ABC**?" in hint
    assert "clock 23/12/2026" not in hint


async def test_unknown_words_list_only_the_commands_the_person_may_use(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "help"))
    await bot.send(bot.teams.personal_message(PRACTITIONER, "what's for lunch"))

    hint = bot.connector.texts()[-1]
    assert "**notify**" in hint
    assert "**status**" in hint
    assert "grant" not in hint
    assert "register" not in hint


async def test_a_command_named_in_a_sentence_is_suggested(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "help"))
    await bot.send(bot.teams.personal_message(PRACTITIONER, "how do I notify"))

    assert "Did you mean **notify**?" in bot.connector.texts()[-1]


# -- help and welcome: one screen, the person's own commands ---------------------------------


async def test_a_practitioners_help_shows_notify_and_status_but_no_admin_commands(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "help"))
    await bot.send(bot.teams.personal_message(PRACTITIONER, "help"))

    card = bot.connector.last_card()
    shown = visible_commands(card)
    assert "notify" in shown
    assert "status «reference»" in shown
    listed = " ".join(all_commands(card))
    for admin_only in ("grant", "revoke", "register", "verify", "retention", "hold", "whois"):
        assert admin_only not in listed


async def test_an_administrators_welcome_fits_and_keeps_the_rest_behind_more_commands(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(ADMIN, "hello"))

    welcome = bot.connector.last_card()
    shown = visible_commands(welcome)
    assert 1 <= len(shown) <= 6, shown
    assert len(words(welcome, visible_only=True)) <= 12, words(welcome, visible_only=True)
    assert shown[0] == "notify", "notifying comes first for everyone"
    hidden = set(all_commands(welcome)) - set(shown)
    assert {"channels", "retention [run]"} <= hidden, hidden
    more = next(b for b in buttons(welcome) if b["title"] == "More commands")
    assert more["type"] == "Action.ToggleVisibility"
    targets = {t["elementId"] for t in more["targetElements"]}
    hidden_ids = {n.get("id") for n in _nodes(welcome["body"], visible_only=False)}
    assert targets <= hidden_ids
    # 18 commands, every one still reachable, grouped by task.
    assert len(all_commands(welcome)) >= 15
    assert "People and roles" in words(welcome)


@pytest.mark.parametrize("user", [PRACTITIONER, HUB, MEMBER, PARTNER, ADMIN])
async def test_help_and_welcome_show_placeholders_teams_does_not_strip(
    bot: BotUnderTest, user: TeamsUser
) -> None:
    await bot.send(bot.teams.personal_message(user, "help"))  # the welcome first
    await bot.send(bot.teams.personal_message(user, "help"))

    cards = bot.connector.cards()
    assert len(cards) == 2
    for card in cards:
        assert_valid_card(card)
        for text in words(card):
            assert not PLACEHOLDER.search(text), f"Teams would drop the placeholder: {text!r}"
    assert "«reference»" in json.dumps(cards[-1], ensure_ascii=False)


# -- words: the procedure by name, never ours -------------------------------------------------


async def test_no_card_or_message_anyone_sees_says_seed(bot: BotUnderTest) -> None:
    reference = await seed_case(bot.settings, details={"initials": "A.B.", "summary": "x"})
    for user, said in [
        (HUB, "hello"),
        (HUB, "help"),
        (HUB, "clock 23/12/2026"),
        (HUB, f"status {reference}"),
        (HUB, "cases"),
        (HUB, "deadlines"),
        (HUB, f"reminders {reference}"),
        (HUB, "stauts"),
        (ADMIN, "hello"),
        (ADMIN, "channels"),
        (PRACTITIONER, "hello"),
        (PRACTITIONER, "the child is missing"),
        (NEWCOMER, "what's for lunch"),
    ]:
        await bot.send(bot.teams.personal_message(user, said))
    reply = await bot.send(bot.teams.card_action(HUB, "case.details", {"reference": reference}))
    button = await bot.send(bot.teams.card_action(HUB, "clock.show", {"aware_on": "2027-03-24"}))

    seen = everything_sent(bot) + json.dumps([reply.body, button.body])
    assert "seed" not in seen.lower()


async def test_the_clock_card_is_short_and_cites_the_law_and_the_procedure_by_name(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(HUB, "clock 23/12/2026"))

    card = bot.connector.last_card()
    shown = words(card, visible_only=True)
    assert len(shown) <= 12, shown
    text = " ".join(shown)
    assert "Due Monday 4 January 2027" in text
    assert "5 working days after the partners become aware" in text
    assert "Children Act 2004, section 16C" in text
    assert "Working Together to Safeguard Children 2023" in text
    assert "the partnership's CSPR procedure" in text
    assert "Who does it: the council, on behalf of the safeguarding partners" in text
    assert "(via the council)" not in text
    # The day-by-day count is there for whoever wants it, behind one button.
    assert "Christmas Day" not in text
    assert "Christmas Day" in " ".join(words(card))
    toggle = next(b for b in buttons(card) if b["title"] == "Show how it's counted")
    assert toggle["type"] == "Action.ToggleVisibility"


# -- the details card --------------------------------------------------------------------------


async def test_the_details_card_shows_the_summary_once(bot: BotUnderTest) -> None:
    summary = "Found with injuries at home; taken to hospital by ambulance."
    reference = await seed_case(
        bot.settings, details={"initials": "A.B.", "full_name": "", "summary": summary}
    )

    reply = await bot.send(bot.teams.card_action(HUB, "case.details", {"reference": reference}))

    assert reply.body["statusCode"] == 200, reply.body
    card = reply.body["value"]
    assert json.dumps(card, ensure_ascii=False).count(summary) == 1
    assert "Initials: A.B." in words(card)
