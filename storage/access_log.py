"""The access log: who viewed which case's details, and when.

Recording who *changed* a case is the trail's job; this records who *looked*, which the
trail does not see - showing a child's details in a personal chat, downloading an evidence
bundle. An inspection asks both questions, and the evidence bundle includes the answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Integer, String, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.evidence import AccessRecord
from storage.models import Base, UTCDateTime
from storage.people import PersonRow


class AccessLogRow(Base):
    """One look at one case. Rows are inserted, never updated."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), index=True)
    person_id: Mapped[str] = mapped_column(String(128))
    what: Mapped[str] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccessLogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(self, reference: str, person_id: str, what: str, at: datetime) -> None:
        """Note that ``person_id`` saw ``what`` of case ``reference`` at ``at``."""
        await self._session.execute(
            insert(AccessLogRow).values(
                reference=str(reference), person_id=person_id, what=what, at=at
            )
        )

    async def for_case(self, reference: str) -> list[AccessRecord]:
        """Every access to one case, oldest first, with names from the directory."""
        return await self._records(AccessLogRow.reference == str(reference))

    async def by_person(self, person_id: str) -> list[AccessRecord]:
        return await self._records(AccessLogRow.person_id == person_id)

    async def _records(self, condition: ColumnElement[bool]) -> list[AccessRecord]:
        rows = (
            await self._session.execute(
                select(AccessLogRow, PersonRow.name)
                .outerjoin(PersonRow, PersonRow.object_id == AccessLogRow.person_id)
                .where(condition)
                .order_by(AccessLogRow.at, AccessLogRow.id)
            )
        ).all()
        return [
            AccessRecord(
                at=row.AccessLogRow.at,
                person_id=row.AccessLogRow.person_id,
                person_name=row.name or "unknown",
                what=row.AccessLogRow.what,
            )
            for row in rows
        ]
