"""One card per task: a form replaced by a newer one, cancelled by typing, or sent says so on
every message that showed it - updated in place, without live buttons - and a Start button
turns its own card into the form's first step.

Through the real app on SQLite and PostgreSQL, with the fake connector as Teams: it records
each ``PUT`` that updates a message, so the tests read what the old card now shows.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from cards.base import START_VERB
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.reminders_support import HUB_CHANNEL, HUB_TEAM, Clock, deliver
from tests.e2e.seed import PRACTITIONER
from tests.e2e.test_agency_report_card import ask
from tests.e2e.test_notification_journey import (
    STEPS,
    bot,
    buttons,
    case_count,
    fill_in,
    press,
    shown,
    text_of,
)
from tests.e2e.test_rapid_review import AMIRA, REF, SCHOOL, journey
from tests.harness.activities import TeamsUser, personal_conversation_id
from tests.harness.cards import adaptive_cards_in
from tests.harness.fake_connector import Recorded

# The Teams edge behaves the same on either database (the journeys run on both).
pytestmark = pytest.mark.sqlite_only

__all__ = ["bot", "journey"]  # the fixtures, imported for this module's tests


def message_with(bot: BotUnderTest, user: TeamsUser, marker: str) -> Recorded:
    """The newest message sent to the person's personal chat whose card shows ``marker``."""
    conversation = personal_conversation_id(user.id)
    found = [
        r
        for r in bot.connector.sent_activities
        if r.conversation_id == conversation
        and any(marker in json.dumps(card) for card in adaptive_cards_in(r.activity))
    ]
    assert found, f"no message with {marker!r} in the personal chat"
    return found[-1]


def updated_to(bot: BotUnderTest, activity_id: str | None) -> list[dict[str, Any]]:
    """The cards the message ``activity_id`` was updated to, oldest first."""
    return [
        card
        for update in bot.connector.updates
        if update.activity_id == activity_id
        for card in adaptive_cards_in(update.activity)
    ]


async def press_start(
    bot: BotUnderTest, user: TeamsUser, message: Recorded, button: str = "Start"
) -> dict[str, Any]:
    """Press ``button`` (an Action.Execute) on ``message``, as Teams sends it."""
    card = adaptive_cards_in(message.activity)[-1]
    action = next(a for a in buttons(card) if a.get("title") == button)
    assert action["type"] == "Action.Execute"
    reply = await bot.send(
        bot.teams.card_action(
            user, action["verb"], action.get("data"), reply_to_id=message.activity_id
        )
    )
    assert reply.status == 200
    assert isinstance(reply.body, dict)
    return reply.body


async def start_card_in_personal_chat(bot: BotUnderTest) -> Recorded:
    """``notify`` typed in the Hub channel: the Start card, delivered to the personal chat."""
    await bot.send(bot.teams.personal_message(PRACTITIONER, "help"))  # they have talked to it
    await bot.send(
        bot.teams.channel_message(PRACTITIONER, "notify", team_id=HUB_TEAM, channel_id=HUB_CHANNEL)
    )
    await deliver(bot, FIXED_NOW + timedelta(seconds=1))
    return message_with(bot, PRACTITIONER, "Notify a serious incident")


async def test_a_form_replaced_by_a_newer_one_says_so_on_its_old_card(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    old = message_with(bot, PRACTITIONER, "Step 1 of 6")
    old_card = shown(bot, PRACTITIONER)
    await fill_in(bot, PRACTITIONER, upto="harm")

    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))

    (replaced,) = updated_to(bot, old.activity_id)
    assert "Replaced by a newer form at 10:00 - nothing was sent from this one" in text_of(replaced)
    assert buttons(replaced) == [], "the old card has no live buttons"
    new = message_with(bot, PRACTITIONER, "Step 1 of 6")
    assert new.activity_id != old.activity_id, "the newer form is a card of its own"
    assert updated_to(bot, new.activity_id) == []
    # A press that still reaches the old card (another device) changes nothing.
    late = await press(bot, PRACTITIONER, card=old_card, **STEPS["reporter"])
    assert "This notification form is closed" in text_of(late["value"])
    newer = adaptive_cards_in(new.activity)[-1]
    moved = await press(bot, PRACTITIONER, card=newer, **STEPS["reporter"])
    assert "Step 2 of 6" in text_of(moved["value"])
    assert await case_count(bot) == 0


