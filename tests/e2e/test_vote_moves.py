"""The CSPR Group vote can't stall the rapid review's clock, and members vote with the evidence.

Through the real app on SQLite and PostgreSQL, with the fake connector as Teams: the Hub is
warned when it opens the vote with reports missing; members open the voting pack in their
personal chat (and the access log says so); each vote gets a receipt; the Hub chases the members
who haven't voted (once a day), the scheduler reminds them (once per rule, never after they
vote), and the Hub closes the vote with a reason once 2 of 3 are in - or, below that, closes it
and refers it to the partners.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot_app.keys import cipher, data_keys
from safeguarding import rapid_review as rr
from safeguarding.case import Stage
from safeguarding.evidence import AccessRecord
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.reminders_support import PARTNERS_CHANNEL, Clock, deliver, register
from tests.e2e.seed import ADMIN, PARTNER, PRACTITIONER
from tests.e2e.test_notification_journey import fill_in, press
from tests.e2e.test_rapid_review import (
    AMIRA,
    CSPRG_CHANNEL,
    FIONA,
    JO,
    MARK,
    POLICE,
    REF,
    SAM,
    SCHOOL,
    SCHOOL_FACTS,
    ballot,
    hub_action,
    stored_case,
    text_of,
    vote_action,
    write_report,
)
from tests.harness.activities import TeamsUser, personal_conversation_id

MEMBERS = (SAM, FIONA, MARK, JO)


async def ready_to_vote(make_bot: Any, **overrides: Any) -> tuple[BotUnderTest, Clock]:
    """A notified case with the rapid review started: the school has reported, the police
    have not; every member and deputy has talked to the bot."""
    clock = Clock(FIXED_NOW)
    bot: BotUnderTest = await make_bot(now=clock, **overrides)
    await register(bot, "register hub", admin=ADMIN)
    await register(bot, "register csprg", admin=ADMIN, channel_id=CSPRG_CHANNEL)
    await register(bot, "register partners", admin=ADMIN, channel_id=PARTNERS_CHANNEL)
    for someone in (AMIRA, *MEMBERS):
        await bot.send(bot.teams.personal_message(someone, "help"))
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER)
    await press(bot, PRACTITIONER, "submit")
    await deliver(bot, clock.now)
    await hub_action(
        bot, "case.panel_notified", {"notified_on": "2026-11-26"}, marker=f"Case {REF}"
    )
    await hub_action(
        bot, "rapid_review.start", {"agencies": f"{SCHOOL},{POLICE}"}, marker=f"Case {REF}"
    )
    await deliver(bot, clock.now)
    await write_report(bot, AMIRA, facts=SCHOOL_FACTS, actions="MASH referral.", learning="Yes.")
    return bot, clock


async def open_vote(bot: BotUnderTest, clock: Clock) -> None:
    await hub_action(bot, "rapid_review.open_vote", {"anyway": "yes"})
    await deliver(bot, clock.now)


def reminders_to(bot: BotUnderTest, user: TeamsUser, words: str = "your vote is needed") -> int:
    """How many reminders to vote were posted (not updated) in the person's personal chat."""
    posted = bot.connector.cards(personal_conversation_id(user.id), include_updates=False)
    return sum(words in text_of(card) for card in posted)


async def access_log(bot: BotUnderTest) -> list[AccessRecord]:
    engine = create_engine(bot.settings.database_url)
    try:
        keys = data_keys(bot.settings)
        async with UnitOfWork(session_factory(engine), cipher=cipher(keys)) as uow:
            return await uow.access_log.for_case(REF)
    finally:
        await engine.dispose()


