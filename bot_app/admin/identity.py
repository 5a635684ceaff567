"""Who is acting: the Entra object id from the activity, roles from the directory.

Roles never come from what a card displayed or a payload claims - only from here. The edge
resolves the person once per turn, before any handler runs.

Reading the directory on every turn was two queries of every turn's few, so what it answers
is kept in memory for a short while (``cache_seconds``), and forgotten at once when this
worker commits any change to the people, their grants or the directory settings - a grant,
a revoke, an import, whatever code path made it (:class:`_DirectoryWrites` watches the
engine, so no service has to remember to say so). Another worker sees the change when its
own entries expire, at most ``cache_seconds`` later: a short time-to-live rather than a
version row, because reading a version row would cost a query on every turn again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final, Protocol

from sqlalchemy import Delete, Insert, Update, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot_app.admin.directory import role_names_from
from safeguarding.roles import Person, Role
from storage.db import once_more_on_disconnect
from storage.uow import UnitOfWork

# How long another worker may go on using a role after it was revoked here.
DIRECTORY_CACHE_SECONDS: Final = 5.0
_CACHE_LIMIT: Final = 10_000
_DIRECTORY_TABLES: Final = frozenset({"people", "role_grants", "directory_settings"})
_CHANGED: Final = "cspr.directory_changed"


class Directory(Protocol):
    async def resolve(self, object_id: str, name: str) -> Person:
        """The person with this Entra object id; someone unknown gets the default roles."""
        ...


class SqlDirectory:
    """The directory in the database (imported from the partnership's file, edited in chat).

    Someone the directory does not know - or who has left it - gets ``default_roles``
    (``UNKNOWN_PEOPLE_ROLES``, by default practitioner only: any professional may notify).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        default_roles: frozenset[Role] = frozenset({Role.PRACTITIONER}),
        cache_seconds: float = DIRECTORY_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._default_roles = default_roles
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[float, Person]] = {}
        bind = sessions.kw.get("bind")
        if isinstance(bind, AsyncEngine) and cache_seconds > 0:
            _DirectoryWrites(bind, self.forget_all)

    def forget_all(self) -> None:
        """Drop everything remembered: the directory changed."""
        self._cache.clear()

    async def resolve(self, object_id: str, name: str) -> Person:
        key = (object_id, name)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and now < cached[0]:
            return cached[1]
        person = await once_more_on_disconnect(lambda: self._read(object_id, name))
        if self._cache_seconds > 0:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = (now + self._cache_seconds, person)
        return person

    async def _read(self, object_id: str, name: str) -> Person:
        async with UnitOfWork(self._sessions) as uow:
            entry = await uow.people.person(object_id)
            names = role_names_from(await uow.people.settings())
        if entry is None or not entry.active:
            return Person(
                object_id=object_id, name=name, roles=self._default_roles, role_names=names
            )
        deputy = next((g for g in entry.grants if g.role is Role.CSPRG_DEPUTY), None)
        return Person(
            object_id=entry.object_id,
            name=entry.name,
            email=entry.email,
            agency=entry.agency,
            roles=entry.roles,
            deputy_for=deputy.deputy_for if deputy else None,
            role_names=names,
        )


class _DirectoryWrites:
    """Calls ``changed`` after any transaction on ``engine`` that wrote a directory table
    commits (nothing is forgotten for a rollback)."""

    def __init__(self, engine: AsyncEngine, changed: Callable[[], None]) -> None:
        self._changed = changed
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "after_execute", self._after_execute)
        event.listen(sync_engine, "commit", self._commit)
        event.listen(sync_engine, "rollback", self._rollback)

    def _after_execute(self, connection: Connection, statement: Any, *_args: Any) -> None:
        if isinstance(statement, Insert | Update | Delete):
            table = getattr(statement.table, "name", None)
            if table in _DIRECTORY_TABLES:
                connection.info[_CHANGED] = True

    def _commit(self, connection: Connection) -> None:
        if connection.info.pop(_CHANGED, False):
            self._changed()

    def _rollback(self, connection: Connection) -> None:
        connection.info.pop(_CHANGED, None)
