"""The unit of work: one transaction per user action.

Services load aggregates through ``uow.cases``, call the domain, and return; the handler
commits once. Everything the action changed (case state, events, and later the outbox) is
committed together or not at all, and an exception - or simply forgetting to commit - rolls
it all back. Services never commit (style.md, rule 6).

    async with UnitOfWork(sessions) as uow:
        case = await uow.cases.get(reference)
        case.move_to(Stage.RAPID_REVIEW, actor=actor, at=now)
        await uow.cases.save(case)
        await uow.commit()
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories import CaseRepository


class UnitOfWork:
    """A session, its transaction and the repositories working in it, for one ``async with``.

    The object can be reused for another block afterwards (each block gets a fresh session),
    but not entered twice at once.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._session: AsyncSession | None = None
        self._cases: CaseRepository | None = None

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use; create another one")
        self._session = self._session_factory()
        self._cases = CaseRepository(self._session)
        await self._session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session, self._session, self._cases = self._session, None, None
        if session is None:
            return
        try:
            # Whatever was not committed is abandoned: an error, or a forgotten commit.
            await session.rollback()
        finally:
            await session.close()

    @property
    def session(self) -> AsyncSession:
        """The session, for repositories added later (the outbox, votes, the directory)."""
        if self._session is None:
            raise RuntimeError("use the unit of work inside 'async with'")
        return self._session

    @property
    def cases(self) -> CaseRepository:
        if self._cases is None:
            raise RuntimeError("use the unit of work inside 'async with'")
        return self._cases

    async def commit(self) -> None:
        """Make the action's changes permanent. Work after a commit starts a new transaction."""
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
