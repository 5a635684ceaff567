"""Fixtures for tests against a real database, built on the top-level ``database_url``.

Every test that uses them runs on SQLite and on PostgreSQL, each time on a fresh database
brought to the latest schema by the real migrations (never ``create_all``), so the tests
also prove the migrations match what the code expects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import db


@pytest.fixture
async def migrated_url(database_url: str) -> str:
    """The test's empty database, migrated to the latest revision."""
    await db.migrate(database_url)
    return database_url


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    engine = db.create_engine(migrated_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return db.session_factory(engine)
