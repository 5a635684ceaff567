"""The database connection: one engine per process, built by the composition root.

The same code runs on SQLite (local use, a file under ``var/``) and PostgreSQL (production,
any number of bot workers). Nothing here is created at import time: the engine's lifetime
belongs to the application that builds it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/cspr.db"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# How long an SQLite writer waits for another to finish before giving up. SQLite has a single
# writer; a unit of work is one user action, so a few seconds is far more than any should take.
SQLITE_BUSY_TIMEOUT_MS = 10_000
# A health probe that hangs is worse than one that says "no": load balancers give up first.
PING_TIMEOUT_SECONDS = 5.0
# Connections older than this are replaced when next checked out: below the idle timeouts of
# PostgreSQL proxies and load balancers (commonly 30-60 minutes), so a quiet night leaves no
# connection the server has silently dropped.
POOL_RECYCLE_SECONDS: Final = 1_200
# SQLite takes one writer at a time, and a writer that finds it busy sleeps and tries again
# (up to 100 ms a try), unfairly: twenty conversations writing at once stretched the slowest
# turns to 2 s. One connection, which the pool hands to one unit of work after another in the
# order they asked, makes them queue fairly instead. Reads in one process gain nothing from more
# (aiosqlite runs every statement on the connection's thread, under the GIL). The price: code
# holding a session must not open a second one, which would wait for the first - 30 s, then
# fail. Other processes (the admin commands) still wait out SQLITE_BUSY_TIMEOUT_MS.
SQLITE_POOL: Final = {"pool_size": 1, "max_overflow": 0}

T = TypeVar("T")


def database_url_from_env() -> str:
    """``DATABASE_URL`` if set, else the local SQLite file (the same default as the settings)."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def create_engine(url: str | URL, **options: Any) -> AsyncEngine:
    """An async engine for ``url``; ``options`` go to SQLAlchemy (migrations pass NullPool).

    No ``pool_pre_ping``: it costs a round trip on every checkout, several per turn. Instead
    connections are recycled before idle timeouts drop them, and the rare one the server
    closed anyway (a failover, a restart) fails its first statement with
    ``connection_invalidated`` - the pool discards it and the work is run once more on a new
    connection (:func:`once_more_on_disconnect`, and the retry in ``Transactions.run``).
    """
    parsed = make_url(url)
    if "poolclass" not in options:
        if parsed.get_backend_name() != "sqlite":
            options.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
        elif parsed.database not in (None, "", ":memory:"):
            options = {**SQLITE_POOL, **options}
    engine = create_async_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_folder(parsed)
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine


def disconnected(error: BaseException) -> bool:
    """Whether ``error`` is the database connection having gone away (the pool has already
    discarded it): the same work on a fresh connection may well succeed."""
    return isinstance(error, DBAPIError) and bool(error.connection_invalidated)


async def once_more_on_disconnect(work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work``; if its connection turned out to be dead, run it once more.

    For reads and idempotent writes outside a unit of work (dialog state, the directory). A
    second failure is a real outage and propagates.
    """
    try:
        return await work()
    except DBAPIError as error:
        if not disconnected(error):
            raise
    return await work()


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    """Per-connection SQLite settings, which SQLite does not remember between connections.

    Foreign keys are off by default in SQLite. WAL lets the web handlers read while the
    reminder sender writes. The busy timeout makes a second writer wait its turn instead of
    failing at once with "database is locked".
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _ensure_sqlite_folder(url: URL) -> None:
    """SQLite creates the file but not its folder: make ``var/`` on a fresh checkout."""
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for units of work.

    ``expire_on_commit=False``: after a commit the objects a handler holds stay readable
    without another round trip (an expired attribute would trigger lazy I/O, which async
    sessions cannot do implicitly).
    """
    return async_sessionmaker(engine, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> bool:
    """Whether the database answers ``SELECT 1`` in time, for ``/healthz``.

    Never raises: a health check that throws reports a crashed process, not a missing
    database.
    """
    try:
        async with asyncio.timeout(PING_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError):
        return False
    return True


def alembic_config(url: str | URL) -> Config:
    """The alembic configuration in ``storage/migrations``, pointed at ``url``.

    The URL travels in ``attributes`` rather than the ini's ``sqlalchemy.url`` so that a
    password containing ``%`` is not mangled by configparser interpolation.
    """
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.attributes["database_url"] = make_url(url).render_as_string(hide_password=False)
    # The application owns logging; alembic's fileConfig would replace its handlers.
    config.attributes["configure_logging"] = False
    return config


async def migrate(url: str | URL) -> None:
    """Bring the database at ``url`` up to the latest migration (creating it for SQLite).

    Alembic's commands are synchronous and ``env.py`` runs its own event loop, so the upgrade
    runs in a worker thread: this works from inside the application's running loop (at
    start-up) as well as from the command line.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _ensure_sqlite_folder(parsed)
    await asyncio.to_thread(command.upgrade, alembic_config(parsed), "head")
