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

from bot_app.keys import cipher, data_keys, trail_keys
from safeguarding.case import Case
from safeguarding.reference import CaseReference
from storage.db import create_engine, session_factory
from storage.models import CaseRow
from storage.uow import UnitOfWork
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.reminders_support import HUB_CHANNEL, HUB_TEAM, deliver, register
from tests.e2e.seed import ADMIN, HUB, PRACTITIONER, demo_user
from tests.harness.activities import TeamsUser, personal_conversation_id
from tests.harness.canary import assert_no_canaries, channel_posts, log_records
from tests.harness.cards import adaptive_cards_in

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


def text_of(card: Any) -> str:
    return json.dumps(card, ensure_ascii=False)


def buttons(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every live button on the card (Action.Execute / Action.Submit), nested ones too."""

    def walk(node: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        if isinstance(node, dict):
            if node.get("type") in ("Action.Execute", "Action.Submit"):
                found.append(node)
            for value in node.values():
                found += walk(value)
        elif isinstance(node, list):
            for value in node:
                found += walk(value)
        return found

    return walk(card)


def step_data(card: dict[str, Any], nav: str = "next") -> dict[str, Any]:
    """The data of the card's button with ``nav`` (what pressing it would send)."""
    for action in buttons(card):
        if action.get("data", {}).get("nav") == nav:
            return dict(action["data"])
    raise AssertionError(f"no {nav!r} button on the card: {text_of(card)[:300]}")


submit_data = step_data


def shown(bot: BotUnderTest, user: TeamsUser) -> dict[str, Any]:
    """The card the person sees last in their personal chat."""
    return bot.shown(personal_conversation_id(user.id))


async def press(
    bot: BotUnderTest,
    user: TeamsUser,
    nav: str = "next",
    *,
    card: dict[str, Any] | None = None,
    **inputs: str,
) -> dict[str, Any]:
    """Press ``nav`` on the card the person sees (or ``card``), with ``inputs`` typed in, as
    Teams sends it: an Action.Execute invoke (returns the answer's body), or an Action.Submit
    message (returns ``{}``)."""
    pressed = card if card is not None else shown(bot, user)
    data = step_data(pressed, nav)
    kind = next(a["type"] for a in buttons(pressed) if a.get("data", {}).get("nav") == nav)
    if kind == "Action.Submit":
        await bot.send(bot.teams.personal_submit(user, {**data, **inputs}))
        return {}
    reply = await bot.send(bot.teams.card_action(user, "card.step", {**data, **inputs}))
    assert reply.status == 200
    assert isinstance(reply.body, dict)
    return reply.body


async def fill_in(bot: BotUnderTest, user: TeamsUser, *, upto: str | None = None) -> None:
    for step, values in STEPS.items():
        if step == upto:
            return
        await press(bot, user, **values)


def cards_sent_to(bot: BotUnderTest, user: TeamsUser) -> int:
    """How many messages with a card the bot sent to the person's personal chat (the
    welcome card on first contact is not counted: it is not the form's)."""
    conversation = personal_conversation_id(user.id)
    return sum(
        1
        for r in bot.connector.sent_activities
        if r.conversation_id == conversation
        and any("Hello " not in json.dumps(c) for c in adaptive_cards_in(r.activity))
    )


async def stored_case(bot: BotUnderTest, reference: str = "NL-2026-0001") -> Case:
    engine = create_engine(bot.settings.database_url)
    try:
        keys = data_keys(bot.settings)
        unit = UnitOfWork(
            session_factory(engine), cipher=cipher(keys), trail=trail_keys(bot.settings, keys)
        )
        async with unit as uow:
            return await uow.cases.get(CaseReference.parse(reference))
    finally:
        await engine.dispose()


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
    first = shown(bot, PRACTITIONER)
    assert "Step 1 of 6" in text_of(first)

    await fill_in(bot, PRACTITIONER)
    review = text_of(shown(bot, PRACTITIONER))
    assert "Check and send" in review
    assert "Serious child safeguarding case" in review
    assert "Panel notification due: **Monday 30 November 2026**" in review

    answer = await press(bot, PRACTITIONER, "submit")
    assert answer["type"] == "application/vnd.microsoft.card.adaptive", "the card is replaced"
    receipt = answer["value"]
    confirmation = text_of(receipt)
    assert "Notification received: NL-2026-0001" in confirmation
    assert "Sent to the Hub by Tom Reed at 10:00" in confirmation
    assert "Monday 30 November 2026" in confirmation
    assert buttons(receipt) == [], "the receipt has no live buttons"
    # The whole notification was ONE card in the practitioner's chat, updated in place: one
    # message sent, every step after it an invoke answer.
    assert cards_sent_to(bot, PRACTITIONER) == 1
    assert bot.connector.texts(personal_conversation_id(PRACTITIONER.id)) == []

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

    # The Hub records the Panel notification from the channel card: a time in the future is
    # refused with the reason, and "9.40am" as people type it is read.
    message_id = next(
        r.response["id"]
        for r in bot.connector.sent_activities
        if r.conversation_id == HUB_CHANNEL and "Case NL-2026-0001" in json.dumps(r.body)
    )

    async def record(time: str) -> dict[str, Any]:
        reply = await bot.send(
            bot.teams.card_action(
                HUB,
                "case.panel_notified",
                {"reference": "NL-2026-0001", "notified_on": "2026-11-26", "notified_time": time},
                team_id=HUB_TEAM,
                channel_id=HUB_CHANNEL,
                reply_to_id=message_id,
            )
        )
        assert isinstance(reply.body, dict)
        return reply.body

    later = await record("11:30")
    assert later["type"] == "application/vnd.microsoft.error"
    assert "can't be in the future" in later["value"]["message"]
    assert "11:30" in later["value"]["message"]

    recorded = await record("9.40am")
    assert recorded["statusCode"] == 200
    updated = text_of(recorded["value"])
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
    events = [e.what for e in (await stored_case(bot)).events]
    assert any("Panel notified on Thursday 26 November 2026 at 09:40" in e for e in events)


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
    card = text_of(shown(bot, PRACTITIONER))
    assert "Step 2 of 6" in card
    assert "before the incident happened" in card

    await press(bot, PRACTITIONER, incident_on="2026-11-20", aware_on="2026-12-25")
    assert "can't be in the future" in text_of(shown(bot, PRACTITIONER))

    await press(bot, PRACTITIONER, incident_on="2026-02-30", aware_on="2026-11-20")
    assert "date picker" in text_of(shown(bot, PRACTITIONER))
    assert await case_count(bot) == 0
    assert cards_sent_to(bot, PRACTITIONER) == 1, "every answer replaced the one card"


async def test_the_agency_is_pre_filled_and_each_step_answers_with_a_receipt(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    agency = next(
        element
        for element in shown(bot, PRACTITIONER)["body"]
        if isinstance(element, dict) and element.get("id") == "agency"
    )
    assert agency["value"] == AGENCY, "the directory's agency for Tom Reed"

    # The client sends a pre-filled input's value as it is.
    await press(
        bot, PRACTITIONER, agency=agency["value"], role="Health visitor", lead_consulted="true"
    )
    step = text_of(shown(bot, PRACTITIONER))
    assert "Step 2 of 6" in step
    assert "Saved: about you, at 10:00 by Tom Reed" in step


async def test_initials_that_are_a_name_are_refused_and_the_other_answers_kept(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER, upto="identifiers")

    answer = await press(
        bot, PRACTITIONER, initials="Zephyr Jones", summary="Found unresponsive at home."
    )
    card = text_of(answer["value"])
    assert "Step 6 of 6" in card
    assert "looks like a name, not initials" in card
    assert "Found unresponsive at home." in card, "the summary typed is kept"
    assert "ZEP" not in card, "nothing is cut short"

    await press(bot, PRACTITIONER, initials="ZJ", summary="Found unresponsive at home.")
    review = text_of(shown(bot, PRACTITIONER))
    assert "Check and send" in review
    assert "ZJ" in review


async def test_a_name_in_the_summary_is_warned_about_before_sending(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER)
    review = text_of(shown(bot, PRACTITIONER))
    assert f"Your summary may name someone ({CANARY_NAME})" in review


async def test_back_cancel_and_a_stale_step_are_answered_on_the_card(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    first_card = shown(bot, PRACTITIONER)
    await fill_in(bot, PRACTITIONER, upto="harm")
    assert "Step 3 of 6" in text_of(shown(bot, PRACTITIONER))

    await press(bot, PRACTITIONER, "back")
    assert "Step 2 of 6" in text_of(shown(bot, PRACTITIONER))

    # A press on the card as it was at step 1 (another device, or pressed twice): no red
    # error, nothing changed, and the step the person is on.
    stale = await press(bot, PRACTITIONER, card=first_card, **STEPS["reporter"])
    assert stale["type"] == "application/vnd.microsoft.card.adaptive"
    card = text_of(stale["value"])
    assert "earlier step of this form" in card
    assert "Step 2 of 6" in card

    cancelled = await press(bot, PRACTITIONER, "cancel")
    assert "Notification cancelled" in text_of(cancelled["value"])
    assert "Nothing was saved or sent" in text_of(cancelled["value"])
    assert buttons(cancelled["value"]) == []
    after = await press(bot, PRACTITIONER, card=first_card, **STEPS["reporter"])
    assert "This notification form is closed" in text_of(after["value"])
    assert buttons(after["value"]) == []
    assert await case_count(bot) == 0


async def test_typed_words_during_the_form_point_back_to_the_card(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await bot.send(bot.teams.personal_message(PRACTITIONER, "back"))
    assert "use its buttons" in bot.connector.texts()[-1]
    assert cards_sent_to(bot, PRACTITIONER) == 1
    await bot.send(bot.teams.personal_message(PRACTITIONER, "cancel"))
    assert "Nothing was saved" in bot.connector.texts()[-1]


async def test_edit_from_the_review_returns_to_the_review(bot: BotUnderTest) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER)
    await press(bot, PRACTITIONER, "edit")  # the first Edit button: about you
    data = step_data(shown(bot, PRACTITIONER))
    assert data["step"] == "reporter"
    await press(bot, PRACTITIONER, **{**STEPS["reporter"], "role": "School nurse"})

    review = text_of(shown(bot, PRACTITIONER))
    assert "Check and send" in review
    assert "School nurse" in review


async def test_sending_twice_creates_one_case_and_says_when_it_was_sent(
    bot: BotUnderTest,
) -> None:
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER)
    review = shown(bot, PRACTITIONER)

    await press(bot, PRACTITIONER, "submit", card=review)
    again = await press(bot, PRACTITIONER, "submit", card=review)

    assert again["type"] == "application/vnd.microsoft.card.adaptive", "not a red error"
    text = text_of(again["value"])
    assert "Already sent, as NL-2026-0001" in text
    assert "This notification was sent at 10:00" in text
    assert buttons(again["value"]) == []
    assert await case_count(bot) == 1


async def test_a_notification_in_progress_survives_a_restart(make_bot) -> None:  # type: ignore[no-untyped-def]
    first: BotUnderTest = await make_bot()
    await first.send(first.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(first, PRACTITIONER, upto="child")

    restarted: BotUnderTest = await make_bot()
    answer = await press(restarted, PRACTITIONER, card=shown(first, PRACTITIONER), **STEPS["child"])

    assert "Step 5 of 6" in text_of(answer["value"])


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
