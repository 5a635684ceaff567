"""A full rapid review through the real app: agencies asked, reports in (one late), the CSPR
Group votes at the same instant, the partners confirm, the Panel receives and decides, and the
Hub downloads the document - on SQLite and PostgreSQL, with the fake connector as Teams.

At every step the clocks on ``status`` are compared with the domain's own calculation
(``case_clocks``), and nothing narrative or identifying may reach a channel or a log line.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from bot_app.keys import cipher, data_keys
from safeguarding import rapid_review as rr
from safeguarding.case import Case, Stage
from safeguarding.case_clocks import ClockStatus, case_clocks
from safeguarding.clocks import format_day
from safeguarding.reference import CaseReference
from storage.db import create_engine, session_factory
from storage.rapid_review import AgencyReportRow, VoteRow
from storage.uow import UnitOfWork
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.reminders_support import (
    HUB_CHANNEL,
    HUB_TEAM,
    PARTNERS_CHANNEL,
    Clock,
    deliver,
    register,
)
from tests.e2e.seed import ADMIN, HUB, PARTNER, PRACTITIONER, demo_user
from tests.e2e.test_notification_journey import CANARY_NAME, fill_in, press, shown
from tests.harness.activities import TeamsUser, personal_conversation_id, thread_id
from tests.harness.canary import assert_no_canaries, channel_posts, log_records

__all__ = ["log_records"]

REF = "NL-2026-0001"
CSPRG_CHANNEL = thread_id("CSPR Group channel")
SAM, FIONA, MARK = demo_user("Sam Hughes"), demo_user("Fiona Grant"), demo_user("Mark Ellis")
JO = demo_user("Jo Patel")  # Sam's deputy
HELEN, DAVID = demo_user("Helen Moss"), demo_user("David Clarke")  # partners; David also
AMIRA, OMAR = demo_user("Amira Khan"), demo_user("Omar Siddiqui")  # leads Humberside Police
SCHOOL, POLICE, COUNCIL = (
    "Riverside Primary School",
    "Humberside Police",
    "North Lincolnshire Council",
)
SCHOOL_FACTS = "Pupil attended until 20 November; the class teacher noted bruising on 12 November."
RATIONALES = {
    "Sam Hughes": "Two agencies missed the escalation route, recurrent theme from 2024.",
    "Fiona Grant": "Health and school information was not shared across the partnership.",
    "Mark Ellis": "Learning is limited to one setting; a learning review is proportionate.",
}


def text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def stored_case(bot: BotUnderTest) -> Case:
    engine = create_engine(bot.settings.database_url)
    try:
        keys = data_keys(bot.settings)  # reasons are sealed: read them as the bot does
        async with UnitOfWork(session_factory(engine), cipher=cipher(keys)) as uow:
            return await uow.cases.get(CaseReference.parse(REF))
    finally:
        await engine.dispose()


async def count(bot: BotUnderTest, model: Any) -> int:
    engine = create_engine(bot.settings.database_url)
    try:
        async with session_factory(engine)() as session:
            return int((await session.execute(select(func.count(model.id)))).scalar_one())
    finally:
        await engine.dispose()


async def assert_status_matches_clocks(bot: BotUnderTest, clock: Clock) -> str:
    """``status`` shows exactly the clocks the domain derives from the stored trail."""
    await bot.send(bot.teams.personal_message(HUB, f"status {REF}"))
    status = text_of(bot.connector.last_card())
    case = await stored_case(bot)
    today = bot.settings.calendar().local_date(clock.now)
    expected = case_clocks(
        case,
        today=today,
        calendar=bot.settings.calendar(),
        table=bot.settings.clocks(),
        convention=bot.settings.counting_convention,
    )
    shown = [row[:2] for row in clock_rows(bot.connector.last_card())]
    assert shown == [(c.title, format_day(c.deadline.due)) for c in expected]
    for c in expected:
        if c.status is ClockStatus.MET and c.met_on:
            assert f"Met on {format_day(c.met_on)}" in status
        if c.status is ClockStatus.MET_LATE and c.met_on:
            assert f"Met late, on {format_day(c.met_on)}" in status
    assert case.stage.label in status
    return status


def clock_rows(card: Any) -> list[tuple[str, ...]]:
    """The (title, due, state) rows of a card's clock table."""
    rows: list[tuple[str, ...]] = []
    if isinstance(card, dict):
        columns = card.get("columns")
        if card.get("type") == "ColumnSet" and isinstance(columns, list) and len(columns) == 3:
            rows.append(tuple(c["items"][0]["text"] for c in columns))
        for value in card.values():
            rows += clock_rows(value)
    elif isinstance(card, list):
        for value in card:
            rows += clock_rows(value)
    return rows


