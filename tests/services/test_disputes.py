"""Differences of opinion, run as services on a real database: no Teams involved."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot_app.cases.messages import HubCards
from bot_app.cases.views import CaseSettings, CaseViews
from bot_app.core.transactions import Transactions
from bot_app.disputes import services
from bot_app.disputes.messages import DisputeMessages, person_key
from bot_app.disputes.scheduled import DisputeTimers
from bot_app.disputes.services import ActOnDispute, RaiseDispute, Step
from bot_app.disputes.views import DisputeViews
from safeguarding import disputes as domain
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import SYSTEM, Case
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.disputes import Dispute, DisputePolicy, Topic
from safeguarding.errors import IllegalTransition
from safeguarding.policy import Forbidden
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage import db
from storage.outbox import OutboxRow
from storage.uow import UnitOfWork

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)  # Thursday: stage 1's target is Thursday 3 Dec
TODAY = date(2026, 11, 26)
REF = CaseReference.parse("NL-2026-0001")
SCHOOL = "Riverside Primary School"
LEAD = Person("lead-1", "Amira Khan", agency=SCHOOL, roles=frozenset({Role.AGENCY_LEAD}))
HUB = Person("hub-1", "Priya Shah", roles=frozenset({Role.HUB_OFFICER}))
MEMBER = Person("member-1", "Fiona Grant", roles=frozenset({Role.CSPRG_MEMBER}))
PARTNER = Person("partner-1", "Helen Moss", roles=frozenset({Role.PARTNER}))
DEPUTY = Person("deputy-1", "Dev Deputy", roles=frozenset({Role.CSPRG_DEPUTY}))
CALENDAR = WorkingDayCalendar()


class Directory:
    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return [p for p in (HUB, MEMBER, PARTNER) if p.has(role)]


def feature(policy: DisputePolicy | None = None) -> tuple[DisputeViews, DisputeMessages]:
    policy = policy or DisputePolicy()
    views = DisputeViews(calendar=CALENDAR, policy=policy)
    case_views = CaseViews(
        CaseSettings(
            reference_prefix="NL",
            calendar=CALENDAR,
            clocks=STATUTORY_CLOCKS,
            convention=CountingConvention.EXCLUDE_START,
            hub_contact="hub@example.org",
            dispute_policy=policy,
        )
    )
    hub_cards = HubCards(case_views, Directory())
    return views, DisputeMessages(views=views, people=Directory(), hub_cards=hub_cards)


VIEWS, MESSAGES = feature()


@pytest.fixture
async def tx(migrated_database_url: str) -> AsyncIterator[Transactions]:
    engine = db.create_engine(migrated_database_url)
    try:
        tx = Transactions(db.session_factory(engine))
        case = Case.open(
            reference=REF,
            aware_on=date(2026, 11, 23),
            incident_on=date(2026, 11, 20),
            actor=SYSTEM,
            at=NOW,
            facts={"agency": SCHOOL},
        )

        async def add(uow: UnitOfWork) -> None:
            await uow.cases.add(case)

        await tx.run(add)
        yield tx
    finally:
        await engine.dispose()


async def raise_one(
    tx: Transactions, token: str = "token-1", messages: DisputeMessages = MESSAGES
) -> Dispute:
    cmd = RaiseDispute(
        reference=REF,
        person=LEAD,
        topic=Topic.CRITERIA,
        position="The harm meets the definition",
        reasons="The injury will have a long-term effect",
        token=token,
    )
    raised = await tx.run(
        lambda uow: services.raise_dispute(cmd, uow, now=NOW, today=TODAY, messages=messages)
    )
    return raised.dispute


async def act(
    tx: Transactions,
    person: Person,
    step: Step,
    *,
    stage: int = 1,
    activity: str = "a-1",
    text: str = "",
    skip_reason: str = "",
    now: datetime = NOW,
) -> services.Acted:
    cmd = ActOnDispute(
        step,
        REF,
        1,
        stage,
        text or f"{step} text",
        person,
        activity,
        skip_reason=skip_reason,
    )
    return await tx.run(
        lambda uow: services.act_on_dispute(
            cmd, uow, now=now, today=TODAY, views=VIEWS, messages=MESSAGES
        )
    )


async def posts_to(tx: Transactions, object_id: str) -> list[str]:
    """The keys of every post (not update) queued for a person's personal chat."""

    async def read(uow: UnitOfWork) -> list[str]:
        rows = await uow.session.scalars(
            select(OutboxRow.key).where(
                OutboxRow.object_id == object_id, OutboxRow.operation == "post"
            )
        )
        return list(rows)

    return await tx.read(read)


