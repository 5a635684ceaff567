"""Action plans as stored: saved from the trail, read across cases, followed up once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from safeguarding import action_plans as ap
from safeguarding.action_plans import ActionStatus, FollowUp, FollowUpKind, PlanOwner
from safeguarding.case import Actor, Case, Stage
from safeguarding.milestones import PUBLISHED
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage.uow import UnitOfWork

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)
TODAY = date(2026, 12, 1)
HUB = Person(object_id="hub-1", name="Hana Hub", roles=frozenset({Role.HUB_OFFICER}))
OWNER = Person(object_id="ow-1", name="Olu Owner", agency="Humberside Police")
HUB_ACTOR = Actor(id="hub-1", name="Hana Hub")


def published(number: int) -> Case:
    case = Case.open(
        reference=CaseReference("NL", 2026, number),
        aware_on=date(2026, 1, 5),
        incident_on=None,
        actor=HUB_ACTOR,
        at=NOW - timedelta(days=300),
    )
    for stage in (Stage.RAPID_REVIEW, Stage.RECOMMENDATION, Stage.PARTNERS_DECISION):
        case.move_to(stage, actor=HUB_ACTOR, at=NOW - timedelta(days=200))
    case.move_to(Stage.LOCAL_REVIEW, actor=HUB_ACTOR, at=NOW - timedelta(days=180))
    case.record(
        PUBLISHED,
        actor=HUB_ACTOR,
        at=NOW - timedelta(days=1),
        what="Published.",
        data={"published_on": "2026-11-30"},
    )
    case.move_to(Stage.PUBLISHED, actor=HUB_ACTOR, at=NOW - timedelta(days=1))
    return case


def first(_action: ap.PlanAction) -> datetime | None:
    return NOW + timedelta(days=3)


async def test_a_plan_is_stored_as_its_trail_tells_it_and_read_by_owner_agency_and_due(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(session_factory) as uow:
        case = published(1)
        await uow.cases.add(case)
        for due in (date(2026, 12, 18), TODAY):
            ap.add_action(
                case,
                description="Reissue the pathway",
                agency="",
                owner=OWNER,
                due_on=due,
                national=False,
                actor=HUB_ACTOR,
                at=NOW,
                today=TODAY,
                default_owner=PlanOwner.CSPRG,
            )
        await uow.cases.save(case)
        await uow.action_plans.save(ap.plan_of(case), now=NOW, first_follow_up=first)
        await uow.commit()

    async with UnitOfWork(session_factory) as uow:
        mine = await uow.action_plans.owned_by("ow-1")
        assert [(a.number, a.due_on) for a in mine] == [(2, TODAY), (1, date(2026, 12, 18))]
        assert mine[0].description == "Reissue the pathway"
        assert [a.number for a in await uow.action_plans.of_agency("humberside  police")] == [2, 1]
        assert [a.number for a in await uow.action_plans.overdue(TODAY + timedelta(days=1))] == [2]
        record = await uow.action_plans.plan("NL-2026-0001")
        assert record is not None
        assert record.actions == 2
        assert record.owner is PlanOwner.CSPRG
        page = await uow.action_plans.due(NOW + timedelta(days=3), limit=10)
        assert [d.number for d in page] == [1, 2]

    async with UnitOfWork(session_factory) as uow:
        case = await uow.cases.get(CaseReference("NL", 2026, 1))
        ap.change_status(
            case,
            2,
            ActionStatus.DONE,
            person=HUB,
            actor=HUB_ACTOR,
            at=NOW,
            revision=1,
            default_owner=PlanOwner.CSPRG,
            text="Evidence",
        )
        await uow.cases.save(case)
        await uow.action_plans.save(ap.plan_of(case), now=NOW, first_follow_up=first)
        await uow.commit()

    async with UnitOfWork(session_factory) as uow:
        assert [a.number for a in await uow.action_plans.owned_by("ow-1")] == [1]
        done = await uow.action_plans.find("NL-2026-0001", 2)
        assert done is not None
        assert done.status is ActionStatus.DONE
        assert done.evidence == "Evidence"
        assert await uow.action_plans.next_follow_up_at("NL-2026-0001", 2) is None
        assert [d.number for d in await uow.action_plans.due(NOW + timedelta(days=9), limit=9)] == [
            1
        ]


async def test_a_follow_up_is_recorded_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    follow_up = FollowUp(NOW, FollowUpKind.DUE, TODAY)
    results = []
    for _ in range(2):
        async with UnitOfWork(session_factory) as uow:
            results.append(
                await uow.action_plans.record_follow_up(
                    "NL-2026-0001", 1, follow_up, late=False, now=NOW
                )
            )
            await uow.commit()
    assert results == [True, False]
    async with UnitOfWork(session_factory) as uow:
        assert await uow.action_plans.follow_up_keys("NL-2026-0001", 1) == {
            follow_up.key("NL-2026-0001", 1)
        }


async def test_anonymising_a_case_erases_what_was_typed_about_its_actions(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(session_factory) as uow:
        case = published(2)
        await uow.cases.add(case)
        ap.add_action(
            case,
            description="Reissue the pathway",
            agency="",
            owner=OWNER,
            due_on=TODAY,
            national=False,
            actor=HUB_ACTOR,
            at=NOW,
            today=TODAY,
            default_owner=PlanOwner.CSPRG,
        )
        await uow.cases.save(case)
        await uow.action_plans.save(ap.plan_of(case), now=NOW, first_follow_up=first)
        await uow.action_plans.erase_text("NL-2026-0002")
        await uow.commit()

    async with UnitOfWork(session_factory) as uow:
        action = await uow.action_plans.find("NL-2026-0002", 1)
    assert action is not None
    assert action.description is None
    assert action.text == ap.ERASED
    assert (action.agency, action.due_on) == ("Humberside Police", TODAY)
