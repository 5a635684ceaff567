"""A difference of opinion climbs the whole ladder and is resolved by mediation, on the record.

Through the real app, adapter, dialog, scheduler and outbox, on SQLite and PostgreSQL, with
the demo directory's people: Amira Khan (Riverside Primary School's safeguarding lead)
raises it; the CSPR Group core members and the Hub take part at stage 1, the safeguarding
partners join at stage 2, and Ruth Bell, the Independent Scrutiny Officer, at stage 3.
The narrative must never reach a channel or a log, and the case's statutory clocks must
not move.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from typing import Any

from safeguarding.case_clocks import CaseClock, case_clocks
from safeguarding.reference import CaseReference
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.disputes_support import (
    execute_actions,
    personal_posts,
    press_on,
    raise_dispute,
    shown,
)
from tests.e2e.reminders_support import (
    HUB_CHANNEL,
    HUB_TEAM,
    PARTNERS_CHANNEL,
    Clock,
    case_events,
    deliver,
    record_event,
    register,
)
from tests.e2e.seed import ADMIN, HUB, MEMBER, PARTNER, PRACTITIONER, demo_user, seed_case
from tests.e2e.test_evidence_export import download, export_links
from tests.e2e.test_notification_journey import CANARY_NAME, STEPS, press
from tests.harness.activities import TeamsUser, personal_conversation_id, thread_id
from tests.harness.canary import assert_no_canaries, log_records
from tests.harness.cards import assert_valid_card, card_in_invoke_response

__all__ = ["log_records"]  # the fixture, imported for this module's tests

REF = "NL-2026-0001"
SCHOOL = "Riverside Primary School"
LEAD = demo_user("Amira Khan")  # Riverside Primary School's safeguarding lead: the raiser
FIONA = demo_user("Fiona Grant")  # CSPR Group core member
HELEN = demo_user("Helen Moss")  # safeguarding partner (ICB)
ISO = demo_user("Ruth Bell")  # Independent Scrutiny Officer
CSPRG_CHANNEL = thread_id("CSPR Group channel")

POSITION = "Quillonfax position: Zephyrine's harm meets the definition"
REASONS = "Quillonfax reasons: the injury will have a long-term effect"
RESPONSE = "Quillonfax response from the CSPR Group"
ESCALATION = "Quillonfax escalation: no agreement at liaison"
OUTCOME = "Quillonfax outcome: mediation agreed a local CSPR"
CANARIES = [CANARY_NAME, "Zephyrine", "Quillonfax", "long-term effect"]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def personal_cards(bot: BotUnderTest, user: TeamsUser) -> list[str]:
    """Every card (sent or updated) in the user's personal chat, whichever id it has: opened
    by the bot with their object id, or known from a message they sent."""
    chats = {personal_conversation_id(user.id), personal_conversation_id(user.aad_object_id)}
    return [json.dumps(card, ensure_ascii=False) for c in chats for card in bot.connector.cards(c)]


def posts_to(bot: BotUnderTest, conversation_id: str) -> list[str]:
    return [
        json.dumps(card, ensure_ascii=False)
        for card in bot.connector.cards(conversation_id, include_updates=False)
    ]


def notices(bot: BotUnderTest, conversation_id: str, headline: str) -> list[str]:
    return [p for p in posts_to(bot, conversation_id) if headline in p and REF in p]


async def act(bot: BotUnderTest, user: TeamsUser, verb: str, **data: Any) -> dict[str, Any]:
    """Press a card button in the user's personal chat; the answer's body."""
    reply = await bot.send(bot.teams.card_action(user, verb, {"reference": REF, **data}))
    assert reply.status == 200
    card = card_in_invoke_response(reply.body)
    if card is not None:
        assert_valid_card(card)
    return dict(reply.body)


def refusal(body: dict[str, Any]) -> str:
    assert body["statusCode"] == 400, body
    return str(body["value"]["message"])


async def clocks(bot: BotUnderTest, today: date) -> list[CaseClock]:
    engine = create_engine(bot.settings.database_url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            case = await uow.cases.get(CaseReference.parse(REF))
    finally:
        await engine.dispose()
    return case_clocks(
        case,
        today=today,
        calendar=bot.settings.calendar(),
        table=bot.settings.clocks(),
        convention=bot.settings.counting_convention,
    )


async def start(make_bot: Any, clock: Clock, **settings: Any) -> BotUnderTest:
    """The bot with its three channels registered and a case notified by Riverside's
    practitioner (Tom Reed), so its Hub card is in the Hub channel."""
    bot: BotUnderTest = await make_bot(now=clock, **settings)
    await register(bot, "register hub", admin=ADMIN)
    await register(bot, "register csprg", channel_id=CSPRG_CHANNEL, admin=ADMIN)
    await register(bot, "register partners", channel_id=PARTNERS_CHANNEL, admin=ADMIN)
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    for step, values in STEPS.items():
        await press(
            bot, PRACTITIONER, **({**values, "agency": SCHOOL} if step == "reporter" else values)
        )
    await press(bot, PRACTITIONER, "submit")
    await deliver(bot, clock.now)
    return bot


async def raise_it(bot: BotUnderTest) -> dict[str, Any]:
    """Amira raises it on the raise card; the card as it ends."""
    summary = await raise_dispute(bot, LEAD, REF, position=POSITION, reasons=REASONS)
    assert not execute_actions(summary), "the raise card ends without live buttons"
    return summary


def dispute_posts(bot: BotUnderTest, user: TeamsUser) -> list[str]:
    """The dispute cards posted to the user: each party should have exactly one."""
    return [
        json.dumps(c, ensure_ascii=False)
        for c in personal_posts(bot, user)
        if "Difference of opinion 1 on NL-2026-0001" in json.dumps(c) and "Respond" in json.dumps(c)
    ]


async def test_a_difference_of_opinion_goes_through_all_three_stages_to_a_mediated_outcome(
    make_bot: Any, log_records: list[logging.LogRecord]
) -> None:
    clock = Clock(FIXED_NOW)  # Thursday 26 November 2026
    bot = await start(make_bot, clock)
    clocks_before = await clocks(bot, date(2026, 12, 21))

    # -- raise: Amira, in personal chat ---------------------------------------------------
    raised = json.dumps(await raise_it(bot))
    assert "Difference of opinion 1 on NL-2026-0001" in raised
    assert "Raised by Amira Khan at 10:00 on Thursday 26 November 2026" in raised
    assert "Thursday 3 December 2026" in raised
    await deliver(bot, clock.now)
    assert len(dispute_posts(bot, LEAD)) == 1, "the raiser gets one card, never two"

    for channel in (HUB_CHANNEL, CSPRG_CHANNEL):
        [notice] = notices(bot, channel, "New difference of opinion")
        assert "Whether the case meets the criteria" in notice
        assert "Thursday 3 December 2026" in notice
    assert not notices(bot, PARTNERS_CHANNEL, "difference of opinion"), "not at stage 1"
    for party in (MEMBER, FIONA, HUB):
        assert any(POSITION in c and REASONS in c for c in personal_cards(bot, party)), party
    for outsider in (PARTNER, HELEN, ISO):
        assert not any(POSITION in c for c in personal_cards(bot, outsider)), outsider
    await bot.send(bot.teams.personal_message(HELEN, "disputes"))
    assert "no open differences of opinion" in json.dumps(bot.connector.last_card())
    await bot.send(bot.teams.personal_message(FIONA, "disputes"))
    assert "Thursday 3 December 2026" in json.dumps(bot.connector.last_card())
    hub_updates = [
        json.dumps(u.body) for u in bot.connector.updates if u.conversation_id == HUB_CHANNEL
    ]
    assert any(
        "1 open difference of opinion (stage 1, target Thursday 3 December 2026)" in u
        for u in hub_updates
    )

    # -- stage 1: a non-party is refused; a core member responds -----------------------------
    message = refusal(await act(bot, PARTNER, "dispute.respond", number=1, stage=1, response="x"))
    assert "not a party" in message
    answer = await act(bot, MEMBER, "dispute.respond", number=1, stage=1, response=RESPONSE)
    assert RESPONSE in json.dumps(answer["value"])
    await deliver(bot, clock.now)
    assert any(RESPONSE in c for c in personal_cards(bot, LEAD)), "the raiser's copy is updated"

    # -- reminders: two working days before the target, once --------------------------------
    await deliver(bot, clock.set(utc(2026, 12, 1, 9)))
    await deliver(bot, clock.advance(minutes=5))
    for channel in (HUB_CHANNEL, CSPRG_CHANNEL):
        assert len(notices(bot, channel, "Target in 2 working days")) == 1

    # -- the service was down over the target: only the Hub's prompt, late, once -------------
    await deliver(bot, clock.set(utc(2026, 12, 7, 12)))
    await deliver(bot, clock.advance(minutes=5))
    [prompt] = notices(bot, HUB_CHANNEL, "Target passed: escalate or resolve")
    assert "Sent late" in prompt
    assert not notices(bot, HUB_CHANNEL, "Target today"), "a stale reminder is skipped"
    assert not notices(bot, CSPRG_CHANNEL, "Target passed"), "the prompt is for the Hub"

    # -- escalate to stage 2: the Hub, from its personal card ---------------------------------
    answer = await act(bot, HUB, "dispute.escalate", number=1, stage=1, reason=ESCALATION)
    assert "Stage 2 of 3" in json.dumps(answer["value"])
    stale = await act(bot, MEMBER, "dispute.escalate", number=1, stage=1, reason="again")
    assert "Already done: escalated to stage 2 by Priya Shah" in json.dumps(stale["value"])
    await deliver(bot, clock.now)
    [notice] = notices(bot, PARTNERS_CHANNEL, "escalated to stage 2")
    assert "Monday 14 December 2026" in notice
    for partner in (PARTNER, HELEN):
        assert any(ESCALATION in c for c in personal_cards(bot, partner)), partner
    for party in (LEAD, MEMBER, FIONA, HUB, PARTNER, HELEN):
        assert len(dispute_posts(bot, party)) == 1, f"{party.name}: one card, redrawn in place"
    answer = await act(bot, PARTNER, "dispute.respond", number=1, stage=2, response=RESPONSE)
    assert answer["statusCode"] == 200

    await deliver(bot, clock.set(utc(2026, 12, 10, 9)))
    assert len(notices(bot, PARTNERS_CHANNEL, "Target in 2 working days")) == 1
    await deliver(bot, clock.set(utc(2026, 12, 15, 9)))
    assert len(notices(bot, HUB_CHANNEL, "Target passed: escalate or resolve")) == 2

    # -- escalate to stage 3: mediation by the Independent Scrutiny Officer -------------------
    clock.advance(hours=1)
    await act(bot, PARTNER, "dispute.escalate", number=1, stage=2, reason=ESCALATION)
    await deliver(bot, clock.now)
    assert any("Stage 3 of 3" in c and POSITION in c for c in personal_cards(bot, ISO))
    [notice] = notices(bot, PARTNERS_CHANNEL, "escalated to stage 3")
    assert "Tuesday 22 December 2026" in notice

    past = await act(bot, HUB, "dispute.escalate", number=1, stage=3, reason="further")
    assert "no further stage" in refusal(past)
    not_hers = await act(bot, HUB, "dispute.resolve", number=1, stage=3, outcome=OUTCOME)
    assert "Independent Scrutiny Officer" in refusal(not_hers)
    empty = await act(bot, ISO, "dispute.resolve", number=1, stage=3, outcome="  ")
    assert "agreed outcome" in refusal(empty)

    await bot.send(bot.teams.personal_message(HUB, "disputes"))
    assert "Tuesday 22 December 2026" in json.dumps(bot.connector.last_card())

    resolved = await act(bot, ISO, "dispute.resolve", number=1, stage=3, outcome=OUTCOME)
    assert "Resolved on Tuesday 15 December 2026" in json.dumps(resolved["value"])
    await deliver(bot, clock.now)
    for channel in (HUB_CHANNEL, PARTNERS_CHANNEL):
        assert len(notices(bot, channel, "Difference of opinion 1 resolved")) == 1
    last_hub_card = [
        json.dumps(u.body) for u in bot.connector.updates if u.conversation_id == HUB_CHANNEL
    ][-1]
    assert "open difference of opinion" not in last_hub_card
    await bot.send(bot.teams.personal_message(HUB, "disputes"))
    assert "no open differences of opinion" in json.dumps(bot.connector.last_card())

    # -- the record, the clocks, and nothing in a channel or a log ----------------------------
    kinds = [k for k in await case_events(bot, REF) if k.startswith("dispute.")]
    assert kinds == [
        "dispute.raised",
        "dispute.responded",
        "dispute.escalated",
        "dispute.responded",
        "dispute.escalated",
        "dispute.resolved",
    ]
    assert await clocks(bot, date(2026, 12, 21)) == clocks_before
    assert_no_canaries(bot.connector, log_records, CANARIES)


async def test_raising_goes_to_personal_chat_and_is_refused_on_a_closed_case(
    make_bot: Any,
) -> None:
    clock = Clock(FIXED_NOW)
    bot = await start(make_bot, clock)

    # The Hub card's Disagree button, pressed in the Hub channel, starts it privately.
    card_post = next(
        r
        for r in bot.connector.sent_activities
        if r.conversation_id == HUB_CHANNEL and f"Case {REF}" in json.dumps(r.body)
    )
    assert "Disagree (personal chat)" in json.dumps(card_post.body)
    reply = await bot.send(
        bot.teams.card_action(
            MEMBER,
            "dispute.start",
            {"reference": REF},
            team_id=HUB_TEAM,
            channel_id=HUB_CHANNEL,
            reply_to_id=card_post.response["id"],
        )
    )
    assert "personal message" in reply.body["value"]
    await deliver(bot, clock.now)
    [form] = [c for c in personal_posts(bot, MEMBER) if "Raise a difference of opinion" in str(c)]
    assert "Step 1 of 3" in json.dumps(form)

    # Next without an answer, Back and Cancel: one card throughout, and nothing is raised.
    unanswered = shown(await press_on(bot, MEMBER, form, "Next"))
    assert "Please choose what the difference of opinion is about" in json.dumps(unanswered)
    second = shown(await press_on(bot, MEMBER, unanswered, "Next", topic="process"))
    assert "Step 2 of 3" in json.dumps(second)
    back = shown(await press_on(bot, MEMBER, second, "Back", position="Half typed"))
    assert "Step 1 of 3" in json.dumps(back)
    assert '"value": "process"' in json.dumps(back), "the answer is kept"
    cancelled = shown(await press_on(bot, MEMBER, back, "Cancel"))
    assert "nothing was saved" in json.dumps(cancelled)
    assert not execute_actions(cancelled)
    assert not [k for k in await case_events(bot, REF) if k.startswith("dispute.")]

    # A practitioner has no standing to raise one; a closed case takes none.
    await bot.send(bot.teams.personal_message(PRACTITIONER, f"disagree {REF}"))
    assert "can't raise a difference of opinion" in bot.connector.texts()[-1]
    closed = await seed_case(bot.settings, 2, closed=True)
    await bot.send(bot.teams.personal_message(HUB, f"disagree {closed}"))
    assert "is closed" in bot.connector.texts()[-1]
    assert "Nothing was changed" in bot.connector.texts()[-1]


async def test_one_card_per_party_the_ladder_in_order_and_a_receipt_for_every_press(
    make_bot: Any,
) -> None:
    clock = Clock(FIXED_NOW)  # Thursday 26 November 2026: stage 1's target Thursday 3 December
    bot = await start(make_bot, clock)
    await bot.send(bot.teams.personal_message(LEAD, f"disagree {REF}"))
    form = bot.connector.last_card()
    topic_step = shown(await press_on(bot, LEAD, form, "Next", topic="criteria"))
    position_step = shown(
        await press_on(bot, LEAD, topic_step, "Next", position=POSITION, reasons=REASONS)
    )
    summary = shown(await press_on(bot, LEAD, position_step, "Raise it"))
    assert "Raised by Amira Khan at 10:00 on Thursday 26 November 2026" in json.dumps(summary)

    # A step of the raise card pressed again (a copy still open elsewhere): said, not raised.
    again = shown(await press_on(bot, LEAD, topic_step, "Next", topic="process"))
    assert "Already done: raised by Amira Khan, at 10:00 on Thursday 26 November 2026" in str(again)
    assert not execute_actions(again)
    await deliver(bot, clock.now)
    [card] = dispute_posts(bot, LEAD)
    [post] = [
        r
        for r in bot.connector.sent_activities
        if "Difference of opinion 1 on NL-2026-0001" in json.dumps(r.body)
        and "Respond" in json.dumps(r.body)
        and r.conversation_id
        in {personal_conversation_id(LEAD.aad_object_id), personal_conversation_id(LEAD.id)}
    ]

    # Amira escalates at once: refused, with the reason, until she says why.
    clock.set(utc(2026, 12, 1, 11))  # Tuesday 1 December
    early = refusal(await act(bot, LEAD, "dispute.escalate", number=1, stage=1, reason="No"))
    assert "stage 1 (liaison with the partners' representatives and the Hub)" in early
    assert "has not been tried" in early
    assert "Nothing was changed" in early
    escalated = await act(
        bot,
        LEAD,
        "dispute.escalate",
        number=1,
        stage=1,
        reason=ESCALATION,
        skip_reason="Quillonfax: the partners must decide before the strategy meeting",
    )
    answer = json.dumps(escalated["value"])
    assert "Escalated to stage 2 by Amira Khan, at 11:00 on Tuesday 1 December 2026" in answer
    assert (
        "Tuesday 8 December 2026 (5 working days after the day stage 2 began, Tuesday 1 "
        "December 2026)" in answer
    )
    assert "Stage 1: began Thursday 26 November 2026, target Thursday 3 December 2026" in answer
    assert "without a response (reason recorded)" in answer

    # The same press again: already done, about the escalation, at its time.
    repeat = await act(bot, LEAD, "dispute.escalate", number=1, stage=1, reason=ESCALATION)
    assert (
        "Already done: escalated to stage 2 by Amira Khan, at 11:00 on Tuesday 1 December 2026"
        in json.dumps(repeat["value"])
    )

    # Everyone's one card is redrawn in place; the partners joining get theirs.
    await deliver(bot, clock.now)
    assert dispute_posts(bot, LEAD) == [card], "no second card for the raiser"
    redrawn = [u for u in bot.connector.updates if u.activity_id == post.response["id"]]
    assert redrawn, "Amira's card is updated in place"
    assert "Stage 2 of 3" in json.dumps(redrawn[-1].body)
    assert "Tuesday 8 December 2026" in json.dumps(redrawn[-1].body)
    for partner in (PARTNER, HELEN):
        [theirs] = dispute_posts(bot, partner)
        assert "Tuesday 8 December 2026" in theirs
    [notice] = notices(bot, PARTNERS_CHANNEL, "escalated to stage 2")
    assert "Tuesday 8 December 2026" in notice
    assert any(
        "Why stage 1 was not tried first: Quillonfax: the partners must decide" in c
        for c in personal_cards(bot, HELEN)
    ), "the reason for skipping stage 1 is on the record the parties see"


async def test_a_passed_target_escalates_automatically_when_the_partnership_chooses_it(
    make_bot: Any,
) -> None:
    clock = Clock(FIXED_NOW)
    bot = await start(make_bot, clock, dispute_auto_escalate=True, dispute_stage_days="2,5,5")
    await raise_it(bot)
    await deliver(bot, clock.now)

    # Target: Monday 30 November; the next working day at 09:00 it goes to the partners.
    await deliver(bot, clock.set(utc(2026, 12, 1, 9)))
    await deliver(bot, clock.advance(minutes=5))

    assert len(notices(bot, PARTNERS_CHANNEL, "escalated to stage 2")) == 1
    assert not notices(bot, HUB_CHANNEL, "Target passed")
    kinds = [k for k in await case_events(bot, REF) if k.startswith("dispute.")]
    assert kinds == ["dispute.raised", "dispute.escalated"]


async def test_the_hub_opens_a_dispute_referred_by_the_rapid_review(make_bot: Any) -> None:
    clock = Clock(FIXED_NOW)
    bot = await start(make_bot, clock)
    await record_event(bot, REF, "dispute.referred", clock.now, {"origin": "rapid_review"})

    await deliver(bot, clock.advance(minutes=1))
    await deliver(bot, clock.advance(minutes=1))
    [offer] = notices(bot, HUB_CHANNEL, "Difference of opinion referred")
    assert "Open a difference of opinion" in offer

    answer = await act(bot, HUB, "dispute.from_referral", referral=3)
    assert "refer" in refusal(answer).lower()  # the seq of the referral is not 3
    events = await case_events(bot, REF)
    seq = events.index("dispute.referred") + 1
    answer = await act(bot, HUB, "dispute.from_referral", referral=seq)
    assert "Difference of opinion 1 on NL-2026-0001" in json.dumps(answer["value"])
    assert "Opened by Priya Shah, at 10:02 on Thursday 26 November 2026" in json.dumps(
        answer["value"]
    )
    assert not execute_actions(answer["value"]), "the referral card ends as a summary"
    again = await act(bot, HUB, "dispute.from_referral", referral=seq)
    assert "Already done: opened as difference of opinion 1" in json.dumps(again["value"])
    await deliver(bot, clock.now)
    assert len(notices(bot, CSPRG_CHANNEL, "New difference of opinion")) == 1
    assert [k for k in await case_events(bot, REF) if k == "dispute.raised"] == ["dispute.raised"]


async def test_the_evidence_bundle_carries_every_position_and_the_outcome(
    make_bot: Any,
) -> None:
    clock = Clock(FIXED_NOW)
    bot = await start(make_bot, clock)
    await raise_it(bot)
    await act(bot, HUB, "dispute.resolve", number=1, stage=1, outcome=OUTCOME)
    again = await act(bot, FIONA, "dispute.resolve", number=1, stage=1, outcome="Also agreed")
    assert "Already done: resolved by Priya Shah, at 10:00 on Thursday 26 November 2026" in (
        json.dumps(again["value"])
    )

    _html, json_path = await export_links(bot, REF)
    status, bundle, _headers = await download(bot, json_path)

    assert status == 200
    disputes = [e for e in bundle["events"] if e["kind"].startswith("dispute.")]
    assert [e["kind"] for e in disputes] == ["dispute.raised", "dispute.resolved"]
    assert POSITION in disputes[0]["why"]
    assert REASONS in disputes[0]["why"]
    assert disputes[1]["why"] == OUTCOME
    assert disputes[1]["actor"]["name"] == "Priya Shah"
