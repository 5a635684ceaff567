"""Several people act on one case at the same moment, through HTTP, with a real clock.

The CSPR Group's three members vote together, three agencies send their reports together,
three partners confirm together. Every action must count exactly once, nobody may get an
error card instead of a receipt, and the case's trail must stay in order. The clock moves
between requests as a real one does: with a fixed clock every racer carries the same instant,
which once hid a lost vote (a retried vote carried a time earlier than the one that beat it).
The race is run several times per database to catch it: ``SIMULTANEOUS_ROUNDS`` (3 in
``make test``; CI runs 20 as well).
"""

from __future__ import annotations

import asyncio
import json
import os
from datetime import timedelta
from typing import Any

from safeguarding import rapid_review as rr
from safeguarding.case import Case
from safeguarding.reference import CaseReference
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork
from tests.e2e.clocks import AdvancingClock
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.reminders_support import HUB_CHANNEL, HUB_TEAM, PARTNERS_CHANNEL, register, work
from tests.e2e.seed import ADMIN, HUB, PARTNER, PRACTITIONER, demo_user
from tests.e2e.test_notification_journey import fill_in, press, shown, submit_data
from tests.harness.activities import TeamsUser, thread_id

ROUNDS = int(os.environ.get("SIMULTANEOUS_ROUNDS", "3"))
CSPRG_CHANNEL = thread_id("CSPR Group channel")
SAM, FIONA, MARK = demo_user("Sam Hughes"), demo_user("Fiona Grant"), demo_user("Mark Ellis")
HELEN, DAVID = demo_user("Helen Moss"), demo_user("David Clarke")
AMIRA, OMAR = demo_user("Amira Khan"), demo_user("Omar Siddiqui")
LEADS = {
    "Riverside Primary School": AMIRA,
    "Humberside Police": DAVID,
    "North Lincolnshire Council": OMAR,
}