async def updates_of(tx: Transactions, original_key: str) -> list[str]:
    """The cards queued to redraw ``original_key`` in place, oldest first, superseded too."""

    async def read(uow: UnitOfWork) -> list[str]:
        rows = await uow.session.scalars(
            select(OutboxRow.activity)
            .where(OutboxRow.original_key == original_key)
            .order_by(OutboxRow.id)
        )
        return [json.dumps(a) for a in rows]

    return await tx.read(read)


async def queued(tx: Transactions, key: str) -> str:
    """The queued card's JSON; "" when nothing was queued under ``key``."""

    async def read(uow: UnitOfWork) -> str:
        activity = await uow.session.scalar(select(OutboxRow.activity).where(OutboxRow.key == key))
        return "" if activity is None else json.dumps(activity)

    return await tx.read(read)


async def dispute_events(tx: Transactions) -> list[str]:
    case = await tx.read(lambda uow: uow.cases.get(REF))
    return [e.kind for e in case.events if e.kind.startswith("dispute.")]


async def test_raising_tells_stage_1_parties_personally_but_not_the_partners(
    tx: Transactions,
) -> None:
    dispute = await raise_one(tx)

    assert dispute.title == "Difference of opinion 1 on NL-2026-0001"
    assert "Thursday 3 December 2026" in VIEWS.raised_receipt(dispute)
    for party in (LEAD, HUB, MEMBER):
        card = await queued(tx, person_key(dispute, party.object_id))
        assert "The harm meets the definition" in card, party.name
    assert await queued(tx, person_key(dispute, PARTNER.object_id)) == ""
    assert await posts_to(tx, LEAD.object_id) == [person_key(dispute, LEAD.object_id)], (
        "the raiser gets one card, not a second copy"
    )


async def test_pressing_raise_twice_raises_one_dispute(tx: Transactions) -> None:
    first = await raise_one(tx)
    second = await raise_one(tx)

    assert second.number == first.number
    assert await dispute_events(tx) == ["dispute.raised"]


async def test_a_non_party_may_not_respond(tx: Transactions) -> None:
    await raise_one(tx)

    with pytest.raises(Forbidden, match="not a party"):
        await act(tx, PARTNER, Step.RESPOND)
    assert await dispute_events(tx) == ["dispute.raised"]


async def test_a_redelivered_press_is_recorded_once_and_says_when_it_was_done(
    tx: Transactions,
) -> None:
    await raise_one(tx)

    first = await act(tx, MEMBER, Step.RESPOND, activity="press-1")
    again = await act(tx, MEMBER, Step.RESPOND, activity="press-1")
    same_words = await act(tx, MEMBER, Step.RESPOND, activity="press-2")

    assert not first.replayed
    assert first.receipt == (
        "Response recorded: Fiona Grant, at 10:00 on Thursday 26 November 2026. "
        "The other parties' cards show it."
    )
    for repeat in (again, same_words):
        assert repeat.replayed
        assert repeat.receipt == (
            "Already done: this response was recorded for Fiona Grant, at 10:00 on Thursday "
            "26 November 2026. Nothing was changed."
        )
    assert await dispute_events(tx) == ["dispute.raised", "dispute.responded"]