def hub_post_id(bot: BotUnderTest, marker: str, conversation: str = HUB_CHANNEL) -> str:
    return next(
        r.response["id"]
        for r in bot.connector.sent_activities
        if r.conversation_id == conversation and marker in text_of(r.body)
    )


async def hub_action(
    bot: BotUnderTest, verb: str, data: dict[str, Any], *, marker: str = f"Rapid review: case {REF}"
) -> dict[str, Any]:
    reply = await bot.send(
        bot.teams.card_action(
            HUB,
            verb,
            {"reference": REF, **data},
            team_id=HUB_TEAM,
            channel_id=HUB_CHANNEL,
            reply_to_id=hub_post_id(bot, marker),
        )
    )
    assert reply.status == 200, reply.text
    body: dict[str, Any] = reply.body
    return body


def vote_action(
    user: TeamsUser, bot: BotUnderTest, verb: str, data: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    return bot.teams.card_action(
        user,
        verb,
        {"reference": REF, "round": 1, **data},
        team_id=HUB_TEAM,
        channel_id=CSPRG_CHANNEL,
        reply_to_id=hub_post_id(bot, "CSPR Group vote", CSPRG_CHANNEL),
        **kw,
    )


def ballot(user: TeamsUser, choice: str, *criteria: str) -> dict[str, Any]:
    return {"choice": choice, "criteria": ",".join(criteria), "rationale": RATIONALES[user.name]}


async def write_report(bot: BotUnderTest, lead: TeamsUser, **answers: str) -> str:
    """The lead writes and sends the report on its one card; returns the receipt's text."""
    await bot.send(bot.teams.personal_message(lead, f"report {REF}"))
    if answers.get("nil_return") == "true":
        await press(bot, lead, nil_return="true", nil_reason=answers["nil_reason"], facts="")
    else:
        await press(bot, lead, nil_return="false", nil_reason="", facts=answers["facts"])
        await press(bot, lead, actions=answers["actions"])
        await press(bot, lead, learning=answers["learning"], welfare_considered="true", welfare="")
    assert "Check and send" in text_of(shown(bot, lead))
    sent = await press(bot, lead, "submit")
    return text_of(sent["value"])


@pytest.fixture
async def journey(make_bot) -> tuple[BotUnderTest, Clock]:  # type: ignore[no-untyped-def]
    clock = Clock(FIXED_NOW)
    bot: BotUnderTest = await make_bot(now=clock)
    await register(bot, "register hub", admin=ADMIN)
    await register(bot, "register csprg", admin=ADMIN, channel_id=CSPRG_CHANNEL)
    await register(bot, "register partners", admin=ADMIN, channel_id=PARTNERS_CHANNEL)
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    await fill_in(bot, PRACTITIONER)
    await press(bot, PRACTITIONER, "submit")
    await deliver(bot, clock.now)
    await hub_action(
        bot, "case.panel_notified", {"notified_on": "2026-11-26"}, marker=f"Case {REF}"
    )
    return bot, clock


async def test_a_full_rapid_review_from_the_agencies_to_the_panel(
    journey: tuple[BotUnderTest, Clock], log_records: list[logging.LogRecord]
) -> None:
    bot, clock = journey
    await assert_status_matches_clocks(bot, clock)

    # 1. The Hub starts the rapid review from the case card and chooses three agencies.
    for someone in (AMIRA, DAVID, OMAR, SAM, FIONA, MARK):  # they have talked to the bot
        await bot.send(bot.teams.personal_message(someone, "help"))
    chooser = await hub_action(bot, "rapid_review.choose", {}, marker=f"Case {REF}")
    assert "Thursday 3 December 2026" in text_of(chooser["value"]), "5 working days from today"
    started = await hub_action(
        bot,
        "rapid_review.start",
        {"agencies": f"{SCHOOL},{POLICE},{COUNCIL}"},
        marker=f"Case {REF}",
    )
    assert f"Rapid review: case {REF}" in text_of(started["value"])
    await deliver(bot, clock.now)
    for lead in (AMIRA, DAVID, OMAR):
        request = text_of(bot.connector.cards(personal_conversation_id(lead.id)))
        assert f"Rapid review report requested: case {REF}" in request
        assert "Thursday 3 December 2026" in request
    tracker = text_of(bot.connector.cards(HUB_CHANNEL, include_updates=False))
    assert f"Rapid review: case {REF}" in tracker
    assert (await stored_case(bot)).stage is Stage.RAPID_REVIEW
    status = await assert_status_matches_clocks(bot, clock)
    assert f"Agency report for the rapid review ({SCHOOL})" in status

    # 2. Reports: the school twice (the second replaces the first), the police a nil return,
    # the council a day late.
    first = await write_report(
        bot, AMIRA, facts="First draft.", actions="None yet.", learning="Unsure."
    )
    assert "has been sent to the Hub" in first
    second = await write_report(
        bot, AMIRA, facts=SCHOOL_FACTS, actions="Referral to MASH made.", learning="Escalation."
    )
    assert "replaces your earlier version" in second
    await write_report(bot, DAVID, nil_return="true", nil_reason="No police contact with family.")
    await bot.send(bot.teams.personal_message(PRACTITIONER, f"report {REF}"))
    assert "can't submit an agency report" in bot.connector.texts()[-1]
    clock.set(datetime(2026, 12, 4, 10, tzinfo=UTC))
    late = await write_report(
        bot,
        OMAR,
        facts="Early help closed in October.",
        actions="Case reopened.",
        learning="Step-down.",
    )
    assert "recorded as late" in late
    await deliver(bot, clock.now)
    assert await count(bot, AgencyReportRow) == 3
    trail = [e.kind for e in (await stored_case(bot)).events]
    assert trail.count("rapid_review.agency_submitted") == 3
    assert trail.count(rr.REPORT_REPLACED) == 1
    updated_tracker = text_of(
        [u.body for u in bot.connector.updates if u.conversation_id == HUB_CHANNEL]
    )
    assert "Met late, on Friday 4 December 2026" in updated_tracker, "the tracker updated in place"
    await assert_status_matches_clocks(bot, clock)

    # 3-4. The vote opens; members who have talked to the bot are in refresh.userIds.
    opened = await hub_action(bot, "rapid_review.open_vote", {})
    assert "CSPR Group vote" in text_of(opened["value"])
    await deliver(bot, clock.now)
    vote_card = bot.connector.cards(CSPRG_CHANNEL, include_updates=False)[-1]
    assert sorted(vote_card["refresh"]["userIds"]) == sorted([SAM.id, FIONA.id, MARK.id])

    # A partner confirming before the vote has closed is refused, and audited.
    early = await bot.send(
        bot.teams.card_action(PARTNER, "partners.confirm", {"reference": REF, "round": 1})
    )
    assert early.body["statusCode"] == 400
    assert "has not made a recommendation" in early.body["value"]["message"]

    # Three members vote at the same instant: every vote counts.
    replies = await asyncio.gather(
        bot.send(vote_action(SAM, bot, "vote.cast", ballot(SAM, "local_cspr", "multi_agency"))),
        bot.send(vote_action(FIONA, bot, "vote.cast", ballot(FIONA, "local_cspr", "improvements"))),
        bot.send(vote_action(MARK, bot, "vote.cast", ballot(MARK, "learning_review"))),
    )
    for reply in replies:
        assert reply.body["statusCode"] == 200, reply.body
        assert "Your vote was recorded" in text_of(reply.body["value"])
    assert await count(bot, VoteRow) == 3
    assert [e.kind for e in (await stored_case(bot)).events].count(rr.VOTE_CAST) == 3

    # A second click of the same button records nothing new; a non-member is refused.
    again = await bot.send(
        vote_action(SAM, bot, "vote.cast", ballot(SAM, "local_cspr", "multi_agency"))
    )
    assert "Already recorded at" in text_of(again.body["value"])
    assert [e.kind for e in (await stored_case(bot)).events].count(rr.VOTE_CAST) == 3
    stranger = await bot.send(vote_action(PARTNER, bot, "vote.cast", ballot(SAM, "no_review")))
    assert stranger.body["statusCode"] == 400

    # Each member sees their own vote; the shared card says who voted, not how.
    mine = await bot.send(vote_action(SAM, bot, "vote.refresh", {}, trigger="automatic"))
    assert RATIONALES["Sam Hughes"] in text_of(mine.body["value"])
    theirs = await bot.send(vote_action(FIONA, bot, "vote.refresh", {}, trigger="automatic"))
    assert RATIONALES["Sam Hughes"] not in text_of(theirs.body["value"])
    await deliver(bot, clock.now)
    shared = text_of(
        [u.body for u in bot.connector.updates if u.conversation_id == CSPRG_CHANNEL][-1]
    )
    assert "Voted" in shared
    assert "Local child safeguarding" not in shared.split("Your recommendation")[0]

    # The Hub closes the vote, with its reason: 2 of 3 for a local CSPR; the partners are asked.
    await hub_action(bot, "rapid_review.close_vote", {"reason": "Every member has voted."})
    assert (await stored_case(bot)).stage is Stage.PARTNERS_DECISION
    late_vote = await bot.send(vote_action(MARK, bot, "vote.cast", ballot(MARK, "no_review")))
    assert "has closed" in late_vote.body["value"]["message"]
    await deliver(bot, clock.now)
    partners_post = text_of(bot.connector.cards(PARTNERS_CHANNEL, include_updates=False))
    assert "Local child safeguarding practice review" in partners_post
    await assert_status_matches_clocks(bot, clock)

    # 5. The partners confirm (every partner in the directory, by default).
    for partner in (PARTNER, HELEN, DAVID):
        reply = await bot.send(
            bot.teams.card_action(partner, "partners.confirm", {"reference": REF, "round": 1})
        )
        assert reply.body["statusCode"] == 200, reply.body
    case = await stored_case(bot)
    assert rr.state_of(case).confirmed is rr.Recommendation.LOCAL_CSPR

    # 6. The Panel receives the rapid review (in time) and agrees with a local review.
    clock.set(datetime(2026, 12, 8, 10, tzinfo=UTC))
    await hub_action(bot, "rapid_review.sent", {"sent_on": "2026-12-08"})
    status = await assert_status_matches_clocks(bot, clock)
    assert "Panel's answer to the rapid review" in status or "Panel" in status
    clock.set(datetime(2026, 12, 18, 10, tzinfo=UTC))
    await hub_action(
        bot, "rapid_review.panel_decided", {"decision": "agrees", "decided_on": "2026-12-17"}
    )
    case = await stored_case(bot)
    assert case.stage is Stage.LOCAL_REVIEW
    assert any(e.kind == "review.started" for e in case.events)
    await assert_status_matches_clocks(bot, clock)

    # 7. The document for the Panel: links in a personal chat, both formats, access-logged.
    await bot.send(bot.teams.personal_message(HUB, f"rapid-review {REF}"))
    links = bot.connector.last_card()
    urls = [a["url"] for a in links["actions"]]
    for url in urls:
        path = url.split("localhost:3978", 1)[1]
        response = await bot.client.get(path)
        assert response.status == 200
        document = await response.text()
        assert SCHOOL_FACTS in document
        assert RATIONALES["Mark Ellis"] in document
        assert "No police contact with family." in document
        assert CANARY_NAME not in document, "no identifiers beyond what the Hub configured"
    forged = await bot.client.get(
        urls[0].split("localhost:3978", 1)[1].replace("token=", "token=x")
    )
    assert forged.status == 403

    await deliver(bot, clock.now)
    assert channel_posts(bot.connector)
    assert_no_canaries(
        bot.connector,
        log_records,
        [CANARY_NAME, SCHOOL_FACTS, "Early help closed", "No police contact", *RATIONALES.values()],
    )


async def test_a_deputy_votes_in_the_seat_and_an_incomplete_vote_goes_to_the_hub_at_its_deadline(
    journey: tuple[BotUnderTest, Clock],
) -> None:
    bot, clock = journey
    await hub_action(bot, "rapid_review.start", {"agencies": SCHOOL}, marker=f"Case {REF}")
    await deliver(bot, clock.now)
    await hub_action(bot, "rapid_review.open_vote", {"anyway": "yes"})  # the report is not in
    await deliver(bot, clock.now)

    deputy = await bot.send(
        vote_action(JO, bot, "vote.cast", ballot(SAM, "local_cspr", "cross_boundary"))
    )
    assert "Your vote was recorded" in text_of(deputy.body["value"])
    await bot.send(vote_action(FIONA, bot, "vote.cast", ballot(FIONA, "no_review")))
    elsewhere = await bot.send(
        vote_action(
            MARK, bot, "vote.cast", {**ballot(MARK, "no_review"), "reference": "NL-2026-0002"}
        )
    )
    assert "can't find case NL-2026-0002" in elsewhere.body["value"]["message"]
    await deliver(bot, clock.now)
    shared = text_of(
        [u.body for u in bot.connector.updates if u.conversation_id == CSPRG_CHANNEL][-1]
    )
    assert "Voted at 10:00 on Thursday 26 November 2026 (by Jo Patel)" in shared

    # The vote's last day (3 working days) passes: the scheduler closes it, tied.
    clock.set(datetime(2026, 12, 2, 10, tzinfo=UTC))
    await deliver(bot, clock.now)
    case = await stored_case(bot)
    referred = [e for e in case.events if e.kind == rr.DISPUTE_REFERRED]
    assert [e.data["about"] for e in referred] == ["csprg_vote"]
    assert case.stage is Stage.RECOMMENDATION
    assert "Difference of opinion: case NL-2026-0001" in text_of(bot.connector.cards(HUB_CHANNEL))
    late = await bot.send(vote_action(MARK, bot, "vote.cast", ballot(MARK, "no_review")))
    assert "has closed" in late.body["value"]["message"]
    assert (await stored_case(bot)).events[-1].kind == rr.REFUSED, "the refusal is in the trail"

    # A second round reaches a recommendation, and a partner sends it back with a reason.
    await hub_action(bot, "rapid_review.open_vote", {"anyway": "yes"})
    await deliver(bot, clock.now)
    second = text_of(bot.connector.cards(CSPRG_CHANNEL, include_updates=False)[-1])
    assert "Second vote after a tie" in second
    for member in (SAM, FIONA, MARK):
        await bot.send(
            vote_action(member, bot, "vote.cast", {**ballot(member, "learning_review"), "round": 2})
        )
    await hub_action(bot, "rapid_review.close_vote", {"reason": "All three have voted."})
    challenge = await bot.send(
        bot.teams.card_action(
            HELEN,
            "partners.challenge",
            {"reference": REF, "round": 2, "reason": "Consider a local CSPR.", "outcome": "return"},
        )
    )
    assert "returned to the CSPR Group" in text_of(challenge.body["value"])
    case = await stored_case(bot)
    assert case.stage is Stage.RECOMMENDATION
    assert case.events[-1].why == "Consider a local CSPR."
    await assert_status_matches_clocks(bot, clock)


async def test_a_rapid_review_link_with_a_forged_token_is_refused_with_how_to_get_a_new_one(
    bot: BotUnderTest,
) -> None:
    response = await bot.client.get("/rapid-review/NL-2026-0001.html?token=forged.token")

    assert response.status == 403
    page = await response.text()
    assert "not valid, or has expired" in page
    assert "rapid-review NL-2026-0001" in page
    missing = await bot.client.get("/rapid-review/not-a-case.md?token=forged.token")
    assert missing.status == 404
