"""The hash chain as stored: every append is linked, and tampering in the database is found."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot_app.admin.trail import verify_all, verify_case
from safeguarding.case import Actor, Case, Stage
from safeguarding.reference import CaseReference
from safeguarding.trail import TrailReport
from storage import db
from storage.uow import UnitOfWork
from tests.integration.commands import run_module

Sessions = async_sessionmaker[AsyncSession]

HUB = Actor(id="hub-1", name="Priya Shah")
T0 = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)


async def open_case(sessions: Sessions, number: int = 1) -> str:
    reference = CaseReference(prefix="NL", year=2026, number=number)
    case = Case.open(
        reference=reference, aware_on=date(2026, 11, 2), incident_on=None, actor=HUB, at=T0
    )
    async with UnitOfWork(sessions) as uow:
        await uow.cases.add(case)
        await uow.commit()
    async with UnitOfWork(sessions) as uow:  # a second save appends to the stored chain
        case = await uow.cases.get(reference)
        case.move_to(Stage.PANEL_NOTIFIED, actor=HUB, at=T0 + timedelta(days=1), why="On time")
        case.record("vote", actor=HUB, at=T0 + timedelta(days=2), what="Voted.", why="Rationale")
        await uow.cases.save(case)
        await uow.commit()
    return str(reference)


async def verify(sessions: Sessions, reference: str) -> TrailReport:
    async with UnitOfWork(sessions) as uow:
        return await verify_case(uow, reference)


async def tamper(engine: AsyncEngine, sql: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(text(sql))


async def test_events_saved_in_several_transactions_form_one_intact_chain(
    session_factory: Sessions,
) -> None:
    reference = await open_case(session_factory)

    report = await verify(session_factory, reference)

    assert report.intact, report.problems
    assert report.events == 3


async def test_an_event_edited_in_the_database_is_reported_with_its_number(
    session_factory: Sessions, engine: AsyncEngine
) -> None:
    reference = await open_case(session_factory)
    await tamper(engine, "UPDATE case_events SET what = 'Nothing happened.' WHERE seq = 2")

    report = await verify(session_factory, reference)

    assert [p.seq for p in report.problems] == [2]
    assert "changed after it was recorded" in report.problems[0].message


async def test_a_deleted_event_is_reported_as_missing(
    session_factory: Sessions, engine: AsyncEngine
) -> None:
    reference = await open_case(session_factory)
    await tamper(engine, "DELETE FROM case_events WHERE seq = 2")

    report = await verify(session_factory, reference)

    assert not report.intact
    assert any("entry 2 is missing" in p.message for p in report.problems)


async def test_a_reason_blanked_in_the_database_is_reported(
    session_factory: Sessions, engine: AsyncEngine
) -> None:
    reference = await open_case(session_factory)
    await tamper(engine, "UPDATE case_events SET why = NULL WHERE seq = 3")

    report = await verify(session_factory, reference)

    assert [p.message for p in report.problems] == [
        "the reason recorded for entry 3 was erased without the retention policy."
    ]


async def test_verifying_every_case_reports_only_the_tampered_one(
    session_factory: Sessions, engine: AsyncEngine
) -> None:
    await open_case(session_factory, 1)
    await open_case(session_factory, 2)
    await tamper(
        engine,
        "UPDATE case_events SET actor_name = 'Someone else' WHERE seq = 1 AND case_id = "
        "(SELECT id FROM cases WHERE reference = 'NL-2026-0002')",
    )

    async with UnitOfWork(session_factory) as uow:
        reports = await verify_all(uow)

    assert [(r.reference, r.intact) for r in reports] == [
        ("NL-2026-0001", True),
        ("NL-2026-0002", False),
    ]


async def test_events_stored_before_the_chain_existed_are_chained_by_the_migration(
    database_url: str,
) -> None:
    config = db.alembic_config(database_url)
    await asyncio.to_thread(command.upgrade, config, "0001")
    engine = db.create_engine(database_url)
    try:
        await tamper(
            engine,
            "INSERT INTO cases (id, reference, prefix, year, number, stage, version, aware_on, "
            "opened_at, facts, updated_at) VALUES (1, 'NL-2025-0001', 'NL', 2025, 1, 'notified', "
            "1, '2025-01-06', '2025-01-06 10:00:00.250000+00:00', '{}', "
            "'2025-01-07 11:00:00+00:00')",
        )
        for seq, at, why in (
            (1, "2025-01-06 10:00:00.250000", None),
            (2, "2025-01-07 11:00:00", "Late"),
        ):
            await tamper(
                engine,
                "INSERT INTO case_events (case_id, seq, at, actor_id, actor_name, kind, what, why, "
                f"data) VALUES (1, {seq}, '{at}+00:00', 'hub-1', 'Zoë Hub', 'note', 'Noted é.', "
                f"{'NULL' if why is None else repr(why)}, '{{\"n\": {seq}}}')",
            )
        await db.migrate(database_url)
        report = await verify(db.session_factory(engine), "NL-2025-0001")
    finally:
        await engine.dispose()

    assert report.intact, report.problems
    assert report.events == 2


async def test_the_command_line_check_exits_1_when_a_trail_was_tampered_with(
    session_factory: Sessions, engine: AsyncEngine, migrated_url: str
) -> None:
    reference = await open_case(session_factory)

    def check(*arguments: str) -> Awaitable[subprocess.CompletedProcess[str]]:
        return run_module("bot_app.admin.trail", "verify", *arguments, database_url=migrated_url)

    intact = await check(reference.lower())
    await tamper(engine, "UPDATE case_events SET kind = 'vote.withdrawn' WHERE seq = 3")
    tampered = await check("--all")
    unknown = await check("NL-2026-0099")

    assert intact.returncode == 0, intact.stderr
    assert "is intact: 3 entries" in intact.stdout
    assert tampered.returncode == 1
    assert "TAMPERED" in tampered.stdout
    assert "Entry 3:" in tampered.stdout
    assert "1 trail(s) checked, 1 tampered with." in tampered.stdout
    assert unknown.returncode == 2
    assert "can't find case NL-2026-0099" in unknown.stderr
    assert "Traceback" not in tampered.stderr + unknown.stderr
