"""An agency's rapid review report is ONE card in the lead's personal chat, updated in place,
that ends as a receipt; a second Send says when it was sent, never that it was cancelled; and
an agency nobody leads is named to the Hub instead of being asked in the Hub's own channel.

Through the real app on SQLite and PostgreSQL, with the fake connector as Teams.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.reminders_support import HUB_CHANNEL, Clock, deliver
from tests.e2e.seed import PRACTITIONER
from tests.e2e.test_notification_journey import buttons, press, shown, text_of
from tests.e2e.test_rapid_review import AMIRA, REF, SCHOOL, hub_action, journey
from tests.harness.activities import TeamsUser, personal_conversation_id
from tests.harness.cards import adaptive_cards_in

# The Teams edge behaves the same on either database (the journeys run on both).
pytestmark = pytest.mark.sqlite_only

__all__ = ["journey"]  # the fixture, imported for this module's tests

TRUST = "Northern Lincolnshire and Goole NHS Foundation Trust"  # no lead, no channel


async def ask(bot: BotUnderTest, clock: Clock, *agencies: str) -> None:
    await bot.send(bot.teams.personal_message(AMIRA, "help"))  # she has talked to the bot
    await hub_action(bot, "rapid_review.choose", {}, marker=f"Case {REF}")
    await hub_action(
        bot, "rapid_review.start", {"agencies": ",".join(agencies)}, marker=f"Case {REF}"
    )
    await deliver(bot, clock.now)


def report_cards_sent(bot: BotUnderTest, lead: TeamsUser) -> int:
    """Messages the bot sent to the lead carrying the report form (not the request)."""
    conversation = personal_conversation_id(lead.id)
    return sum(
        1
        for r in bot.connector.sent_activities
        if r.conversation_id == conversation
        and any(
            f"Rapid review report: case {REF}" in json.dumps(card)
            for card in adaptive_cards_in(r.activity)
        )
    )


async def test_the_report_is_one_card_that_ends_as_a_receipt_and_a_second_send_says_when(
    journey: tuple[BotUnderTest, Clock],
) -> None:
    bot, clock = journey
    await ask(bot, clock, SCHOOL)

    await bot.send(bot.teams.personal_message(AMIRA, f"report {REF}"))
    first_step = shown(bot, AMIRA)
    await press(bot, AMIRA, nil_return="false", nil_reason="", facts="Seen at school weekly.")
    saved = text_of(shown(bot, AMIRA))
    assert "Saved: your agency's involvement, at 10:00 by Amira Khan" in saved

    # A press on the card as it was at step 1: the step she is on, no red error.
    stale = await press(bot, AMIRA, card=first_step, facts="Changed my mind.")
    assert stale["type"] == "application/vnd.microsoft.card.adaptive"
    assert "earlier step of this form" in text_of(stale["value"])
    assert "step 2 of 3" in text_of(stale["value"])

    await press(bot, AMIRA, actions="Referral made.")
    await press(bot, AMIRA, learning="Escalation.", welfare_considered="true", welfare="")
    review = shown(bot, AMIRA)
    assert "Check and send" in text_of(review)

    sent = await press(bot, AMIRA, "submit", card=review)
    receipt = text_of(sent["value"])
    assert f"Report sent to the Hub: case {REF}" in receipt
    assert "has been sent to the Hub" in receipt
    assert "Amira Khan" in receipt
    assert "10:00" in receipt
    assert buttons(sent["value"]) == [], "the receipt has no live buttons"

    clock.set(FIXED_NOW.replace(minute=7))
    again = await press(bot, AMIRA, "submit", card=review)
    assert again["type"] == "application/vnd.microsoft.card.adaptive", "not a red error"
    said = text_of(again["value"])
    assert f"Your report for {REF} was already sent to the Hub at 10:00" in said
    assert "cancel" not in said.lower()
    assert buttons(again["value"]) == []

    assert report_cards_sent(bot, AMIRA) == 1, "the whole report was one card, updated in place"


async def test_a_cancelled_report_says_so_and_its_card_closes(
    journey: tuple[BotUnderTest, Clock],
) -> None:
    bot, clock = journey
    await ask(bot, clock, SCHOOL)
    await bot.send(bot.teams.personal_message(AMIRA, f"report {REF}"))
    form = shown(bot, AMIRA)

    cancelled = await press(bot, AMIRA, "cancel")
    assert "Nothing was sent to the Hub" in text_of(cancelled["value"])
    assert buttons(cancelled["value"]) == []
    later = await press(bot, AMIRA, card=form, nil_return="true", nil_reason="None.")
    assert "This report form is closed" in text_of(later["value"])


async def test_an_agency_nobody_leads_is_named_to_the_hub_not_asked_in_its_channel(
    journey: tuple[BotUnderTest, Clock],
) -> None:
    bot, clock = journey
    await ask(bot, clock, TRUST)

    hub_cards: list[dict[str, Any]] = bot.connector.cards(HUB_CHANNEL, include_updates=False)
    hub_text = text_of(hub_cards)
    assert "Rapid review report requested" not in hub_text, "not asked as if it were the Hub"
    assert "Write the report" not in hub_text
    notice = next(c for c in hub_cards if "Report request not delivered" in text_of(c))
    assert f"{TRUST} has no safeguarding lead in the directory" in text_of(notice)
    assert "grant <email> agency_lead" in text_of(notice)
    assert buttons(notice) == []


async def test_someone_without_the_role_pressing_a_report_card_is_refused_and_nothing_changes(
    journey: tuple[BotUnderTest, Clock],
) -> None:
    bot, clock = journey
    await ask(bot, clock, SCHOOL)
    await bot.send(bot.teams.personal_message(AMIRA, f"report {REF}"))
    form = shown(bot, AMIRA)

    refused = await press(bot, PRACTITIONER, card=form, nil_return="true", nil_reason="None.")
    assert refused["type"] == "application/vnd.microsoft.error"
    assert "can't submit an agency report" in refused["value"]["message"]
    # Amira's form is as she left it: her next press still works.
    moved = await press(bot, AMIRA, nil_return="true", nil_reason="No contact with the family.")
    assert "Check and send" in text_of(moved["value"])
