"""The unit of work: one transaction per user action, and every repository working in it.

Services load aggregates and rows through ``uow.<repository>``, call the domain, and return;
the runner (``bot_app/core/transactions.py``) commits once. Everything the action changed
(case state, events, the outbox) is committed together or not at all, and an exception - or
simply forgetting to commit - rolls it all back. Services never commit (style.md, rule 6),
and never build a repository from the session by hand.

    async with UnitOfWork(sessions, cipher=cipher) as uow:
        case = await uow.cases.get(reference)
        case.move_to(Stage.RAPID_REVIEW, actor=actor, at=now)
        await uow.cases.save(case)
        await uow.commit()
"""

from __future__ import annotations

from functools import cached_property
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from safeguarding.trail import TrailKeys
from storage.access_log import AccessLogRepository
from storage.action_plans import ActionPlanRepository
from storage.channels import ChannelRepository
from storage.conversations import ConversationRepository
from storage.details import CaseDetailsRepository, Cipher
from storage.disputes import DisputeTimerRepository
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.rapid_review import RapidReviewRepository
from storage.reminders import ReminderRepository
from storage.repositories import (
    UNCONFIGURED_TRAIL,
    CaseRepository,
    TrailRepository,
    log_checkpoints,
)
from storage.retention import RetentionRepository
from storage.submissions import SubmissionRepository


class _Repositories:
    """The repositories of one transaction, built on first use."""

    def __init__(self, session: AsyncSession, cipher: Cipher | None, trail: TrailKeys) -> None:
        self.session = session
        self._cipher = cipher
        self._trail = trail

    def _needs_cipher(self) -> Cipher:
        if self._cipher is None:
            raise RuntimeError("this unit of work was made without a cipher")
        return self._cipher

    @cached_property
    def cases(self) -> CaseRepository:
        return CaseRepository(self.session, cipher=self._cipher, trail=self._trail)

    @cached_property
    def trail(self) -> TrailRepository:
        return TrailRepository(self.session, cipher=self._cipher, trail=self._trail)

    @cached_property
    def details(self) -> CaseDetailsRepository:
        return CaseDetailsRepository(self.session, self._needs_cipher())

    @cached_property
    def rapid_review(self) -> RapidReviewRepository:
        return RapidReviewRepository(self.session, self._needs_cipher())

    @cached_property
    def submissions(self) -> SubmissionRepository:
        return SubmissionRepository(self.session)

    @cached_property
    def outbox(self) -> OutboxRepository:
        return OutboxRepository(self.session, cipher=self._cipher)

    @cached_property
    def channels(self) -> ChannelRepository:
        return ChannelRepository(self.session)

    @cached_property
    def conversations(self) -> ConversationRepository:
        return ConversationRepository(self.session)

    @cached_property
    def people(self) -> PeopleRepository:
        return PeopleRepository(self.session)

    @cached_property
    def reminders(self) -> ReminderRepository:
        return ReminderRepository(self.session)

    @cached_property
    def dispute_timers(self) -> DisputeTimerRepository:
        return DisputeTimerRepository(self.session)

    @cached_property
    def access_log(self) -> AccessLogRepository:
        return AccessLogRepository(self.session)

    @cached_property
    def retention(self) -> RetentionRepository:
        return RetentionRepository(self.session, cipher=self._cipher)

    @cached_property
    def action_plans(self) -> ActionPlanRepository:
        return ActionPlanRepository(self.session, cipher=self._cipher)


class UnitOfWork:
    """A session, its transaction and the repositories working in it, for one ``async with``.

    The object can be reused for another block afterwards (each block gets a fresh session),
    but not entered twice at once. ``cipher`` encrypts what may identify a child (details,
    agency reports, reasons, queued messages); a unit of work without one refuses to open the
    details and reports, and stores other text as given (``storage/sealed.py``). ``trail``
    seals the evidence trail; the heads it appended are logged as checkpoints on commit.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        cipher: Cipher | None = None,
        trail: TrailKeys | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._cipher = cipher
        self._trail = trail or UNCONFIGURED_TRAIL
        self._repositories: _Repositories | None = None

    async def __aenter__(self) -> Self:
        if self._repositories is not None:
            raise RuntimeError("this unit of work is already in use; create another one")
        session = self._session_factory()
        self._repositories = _Repositories(session, self._cipher, self._trail)
        await session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        repositories, self._repositories = self._repositories, None
        if repositories is None:
            return
        try:
            # Whatever was not committed is abandoned: an error, or a forgotten commit.
            await repositories.session.rollback()
        finally:
            await repositories.session.close()

    @property
    def _open(self) -> _Repositories:
        if self._repositories is None:
            raise RuntimeError("use the unit of work inside 'async with'")
        return self._repositories

    @property
    def session(self) -> AsyncSession:
        """The session, for storage code that works at the table level (retention, key rotation)."""
        return self._open.session

    @property
    def cases(self) -> CaseRepository:
        return self._open.cases

    @property
    def trail(self) -> TrailRepository:
        return self._open.trail

    @property
    def details(self) -> CaseDetailsRepository:
        return self._open.details

    @property
    def rapid_review(self) -> RapidReviewRepository:
        return self._open.rapid_review

    @property
    def submissions(self) -> SubmissionRepository:
        return self._open.submissions

    @property
    def outbox(self) -> OutboxRepository:
        return self._open.outbox

    @property
    def channels(self) -> ChannelRepository:
        return self._open.channels

    @property
    def conversations(self) -> ConversationRepository:
        return self._open.conversations

    @property
    def people(self) -> PeopleRepository:
        return self._open.people

    @property
    def reminders(self) -> ReminderRepository:
        return self._open.reminders

    @property
    def dispute_timers(self) -> DisputeTimerRepository:
        return self._open.dispute_timers

    @property
    def access_log(self) -> AccessLogRepository:
        return self._open.access_log

    @property
    def retention(self) -> RetentionRepository:
        return self._open.retention

    @property
    def action_plans(self) -> ActionPlanRepository:
        return self._open.action_plans

    async def commit(self) -> None:
        """Make the action's changes permanent. Work after a commit starts a new transaction.

        Only then are the appended heads logged: a checkpoint of a rolled-back append would
        name an entry that never existed.
        """
        repositories = self._open
        await repositories.session.commit()
        appended = vars(repositories)  # the repositories built so far (cached properties)
        for name in ("cases", "trail"):
            if name in appended:
                log_checkpoints(appended[name].take_checkpoints())

    async def rollback(self) -> None:
        repositories = self._open
        await repositories.session.rollback()
        appended = vars(repositories)
        for name in ("cases", "trail"):
            if name in appended:
                appended[name].take_checkpoints()  # never committed: nothing to anchor
