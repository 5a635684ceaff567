"""Test-wide fixtures: which databases the storage and end-to-end tests run on.

Tests that take the ``database_url`` or ``migrated_database_url`` fixture run once per
available database: always SQLite (a file in the test's tmp dir), and PostgreSQL when it is
reachable. ``TEST_POSTGRES_URL`` points at a server whose user may create databases (default:
this machine's trust-auth server); ``TEST_POSTGRES=require`` turns "unreachable" into a
failure (CI sets it) and ``TEST_POSTGRES=off`` skips PostgreSQL. Each test gets a database of
its own, dropped afterwards, so tests never see each other's rows.

* ``database_url``: an empty database, for the tests of the migrations themselves.
* ``migrated_database_url``: a database at the latest schema. Running every migration for
  every test cost a third of the run, so each process (each xdist worker) migrates once into
  a template and every test gets a copy: ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL, a
  copied file on SQLite. The template is built by the real migrations (never
  ``create_all``), so the tests still prove the migrations match what the code expects.

Under pytest-xdist the controller probes PostgreSQL once and hands the answer to the workers
(``pytest_configure_node``), so every worker parametrises the same tests and the summary line
"Databases tested: ..." is printed by the controller, which is the process that reports.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import make_url

# Property tests judge answers, not speed: a loaded machine (CI, two workers, the journeys
# beside them) must not fail them on hypothesis's per-example deadline.
hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")

pytest_plugins = ["tests.harness.plugin"]

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
POSTGRES_MODE = os.environ.get("TEST_POSTGRES", "auto").lower()
#: The key under which the controller passes the probe's result to xdist workers.
_WORKER_INPUT_KEY = "cspr_postgres_status"

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
    worker_input: dict[str, Any] | None = getattr(config, "workerinput", None)
    if worker_input is not None:
        # An xdist worker: the controller has probed already (and refused to start if
        # TEST_POSTGRES=require and the server is down); use its answer.
        _postgres_status.update(worker_input[_WORKER_INPUT_KEY])
        return
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


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist (controller): give each worker the probe's result before it collects."""
    node.workerinput[_WORKER_INPUT_KEY] = dict(_postgres_status)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # ``database_backend`` is in the closure of every database fixture (``database_url``,
    # ``migrated_database_url`` and what is built on them).
    if "database_backend" in metafunc.fixturenames:
        postgres = ["postgresql"] if _postgres_status["available"] else []
        # Behaviour only a shared server has (several workers on one database) is tested on
        # PostgreSQL alone; without it such a test is reported as not run, with the reason.
        only_postgres = metafunc.definition.get_closest_marker("postgres_only") is not None
        # The Teams edge and the command-line tools behave the same on either database; their
        # tests run once, on SQLite, and the journeys and storage tests run on both.
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        if only_postgres:
            backends = postgres
        elif only_sqlite:
            backends = ["sqlite"]
        else:
            backends = ["sqlite", *postgres]
        metafunc.parametrize("database_backend", backends, scope="function")


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if hasattr(config, "workerinput"):
        return  # an xdist worker's output is not shown; the controller reports
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


async def _admin(*statements: str) -> None:
    """Run ``statements`` in order on the server's maintenance database (one connection)."""
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
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