async def test_opening_the_vote_with_a_report_missing_asks_first_and_names_the_agency(
    make_bot: Any,
) -> None:
    bot, clock = await ready_to_vote(make_bot)

    warned = await hub_action(bot, "rapid_review.open_vote", {})
    waited = await hub_action(bot, "rapid_review.tracker", {})
    assert (await stored_case(bot)).stage is Stage.RAPID_REVIEW, "nothing opened yet"
    opened = await hub_action(bot, "rapid_review.open_vote", {"anyway": "yes"})
    await deliver(bot, clock.now)

    assert f"1 of 2 agency reports is not in: {POLICE}. Open the vote anyway?" in text_of(
        warned["value"]
    )
    assert "Open the vote anyway" in text_of(warned["value"])
    assert f"Rapid review: case {REF}" in text_of(waited["value"])
    assert "Open until" in text_of(opened["value"])
    case = await stored_case(bot)
    assert case.stage is Stage.RECOMMENDATION
    assert next(e for e in case.events if e.kind == rr.VOTE_OPENED).data["missing_reports"] == [
        POLICE
    ]
    shared = text_of(bot.connector.cards(CSPRG_CHANNEL, include_updates=False)[-1])
    assert f"Agency reports: 1 of 2 in (not in yet: {POLICE})" in shared
    assert "Round" not in shared
    assert "The criteria for a local review" in shared


async def test_a_member_opens_the_voting_pack_in_a_personal_chat_and_it_is_access_logged(
    make_bot: Any,
) -> None:
    bot, clock = await ready_to_vote(make_bot)
    await open_vote(bot, clock)

    opened = await bot.send(vote_action(FIONA, bot, "vote.pack", {}))
    refused = await bot.send(vote_action(PARTNER, bot, "vote.pack", {}))
    await deliver(bot, clock.now)

    assert opened.body["statusCode"] == 200, opened.body
    assert "sent the voting pack" in text_of(opened.body["value"])
    pack = text_of(bot.connector.cards(personal_conversation_id(FIONA.id))[-1])
    assert f"Voting pack: case {REF}" in pack
    assert SCHOOL_FACTS in pack, "the agency report, for the member to evaluate"
    assert f"Not in yet: {POLICE}" in pack
    assert "Rapid review" in pack
    assert "The CSPR Group vote closes" in pack
    assert SCHOOL_FACTS not in text_of(bot.connector.cards(CSPRG_CHANNEL))
    assert refused.body["statusCode"] != 200
    assert "can't open the CSPR Group's voting pack" in refused.body["value"]["message"]
    looked = [(a.person_name, a.what) for a in await access_log(bot)]
    assert (
        "Fiona Grant",
        "opened the voting pack (the case summary and 1 agency reports)",
    ) in looked
    assert not any(name == "Grace Okafor" for name, _ in looked)


async def test_a_vote_gets_a_receipt_and_a_double_press_says_it_is_already_recorded(
    make_bot: Any,
) -> None:
    bot, clock = await ready_to_vote(make_bot)
    await open_vote(bot, clock)
    clock.set(datetime(2026, 11, 27, 7, 41, tzinfo=UTC))

    first = await bot.send(vote_action(SAM, bot, "vote.cast", ballot(SAM, "local_cspr", "eotas")))
    clock.set(datetime(2026, 11, 27, 7, 45, tzinfo=UTC))
    again = await bot.send(vote_action(SAM, bot, "vote.cast", ballot(SAM, "local_cspr", "eotas")))
    await deliver(bot, clock.now)

    receipt = text_of(first.body["value"])
    assert "Your vote was recorded: Local child safeguarding practice review, at 07:41" in receipt
    assert "You voted: **Local child safeguarding practice review**, 07:41 on Friday" in receipt
    assert "You can change your vote until the vote closes" in receipt
    assert '"value": "eotas"' in receipt, "the ticked criterion stays ticked"
    assert (
        "Already recorded at 07:41 on Friday 27 November 2026: you voted Local child "
        "safeguarding practice review" in text_of(again.body["value"])
    )
    case = await stored_case(bot)
    assert [e.kind for e in case.events].count(rr.VOTE_CAST) == 1
    shared = text_of(
        [u.body for u in bot.connector.updates if u.conversation_id == CSPRG_CHANNEL][-1]
    )
    assert "Voted at 07:41 on Friday 27 November 2026" in shared
    assert "Local child safeguarding" not in shared.split("Your recommendation")[0]


