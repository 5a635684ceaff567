"""The services ring: each user action called directly, with no Teams in sight.

Services take a command and a unit of work; here they run on a real SQLite database at the
latest schema (a copy of the run's migrated template, ``tests/conftest.py``), so what they
wrote is what the application would have committed. The storage and end-to-end rings run on
PostgreSQL as well; this one is about the rules each action applies.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.core.transactions import Transactions
from storage import db
from storage.details import FernetCipher
from tests.conftest import MigratedTemplates


@pytest.fixture
async def sessions(
    migrated_templates: MigratedTemplates, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A fresh database of this test's own, at the latest schema."""
    path = tmp_path / "services.db"
    shutil.copyfile(await migrated_templates.sqlite_file(), path)
    engine = db.create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        yield db.session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture
def transactions(sessions: async_sessionmaker[AsyncSession]) -> Transactions:
    """Units of work as the application makes them: text that may name a child encrypted."""
    return Transactions(sessions, cipher=FernetCipher([Fernet.generate_key()]))
