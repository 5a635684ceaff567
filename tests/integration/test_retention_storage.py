"""The retention policy on a real database: report first, then anonymise or delete, with holds."""

from __future__ import annotations

import subprocess
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta

from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot_app.retention import place_hold, release_hold, retention_report, run_retention
from bot_app.trail import verify_all, verify_case
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.reference import CaseReference
from safeguarding.retention import Outcome, RetentionAction, RetentionPolicy
from storage.details import CaseDetailsRepository, FernetCipher
from storage.retention import RetentionRepository
from storage.uow import UnitOfWork
from tests.integration.commands import run_module

Sessions = async_sessionmaker[AsyncSession]

HUB = Actor(id="hub-1", name="Priya Shah")
ADMIN = Actor(id="admin-1", name="Chris Lane")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ENGLAND = WorkingDayCalendar()
CIPHER = FernetCipher([Fernet.generate_key()])
ANONYMISE = RetentionPolicy(years_after_closure=7, action=RetentionAction.ANONYMISE)
DELETE = RetentionPolicy(years_after_closure=7, action=RetentionAction.DELETE)


async def seed(sessions: Sessions, number: int, *, closed_on: date | None) -> CaseReference:
    """A case with a child's details and a reason in its trail; closed on ``closed_on``."""
    reference = CaseReference(prefix="NL", year=2018, number=number)
    opened = datetime(2018, 1, 8, 9, 0, tzinfo=UTC)
    case = Case.open(
        reference=reference, aware_on=date(2018, 1, 8), incident_on=None, actor=HUB, at=opened
    )
    case.record("vote", actor=HUB, at=opened, what="Voted: no review.", why="Narrative rationale")
    if closed_on is not None:
        case.move_to(
            Stage.CLOSED,
            actor=HUB,
            at=datetime.combine(closed_on, datetime.min.time(), UTC) + timedelta(hours=12),
            why="Criteria not met",
        )
    async with UnitOfWork(sessions) as uow:
        await uow.cases.add(case)
        await CaseDetailsRepository(uow.session, CIPHER).put(str(reference), {"name": "Zed"})
        await uow.commit()
    return reference


async def report(sessions: Sessions, policy: RetentionPolicy) -> dict[str, Outcome]:
    async with UnitOfWork(sessions) as uow:
        decisions = await retention_report(uow.session, policy, calendar=ENGLAND, now=NOW)
    return {d.reference: d.outcome for d in decisions}


async def run(sessions: Sessions, policy: RetentionPolicy) -> list[str]:
    outcomes = await run_retention(sessions, policy, calendar=ENGLAND, by=ADMIN, now=lambda: NOW)
    assert all(o.error is None for o in outcomes)
    return [o.decision.reference for o in outcomes]


async def details(sessions: Sessions, reference: CaseReference) -> dict | None:
    async with UnitOfWork(sessions) as uow:
        return await CaseDetailsRepository(uow.session, CIPHER).get(str(reference))


async def test_the_report_says_what_would_happen_and_changes_nothing(
    session_factory: Sessions,
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))
    recent = await seed(session_factory, 2, closed_on=date(2024, 3, 1))
    await seed(session_factory, 3, closed_on=None)

    assert await report(session_factory, ANONYMISE) == {
        str(due): Outcome.ANONYMISE,
        str(recent): Outcome.NOT_DUE,
    }
    assert await details(session_factory, due) == {"name": "Zed"}


async def test_anonymising_erases_details_and_reasons_but_the_trail_still_verifies(
    session_factory: Sessions, engine: AsyncEngine
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))

    assert await run(session_factory, ANONYMISE) == [str(due)]

    assert await details(session_factory, due) is None
    async with UnitOfWork(session_factory) as uow:
        case = await uow.cases.get(due)
        trail = await verify_case(uow.session, str(due))
        log = await RetentionRepository(uow.session).entries()
    assert [e.why for e in case.events[:-1]] == [None, None, None]
    assert case.events[-1].kind == "retention.anonymised"
    assert (case.stage, case.aware_on, case.closed_at is not None) == (
        Stage.CLOSED,
        date(2018, 1, 8),
        True,
    )
    assert trail.intact, trail.problems
    assert [(e.reference, e.action, e.actor_name, e.events) for e in log] == [
        (str(due), "anonymised", "Chris Lane", 4)
    ]
    assert await report(session_factory, ANONYMISE) == {str(due): Outcome.ALREADY_ANONYMISED}
    async with engine.connect() as connection:
        whys = (await connection.execute(text("SELECT why FROM case_events"))).scalars().all()
    assert "Narrative rationale" not in whys


async def test_deleting_removes_the_case_entirely_and_leaves_a_tombstone(
    session_factory: Sessions,
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))
    kept = await seed(session_factory, 2, closed_on=date(2024, 3, 1))

    assert await run(session_factory, DELETE) == [str(due)]

    async with UnitOfWork(session_factory) as uow:
        assert await uow.cases.find(due) is None
        remaining = [r.reference for r in await verify_all(uow.session)]
        (tombstone,) = await RetentionRepository(uow.session).entries()
    assert remaining == [str(kept)]
    assert await details(session_factory, due) is None
    assert (tombstone.reference, tombstone.action, tombstone.events) == (str(due), "deleted", 3)
    assert len(tombstone.head_hash) == 64
    assert "deleted 7 years after closure" in tombstone.policy


async def test_a_case_on_legal_hold_is_left_alone_until_released(
    session_factory: Sessions,
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))
    async with UnitOfWork(session_factory) as uow:
        await place_hold(uow, due, reason="Civil claim", by=ADMIN, at=NOW)
        await uow.commit()

    assert await run(session_factory, DELETE) == []
    assert await report(session_factory, DELETE) == {str(due): Outcome.HELD}
    assert await details(session_factory, due) == {"name": "Zed"}

    async with UnitOfWork(session_factory) as uow:
        await release_hold(uow, due, reason="Claim settled", by=ADMIN, at=NOW)
        await uow.commit()
    assert await run(session_factory, DELETE) == [str(due)]


async def test_the_command_line_reports_by_default_and_acts_only_with_run(
    session_factory: Sessions, migrated_url: str
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))

    def retention(*arguments: str) -> Awaitable[subprocess.CompletedProcess[str]]:
        return run_module(
            "bot_app.retention", *arguments, database_url=migrated_url, RETENTION_ACTION="delete"
        )

    dry = await retention()
    assert dry.returncode == 0, dry.stderr
    assert f"{due}: delete" in dry.stdout
    assert "Nothing was changed" in dry.stdout
    assert await details(session_factory, due) == {"name": "Zed"}

    done = await retention("--run")
    assert done.returncode == 0, done.stderr
    assert f"{due}: deleted" in done.stdout
    async with UnitOfWork(session_factory) as uow:
        assert await uow.cases.find(due) is None
