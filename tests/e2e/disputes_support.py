"""Raising a difference of opinion as a person does: ``disagree <reference>`` in personal chat,
then the raise card's own buttons (``Action.Execute``), each answered with the same card at
its next step."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import BotUnderTest
from tests.harness.activities import TeamsUser, personal_conversation_id
from tests.harness.cards import assert_valid_card, card_in_invoke_response


def execute_actions(card: Any) -> list[dict[str, Any]]:
    """Every ``Action.Execute`` on the card, in show-cards too."""
    found: list[dict[str, Any]] = []
    if isinstance(card, dict):
        if card.get("type") == "Action.Execute":
            found.append(card)
        for value in card.values():
            found += execute_actions(value)
    elif isinstance(card, list):
        for value in card:
            found += execute_actions(value)
    return found


def button(card: dict[str, Any], title: str) -> dict[str, Any]:
    for action in execute_actions(card):
        if action.get("title") == title:
            return action
    titles = [a.get("title") for a in execute_actions(card)]
    raise AssertionError(f"no {title!r} button on the card; it has {titles}")


async def press_on(
    bot: BotUnderTest, user: TeamsUser, card: dict[str, Any], title: str, **inputs: str
) -> dict[str, Any]:
    """Press ``title`` on ``card`` in the user's personal chat, with ``inputs`` typed in (the
    client merges them into the action's data); the invoke answer's body."""
    action = button(card, title)
    data = {**action.get("data", {}), **inputs}
    reply = await bot.send(bot.teams.card_action(user, action["verb"], data, title=title))
    assert reply.status == 200, reply.text
    shown = card_in_invoke_response(reply.body)
    if shown is not None:
        assert_valid_card(shown)
    return dict(reply.body)


def shown(body: dict[str, Any]) -> dict[str, Any]:
    """The card an invoke answer put in place of the pressed one."""
    card = card_in_invoke_response(body)
    assert card is not None, body
    return card


def personal_posts(bot: BotUnderTest, user: TeamsUser) -> list[dict[str, Any]]:
    """Cards posted (not updated) in the user's personal chat, whichever id it has."""
    chats = {personal_conversation_id(user.id), personal_conversation_id(user.aad_object_id)}
    return [
        card for chat in sorted(chats) for card in bot.connector.cards(chat, include_updates=False)
    ]


async def raise_dispute(
    bot: BotUnderTest,
    user: TeamsUser,
    reference: str,
    *,
    topic: str = "criteria",
    position: str,
    reasons: str,
) -> dict[str, Any]:
    """Raise one through the raise card; the card as it ends (the summary)."""
    await bot.send(bot.teams.personal_message(user, f"disagree {reference}"))
    form = bot.connector.last_card()
    form = shown(await press_on(bot, user, form, "Next", topic=topic))
    form = shown(await press_on(bot, user, form, "Next", position=position, reasons=reasons))
    return shown(await press_on(bot, user, form, "Raise it"))
