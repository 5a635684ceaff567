"""Dispute timers already acted on: stage announcements, reminders and "target passed".

Disputes themselves live in the case's evidence trail (``safeguarding/disputes.py``); what
the timers pass needs to remember is which timers it has sent, under the unique key
``(case reference, dispute/stage, kind, target date)``. Inserting is ``ON CONFLICT DO
NOTHING``: of two workers deriving the same timer at once exactly one inserts it, and only
that one queues the messages, in the same transaction - the reminders' pattern
(``storage/reminders.py``). No narrative is stored here.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.disputes import TimerKey
from storage.models import Base, UTCDateTime
from storage.outbox import insert_for


class TimerStatus(StrEnum):
    SENT = "sent"  # its messages were queued (or, for "passed", the escalation recorded)
    SKIPPED = "skipped"  # missed while the service was down; a later timer caught up


class DisputeTimerRow(Base):
    __tablename__ = "dispute_timers"
    __table_args__ = (UniqueConstraint("case_reference", "dispute_key", "kind", "target_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_reference: Mapped[str] = mapped_column(String(32))
    dispute_key: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    target_on: Mapped[date] = mapped_column(Date)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    late: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DisputeTimerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        key: TimerKey,
        *,
        send_at: datetime,
        status: TimerStatus,
        late: bool,
        now: datetime,
    ) -> bool:
        """Store a timer under its key; False if it was stored before (by this worker
        earlier, or by another one just now)."""
        statement = (
            insert_for(self._session, DisputeTimerRow)
            .values(
                case_reference=key.case_reference,
                dispute_key=key.dispute_key,
                kind=key.kind,
                target_on=key.target_on,
                send_at=send_at,
                status=status.value,
                late=late,
                created_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=[
                    DisputeTimerRow.case_reference,
                    DisputeTimerRow.dispute_key,
                    DisputeTimerRow.kind,
                    DisputeTimerRow.target_on,
                ]
            )
            .returning(DisputeTimerRow.id)
        )
        return (await self._session.execute(statement)).scalar_one_or_none() is not None

    async def keys_for(self, case_reference: str) -> set[TimerKey]:
        return set(await self.statuses(case_reference))

    async def statuses(self, case_reference: str) -> dict[TimerKey, tuple[TimerStatus, bool]]:
        """Each stored timer's status and whether it went out late, for tests and support."""
        rows = await self._session.execute(
            select(
                DisputeTimerRow.case_reference,
                DisputeTimerRow.dispute_key,
                DisputeTimerRow.kind,
                DisputeTimerRow.target_on,
                DisputeTimerRow.status,
                DisputeTimerRow.late,
            ).where(DisputeTimerRow.case_reference == case_reference)
        )
        return {
            TimerKey(ref, key, kind, on): (TimerStatus(status), late)
            for ref, key, kind, on, status, late in rows.all()
        }