async def test_the_hub_chases_only_those_who_havent_voted_and_not_twice_in_a_day(
    make_bot: Any,
) -> None:
    bot, clock = await ready_to_vote(make_bot)
    await open_vote(bot, clock)
    await bot.send(vote_action(FIONA, bot, "vote.cast", ballot(FIONA, "local_cspr", "eotas")))
    clock.set(datetime(2026, 11, 27, 10, 12, tzinfo=UTC))

    chased = await hub_action(bot, "rapid_review.chase_vote", {})
    await deliver(bot, clock.now)
    clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    again = await hub_action(bot, "rapid_review.chase_vote", {})
    await deliver(bot, clock.now)

    said = text_of(chased["value"])
    assert "Chased at 10:12: " in said
    assert "Sam Hughes (and Jo Patel, deputy)" in said
    assert "Mark Ellis" in said
    assert "Fiona" not in said
    assert "Chased at 10:12 today by Priya Shah" in text_of(again["value"])
    assert "nothing was sent again" in text_of(again["value"])
    for user in (SAM, JO, MARK):  # Jo stands in for Sam, who has not voted
        assert reminders_to(bot, user, "Reminder from Priya Shah") == 1, user.name
    assert reminders_to(bot, FIONA) == 0
    case = await stored_case(bot)
    assert [e.kind for e in case.events].count(rr.VOTE_CHASED) == 1

    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # another day: the Hub may chase again
    await bot.send(vote_action(SAM, bot, "vote.cast", ballot(SAM, "no_review")))
    next_day = await hub_action(bot, "rapid_review.chase_vote", {})
    await deliver(bot, clock.now)
    assert "Chased at 09:00: Mark Ellis" in text_of(next_day["value"])
    assert reminders_to(bot, MARK, "Reminder from Priya Shah") == 2
    assert reminders_to(bot, SAM, "Reminder from Priya Shah") == 1


async def test_the_scheduler_reminds_non_voters_once_per_rule_and_stops_once_they_vote(
    make_bot: Any,
) -> None:
    # A 10-working-day vote (to Thursday 10 December), so both rules fall inside it: 2
    # working days after opening (Monday 30 November) and 3 before the rapid review's
    # deadline (Monday 14 December: 15 working days from awareness on Monday 23 November).
    bot, clock = await ready_to_vote(make_bot, rapid_review_vote_working_days=10)
    await open_vote(bot, clock)
    await bot.send(vote_action(SAM, bot, "vote.cast", ballot(SAM, "local_cspr", "eotas")))
    reminder = "Reminder: your vote is needed"

    await deliver(bot, clock.set(datetime(2026, 11, 27, 10, tzinfo=UTC)))
    assert [reminders_to(bot, u, reminder) for u in MEMBERS] == [0, 0, 0, 0], "too early"
    await deliver(bot, clock.set(datetime(2026, 11, 30, 8, tzinfo=UTC)))
    await deliver(bot, clock.set(datetime(2026, 11, 30, 16, tzinfo=UTC)))
    assert [reminders_to(bot, u, reminder) for u in MEMBERS] == [0, 1, 1, 0], "once, to two"

    clock.set(datetime(2026, 12, 1, 10, tzinfo=UTC))
    await bot.send(vote_action(FIONA, bot, "vote.cast", ballot(FIONA, "local_cspr", "eotas")))
    await deliver(bot, clock.set(datetime(2026, 12, 8, 10, tzinfo=UTC)))
    await deliver(bot, clock.set(datetime(2026, 12, 9, 8, tzinfo=UTC)))
    await deliver(bot, clock.set(datetime(2026, 12, 9, 9, tzinfo=UTC)))
    assert [reminders_to(bot, u, reminder) for u in MEMBERS] == [0, 1, 2, 0]
    last = bot.connector.cards(personal_conversation_id(MARK.id), include_updates=False)[-1]
    assert "the rapid review is due with the Panel on Monday 14 December 2026" in text_of(last)

    clock.set(datetime(2026, 12, 9, 10, tzinfo=UTC))
    await bot.send(vote_action(MARK, bot, "vote.cast", ballot(MARK, "learning_review")))
    await deliver(bot, clock.set(datetime(2026, 12, 10, 10, tzinfo=UTC)))
    assert [reminders_to(bot, u, reminder) for u in MEMBERS] == [0, 1, 2, 0]
    chases = [e for e in (await stored_case(bot)).events if e.kind == rr.VOTE_CHASED]
    assert [e.data["by"] for e in chases] == [["after_opening"], ["before_due"]]


