"""Running a service: one unit of work, one commit, and one retry policy for every feature.

Several people act on one case at about the same moment - three members vote, two partners
confirm, a reminder is acknowledged while the Hub records a date. The case's version check
(``storage/repositories.py``) lets only one of two concurrent writes commit; the other gets
``ConcurrencyConflict`` and is run again from the start, in a fresh transaction, so it
re-reads everything it depends on. Only what a concurrent change can cause is retried: the
version conflict, a unique key taken by a concurrent insert, and a lock or serialisation
failure reported by the database. Anything else (a refusal, a bug) is not.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from safeguarding.errors import ConcurrencyConflict, DomainError
from safeguarding.trail import TrailKeys
from storage.db import disconnected
from storage.details import Cipher
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS: Final = 10
# SQLSTATEs a concurrent transaction causes: unique violation, serialisation failure, deadlock.
_CONCURRENT_SQLSTATES: Final = frozenset({"23505", "40001", "40P01"})


class Contended(DomainError):
    """Still conflicting after every attempt: the person is told to press again."""

    def __init__(self) -> None:
        super().__init__(
            "Someone changed this case at the same moment, so what you did was not recorded. "
            "Please try again."
        )


Work = Callable[[UnitOfWork], Awaitable[T]]


class Transactions:
    """Units of work for the features: ``run`` commits (and retries), ``read`` never commits."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        cipher: Cipher | None = None,
        trail: TrailKeys | None = None,
        attempts: int = ATTEMPTS,
    ) -> None:
        self.sessions = sessions
        self._cipher = cipher
        self._trail = trail
        self._attempts = attempts

    def unit(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, cipher=self._cipher, trail=self._trail)

    async def read(self, work: Work[T]) -> T:
        """Run ``work`` in a transaction that is rolled back: for answers that change nothing."""
        async with self.unit() as uow:
            return await work(uow)

    async def run(self, work: Work[T]) -> T:
        """Run ``work`` and commit what it did; again from the start on a concurrent change."""
        for attempt in range(1, self._attempts + 1):
            try:
                async with self.unit() as uow:
                    result = await work(uow)
                    await uow.commit()
                return result
            except (ConcurrencyConflict, IntegrityError, OperationalError, DBAPIError) as error:
                if not _concurrent(error):
                    raise
                if attempt == self._attempts:
                    log.warning("still conflicting after %d attempts; refused", attempt)
                    raise Contended() from error
                log.info("concurrent change (%s); attempt %d", type(error).__name__, attempt + 1)
                # A little jitter, so the losers of one race don't collide again in lockstep.
                await asyncio.sleep(random.uniform(0, 0.005 * attempt))
        raise AssertionError("unreachable")


def _concurrent(error: Exception) -> bool:
    if isinstance(error, ConcurrencyConflict) or disconnected(error):
        return True  # a dead connection (storage/db.py): the pool gave us a fresh one
    original = getattr(error, "orig", None)
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if sqlstate in _CONCURRENT_SQLSTATES:
        return True
    message = str(original or error).lower()
    if isinstance(error, IntegrityError):
        return "unique constraint failed" in message  # SQLite
    return "database is locked" in message  # SQLite's single writer, busy past its timeout
