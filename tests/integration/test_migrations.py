"""The hand-written migrations create exactly the schema the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage import db
from storage.schema import metadata

TABLES = set(metadata.tables)
HEAD = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()


def test_the_core_tables_are_part_of_the_schema() -> None:
    assert {"cases", "case_events", "reference_counters", "bot_state"} <= TABLES


async def _on(url: str, work: Any) -> Any:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def test_migrating_an_empty_database_creates_every_table(database_url: str) -> None:
    # Called from inside the test's running event loop, as the application does at start-up.
    assert await _on(database_url, _table_names) == set()
    await db.migrate(database_url)
    assert await _on(database_url, _table_names) == TABLES | {"alembic_version"}
    assert await _on(database_url, _revision) == HEAD


async def test_migrating_twice_changes_nothing(database_url: str) -> None:
    await db.migrate(database_url)
    await db.migrate(database_url)
    assert await _on(database_url, _table_names) == TABLES | {"alembic_version"}
    assert await _on(database_url, _revision) == HEAD


async def test_the_models_match_the_migrated_schema(database_url: str) -> None:
    await db.migrate(database_url)
    assert await _on(database_url, _differences) == []
