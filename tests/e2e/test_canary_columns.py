"""Nothing a person typed about a child is readable in any column of any table - during a
case, and after the retention policy anonymised it.

A case goes through the journeys that store free text: a notification naming the child, the
Hub opening the details (a card queued for the Hub officer's personal chat), a CSPR Group
vote with a rationale, and a difference of opinion with a position and reasons (cards queued
for each party). Then every column of every table is read as stored - whatever its type -
and searched for the canaries; again after the case is closed and, years later, anonymised.
Runs through the real app on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, select

from bot_app.admin.retention import policy_from, run_retention
from bot_app.core.transactions import Transactions
from bot_app.keys import cipher, data_keys, trail_keys
from safeguarding.case import Actor, Stage
from safeguarding.reference import CaseReference
from storage.db import create_engine, session_factory
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.disputes_support import raise_dispute
from tests.e2e.reminders_support import HUB_CHANNEL, HUB_TEAM, Clock, deliver, register
from tests.e2e.seed import ADMIN, HUB, PRACTITIONER, demo_user
from tests.e2e.test_notification_journey import STEPS, press
from tests.harness.activities import thread_id

REF = "NL-2026-0001"
CSPRG_CHANNEL = thread_id("CSPR Group channel")
SAM = demo_user("Sam Hughes")  # CSPR Group core member
LEAD = demo_user("Amira Khan")  # Riverside Primary School's safeguarding lead
SCHOOL = "Riverside Primary School"

NAME = "Peregrina Wolfsbanehurst"
SUMMARY = "Canarysummary: left with the lodger over half term"
RATIONALE = "Canaryrationale: the lodger was known to children's services"
POSITION = "Canaryposition: the lodger's history meets the criteria"
REASONS = "Canaryreasons: three agencies missed the same sign"
CANARIES = [NAME, "Wolfsbanehurst", "Canarysummary", "Canaryrationale", "Canaryposition"]
CANARIES += ["Canaryreasons", "with the lodger"]


async def every_column(bot: BotUnderTest) -> dict[str, str]:
    """Every column of every table, as stored, whatever its type: "table.column" -> text."""
    found: dict[str, str] = {}
    engine = create_engine(bot.settings.database_url)
    try:
        async with engine.connect() as connection:
            metadata = MetaData()
            await connection.run_sync(metadata.reflect)
            for table in metadata.sorted_tables:
                rows = (await connection.execute(select(table))).all()
                for position, column in enumerate(table.columns):
                    found[f"{table.name}.{column.name}"] = " ".join(
                        _as_text(row[position]) for row in rows
                    )
    finally:
        await engine.dispose()
    return found


def _as_text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def leaks(stored: dict[str, str]) -> dict[str, list[str]]:
    return {
        column: found
        for column, text in stored.items()
        if (found := [canary for canary in CANARIES if canary in text])
    }


def hub_post(bot: BotUnderTest, marker: str, conversation: str = HUB_CHANNEL) -> str:
    return next(
        r.response["id"]
        for r in bot.connector.sent_activities
        if r.conversation_id == conversation and marker in json.dumps(r.body)
    )


async def hub_presses(bot: BotUnderTest, verb: str, data: dict[str, Any], marker: str) -> None:
    reply = await bot.send(
        bot.teams.card_action(
            HUB,
            verb,
            {"reference": REF, **data},
            team_id=HUB_TEAM,
            channel_id=HUB_CHANNEL,
            reply_to_id=hub_post(bot, marker),
        )
    )
    assert reply.status == 200, reply.text
    assert reply.body["statusCode"] == 200, reply.body


async def close_and_anonymise(bot: BotUnderTest, years_later: datetime) -> None:
    """The case ends with no review, then the retention policy runs years later."""
    keys = data_keys(bot.settings)
    engine = create_engine(bot.settings.database_url)
    tx = Transactions(
        session_factory(engine), cipher=cipher(keys), trail=trail_keys(bot.settings, keys)
    )
    hub = Actor(id=HUB.aad_object_id, name=HUB.name)
    at = FIXED_NOW + timedelta(days=30)

    async def close(uow: Any) -> None:
        case = await uow.cases.get(CaseReference.parse(REF))
        path = [Stage.RECOMMENDATION, Stage.PARTNERS_DECISION, Stage.CLOSED]
        for stage in path[path.index(case.stage) + 1 :]:
            case.move_to(stage, actor=hub, at=at, why=f"{stage.label}.")
        await uow.cases.save(case)

    try:
        await tx.run(close)
        outcomes = await run_retention(
            tx,
            policy_from(bot.settings),
            calendar=bot.settings.calendar(),
            by=Actor(id=ADMIN.aad_object_id, name=ADMIN.name),
            now=years_later,
        )
    finally:
        await engine.dispose()
    assert [(o.decision.reference, o.error) for o in outcomes] == [(REF, None)]


async def test_no_column_of_any_table_holds_a_childs_name_or_narrative_before_or_after_anonymising(
    make_bot: Any,
) -> None:
    clock = Clock(FIXED_NOW)
    bot: BotUnderTest = await make_bot(now=clock, allow_child_names=True)
    await register(bot, "register hub", admin=ADMIN)
    await register(bot, "register csprg", admin=ADMIN, channel_id=CSPRG_CHANNEL)

    # A notification naming the child, from Riverside Primary School.
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    for step, values in STEPS.items():
        if step == "identifiers":
            values = {**values, "full_name": NAME, "summary": SUMMARY}
        if step == "reporter":
            values = {**values, "agency": SCHOOL}
        await press(bot, PRACTITIONER, **values)
    await press(bot, PRACTITIONER, "submit")
    await deliver(bot, clock.now)

    # The Hub opens the details: a card with the name and summary, queued for its chat.
    await hub_presses(bot, "case.details", {}, marker=f"Case {REF}")
    # A rapid review and a CSPR Group vote with a rationale.
    await bot.send(bot.teams.personal_message(SAM, "help"))
    await hub_presses(bot, "case.panel_notified", {"notified_on": "2026-11-26"}, f"Case {REF}")
    await hub_presses(bot, "rapid_review.start", {"agencies": SCHOOL}, marker=f"Case {REF}")
    await deliver(bot, clock.now)
    await hub_presses(
        bot, "rapid_review.open_vote", {"anyway": "yes"}, marker=f"Rapid review: case {REF}"
    )
    await deliver(bot, clock.now)
    vote = await bot.send(
        bot.teams.card_action(
            SAM,
            "vote.cast",
            {
                "reference": REF,
                "round": 1,
                "choice": "no_review",
                "criteria": "",
                "rationale": RATIONALE,
            },
            team_id=HUB_TEAM,
            channel_id=CSPRG_CHANNEL,
            reply_to_id=hub_post(bot, "CSPR Group vote", CSPRG_CHANNEL),
        )
    )
    assert "Your vote was recorded" in json.dumps(vote.body), vote.body
    # A difference of opinion with a position and reasons: a card for each party.
    await raise_dispute(bot, LEAD, REF, position=POSITION, reasons=REASONS)
    clock.set(clock.now + timedelta(minutes=5))
    await bot.send(bot.teams.personal_message(HUB, f"status {REF}"))
    assert NAME in json.dumps(bot.connector.last_card()), "the Hub still reads the details"

    queued = await every_column(bot)  # the parties' cards still waiting in the outbox
    await deliver(bot, clock.now)

    personal = json.dumps([r.body for r in bot.connector.sent_activities])
    assert NAME in personal, "the details card reached the Hub officer"
    assert POSITION in personal, "the parties' cards carry the position"
    assert queued["outbox.activity"], "messages were queued"
    assert leaks(queued) == {}
    assert leaks(await every_column(bot)) == {}

    await close_and_anonymise(bot, datetime(2034, 1, 5, 10, tzinfo=UTC))

    after = await every_column(bot)
    assert REF in after["cases.reference"], "the case remains, anonymised"
    assert leaks(after) == {}
