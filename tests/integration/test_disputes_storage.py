"""Dispute timers are stored once under their key, whoever derives them and however often."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from safeguarding.disputes import TimerKey
from storage.disputes import DisputeTimerRepository, TimerStatus
from storage.uow import UnitOfWork

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
KEY = TimerKey("NL-2026-0001", "1/1", "before_2", date(2026, 12, 3))


async def _record(
    sessions: async_sessionmaker[AsyncSession], key: TimerKey, status: TimerStatus
) -> bool:
    async with UnitOfWork(sessions) as uow:
        inserted = await DisputeTimerRepository(uow.session).record(
            key, send_at=NOW, status=status, late=False, now=NOW
        )
        await uow.commit()
    return inserted


async def test_a_timer_is_recorded_once_and_read_back_by_case(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert await _record(session_factory, KEY, TimerStatus.SENT)
    assert not await _record(session_factory, KEY, TimerStatus.SKIPPED)
    other = TimerKey("NL-2026-0002", "1/1", "before_2", date(2026, 12, 3))
    assert await _record(session_factory, other, TimerStatus.SKIPPED)

    async with UnitOfWork(session_factory) as uow:
        timers = DisputeTimerRepository(uow.session)
        assert await timers.keys_for("NL-2026-0001") == {KEY}
        assert await timers.statuses("NL-2026-0002") == {other: (TimerStatus.SKIPPED, False)}


@pytest.mark.postgres_only
async def test_two_workers_deriving_the_same_timer_at_once_store_it_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    results = await asyncio.gather(
        *(_record(session_factory, KEY, TimerStatus.SENT) for _ in range(4)),
        return_exceptions=True,
    )
    assert sorted(results, key=str) == [False, False, False, True]
