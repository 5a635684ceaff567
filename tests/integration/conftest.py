"""Fixtures for tests against a real database, built on the top-level
``migrated_database_url``.

Every test that uses them runs on SQLite and on PostgreSQL, each time on a fresh database
at the latest schema: a copy of a template the real migrations built (never ``create_all``),
so the tests also prove the migrations match what the code expects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import db


@pytest.fixture
def migrated_url(migrated_database_url: str) -> str:
    """The test's own database at the latest revision (the name these tests know it by)."""
    return migrated_database_url


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
