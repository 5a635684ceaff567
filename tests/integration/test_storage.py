"""Cases in a real database: round trips, optimistic concurrency and reference allocation.

Every test runs on SQLite and PostgreSQL (see tests/conftest.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from safeguarding.case import SYSTEM, Actor, Case, Stage
from safeguarding.errors import ConcurrencyConflict, NotFound
from safeguarding.reference import CaseReference
from storage import db
from storage.models import CaseEventRow, CaseRow
from storage.uow import UnitOfWork

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    """Two connections even on SQLite (whose pool in one bot process has one): the version
    check is what keeps two bot workers, or the bot and an admin command, from both winning."""
    engine = db.create_engine(migrated_url, pool_size=2)
    try:
        yield engine
    finally:
        await engine.dispose()


HUB = Actor(id="7d3c1f0e-0000-4000-8000-000000000001", name="Hub officer")
NURSE = Actor(id="7d3c1f0e-0000-4000-8000-000000000002", name="Designated nurse")
OPENED = datetime(2026, 3, 2, 9, 15, 30, 123456, tzinfo=UTC)


def new_case(reference: CaseReference, *, at: datetime = OPENED) -> Case:
    return Case.open(
        reference=reference,
        aware_on=date(2026, 3, 2),
        incident_on=date(2026, 2, 27),
        actor=HUB,
        at=at,
        facts={"serious_harm": True, "agencies": ["police", "health"], "age_band": "0-1"},
    )


async def open_case(sessions: Sessions) -> CaseReference:
    async with UnitOfWork(sessions) as uow:
        reference = await uow.cases.next_reference("NL", 2026)
        await uow.cases.add(new_case(reference))
        await uow.commit()
    return reference


async def test_a_case_comes_back_exactly_as_it_was_stored_with_its_events_in_order(
    session_factory: Sessions,
) -> None:
    reference = await open_case(session_factory)
    async with UnitOfWork(session_factory) as uow:
        case = await uow.cases.get(reference)
        case.move_to(Stage.PANEL_NOTIFIED, actor=HUB, at=OPENED + timedelta(days=1))
        case.record(
            "note.added",
            actor=SYSTEM,
            at=OPENED + timedelta(days=2),
            what="Reminder sent to the police.",
            data={"agency": "police", "attempt": 1},
        )
        case.move_to(Stage.RAPID_REVIEW, actor=NURSE, at=OPENED + timedelta(days=3), why="All in.")
        case.update_facts({"death": False}, actor=NURSE, at=OPENED + timedelta(days=3))
        await uow.cases.save(case)
        await uow.commit()
        expected_events = case.events

    async with UnitOfWork(session_factory) as uow:
        loaded = await uow.cases.get(reference)

    assert loaded.reference == reference
    assert loaded.stage is Stage.RAPID_REVIEW
    assert loaded.version == 2
    assert (loaded.aware_on, loaded.incident_on) == (date(2026, 3, 2), date(2026, 2, 27))
    assert loaded.opened_at == OPENED
    assert loaded.opened_at.tzinfo is UTC
    assert loaded.facts == {
        "serious_harm": True,
        "agencies": ["police", "health"],
        "age_band": "0-1",
        "death": False,
    }
    assert loaded.events == expected_events
    assert [e.seq for e in loaded.events] == [1, 2, 3, 4, 5]
    assert all(e.at.tzinfo is UTC for e in loaded.events)
    assert loaded.pending_events == ()


async def test_a_closed_case_keeps_its_closing_time_and_leaves_the_open_list(
    session_factory: Sessions,
) -> None:
    first = await open_case(session_factory)
    second = await open_case(session_factory)
    closed_at = OPENED + timedelta(days=4)
    async with UnitOfWork(session_factory) as uow:
        case = await uow.cases.get(first)
        case.move_to(Stage.CLOSED, actor=HUB, at=closed_at, why="Criteria not met.")
        await uow.cases.save(case)
        await uow.commit()

    async with UnitOfWork(session_factory) as uow:
        assert (await uow.cases.get(first)).closed_at == closed_at
        assert [c.reference for c in await uow.cases.list_open()] == [second]


async def test_open_cases_are_listed_newest_first(session_factory: Sessions) -> None:
    async with UnitOfWork(session_factory) as uow:
        for day in (3, 1, 2):
            reference = CaseReference("NL", 2026, day)
            await uow.cases.add(new_case(reference, at=OPENED + timedelta(days=day)))
        await uow.commit()
    async with UnitOfWork(session_factory) as uow:
        listed = await uow.cases.list_open()
        limited = await uow.cases.list_open(limit=2)
    assert [c.reference.number for c in listed] == [3, 2, 1]
    assert [c.reference.number for c in limited] == [3, 2]
    assert all(len(c.events) == 1 for c in listed)


async def test_a_page_of_cases_is_read_at_once_each_with_its_own_events(
    session_factory: Sessions,
) -> None:
    first, second = await open_case(session_factory), await open_case(session_factory)
    async with UnitOfWork(session_factory) as uow:
        case = await uow.cases.get(second)
        case.move_to(Stage.PANEL_NOTIFIED, actor=HUB, at=OPENED + timedelta(hours=1))
        await uow.cases.save(case)
        await uow.commit()
    missing = CaseReference("NL", 2026, 99)
    async with UnitOfWork(session_factory) as uow:
        found = await uow.cases.find_many([second, missing, first, second])
        one_by_one = {str(r): await uow.cases.get(r) for r in (first, second)}

    assert set(found) == {str(first), str(second)}
    for reference, case in one_by_one.items():
        assert found[reference].stage is case.stage
        assert found[reference].events == case.events
    assert (len(found[str(first)].events), len(found[str(second)].events)) == (1, 2)


async def test_two_people_saving_the_same_case_at_once_cannot_both_win(
    session_factory: Sessions,
) -> None:
    reference = await open_case(session_factory)
    later = OPENED + timedelta(hours=1)
    async with UnitOfWork(session_factory) as first, UnitOfWork(session_factory) as second:
        mine = await first.cases.get(reference)
        theirs = await second.cases.get(reference)
        mine.move_to(Stage.PANEL_NOTIFIED, actor=HUB, at=later)
        theirs.move_to(Stage.CLOSED, actor=NURSE, at=later, why="Not serious.")
        await first.cases.save(mine)
        await first.commit()
        with pytest.raises(ConcurrencyConflict) as conflict:
            await second.cases.save(theirs)

    assert conflict.value.user_message == (
        "Someone else updated case NL-2026-0001 at the same time; please try again."
    )
    async with UnitOfWork(session_factory) as uow:
        stored = await uow.cases.get(reference)
    assert stored.stage is Stage.PANEL_NOTIFIED
    assert stored.version == 2
    assert [e.actor for e in stored.events] == [HUB, HUB]


async def test_of_two_simultaneous_saves_of_one_version_exactly_one_wins(
    session_factory: Sessions,
) -> None:
    reference = await open_case(session_factory)
    both_loaded = asyncio.Barrier(2)  # both hold version 1 before either saves

    async def decide(stage: Stage, actor: Actor) -> str:
        async with UnitOfWork(session_factory) as uow:
            case = await uow.cases.get(reference)
            case.move_to(stage, actor=actor, at=OPENED + timedelta(hours=1))
            await both_loaded.wait()
            try:
                await uow.cases.save(case)
            except ConcurrencyConflict:
                return "refused"
            await uow.commit()
            return stage.value

    outcomes = await asyncio.gather(decide(Stage.PANEL_NOTIFIED, HUB), decide(Stage.CLOSED, NURSE))

    assert outcomes.count("refused") == 1
    async with UnitOfWork(session_factory) as uow:
        stored = await uow.cases.get(reference)
    (winner,) = (o for o in outcomes if o != "refused")
    assert stored.stage.value == winner
    assert (stored.version, len(stored.events)) == (2, 2)


async def test_a_stale_case_can_be_reloaded_and_saved_again(session_factory: Sessions) -> None:
    reference = await open_case(session_factory)
    async with UnitOfWork(session_factory) as uow:
        stale = await uow.cases.get(reference)
    async with UnitOfWork(session_factory) as uow:
        fresh = await uow.cases.get(reference)
        fresh.move_to(Stage.RAPID_REVIEW, actor=HUB, at=OPENED + timedelta(hours=1))
        await uow.cases.save(fresh)
        await uow.commit()
    async with UnitOfWork(session_factory) as uow:
        stale.move_to(Stage.CLOSED, actor=HUB, at=OPENED + timedelta(hours=2))
        with pytest.raises(ConcurrencyConflict):
            await uow.cases.save(stale)
    async with UnitOfWork(session_factory) as uow:
        retried = await uow.cases.get(reference)
        retried.move_to(Stage.RECOMMENDATION, actor=HUB, at=OPENED + timedelta(hours=2))
        await uow.cases.save(retried)
        await uow.commit()
    assert retried.version == 3


async def test_saving_appends_new_events_and_never_rewrites_old_ones(
    session_factory: Sessions,
) -> None:
    reference = await open_case(session_factory)

    async def stored_events() -> list[tuple[int, int, str, datetime]]:
        async with session_factory() as session:
            rows = await session.execute(
                select(CaseEventRow.id, CaseEventRow.seq, CaseEventRow.what, CaseEventRow.at)
                .join(CaseRow, CaseRow.id == CaseEventRow.case_id)
                .where(CaseRow.reference == str(reference))
                .order_by(CaseEventRow.seq)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]

    before = await stored_events()
    async with UnitOfWork(session_factory) as uow:
        case = await uow.cases.get(reference)
        case.record("note.added", actor=HUB, at=OPENED + timedelta(minutes=5), what="Chased.")
        await uow.cases.save(case)
        await uow.commit()
    after = await stored_events()

    assert len(before) == 1
    assert after[:1] == before
    assert [(seq, what) for _, seq, what, _ in after[1:]] == [(2, "Chased.")]


async def test_saving_a_case_with_no_changes_leaves_its_version_alone(
    session_factory: Sessions,
) -> None:
    reference = await open_case(session_factory)
    async with UnitOfWork(session_factory) as uow:
        case = await uow.cases.get(reference)
        await uow.cases.save(case)
        await uow.commit()
    async with UnitOfWork(session_factory) as uow:
        assert (await uow.cases.get(reference)).version == 1


async def test_leaving_a_unit_of_work_without_committing_keeps_nothing(
    session_factory: Sessions,
) -> None:
    async with UnitOfWork(session_factory) as uow:
        reference = await uow.cases.next_reference("NL", 2026)
        await uow.cases.add(new_case(reference))
    async with UnitOfWork(session_factory) as uow:
        assert await uow.cases.find(reference) is None
        # The rolled-back allocation leaves no gap either.
        assert await uow.cases.next_reference("NL", 2026) == reference


async def test_an_error_inside_a_unit_of_work_rolls_everything_back(
    session_factory: Sessions,
) -> None:
    reference = CaseReference("NL", 2026, 7)

    async def add_then_fail() -> None:
        async with UnitOfWork(session_factory) as uow:
            await uow.cases.add(new_case(reference))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await add_then_fail()
    async with UnitOfWork(session_factory) as uow:
        assert await uow.cases.find(reference) is None


async def test_a_case_reference_cannot_be_used_twice(session_factory: Sessions) -> None:
    reference = await open_case(session_factory)
    async with UnitOfWork(session_factory) as uow:
        with pytest.raises(ConcurrencyConflict, match="already exists"):
            await uow.cases.add(new_case(reference))


async def test_an_unknown_case_is_reported_in_plain_english(session_factory: Sessions) -> None:
    async with UnitOfWork(session_factory) as uow:
        with pytest.raises(NotFound) as missing:
            await uow.cases.get(CaseReference("NL", 2026, 42))
        assert await uow.cases.find(CaseReference("NL", 2026, 42)) is None
    assert missing.value.user_message == (
        "I can't find case NL-2026-0042. Check the reference and try again."
    )


async def test_references_are_numbered_per_prefix_and_year(session_factory: Sessions) -> None:
    async with UnitOfWork(session_factory) as uow:
        allocated = [
            await uow.cases.next_reference("NL", 2026),
            await uow.cases.next_reference("NL", 2026),
            await uow.cases.next_reference("NL", 2027),
            await uow.cases.next_reference("LC", 2026),
        ]
        await uow.commit()
    assert [str(r) for r in allocated] == [
        "NL-2026-0001",
        "NL-2026-0002",
        "NL-2027-0001",
        "LC-2026-0001",
    ]


async def test_concurrent_allocations_never_hand_out_the_same_number(
    session_factory: Sessions,
) -> None:
    async def allocate() -> int:
        async with UnitOfWork(session_factory) as uow:
            reference = await uow.cases.next_reference("NL", 2026)
            await uow.cases.add(new_case(reference))
            await uow.commit()
            return reference.number

    numbers = await asyncio.gather(*(allocate() for _ in range(20)))
    assert sorted(numbers) == list(range(1, 21))
    async with UnitOfWork(session_factory) as uow:
        assert len(await uow.cases.list_open(limit=100)) == 20


async def test_a_unit_of_work_is_only_usable_inside_its_block(session_factory: Sessions) -> None:
    uow = UnitOfWork(session_factory)
    with pytest.raises(RuntimeError, match="inside 'async with'"):
        _ = uow.cases
    async with uow:
        with pytest.raises(RuntimeError, match="already in use"):
            await uow.__aenter__()


async def test_ping_says_whether_the_database_answers(engine: AsyncEngine) -> None:
    assert await db.ping(engine) is True
    unreachable = db.create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        assert await db.ping(unreachable) is False
    finally:
        await unreachable.dispose()