def _postgres_url(database: str) -> str:
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def database_url(database_backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database (no tables) on the backend of this parametrisation, as a URL.

    Only for tests of the migrations themselves; a test that also takes
    ``migrated_database_url`` gets a second, separate database.
    """
    if database_backend == "sqlite":
        yield _sqlite_url(tmp_path / "test.db")
        return
    name = f"t_{uuid.uuid4().hex[:16]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield _postgres_url(name)
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_now(*statements: str) -> None:
    """:func:`_admin` for a thread with no event loop of its own."""
    asyncio.run(_admin(*statements))


class MigratedTemplates:
    """One database per backend, migrated to the latest revision once per process, and the
    copies of it the tests get.

    Each template is built on first use, so a worker that runs no PostgreSQL test creates no
    PostgreSQL template. Names carry the xdist worker and a random part: several workers, and
    several engineers' runs, share one PostgreSQL server.

    Copying a PostgreSQL database copies its system catalogs too (7.5 MB, written and synced)
    and dropping one syncs as well: up to half a second a test, spent waiting on the disk. So
    the next test's copy is made in a background thread while the current test runs, and a
    finished test's database is dropped in another; the tests rarely wait for either.
    """

    #: Copies made ahead of need: one is enough when tests take longer than a copy (most do).
    SPARE_POSTGRES_COPIES = 1

    def __init__(self, folder: Path) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self._prefix = f"tpl_{worker}_{uuid.uuid4().hex[:12]}"
        self._folder = folder
        self._sqlite: Path | None = None
        self._postgres: str | None = None
        self._creating = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-copy")
        self._dropping = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-drop")
        self._spares: deque[tuple[str, Future[None]]] = deque()
        self._drops: list[Future[None]] = []

    async def sqlite_file(self) -> Path:
        """The migrated SQLite file: copy it, never open it."""
        if self._sqlite is None:
            # Imported here, not at the top: the unit ring loads this conftest too and never
            # needs storage.
            from storage.db import migrate

            path = self._folder / f"{self._prefix}.db"
            await migrate(_sqlite_url(path))
            _fold_in_write_ahead_log(path)
            self._sqlite = path
        return self._sqlite

    async def postgres_database(self) -> str:
        """The migrated PostgreSQL template's name: copy it, never connect to it."""
        if self._postgres is None:
            from storage.db import migrate

            name = self._prefix
            await _admin(f'CREATE DATABASE "{name}"')
            try:
                await migrate(_postgres_url(name))
                # PostgreSQL copies a template only while nobody is connected to it. The
                # migration's engine is disposed by now; refusing new connections means no
                # test can hold one open by mistake and break every later copy.
                await _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            except BaseException:
                # Half-migrated is no template: drop it, and let the next test try again
                # (and fail the same way, showing why).
                await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                raise
            self._postgres = name
        return self._postgres

    async def postgres_copy(self) -> str:
        """The name of a new PostgreSQL database copied from the template; give it back with
        :meth:`release_postgres`."""
        template = await self.postgres_database()
        name, created = self._spares.popleft() if self._spares else self._copy(template)
        while len(self._spares) < self.SPARE_POSTGRES_COPIES:
            self._spares.append(self._copy(template))  # queued behind this test's own copy
        await asyncio.wrap_future(created)
        return name

    def release_postgres(self, name: str) -> None:
        """Drop ``name`` in the background (``WITH (FORCE)``: connections a test left open
        do not stop it)."""
        self._drops.append(
            self._dropping.submit(_admin_now, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )

    def close(self) -> None:
        """Drop every PostgreSQL database made here, the template last, and report the first
        failure to drop one (the SQLite file goes with pytest's tmp dirs)."""
        for name, created in self._spares:
            if created.exception() is None:
                self.release_postgres(name)
        self._spares.clear()
        self._creating.shutdown(wait=True)
        self._dropping.shutdown(wait=True)
        errors = [error for drop in self._drops if (error := drop.exception()) is not None]
        if self._postgres is not None:
            try:
                _admin_now(f'DROP DATABASE IF EXISTS "{self._postgres}" WITH (FORCE)')
            except Exception as error:
                errors.append(error)
            self._postgres = None
        if errors:
            raise errors[0]

    def _copy(self, template: str) -> tuple[str, Future[None]]:
        name = f"t_{uuid.uuid4().hex[:16]}"
        # PostgreSQL 15's default strategy (WAL_LOG): STRATEGY FILE_COPY forces a checkpoint
        # per copy and measured slower on this machine (a copy and drop: 1.05 s against
        # 0.58 s under load), and naming no strategy also works before PostgreSQL 15.
        statement = f'CREATE DATABASE "{name}" TEMPLATE "{template}"'
        return name, self._creating.submit(_admin_now, statement)


def _fold_in_write_ahead_log(path: Path) -> None:
    """Checkpoint the WAL into the main file, so that copying that one file copies it all.

    Closing the migration's engine normally does this already (the last connection to close
    checkpoints and removes ``-wal``); the copies must not depend on "normally".
    """
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise RuntimeError(f"{wal} still holds changes after a checkpoint")


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    templates = MigratedTemplates(tmp_path_factory.mktemp("migrated-templates"))
    try:
        yield templates
    finally:
        templates.close()


@pytest.fixture
async def migrated_database_url(
    database_backend: str, tmp_path: Path, migrated_templates: MigratedTemplates
) -> AsyncIterator[str]:
    """A database of this test's own at the latest schema, on this parametrisation's backend.

    A copy of the process's migrated template, so it holds exactly what running the
    migrations on an empty database would, without running them again.
    """
    if database_backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(await migrated_templates.sqlite_file(), path)
        yield _sqlite_url(path)
        return
    name = await migrated_templates.postgres_copy()
    try:
        yield _postgres_url(name)
    finally:
        migrated_templates.release_postgres(name)