async def test_a_party_card_is_redrawn_in_place_with_the_receipt_for_who_acted(
    tx: Transactions,
) -> None:
    dispute = await raise_one(tx)

    await act(tx, MEMBER, Step.RESPOND, activity="press-1", text="We read it differently")

    [raisers] = await updates_of(tx, person_key(dispute, LEAD.object_id))
    [members] = await updates_of(tx, person_key(dispute, MEMBER.object_id))
    assert "We read it differently" in raisers
    assert "Latest, at 10:00 on Thursday 26 November 2026: Fiona Grant responded." in raisers
    assert "Response recorded: Fiona Grant" in members
    assert await posts_to(tx, LEAD.object_id) == [person_key(dispute, LEAD.object_id)]


async def test_stage_two_needs_a_stage_one_response_or_a_recorded_reason(
    tx: Transactions,
) -> None:
    await raise_one(tx)

    with pytest.raises(domain.NotTried, match="has not been tried"):
        await act(tx, LEAD, Step.ESCALATE, activity="press-1")
    assert await dispute_events(tx) == ["dispute.raised"]

    tuesday = datetime(2026, 12, 1, 11, tzinfo=UTC)
    escalated = await act(
        tx, LEAD, Step.ESCALATE, activity="press-2", skip_reason="Urgent", now=tuesday
    )

    assert int(escalated.dispute.stage) == 2
    assert escalated.receipt.startswith(
        "Escalated to stage 2 by Amira Khan, at 11:00 on Tuesday 1 December 2026. Its target "
        "is Tuesday 8 December 2026 (5 working days after the day stage 2 began, Tuesday 1 "
        "December 2026)."
    )
    case = await tx.read(lambda uow: uow.cases.get(REF))
    assert "Urgent" in (case.events[-1].why or "")


async def test_escalating_again_from_an_earlier_card_says_it_was_already_done(
    tx: Transactions,
) -> None:
    dispute = await raise_one(tx)
    await act(tx, MEMBER, Step.RESPOND, activity="press-0")
    escalated = await act(tx, HUB, Step.ESCALATE, activity="press-1")
    assert int(escalated.dispute.stage) == 2

    again = await act(tx, MEMBER, Step.ESCALATE, stage=1, activity="press-2")
    late = await act(tx, MEMBER, Step.RESPOND, stage=1, activity="press-3")

    assert again.replayed
    assert again.receipt == (
        "Already done: escalated to stage 2 by Priya Shah, at 10:00 on Thursday 26 November "
        "2026. Nothing was changed."
    )
    assert late.warning
    assert late.receipt.startswith("Not recorded: this card was for stage 1")
    assert await dispute_events(tx) == [
        "dispute.raised",
        "dispute.responded",
        "dispute.escalated",
    ]
    assert "Stage 2 of 3" in await queued(tx, person_key(dispute, PARTNER.object_id))
    assert await posts_to(tx, MEMBER.object_id) == [person_key(dispute, MEMBER.object_id)], (
        "stage 2 redraws the member's card; it sends no second one"
    )
    with pytest.raises(IllegalTransition, match="has not reached"):
        await act(tx, HUB, Step.ESCALATE, stage=3, activity="press-4")


async def test_opening_from_a_channel_sends_a_party_their_one_card(tx: Transactions) -> None:
    dispute = await raise_one(tx)

    async def open_as(person: Person) -> services.Opened:
        cmd = services.OpenDispute(REF, 1, person, personal=False)
        return await tx.run(
            lambda uow: services.open_dispute(
                cmd, uow, now=NOW, today=TODAY, views=VIEWS, messages=MESSAGES
            )
        )

    first = await open_as(DEPUTY)  # a party, but not told personally
    second = await open_as(DEPUTY)
    member = await open_as(MEMBER)  # already has it

    assert first.sent_privately
    assert not second.sent_privately
    assert not member.sent_privately
    assert await posts_to(tx, DEPUTY.object_id) == [person_key(dispute, DEPUTY.object_id)]


