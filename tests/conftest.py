"""Test-wide fixtures: which databases the storage and end-to-end tests run on.

Tests that take the ``database_url`` or ``migrated_database_url`` fixture run once per
available database: always SQLite (a file in the test's tmp dir), and PostgreSQL when it is
reachable. ``TEST_POSTGRES_URL`` points at a server whose user may create databases (default:
this machine's trust-auth server); ``TEST_POSTGRES=require`` turns "unreachable" into a
failure (CI sets it) and ``TEST_POSTGRES=off`` skips PostgreSQL. Each test gets a database
holding nothing from any other test.

* ``database_url``: an empty database, for the tests of the migrations themselves.
* ``migrated_database_url``: a database at the latest schema. Running every migration for
  every test cost a third of the run, so each process (each xdist worker) migrates once into
  a template and every test gets a copy: a copied file on SQLite; on PostgreSQL a copy
  (``CREATE DATABASE ... TEMPLATE``) emptied after each test and given to the next. The
  template is built by the real migrations (never ``create_all``), so the tests still prove
  the migrations match what the code expects.
* ``kept_database_url``: the same, under a URL that comes back test after test (for tests
  that keep an engine per URL).

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
from collections.abc import AsyncIterator, Iterator
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


async def _connect(database: str | None = None, **options: Any) -> Any:
    """An asyncpg connection to ``database`` (default: the one in ``TEST_POSTGRES_URL``)."""
    import asyncpg

    url = make_url(POSTGRES_URL)
    return await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=database or url.database,
        **options,
    )


async def _probe_postgres() -> None:
    conn = await _connect(timeout=5)
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
    conn = await _connect()
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
    databases the tests get from it.

    Each template is built on first use, so a worker that runs no PostgreSQL test creates no
    PostgreSQL template. Names carry the xdist worker and a random part: several workers, and
    several engineers' runs, share one PostgreSQL server.

    SQLite: each test gets a copy of the migrated file (a file copy costs next to nothing).

    PostgreSQL: copying a database copies its system catalogs too, and copying and dropping
    one cost about 0.3 s of the machine's CPU - more than most tests. So the copies are kept:
    a test's database is emptied when the test ends (every table but ``alembic_version``
    emptied, every sequence restarted, in about a millisecond), and given to the next test.
    A migrated database holds no rows but its revision, so an emptied copy is exactly what a
    fresh copy would be. The same few names come back test after test, so a test that keeps
    an engine per URL (the end-to-end tests) reuses its compiled statements.
    """

    def __init__(self, folder: Path) -> None:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self._prefix = f"tpl_{worker}_{uuid.uuid4().hex[:12]}"
        self._folder = folder
        self._sqlite: Path | None = None
        self._postgres: str | None = None
        self._made: list[str] = []  # every PostgreSQL copy made, dropped at the end
        self._free: list[str] = []  # copies emptied and ready for the next test
        self._emptying: str | None = None  # the SQL that empties a copy (the same for all)

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

    async def sqlite_file_kept(self) -> Path:
        """A fresh copy of the migrated SQLite file, at the same path every time (the test
        before must have closed its connections: its app disposes its engine)."""
        path = self._folder / f"{self._prefix}-kept.db"
        for leftover in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(await self.sqlite_file(), path)
        return path

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
        """The name of a PostgreSQL database at the latest schema with no rows; give it back
        with :meth:`release_postgres`."""
        if self._free:
            return self._free.pop()
        template = await self.postgres_database()
        name = f"t_{uuid.uuid4().hex[:16]}"
        # PostgreSQL 15's default strategy (WAL_LOG): STRATEGY FILE_COPY forces a checkpoint
        # per copy and measured slower on this machine, and naming no strategy also works
        # before PostgreSQL 15.
        await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        self._made.append(name)
        return name

    async def release_postgres(self, name: str) -> None:
        """Empty ``name`` for the next test; a copy that cannot be emptied (a test changed its
        tables) is dropped instead, never given out again."""
        try:
            await self._empty(name)
        except Exception:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._made.remove(name)
        else:
            self._free.append(name)

    async def _empty(self, name: str) -> None:
        # Connections a test left open (an engine it never disposed) would hold locks.
        await _admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        conn = await _connect(name)
        try:
            if self._emptying is None:
                self._emptying = await _emptying_sql(conn)
            await conn.execute(self._emptying)
        finally:
            await conn.close()

    def close(self) -> None:
        """Drop every PostgreSQL database made here, the template last, and report the first
        failure to drop one (the SQLite file goes with pytest's tmp dirs)."""
        errors: list[BaseException] = []
        for name in [*self._made, *([self._postgres] if self._postgres else [])]:
            try:
                _admin_now(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as error:
                errors.append(error)
        self._made.clear()
        self._postgres = None
        if errors:
            raise errors[0]


async def _emptying_sql(conn: Any) -> str:
    """The statements that empty a migrated database: every table but the revision's, with
    foreign keys and triggers off while it runs (a test's own connection: superuser), and
    every sequence back at its start."""
    tables = [
        row[0]
        for row in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
    ]
    sequences = [
        row[0]
        for row in await conn.fetch(
            "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        )
    ]
    return "\n".join(
        [
            "BEGIN;",
            "SET LOCAL session_replication_role = replica;",
            *(f'DELETE FROM "{table}";' for table in tables),
            *(f"SELECT setval('\"{sequence}\"', 1, false);" for sequence in sequences),
            "COMMIT;",
        ]
    )


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

    A copy of the process's migrated template (on PostgreSQL, one emptied since its last
    test), so it holds exactly what running the migrations on an empty database would,
    without running them again.
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
        await migrated_templates.release_postgres(name)


@pytest.fixture
async def kept_database_url(
    database_backend: str, migrated_templates: MigratedTemplates
) -> AsyncIterator[str]:
    """Like ``migrated_database_url``, a database at the latest schema holding nothing from
    any other test, but under a URL that comes back in later tests of this process: a test
    that keeps one engine per URL (the end-to-end tests) reuses its compiled statements."""
    if database_backend == "sqlite":
        yield _sqlite_url(await migrated_templates.sqlite_file_kept())
        return
    name = await migrated_templates.postgres_copy()
    try:
        yield _postgres_url(name)
    finally:
        await migrated_templates.release_postgres(name)