async def test_typing_cancel_closes_the_card_in_place(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    form = message_with(bot, PRACTITIONER, "Step 1 of 6")
    await press(bot, PRACTITIONER, **STEPS["reporter"])

    await bot.send(bot.teams.personal_message(PRACTITIONER, "cancel"))

    assert "Nothing was saved" in bot.connector.texts()[-1]
    (cancelled,) = updated_to(bot, form.activity_id)
    assert "Cancelled at 10:00 by" in text_of(cancelled)
    assert buttons(cancelled) == []


async def test_start_turns_into_the_form_and_the_start_card_ends_as_the_receipt(
    bot: BotUnderTest,
) -> None:
    start = await start_card_in_personal_chat(bot)

    first = await press_start(bot, PRACTITIONER, start)

    assert first["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Step 1 of 6" in text_of(first["value"]), "the Start card became the form"
    await fill_in(bot, PRACTITIONER)
    sent = await press(bot, PRACTITIONER, "submit")
    assert "NL-2026-0001" in text_of(sent["value"])
    # The message that carried the Start card shows the receipt for everyone, on every device.
    receipt = updated_to(bot, start.activity_id)[-1]
    assert "NL-2026-0001" in text_of(receipt)
    assert buttons(receipt) == []
    assert not any(
        "Step 1 of 6" in text_of(adaptive_cards_in(r.activity))
        for r in bot.connector.sent_activities
    ), "no second card: the form was the Start card, updated in place"


async def test_start_pressed_while_a_form_is_open_replaces_that_form(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    open_form = message_with(bot, PRACTITIONER, "Step 1 of 6")
    start = await start_card_in_personal_chat(bot)

    first = await press_start(bot, PRACTITIONER, start)

    assert "Step 1 of 6" in text_of(first["value"])
    (replaced,) = updated_to(bot, open_form.activity_id)
    assert "Replaced by a newer form" in text_of(replaced)
    assert buttons(replaced) == []
    assert updated_to(bot, start.activity_id) == [], "the pressed card shows the new form"


async def test_write_the_report_turns_the_request_into_the_form(
    journey: tuple[BotUnderTest, Clock],
) -> None:
    bot, clock = journey
    await ask(bot, clock, SCHOOL)
    request = message_with(bot, AMIRA, f"Rapid review report requested: case {REF}")

    first = await press_start(bot, AMIRA, request, "Write the report")

    assert f"Rapid review report: case {REF}" in text_of(first["value"])
    assert "step 1 of 3" in text_of(first["value"])
    cancelled = await press(bot, AMIRA, "cancel", card=first["value"])
    assert "Nothing was sent to the Hub" in text_of(cancelled["value"])
    closed = updated_to(bot, request.activity_id)[-1]
    assert f"Report cancelled: case {REF}" in text_of(closed)
    assert buttons(closed) == []


async def test_a_newer_report_form_replaces_the_open_one_on_its_card(
    journey: tuple[BotUnderTest, Clock],
) -> None:
    bot, clock = journey
    await ask(bot, clock, SCHOOL)
    await bot.send(bot.teams.personal_message(AMIRA, f"report {REF}"))
    old = message_with(bot, AMIRA, "step 1 of 3")

    await bot.send(bot.teams.personal_message(AMIRA, f"report {REF}"))

    (replaced,) = updated_to(bot, old.activity_id)
    assert f"Report form replaced: case {REF}" in text_of(replaced)
    assert "nothing was sent from this one" in text_of(replaced)
    assert buttons(replaced) == []


async def test_someone_without_the_role_pressing_write_the_report_is_refused(
    journey: tuple[BotUnderTest, Clock],
) -> None:
    bot, clock = journey
    await ask(bot, clock, SCHOOL)
    await bot.send(bot.teams.personal_message(AMIRA, f"report {REF}"))
    request = message_with(bot, AMIRA, f"Rapid review report requested: case {REF}")
    updates_before = len(bot.connector.updates)

    refused = await bot.send(
        bot.teams.card_action(
            PRACTITIONER,
            START_VERB,
            {"command": f"report {REF}"},
            reply_to_id=request.activity_id,
        )
    )

    assert isinstance(refused.body, dict)
    assert refused.body["type"] == "application/vnd.microsoft.error"
    assert "can't submit an agency report" in refused.body["value"]["message"]
    assert len(bot.connector.updates) == updates_before, "nothing was updated"
    # Amira's form is as she left it: her next press still works.
    moved = await press(bot, AMIRA, nil_return="true", nil_reason="No contact with the family.")
    assert "Check and send" in text_of(moved["value"])


async def test_an_old_card_that_cannot_be_updated_does_not_stop_the_newer_form(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    old = message_with(bot, PRACTITIONER, "Step 1 of 6")
    bot.connector.fail_next(1, 404, match=lambda info: info.operation == "update")

    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))

    assert updated_to(bot, old.activity_id) == [], "Teams refused the update"
    new = message_with(bot, PRACTITIONER, "Step 1 of 6")
    assert new.activity_id != old.activity_id, "the newer form started all the same"
    newer = adaptive_cards_in(new.activity)[-1]
    moved = await press(bot, PRACTITIONER, card=newer, **STEPS["reporter"])
    assert "Step 2 of 6" in text_of(moved["value"])
