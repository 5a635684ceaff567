"""Action plans, run as services on a real database (SQLite and PostgreSQL): no Teams involved."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot_app.action_plans import action_services, services
from bot_app.action_plans.action_services import ActionsView
from bot_app.action_plans.messages import ActionPlanMessages
from bot_app.action_plans.scheduled import ActionFollowUps
from bot_app.action_plans.services import Changed
from bot_app.action_plans.views import ActionPlanViews, PlanSettings
from bot_app.cases.messages import HubCards
from bot_app.cases.views import CaseSettings, CaseViews
from bot_app.core.transactions import Transactions
from safeguarding.action_plans import (
    ActionStatus,
    FollowUpPolicy,
    PlanAction,
    PlanNotReady,
    PlanOwner,
    StaleAction,
)
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.disputes import DisputePolicy
from safeguarding.errors import InvalidInput
from safeguarding.milestones import PUBLISHED
from safeguarding.policy import Forbidden
from safeguarding.reference import CaseReference
from safeguarding.reminders import ChannelPurpose
from safeguarding.roles import Person, Role
from storage import db
from storage.channels import RegisteredChannel
from storage.outbox import ConversationTarget, OutboxRow
from storage.people import GrantSource
from storage.uow import UnitOfWork

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)  # Tuesday
TODAY = date(2026, 12, 1)
REF = CaseReference.parse("NL-2026-0001")
POLICE = "Humberside Police"
HUB = Person("hub-1", "Priya Shah", roles=frozenset({Role.HUB_OFFICER}))
MEMBER = Person("member-1", "Fiona Grant", roles=frozenset({Role.CSPRG_MEMBER}))
PARTNER = Person("partner-1", "Helen Moss", roles=frozenset({Role.PARTNER}))
OWNER = Person(
    "owner-1",
    "Olu Ade",
    email="olu@police.example",
    agency=POLICE,
    roles=frozenset({Role.PRACTITIONER}),
)
STRANGER = Person("stranger-1", "Sam Lee", roles=frozenset({Role.PRACTITIONER}))
CALENDAR = WorkingDayCalendar()
SETTINGS = PlanSettings(
    calendar=CALENDAR, default_owner=PlanOwner.CSPRG, follow_ups=FollowUpPolicy()
)
VIEWS = ActionPlanViews(SETTINGS)


class Directory:
    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return [p for p in (HUB, MEMBER, PARTNER) if p.has(role)]


HUB_CARDS = HubCards(
    CaseViews(
        CaseSettings(
            reference_prefix="NL",
            calendar=CALENDAR,
            clocks=STATUTORY_CLOCKS,
            convention=CountingConvention.EXCLUDE_START,
            hub_contact="hub@example.org",
            dispute_policy=DisputePolicy(),
        )
    ),
    Directory(),
)


def published_case(reference: CaseReference = REF) -> Case:
    """A case whose local CSPR report was published: the events the reviews record."""
    hub = Actor(HUB.object_id, HUB.name)
    case = Case.open(
        reference=reference,
        aware_on=date(2026, 1, 5),
        incident_on=date(2026, 1, 2),
        actor=hub,
        at=datetime(2026, 1, 5, 9, tzinfo=UTC),
    )
    for stage in (Stage.RAPID_REVIEW, Stage.RECOMMENDATION, Stage.PARTNERS_DECISION):
        case.move_to(stage, actor=hub, at=datetime(2026, 1, 20, 9, tzinfo=UTC))
    case.move_to(Stage.LOCAL_REVIEW, actor=hub, at=datetime(2026, 1, 21, 9, tzinfo=UTC))
    case.record(
        PUBLISHED,
        actor=hub,
        at=NOW - timedelta(days=1),
        what="The report was published.",
        data={"published_on": "2026-11-30"},
    )
    case.move_to(Stage.PUBLISHED, actor=hub, at=NOW - timedelta(days=1))
    return case


@pytest.fixture
async def tx(migrated_database_url: str) -> AsyncIterator[Transactions]:
    engine = db.create_engine(migrated_database_url)
    try:
        tx = Transactions(db.session_factory(engine))

        async def setup(uow: UnitOfWork) -> None:
            await uow.cases.add(published_case())
            for person in (HUB, MEMBER, PARTNER, OWNER, STRANGER):
                await uow.people.put_person(
                    object_id=person.object_id,
                    name=person.name,
                    email=person.email or f"{person.object_id}@example.org",
                    agency=person.agency,
                    at=NOW,
                )
                for role in person.roles:
                    await uow.people.grant(
                        person.object_id,
                        role,
                        deputy_for=None,
                        source=GrantSource.FILE,
                        at=NOW,
                        by="test",
                    )

        await tx.run(setup)
        yield tx
    finally:
        await engine.dispose()


async def add(
    tx: Transactions,
    *,
    owner: str = "olu@police.example",
    due_on: date = date(2026, 12, 18),
    person: Person = HUB,
    activity: str = "add-1",
    reference: CaseReference = REF,
) -> Changed:
    cmd = action_services.AddAction(
        reference=reference,
        person=person,
        description="Reissue the referral pathway to every officer",
        owner=owner,
        agency="",
        due_on=due_on,
        national=False,
        activity_id=activity,
    )
    return await tx.run(
        lambda uow: action_services.add_action(
            cmd, uow, now=NOW, today=TODAY, settings=SETTINGS, hub_cards=HUB_CARDS
        )
    )


async def status(
    tx: Transactions,
    number: int,
    revision: int,
    to: str,
    text: str = "",
    *,
    person: Person = OWNER,
    activity: str = "status-1",
) -> Changed:
    cmd = action_services.ChangeStatus(REF, number, revision, to, text, person, activity)
    return await tx.run(
        lambda uow: action_services.change_status(
            cmd, uow, now=NOW, today=TODAY, settings=SETTINGS, hub_cards=HUB_CARDS
        )
    )


async def close_plan(tx: Transactions, person: Person = MEMBER) -> Changed:
    cmd = services.ClosePlan(REF, person, f"close-{person.object_id}")
    return await tx.run(
        lambda uow: services.close_plan(
            cmd, uow, now=NOW, today=TODAY, settings=SETTINGS, hub_cards=HUB_CARDS
        )
    )


async def plan_events(tx: Transactions) -> list[str]:
    case = await tx.read(lambda uow: uow.cases.get(REF))
    return [e.kind for e in case.events if e.kind.startswith("action_plan.")]


async def queued(tx: Transactions, prefix: str) -> dict[str, str]:
    """Queued outbox activities whose key starts with ``prefix``: key -> JSON."""

    async def read(uow: UnitOfWork) -> dict[str, str]:
        rows = await uow.session.execute(
            select(OutboxRow.key, OutboxRow.activity).where(OutboxRow.key.startswith(prefix))
        )
        return {key: json.dumps(activity) for key, activity in rows.all()}

    return await tx.read(read)


# -- the plan ------------------------------------------------------------------------------


async def test_adding_an_action_stores_it_in_the_trail_and_for_the_owners_list(
    tx: Transactions,
) -> None:
    added = await add(tx)

    assert added.what == "Action 1 added for Olu Ade (Humberside Police)"
    assert added.case.stage is Stage.ACTION_PLAN
    mine = await tx.read(
        lambda uow: action_services.list_actions(OWNER, ActionsView.MINE, uow, today=TODAY)
    )
    assert [(a.case_reference, a.number, a.agency) for a in mine] == [("NL-2026-0001", 1, POLICE)]
    assert mine[0].description == "Reissue the referral pathway to every officer"


async def test_an_owner_outside_the_directory_or_a_past_date_changes_nothing(
    tx: Transactions,
) -> None:
    with pytest.raises(InvalidInput, match="directory"):
        await add(tx, owner="nobody@example.org")
    with pytest.raises(InvalidInput, match="in the past"):
        await add(tx, due_on=TODAY - timedelta(days=1))

    assert await plan_events(tx) == []
    assert await tx.read(lambda uow: uow.action_plans.actions_of(str(REF))) == []


async def test_only_the_hub_and_the_owning_group_add_actions(tx: Transactions) -> None:
    with pytest.raises(Forbidden, match="managed by the Hub and the CSPR Group"):
        await add(tx, person=OWNER)
    assert await plan_events(tx) == []


async def test_the_plan_is_followed_to_the_end_and_closes_the_case(tx: Transactions) -> None:
    await add(tx)
    with pytest.raises(PlanNotReady) as refused:
        await close_plan(tx)
    assert "action 1 (Humberside Police, due Friday 18 December 2026) is open" in str(refused.value)
    assert "not yet signed the plan off" in str(refused.value)
    assert (await tx.read(lambda uow: uow.cases.get(REF))).stage is Stage.ACTION_PLAN

    with pytest.raises(InvalidInput, match="evidence"):
        await status(tx, 1, 1, "done")
    evidence = action_services.RecordEvidence(
        REF, 1, 1, "Pathway reissued on 3 December", OWNER, "ev-1"
    )
    recorded = await tx.run(
        lambda uow: action_services.record_evidence(
            evidence, uow, now=NOW, today=TODAY, settings=SETTINGS, hub_cards=HUB_CARDS
        )
    )
    done = await status(tx, 1, recorded.plan.action(1).revision, "done")
    assert done.plan.action(1).status is ActionStatus.DONE

    sign = services.SignOff(REF, TODAY, PARTNER, "sign-1")
    signed = await tx.run(
        lambda uow: services.sign_off(
            sign, uow, now=NOW, today=TODAY, settings=SETTINGS, hub_cards=HUB_CARDS
        )
    )
    assert signed.plan.signed_off is not None

    closed = await close_plan(tx)

    assert closed.case.stage is Stage.CLOSED
    assert closed.what == "Action plan closed, and case NL-2026-0001 closed with it"
    assert await plan_events(tx) == [
        "action_plan.action_added",
        "action_plan.evidence_recorded",
        "action_plan.status_changed",
        "action_plan.signed_off",
        "action_plan.closed",
    ]
    # A closed case keeps its history: the plan still opens, the actions still read back.
    shown = await tx.read(lambda uow: services.open_plan(REF, uow, settings=SETTINGS))
    assert shown.plan.is_closed
    assert shown.plan.action(1).evidence == "Pathway reissued on 3 December"
    stored = await tx.read(lambda uow: uow.action_plans.plan(str(REF)))
    assert stored is not None
    assert stored.closed_at is not None
    assert stored.signed_off_on == TODAY


async def test_someone_elses_action_or_a_stale_card_is_refused_and_changes_nothing(
    tx: Transactions,
) -> None:
    await add(tx)
    with pytest.raises(Forbidden, match="Olu Ade's"):
        await status(tx, 1, 1, "in_progress", person=STRANGER)
    await status(tx, 1, 1, "in_progress", activity="press-1")
    with pytest.raises(StaleAction, match="out of date"):
        await status(tx, 1, 1, "open", activity="press-2")

    assert await plan_events(tx) == ["action_plan.action_added", "action_plan.status_changed"]


async def test_a_redelivered_press_is_recorded_once(tx: Transactions) -> None:
    await add(tx, activity="press-1")
    again = await add(tx, activity="press-1")

    assert again.replayed
    assert await plan_events(tx) == ["action_plan.action_added"]


async def test_overdue_lists_show_what_each_person_may_see(tx: Transactions) -> None:
    await add(tx, due_on=TODAY)
    later = TODAY + timedelta(days=1)

    async def overdue(person: Person) -> list[PlanAction]:
        return await tx.read(
            lambda uow: action_services.list_actions(person, ActionsView.OVERDUE, uow, today=later)
        )

    assert [a.number for a in await overdue(HUB)] == [1]
    assert [a.number for a in await overdue(OWNER)] == [1]
    assert await overdue(STRANGER) == []


# -- the follow-up sweep -------------------------------------------------------------------


def sweep(tx: Transactions, page_size: int = 200) -> ActionFollowUps:
    return ActionFollowUps(
        tx=tx, views=VIEWS, messages=ActionPlanMessages(views=VIEWS), page_size=page_size
    )


def at_nine(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 1, tzinfo=UTC)


async def register_police_channel(tx: Transactions) -> None:
    channel = RegisteredChannel(
        purpose=ChannelPurpose.AGENCY,
        agency=POLICE,
        channel_id="19:police",
        team_id=None,
        team_name=None,
        channel_name=None,
        target=ConversationTarget("19:police", "https://smba.example/", "tenant", "28:bot"),
        registered_by="admin-1",
        registered_by_name="Ada Admin",
        registered_at=NOW,
    )
    await tx.run(lambda uow: uow.channels.register(channel))


async def test_the_owner_is_followed_up_before_on_and_after_the_due_day_each_once(
    tx: Transactions,
) -> None:
    await register_police_channel(tx)
    await add(tx)  # due Friday 18 December 2026
    pass_ = sweep(tx)

    assert await pass_.tick(at_nine(date(2026, 12, 10))) == 0  # nothing due yet
    assert await pass_.tick(at_nine(date(2026, 12, 11))) == 1  # 5 working days before
    assert await pass_.tick(at_nine(date(2026, 12, 11)) + timedelta(hours=1)) == 0  # never twice
    assert await pass_.tick(at_nine(date(2026, 12, 18))) == 1  # on the day
    assert await pass_.tick(at_nine(date(2026, 12, 21))) == 1  # overdue
    assert await pass_.tick(at_nine(date(2026, 12, 21))) == 0
    assert await pass_.tick(at_nine(date(2026, 12, 29))) == 1  # a week on (28th: Boxing Day)

    owner = await queued(tx, "action-follow-up:NL-2026-0001/1/")
    personal = sorted(k for k in owner if k.endswith(":owner"))
    assert personal == [
        "action-follow-up:NL-2026-0001/1/before/2026-12-11:owner",
        "action-follow-up:NL-2026-0001/1/due/2026-12-18:owner",
        "action-follow-up:NL-2026-0001/1/overdue/2026-12-21:owner",
        "action-follow-up:NL-2026-0001/1/overdue/2026-12-29:owner",
    ]
    first = owner["action-follow-up:NL-2026-0001/1/before/2026-12-11:owner"]
    assert "Action due in 5 working days" in first
    assert "Reissue the referral pathway" in first
    # The agency's channel sees the reference, the action's number and the due date only.
    line = owner["action-follow-up:NL-2026-0001/1/due/2026-12-18:agency"]
    assert "NL-2026-0001 \\u00b7 action 1 \\u00b7 due Friday 18 December 2026" in line
    assert "Reissue" not in line
    assert "Olu" not in line


async def test_a_done_action_gets_no_more_follow_ups(tx: Transactions) -> None:
    await add(tx)
    pass_ = sweep(tx)
    assert await pass_.tick(at_nine(date(2026, 12, 11))) == 1
    await status(tx, 1, 1, "done", "Reissued")

    for day in (date(2026, 12, 18), date(2026, 12, 21), date(2027, 1, 4)):
        assert await pass_.tick(at_nine(day)) == 0
    assert list(await queued(tx, "action-follow-up:")) == [
        "action-follow-up:NL-2026-0001/1/before/2026-12-11:owner"
    ]


async def test_after_downtime_only_the_latest_missed_follow_up_is_sent_marked_late(
    tx: Transactions,
) -> None:
    await add(tx)

    assert await sweep(tx).tick(at_nine(date(2026, 12, 22)) + timedelta(hours=3)) == 1

    sent = await queued(tx, "action-follow-up:")
    assert list(sent) == ["action-follow-up:NL-2026-0001/1/overdue/2026-12-21:owner"]
    assert "Sent late" in next(iter(sent.values()))


async def test_a_page_boundary_skips_no_action(tx: Transactions) -> None:
    for number in range(5):
        await add(tx, activity=f"add-{number}", due_on=date(2026, 12, 18))

    assert await sweep(tx, page_size=2).tick(at_nine(date(2026, 12, 18))) == 5

    keys = await queued(tx, "action-follow-up:")
    assert sorted(keys) == [
        f"action-follow-up:NL-2026-0001/{n}/due/2026-12-18:owner" for n in range(1, 6)
    ]
    assert await sweep(tx, page_size=2).tick(at_nine(date(2026, 12, 18))) == 0
