"""A practitioner notifies a serious incident in chat; the Hub takes it from there.

Runs through the real app, adapter and dialog, on SQLite and PostgreSQL, with the fake
connector standing in for Teams. The child's made-up name must never reach a channel.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.db import create_engine, session_factory
from storage.models import CaseRow
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.reminders_support import HUB_CHANNEL, HUB_TEAM, deliver, register
from tests.e2e.seed import ADMIN, HUB, PRACTITIONER, demo_user
from tests.harness.activities import TeamsUser
from tests.harness.canary import assert_no_canaries, channel_posts, log_records

__all__ = ["log_records"]  # the fixture, imported for this module's tests

SCHOOL_LEAD = demo_user("Amira Khan")  # another agency's safeguarding lead
CANARY_NAME = "Zephyrine Quibbleworth"
CANARY_INITIALS = "ZQ"
AGENCY = "Northern Lincolnshire and Goole NHS Foundation Trust"

STEPS: dict[str, dict[str, str]] = {
    "reporter": {"agency": AGENCY, "role": "Health visitor", "lead_consulted": "true"},
    "dates": {"incident_on": "2026-11-20", "aware_on": "2026-11-23"},
    "harm": {"outcome": "died", "abuse": "suspected", "harm_types": "neglect", "learning": "none"},
    "child": {
        "age_band": "under_1",
        "looked_after": "false",
        "cp_plan": "true",
        "eotas": "false",
        "child_perpetrator": "false",
        "care_leaver": "false",
        "care_leaver_age": "",
    },
    "context": {
        "other_councils": "false",
        "other_police": "false",
        "other_health": "false",
        "parallel": "coroner",
    },
    "identifiers": {
        "initials": CANARY_INITIALS,
        "summary": f"{CANARY_NAME} was found unresponsive at home by a parent.",
    },
}


def text_of(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


def submit_data(card: dict[str, Any], nav: str = "next") -> dict[str, Any]:
    """The data of the card's button with ``nav`` (what pressing it would send)."""

    def actions(node: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append(node)
            for value in node.values():
                found += actions(value)
        elif isinstance(node, list):
            for value in node:
                found += actions(value)
        return found

    for action in actions(card):
        if action.get("data", {}).get("nav") == nav:
            return dict(action["data"])
    raise AssertionError(f"no {nav!r} button on the card: {text_of(card)[:300]}")


async def press(bot: BotUnderTest, user: TeamsUser, nav: str = "next", **inputs: str) -> None:
    data = submit_data(bot.connector.last_card(), nav)
    await bot.send(bot.teams.personal_submit(user, {**data, **inputs}))


async def fill_in(bot: BotUnderTest, user: TeamsUser, *, upto: str | None = None) -> None:
    for step, values in STEPS.items():
        if step == upto:
            return
        await press(bot, user, **values)


async def case_count(bot: BotUnderTest) -> int:
    engine = create_engine(bot.settings.database_url)
    try:
        async with session_factory(engine)() as session:
            return int((await session.execute(select(func.count(CaseRow.id)))).scalar_one())
    finally:
        await engine.dispose()


@pytest.fixture
async def bot(make_bot) -> BotUnderTest:  # type: ignore[no-untyped-def]
    started: BotUnderTest = await make_bot()
    reply = await register(started, "register hub", admin=ADMIN)
    assert "now the **Hub** channel" in reply
    return started


async def test_a_death_with_suspected_neglect_is_notified_and_the_hub_records_the_panel(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    assert "Step 1 of 6" in text_of(bot.connector.last_card())

    await fill_in(bot, PRACTITIONER)
    review = text_of(bot.connector.last_card())
    assert "Check and send" in review
    assert "Serious child safeguarding case" in review
    assert "Panel notification due: **Monday 30 November 2026**" in review

    await press(bot, PRACTITIONER, "submit")
    confirmation = text_of(bot.connector.last_card())
    assert "Notification received: NL-2026-0001" in confirmation
    assert "Monday 30 November 2026" in confirmation

    await deliver(bot, FIXED_NOW)
    hub_posts = [
        json.dumps(a, ensure_ascii=False) for a in bot.connector.activities_to(HUB_CHANNEL)
    ]
    case_cards = [p for p in hub_posts if "Case NL-2026-0001" in p]
    assert len(case_cards) == 1, "one case card in the Hub channel"
    assert "Serious child safeguarding case" in case_cards[0]
    assert AGENCY in case_cards[0]
    for post in hub_posts:
        for secret in (CANARY_NAME, "Zephyrine", "Quibbleworth", "unresponsive", "Health visitor"):
            assert secret not in post, f"{secret!r} leaked into the Hub channel"

    # The Hub records the Panel notification from the channel card.
    message_id = next(
        r.response["id"]
        for r in bot.connector.sent_activities
        if r.conversation_id == HUB_CHANNEL and "Case NL-2026-0001" in json.dumps(r.body)
    )
    reply = await bot.send(
        bot.teams.card_action(
            HUB,
            "case.panel_notified",
            {"reference": "NL-2026-0001", "notified_on": "2026-11-26", "notified_time": "09:40"},
            team_id=HUB_TEAM,
            channel_id=HUB_CHANNEL,
            reply_to_id=message_id,
        )
    )
    assert reply.body["statusCode"] == 200
    updated = text_of(reply.body["value"])
    assert "Met on Thursday 26 November 2026" in updated
    assert "Panel notified" in updated
    assert "Record Panel notification" not in updated, "the clock is closed: no second record"
    await deliver(bot, FIXED_NOW)
    assert any("Met on Thursday 26 November 2026" in text_of(u.body) for u in bot.connector.updates)

    await bot.send(bot.teams.personal_message(HUB, "status NL-2026-0001"))
    status = text_of(bot.connector.last_card())
    assert "Met on Thursday 26 November 2026" in status
    assert "Rapid review" in status
    assert CANARY_NAME in status, "the Hub sees the details in a personal chat"
    assert await case_count(bot) == 1


async def test_the_notifier_sees_status_without_details_and_a_stranger_is_refused(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER)
    await press(bot, PRACTITIONER, "submit")

    await bot.send(bot.teams.personal_message(PRACTITIONER, "status nl-2026-1"))
    status = text_of(bot.connector.last_card())
    assert "Next step:" in status, "the notifier gets the status card"
    assert "Case NL-2026-0001" in status
    assert CANARY_NAME not in status, "a practitioner does not see the details"

    await bot.send(bot.teams.personal_message(PRACTITIONER, "status NL-2026-0042"))
    assert "I can't find case NL-2026-0042" in bot.connector.texts()[-1]

    await bot.send(bot.teams.personal_message(SCHOOL_LEAD, "status NL-2026-0001"))
    refused = bot.connector.texts()[-1]
    assert "I can't find case NL-2026-0001 among the cases you have access to" in refused

    await bot.send(bot.teams.personal_message(PRACTITIONER, "status 0001"))
    assert "is not a case reference" in bot.connector.texts()[-1]


async def test_bad_dates_are_refused_on_the_card_and_nothing_is_saved(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER, upto="dates")

    await press(bot, PRACTITIONER, incident_on="2026-11-20", aware_on="2026-11-19")
    card = text_of(bot.connector.last_card())
    assert "Step 2 of 6" in card
    assert "before the incident happened" in card

    await press(bot, PRACTITIONER, incident_on="2026-11-20", aware_on="2026-12-25")
    assert "can't be in the future" in text_of(bot.connector.last_card())

    await press(bot, PRACTITIONER, incident_on="2026-02-30", aware_on="2026-11-20")
    assert "date picker" in text_of(bot.connector.last_card())
    assert await case_count(bot) == 0


async def test_back_cancel_and_a_stale_card_are_handled(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    first_card = bot.connector.last_card()
    await fill_in(bot, PRACTITIONER, upto="harm")
    assert "Step 3 of 6" in text_of(bot.connector.last_card())

    await bot.send(bot.teams.personal_message(PRACTITIONER, "back"))
    assert "Step 2 of 6" in text_of(bot.connector.last_card())

    stale = {**submit_data(first_card), **STEPS["reporter"]}
    await bot.send(bot.teams.personal_submit(PRACTITIONER, stale))
    assert "earlier step" in bot.connector.texts()[-1]
    assert "Step 2 of 6" in text_of(bot.connector.last_card())

    await press(bot, PRACTITIONER, "cancel")
    assert "Nothing was saved" in bot.connector.texts()[-1]
    await bot.send(bot.teams.personal_submit(PRACTITIONER, stale))
    assert "cancelled or has expired" in bot.connector.texts()[-1]
    assert await case_count(bot) == 0


async def test_edit_from_the_review_returns_to_the_review(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER)
    await press(bot, PRACTITIONER, "edit")  # the first Edit button: about you
    data = submit_data(bot.connector.last_card())
    assert data["step"] == "reporter"
    await press(bot, PRACTITIONER, **{**STEPS["reporter"], "role": "School nurse"})

    review = text_of(bot.connector.last_card())
    assert "Check and send" in review
    assert "School nurse" in review


async def test_sending_twice_creates_one_case(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER)
    send = {**submit_data(bot.connector.last_card(), "submit")}

    await bot.send(bot.teams.personal_submit(PRACTITIONER, send))
    await bot.send(bot.teams.personal_submit(PRACTITIONER, send))

    assert "already sent as **NL-2026-0001**" in bot.connector.texts()[-1]
    assert await case_count(bot) == 1


async def test_a_notification_in_progress_survives_a_restart(make_bot) -> None:  # type: ignore[no-untyped-def]
    first: BotUnderTest = await make_bot()
    await first.send(first.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(first, PRACTITIONER, upto="child")

    restarted: BotUnderTest = await make_bot()
    await press(restarted, PRACTITIONER, **STEPS["child"])

    assert "Step 5 of 6" in text_of(restarted.connector.last_card())


async def test_notify_in_a_channel_moves_to_a_personal_chat(bot: BotUnderTest) -> None:
    activity = bot.teams.channel_message(
        PRACTITIONER, "notify", team_id=HUB_TEAM, channel_id=HUB_CHANNEL
    )
    await bot.send(activity)

    assert "personal message" in bot.connector.texts(activity["conversation"]["id"])[-1]
    await deliver(bot, FIXED_NOW + timedelta(seconds=1))
    personal = [
        a
        for a in bot.connector.sent_activities
        if a.conversation_id and a.conversation_id.startswith("a:")
    ]
    assert personal, "the Start card went to the practitioner's personal chat"
    assert "Start" in json.dumps(personal[-1].body)
    channel_cards = text_of({"cards": bot.connector.cards(HUB_CHANNEL)})
    assert "Step 1 of 6" not in channel_cards, "nothing is collected in the channel"


async def test_queries_list_cases_and_deadlines_for_the_hub(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER)
    await press(bot, PRACTITIONER, "submit")

    await bot.send(bot.teams.personal_message(HUB, "cases"))
    listing = text_of(bot.connector.last_card())
    assert "NL-2026-0001" in listing
    assert "Every open case" in listing

    await bot.send(bot.teams.personal_message(HUB, "deadlines"))
    deadlines = text_of(bot.connector.last_card())
    assert "Notify the Panel" in deadlines
    assert "Monday 30 November 2026" in deadlines


async def test_no_identifier_from_the_notification_reaches_a_channel_or_a_log(
    make_bot,
    log_records: list[logging.LogRecord],  # type: ignore[no-untyped-def]
) -> None:
    bot: BotUnderTest = await make_bot(allow_child_names=True)
    await register(bot, "register hub", admin=ADMIN)
    canaries = [CANARY_NAME, "Zephyrine", "Quibbleworth", "found unresponsive", "Quibble"]

    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER, upto="identifiers")
    await press(
        bot,
        PRACTITIONER,
        initials="ZQ",
        full_name=CANARY_NAME,
        summary=f"{CANARY_NAME} was found unresponsive at home.",
    )
    await press(bot, PRACTITIONER, "submit")
    await deliver(bot, FIXED_NOW)
    case_post = next(
        r
        for r in bot.connector.sent_activities
        if r.conversation_id == HUB_CHANNEL and "Case NL-2026-0001" in json.dumps(r.body)
    )
    # The Hub opens the details from the channel: they go to a personal chat instead.
    reply = await bot.send(
        bot.teams.card_action(
            HUB,
            "case.details",
            {"reference": "NL-2026-0001"},
            team_id=HUB_TEAM,
            channel_id=HUB_CHANNEL,
            reply_to_id=case_post.response["id"],
        )
    )
    assert "personal chat" in reply.body["value"]
    await bot.send(
        bot.teams.card_action(
            HUB,
            "case.panel_notified",
            {"reference": "NL-2026-0001", "notified_on": "2026-11-26"},
            team_id=HUB_TEAM,
            channel_id=HUB_CHANNEL,
            reply_to_id=case_post.response["id"],
        )
    )
    for user, words in [
        (HUB, "status NL-2026-0001"),
        (HUB, "cases"),
        (HUB, "deadlines"),
        (PRACTITIONER, f"status {CANARY_NAME}"),
    ]:
        await bot.send(
            bot.teams.channel_message(user, words, team_id=HUB_TEAM, channel_id=HUB_CHANNEL)
        )
    await bot.send(bot.teams.personal_message(HUB, "status NL-2026-0001"))
    await deliver(bot, FIXED_NOW + timedelta(minutes=1))

    personal = json.dumps(
        [
            r.body
            for r in bot.connector.sent_activities
            if (r.conversation_id or "").startswith("a:")
        ]
    )
    assert CANARY_NAME in personal, "the details did reach the Hub officer's personal chat"
    assert channel_posts(bot.connector), "the journey posted in the channel"
    assert_no_canaries(bot.connector, log_records, canaries)
