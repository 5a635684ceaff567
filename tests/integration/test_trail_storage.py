"""The keyed chain as stored: every append is sealed, and tampering in the database is found -
even by someone who recomputes the fingerprints, or cuts the end off."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import subprocess
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot_app.admin.trail import reseal_case, verify_all, verify_case
from safeguarding.case import Actor, Case, Stage
from safeguarding.reference import CaseReference
from safeguarding.trail import (
    TrailKeys,
    TrailReport,
    legacy_fingerprint,
    legacy_text_digest,
    parse_checkpoints,
)
from storage import db
from storage.details import FernetCipher
from storage.models import CaseEventRow
from storage.uow import UnitOfWork
from tests.integration.commands import run_module

Sessions = async_sessionmaker[AsyncSession]

HUB = Actor(id="hub-1", name="Priya Shah")
T0 = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
TRAIL_KEY = "trail key for the storage tests: 32 bytes or more"
KEYS = TrailKeys((TRAIL_KEY.encode(),))
DATA_KEY = Fernet.generate_key()
CIPHER = FernetCipher([DATA_KEY])


def unit(sessions: Sessions, keys: TrailKeys = KEYS) -> UnitOfWork:
    return UnitOfWork(sessions, cipher=CIPHER, trail=keys)


async def open_case(sessions: Sessions, number: int = 1) -> str:
    reference = CaseReference(prefix="NL", year=2026, number=number)
    case = Case.open(
        reference=reference, aware_on=date(2026, 11, 2), incident_on=None, actor=HUB, at=T0
    )
    async with unit(sessions) as uow:
        await uow.cases.add(case)
        await uow.commit()
    async with unit(sessions) as uow:  # a second save appends to the stored chain
        case = await uow.cases.get(reference)
        case.move_to(Stage.PANEL_NOTIFIED, actor=HUB, at=T0 + timedelta(days=1), why="On time")
        case.record("vote", actor=HUB, at=T0 + timedelta(days=2), what="Voted.", why="Rationale")
        await uow.cases.save(case)
        await uow.commit()
    return str(reference)


async def verify(sessions: Sessions, reference: str, **kw: object) -> TrailReport:
    async with unit(sessions) as uow:
        return await verify_case(uow, reference, **kw)  # type: ignore[arg-type]


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

    async with unit(session_factory) as uow:
        reports = await verify_all(uow)

    assert [(r.reference, r.intact) for r in reports] == [
        ("NL-2026-0001", True),
        ("NL-2026-0002", False),
    ]


async def test_events_stored_before_the_chain_existed_are_sealed_once_by_the_key_holder(
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
        sessions = db.session_factory(engine)
        before = await verify(sessions, "NL-2025-0001")
        async with unit(sessions) as uow:
            refused = await reseal_case(uow, "NL-2025-0001")  # without --legacy
            await uow.commit()
        async with unit(sessions) as uow:
            await reseal_case(uow, "NL-2025-0001", legacy=True)
            await uow.commit()
        after = await verify(sessions, "NL-2025-0001")
    finally:
        await engine.dispose()

    assert [p.unsealed for p in before.problems] == [True, True], "format 1: chained, unkeyed"
    assert not refused.intact
    assert after.intact, after.problems
    assert after.events == 2


@pytest.mark.sqlite_only  # the command line is the same program on either database
async def test_the_command_line_check_exits_1_when_a_trail_was_tampered_with(
    session_factory: Sessions, engine: AsyncEngine, migrated_url: str
) -> None:
    reference = await open_case(session_factory)

    def check(*arguments: str) -> Awaitable[subprocess.CompletedProcess[str]]:
        return run_module(
            "bot_app.admin.trail",
            "verify",
            *arguments,
            database_url=migrated_url,
            TRAIL_KEYS=TRAIL_KEY,
            DATA_ENCRYPTION_KEYS=DATA_KEY.decode(),
        )

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


async def test_an_edited_entry_re_chained_with_the_public_function_is_reported(
    session_factory: Sessions,
) -> None:
    """The attack that passed before the trail was keyed: edit an entry, then recompute
    every fingerprint from the stored rows with the published canonical form."""
    reference = await open_case(session_factory)
    async with unit(session_factory) as uow:
        stored = await uow.trail.trail(reference)
        assert stored is not None
        prev = stored.links[0].prev_hash
        for link in stored.links:
            event = link.event
            if event.seq == 2:
                event = dataclasses.replace(event, what="Nothing happened.")
            digest = legacy_text_digest(event.why)
            forged = legacy_fingerprint(event, prev_hash=prev, why_digest=digest)
            await uow.session.execute(
                update(CaseEventRow)
                .where(CaseEventRow.seq == event.seq)
                .values(what=event.what, why_digest=digest, prev_hash=prev, hash=forged)
            )
            prev = forged
        await uow.commit()

    report = await verify(session_factory, reference)

    assert not report.intact
    assert {p.seq for p in report.problems} == {1, 2, 3}


async def test_cutting_off_the_end_is_caught_against_the_logged_checkpoint(
    session_factory: Sessions, engine: AsyncEngine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="cspr.trail.checkpoint"):
        reference = await open_case(session_factory)
    logged = parse_checkpoints(caplog.text)
    # Both the last event and the case row's time are cut back, so nothing inside the
    # database gives the truncation away.
    await tamper(engine, "DELETE FROM case_events WHERE seq = 3")
    await tamper(engine, f"UPDATE cases SET updated_at = '{(T0 + timedelta(days=1)).isoformat()}'")

    without = await verify(session_factory, reference)
    report = await verify(session_factory, reference, checkpoints=logged)

    assert [(c.reference, c.seq) for c in logged] == [(reference, 1), (reference, 3)]
    assert TRAIL_KEY not in caplog.text
    assert "Rationale" not in caplog.text
    assert without.intact, "the database alone cannot show it"
    assert [p.message for p in report.problems] == [
        "a checkpoint records entry 3 but the trail ends at entry 2: entries were removed "
        "from the end."
    ]


async def test_a_checkpoint_is_logged_only_once_its_append_is_committed(
    session_factory: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    reference = CaseReference(prefix="NL", year=2026, number=5)
    case = Case.open(
        reference=reference, aware_on=date(2026, 11, 2), incident_on=None, actor=HUB, at=T0
    )

    with caplog.at_level(logging.INFO, logger="cspr.trail.checkpoint"):
        async with unit(session_factory) as uow:
            await uow.cases.add(case)  # never committed

    assert parse_checkpoints(caplog.text) == []


async def test_reasons_are_stored_sealed_and_read_back_in_the_clear(
    session_factory: Sessions,
) -> None:
    reference = await open_case(session_factory)

    async with unit(session_factory) as uow:
        stored = (await uow.session.execute(select(CaseEventRow.why))).scalars().all()
        case = await uow.cases.get(CaseReference.parse(reference))

    assert "Rationale" not in " ".join(w for w in stored if w)
    assert [e.why for e in case.events] == [None, "On time", "Rationale"]


@pytest.mark.sqlite_only  # the command line is the same program on either database
async def test_the_command_line_finds_the_truncation_in_the_log_or_a_bundle(
    session_factory: Sessions,
    engine: AsyncEngine,
    migrated_url: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="cspr.trail.checkpoint"):
        reference = await open_case(session_factory)
    log_file = tmp_path / "bot.log"
    log_file.write_text(caplog.text, encoding="utf-8")
    await tamper(engine, "DELETE FROM case_events WHERE seq = 3")

    done = await run_module(
        "bot_app.admin.trail",
        "verify",
        reference,
        "--checkpoints",
        str(log_file),
        database_url=migrated_url,
        TRAIL_KEYS=TRAIL_KEY,
        DATA_ENCRYPTION_KEYS=DATA_KEY.decode(),
    )

    assert done.returncode == 1, done.stderr
    assert "entries were removed from the end" in done.stdout