async def test_the_disputes_list_shows_only_those_a_person_takes_part_in(
    tx: Transactions,
) -> None:
    await raise_one(tx)

    assert len(await tx.read(lambda uow: services.open_disputes_of(MEMBER, uow))) == 1
    assert await tx.read(lambda uow: services.open_disputes_of(PARTNER, uow)) == []


async def test_the_disputes_list_reads_every_case_with_one_page_by_page(tx: Transactions) -> None:
    for number in (2, 3):
        reference = CaseReference.parse(f"NL-2026-000{number}")
        case = Case.open(
            reference=reference,
            aware_on=date(2026, 11, 23),
            incident_on=date(2026, 11, 20),
            actor=SYSTEM,
            at=NOW,
            facts={"agency": SCHOOL},
        )
        await tx.run(lambda uow, case=case: uow.cases.add(case))
        cmd = RaiseDispute(
            reference=reference,
            person=LEAD,
            topic=Topic.CRITERIA,
            position="The harm meets the definition",
            reasons="The injury will have a long-term effect",
            token=f"token-{number}",
        )
        await tx.run(
            lambda uow, cmd=cmd: services.raise_dispute(
                cmd, uow, now=NOW, today=TODAY, messages=MESSAGES
            )
        )
    await raise_one(tx)

    listed = await tx.read(lambda uow: services.open_disputes_of(MEMBER, uow, page_size=1))

    assert len(listed) == 3


async def test_the_tick_reminds_two_working_days_ahead_once(tx: Transactions) -> None:
    await raise_one(tx)
    timers = DisputeTimers(tx=tx, views=VIEWS, messages=MESSAGES)
    tuesday = datetime(2026, 12, 1, 9, 1, tzinfo=UTC)

    assert await timers.tick(tuesday) == 1
    assert await timers.tick(tuesday) == 0

    key = f"dispute-timer:{REF}/1/1/before_2/2026-12-03:person:member-1"
    reminder = await queued(tx, key)
    assert "Target in 2 working days" in reminder


async def test_a_passed_target_escalates_when_the_partnership_chooses_it(
    tx: Transactions,
) -> None:
    views, messages = feature(DisputePolicy(auto_escalate=True))
    await raise_one(tx, messages=messages)
    timers = DisputeTimers(tx=tx, views=views, messages=messages)

    await timers.tick(datetime(2026, 12, 4, 9, 1, tzinfo=UTC))  # Friday: stage 1 passed

    assert await dispute_events(tx) == ["dispute.raised", "dispute.escalated"]
    case = await tx.read(lambda uow: uow.cases.get(REF))
    assert int(domain.find_dispute(case, 1).stage) == 2


async def test_the_hub_opens_a_referred_dispute_once(tx: Transactions) -> None:
    async def refer(uow: UnitOfWork) -> int:
        case = await uow.cases.get(REF)
        event = case.record(
            domain.REFERRED, actor=SYSTEM, at=NOW, what="The CSPR Group vote was tied.", data={}
        )
        await uow.cases.save(case)
        return event.seq

    seq = await tx.run(refer)
    timers = DisputeTimers(tx=tx, views=VIEWS, messages=MESSAGES)
    assert await timers.tick(NOW) == 1
    assert await queued(tx, f"dispute-referral:{REF}:{seq}:person:hub-1") != ""

    cmd = services.OpenFromReferral(REF, seq, HUB)
    for again in (False, True):
        opened = await tx.run(
            lambda uow: services.open_from_referral(
                cmd, uow, now=NOW, today=TODAY, messages=MESSAGES
            )
        )
        assert opened.dispute.topic is Topic.REVIEW_TYPE
        assert opened.again is again
    assert await dispute_events(tx) == ["dispute.referred", "dispute.raised"]
    with pytest.raises(Forbidden):
        await tx.run(
            lambda uow: services.open_from_referral(
                services.OpenFromReferral(REF, seq, MEMBER),
                uow,
                now=NOW,
                today=TODAY,
                messages=MESSAGES,
            )
        )