async def test_the_hub_closes_with_two_of_three_and_a_reason_and_below_that_refers_it(
    make_bot: Any,
) -> None:
    bot, clock = await ready_to_vote(make_bot)
    await open_vote(bot, clock)
    await bot.send(vote_action(SAM, bot, "vote.cast", ballot(SAM, "local_cspr", "eotas")))

    below = await hub_action(bot, "rapid_review.close_vote", {"reason": "Fiona is on leave."})
    no_reason = await hub_action(bot, "rapid_review.close_vote", {"reason": " "})
    assert below["statusCode"] == 400
    assert "1 of the 2 votes needed is in" in below["value"]["message"]
    assert "close the vote and refer it to the partners" in below["value"]["message"]
    assert "reason for closing the vote" in no_reason["value"]["message"]
    assert rr.state_of(await stored_case(bot)).vote_open, "nothing changed"

    await bot.send(vote_action(JO, bot, "vote.cast", ballot(SAM, "local_cspr", "eotas")))
    await bot.send(vote_action(MARK, bot, "vote.cast", ballot(MARK, "local_cspr", "eotas")))
    closed = await hub_action(
        bot, "rapid_review.close_vote", {"reason": "Fiona Grant is on leave until next week."}
    )
    await deliver(bot, clock.now)

    assert closed["statusCode"] == 200, closed
    case = await stored_case(bot)
    assert case.stage is Stage.PARTNERS_DECISION
    closing = next(e for e in case.events if e.kind == rr.VOTE_CLOSED)
    assert closing.why == "Fiona Grant is on leave until next week."
    assert "closed by Priya Shah with 2 of 3 votes in" in closing.what
    partners = text_of(bot.connector.cards(PARTNERS_CHANNEL, include_updates=False))
    assert "Local child safeguarding practice review" in partners


async def test_below_the_quorum_the_hub_closes_and_refers_it_to_the_partners(
    make_bot: Any,
) -> None:
    bot, clock = await ready_to_vote(make_bot)
    await open_vote(bot, clock)
    await bot.send(vote_action(SAM, bot, "vote.cast", ballot(SAM, "local_cspr", "eotas")))
    await deliver(bot, clock.now)
    tracker = text_of(
        [u.body for u in bot.connector.updates if "Rapid review: case" in text_of(u.body)][-1]
    )
    assert "Close and refer to the partners" in tracker

    referred = await hub_action(
        bot,
        "rapid_review.close_vote",
        {"reason": "Two members are away and the rapid review is due.", "refer": "yes"},
    )
    await deliver(bot, clock.now)

    assert referred["statusCode"] == 200, referred
    case = await stored_case(bot)
    assert case.stage is Stage.RECOMMENDATION
    closing = next(e for e in case.events if e.kind == rr.VOTE_CLOSED)
    assert closing.why == "Two members are away and the rapid review is due."
    assert case.events[-1].kind == rr.DISPUTE_REFERRED or any(
        e.kind == rr.DISPUTE_REFERRED for e in case.events
    )
    partners = text_of(bot.connector.cards(PARTNERS_CHANNEL, include_updates=False))
    assert f"Difference of opinion: case {REF}" in partners
    assert "the safeguarding partners decide" in partners
    assert "Two members are away" not in partners, "the reason stays in the trail"
