"""Test-wide fixtures: which databases the storage and end-to-end tests run on.

Tests that take the ``database_url`` fixture run once per available database: always SQLite
(a file in the test's tmp dir), and PostgreSQL when it is reachable. ``TEST_POSTGRES_URL``
points at a server whose user may create databases (default: this machine's trust-auth
server); ``TEST_POSTGRES=require`` turns "unreachable" into a failure (CI sets it) and
``TEST_POSTGRES=off`` skips PostgreSQL. Each PostgreSQL test gets a database of its own,
dropped afterwards, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

pytest_plugins = ["tests.harness.plugin"]

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
POSTGRES_MODE = os.environ.get("TEST_POSTGRES", "auto").lower()

_postgres_status: dict[str, str | bool] = {"available": False, "reason": "not checked"}


async def _probe_postgres() -> None:
    import asyncpg

    url = make_url(POSTGRES_URL)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
        timeout=5,
    )
    await conn.close()


def pytest_configure(config: pytest.Config) -> None:
    if POSTGRES_MODE == "off":
        _postgres_status.update(available=False, reason="TEST_POSTGRES=off")
        return
    try:
        asyncio.run(_probe_postgres())
    except Exception as exc:  # any failure to connect means "not available"
        _postgres_status.update(available=False, reason=f"{type(exc).__name__}: {exc}")
        if POSTGRES_MODE == "require":
            raise pytest.UsageError(
                f"TEST_POSTGRES=require but PostgreSQL at {POSTGRES_URL} is unreachable: {exc}"
            ) from exc
    else:
        _postgres_status.update(available=True, reason="reachable")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_url" in metafunc.fixturenames:
        postgres = ["postgresql"] if _postgres_status["available"] else []
        # Behaviour only a shared server has (several workers on one database) is tested on
        # PostgreSQL alone; without it such a test is reported as not run, with the reason.
        only_postgres = metafunc.definition.get_closest_marker("postgres_only") is not None
        backends = postgres if only_postgres else ["sqlite", *postgres]
        metafunc.parametrize("database_backend", backends, scope="function")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _postgres_status["available"]:
        terminalreporter.write_line(f"Databases tested: SQLite and PostgreSQL ({POSTGRES_URL})")
    else:
        terminalreporter.write_line(
            f"Databases tested: SQLite only - PostgreSQL was NOT tested "
            f"({_postgres_status['reason']})",
            yellow=True,
        )


@pytest.fixture
def database_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _admin(sql: str) -> None:
    import asyncpg

    url = make_url(POSTGRES_URL)
    conn = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=url.database,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
async def database_url(database_backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no tables) on the backend of this parametrisation, as a URL."""
    if database_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    name = f"t_{uuid.uuid4().hex[:16]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