def text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def stored_case(bot: BotUnderTest, reference: str) -> Case:
    engine = create_engine(bot.settings.database_url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            return await uow.cases.get(CaseReference.parse(reference))
    finally:
        await engine.dispose()


def post_id(bot: BotUnderTest, marker: str, conversation: str) -> str:
    return next(
        r.response["id"]
        for r in reversed(bot.connector.sent_activities)
        if r.conversation_id == conversation and marker in text_of(r.body)
    )


async def hub_press(bot: BotUnderTest, reference: str, verb: str, **data: str) -> dict[str, Any]:
    """The Hub presses a button on the case card, or on the rapid review tracker."""
    on_tracker = verb in {"rapid_review.open_vote", "rapid_review.close_vote"}
    marker = f"Rapid review: case {reference}" if on_tracker else f"Case {reference}"
    reply = await bot.send(
        bot.teams.card_action(
            HUB,
            verb,
            {"reference": reference, **data},
            team_id=HUB_TEAM,
            channel_id=HUB_CHANNEL,
            reply_to_id=post_id(bot, marker, HUB_CHANNEL),
        )
    )
    assert reply.status == 200, reply.text
    assert reply.body["statusCode"] == 200, reply.body
    body: dict[str, Any] = reply.body
    return body


async def review_ready(bot: BotUnderTest, lead: TeamsUser, reference: str) -> dict[str, Any]:
    """The lead fills in the report and stops at "Check and send": the Send button's data."""
    await bot.send(bot.teams.personal_message(lead, f"report {reference}"))
    await press(bot, lead, nil_return="false", nil_reason="", facts="Seen at school weekly.")
    await press(bot, lead, actions="Referral made.")
    await press(bot, lead, learning="Escalation.", welfare_considered="true", welfare="")
    review = shown(bot, lead)
    assert "Check and send" in text_of(review)
    return submit_data(review, "submit")


async def deliver_all(bot: BotUnderTest, clock: AdvancingClock) -> None:
    """Deliver everything queued, as Teams' rate limits allow: the sender holds back what would
    exceed them, so time moves on (a minute at a time) until nothing is left to send."""
    for _ in range(30):
        await work(bot).scheduler.tick(clock.now)
        report = await work(bot).sender.run_once(clock.now)
        if report.claimed == 0:
            return
        clock.jump_to(clock.now + timedelta(minutes=1))
    raise AssertionError("the outbox never emptied")


def assert_trail_in_order(case: Case) -> None:
    seqs = [e.seq for e in case.events]
    assert seqs == list(range(1, len(seqs) + 1))
    times = [e.at for e in case.events]
    assert times == sorted(times), "an entry is dated before the one before it"


async def one_round(bot: BotUnderTest, clock: AdvancingClock, number: int) -> None:
    reference = f"NL-2026-{number:04d}"
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER)
    await press(bot, PRACTITIONER, "submit")
    await deliver_all(bot, clock)
    await hub_press(bot, reference, "case.panel_notified", notified_on=clock.now.date().isoformat())
    await hub_press(bot, reference, "rapid_review.start", agencies=",".join(LEADS))
    await deliver_all(bot, clock)

    # Three agencies press Send at the same moment.
    sends = [await review_ready(bot, lead, reference) for lead in LEADS.values()]
    answers = await asyncio.gather(
        *(
            bot.send(bot.teams.card_action(lead, "card.step", data))
            for lead, data in zip(LEADS.values(), sends, strict=True)
        )
    )
    for answer in answers:
        said = text_of(answer.body["value"])
        assert "has been sent to the Hub" in said, said
    case = await stored_case(bot, reference)
    assert [e.kind for e in case.events].count("rapid_review.agency_submitted") == 3

    # Three members vote at the same moment.
    await hub_press(bot, reference, "rapid_review.open_vote")
    await deliver_all(bot, clock)
    vote_post = post_id(bot, "CSPR Group vote", CSPRG_CHANNEL)
    votes = await asyncio.gather(
        *(
            bot.send(
                bot.teams.card_action(
                    member,
                    "vote.cast",
                    {
                        "reference": reference,
                        "round": 1,
                        "choice": "local_cspr",
                        "criteria": "multi_agency",
                        "rationale": f"{member.name}: agencies did not share information.",
                    },
                    team_id=HUB_TEAM,
                    channel_id=CSPRG_CHANNEL,
                    reply_to_id=vote_post,
                )
            )
            for member in (SAM, FIONA, MARK)
        )
    )
    for reply in votes:
        assert reply.body["statusCode"] == 200, reply.body
        assert "Your vote was recorded" in text_of(reply.body["value"])
    case = await stored_case(bot, reference)
    assert [e.kind for e in case.events].count(rr.VOTE_CAST) == 3

    # The vote closes; three partners confirm at the same moment.
    await hub_press(bot, reference, "rapid_review.close_vote", reason="Every member has voted.")
    await deliver_all(bot, clock)
    confirmations = await asyncio.gather(
        *(
            bot.send(
                bot.teams.card_action(
                    partner, "partners.confirm", {"reference": reference, "round": 1}
                )
            )
            for partner in (PARTNER, HELEN, DAVID)
        )
    )
    for reply in confirmations:
        assert reply.body["statusCode"] == 200, reply.body
    case = await stored_case(bot, reference)
    assert rr.state_of(case).confirmed is rr.Recommendation.LOCAL_CSPR
    assert_trail_in_order(case)


async def test_people_acting_at_the_same_moment_all_count_once_in_order(make_bot) -> None:  # type: ignore[no-untyped-def]
    clock = AdvancingClock(FIXED_NOW)
    bot: BotUnderTest = await make_bot(now=clock)
    await register(bot, "register hub", admin=ADMIN)
    await register(bot, "register csprg", admin=ADMIN, channel_id=CSPRG_CHANNEL)
    await register(bot, "register partners", admin=ADMIN, channel_id=PARTNERS_CHANNEL)
    for someone in (*LEADS.values(), SAM, FIONA, MARK):  # they have talked to the bot
        await bot.send(bot.teams.personal_message(someone, "help"))
    for number in range(1, ROUNDS + 1):
        await one_round(bot, clock, number)
