"""Submissions already turned into cases, so a repeated Send never creates a second case.

Teams redelivers an activity it thinks timed out, and people double-press buttons. The
notification's dialog token is claimed in the same transaction that creates the case: a
second claim fails on the primary key and the caller answers with the first case's reference.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime


class SubmissionRow(Base):
    __tablename__ = "submissions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    reference: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SubmissionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def reference_for(self, token: str) -> str | None:
        row = await self._session.get(SubmissionRow, token)
        return row.reference if row else None

    async def sent_as(self, token: str) -> tuple[str, datetime] | None:
        """The reference ``token`` became and when, if it was sent."""
        row = await self._session.get(SubmissionRow, token)
        return (row.reference, row.created_at) if row else None

    async def claim(self, token: str, reference: str, at: datetime) -> bool:
        """Record that ``token`` became ``reference``; False if it already had."""
        try:
            async with self._session.begin_nested():
                self._session.add(SubmissionRow(token=token, reference=reference, created_at=at))
                await self._session.flush()
        except IntegrityError:
            return False
        return True
