"""Reminders already materialised: sent, or skipped while the service was down.

The plan (``safeguarding/reminders.py``) says which reminders a case *should* have; this table
remembers which ones were acted on, under the unique key ``(case reference, clock key, kind,
due date)``. Inserting is ``ON CONFLICT DO NOTHING``: of two workers deriving the same
reminder at the same instant exactly one inserts it, and only that one queues the messages
(in the same transaction), so re-deriving is idempotent on any number of workers.

Rows also carry the acknowledgement ("On it" / "Done", who and when), which stops the Hub
escalation, and the outbox key of the channel post so the card can be updated in place. The
weekly digest is recorded here too, with an empty case reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, Integer, String, UniqueConstraint, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.reminders import ReminderKey
from storage.models import Base, UTCDateTime
from storage.outbox import insert_for


class ReminderStatus(StrEnum):
    SENT = "sent"  # its messages were queued in the outbox
    SKIPPED = "skipped"  # missed while the service was down; a later reminder caught up


class Acknowledgement(StrEnum):
    ON_IT = "on_it"
    DONE = "done"

    @property
    def label(self) -> str:
        return "On it" if self is Acknowledgement.ON_IT else "Done"


class ReminderRow(Base):
    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("case_reference", "clock_key", "kind", "due_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_reference: Mapped[str] = mapped_column(String(32))
    clock_key: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date] = mapped_column(Date)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    late: Mapped[bool] = mapped_column(Boolean)
    # The clock's title and stage when it was sent, so the acknowledged card can be redrawn
    # without re-deriving anything.
    clock_title: Mapped[str] = mapped_column(String(200))
    outbox_key: Mapped[str | None] = mapped_column(String(255))
    acknowledged: Mapped[str | None] = mapped_column(String(16))
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    acknowledged_by_name: Mapped[str | None] = mapped_column(String(256))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class ReminderRecord:
    id: int
    key: ReminderKey
    send_at: datetime
    status: ReminderStatus
    late: bool
    clock_title: str
    outbox_key: str | None
    acknowledged: Acknowledgement | None
    acknowledged_by: str | None
    acknowledged_by_name: str | None
    acknowledged_at: datetime | None
    created_at: datetime


class ReminderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        key: ReminderKey,
        *,
        send_at: datetime,
        status: ReminderStatus,
        late: bool,
        clock_title: str,
        outbox_key: str | None,
        now: datetime,
    ) -> int | None:
        """Store a reminder under its key; its id, or None if it was stored before (by this
        worker earlier, or by another one just now)."""
        statement = (
            insert_for(self._session, ReminderRow)
            .values(
                case_reference=key.case_reference,
                clock_key=key.clock_key,
                kind=key.kind,
                due_on=key.due_on,
                send_at=send_at,
                status=status.value,
                late=late,
                clock_title=clock_title[:200],
                outbox_key=outbox_key,
                created_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=[
                    ReminderRow.case_reference,
                    ReminderRow.clock_key,
                    ReminderRow.kind,
                    ReminderRow.due_on,
                ]
            )
            .returning(ReminderRow.id)
        )
        inserted: int | None = (await self._session.execute(statement)).scalar_one_or_none()
        return inserted

    async def keys_for(self, case_reference: str) -> set[ReminderKey]:
        rows = await self._session.execute(
            select(
                ReminderRow.case_reference,
                ReminderRow.clock_key,
                ReminderRow.kind,
                ReminderRow.due_on,
            ).where(ReminderRow.case_reference == case_reference)
        )
        return {ReminderKey(*row) for row in rows.all()}

    async def acknowledged_clocks(self, case_reference: str) -> set[tuple[str, date]]:
        """``(clock key, due date)`` of every clock someone acknowledged a reminder for."""
        rows = await self._session.execute(
            select(ReminderRow.clock_key, ReminderRow.due_on)
            .where(
                ReminderRow.case_reference == case_reference,
                ReminderRow.acknowledged.is_not(None),
            )
            .distinct()
        )
        return {(clock_key, due_on) for clock_key, due_on in rows.all()}

    async def for_case(self, case_reference: str) -> list[ReminderRecord]:
        rows = (
            (
                await self._session.execute(
                    select(ReminderRow)
                    .where(ReminderRow.case_reference == case_reference)
                    .order_by(ReminderRow.send_at, ReminderRow.id)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        return [_record(row) for row in rows]

    async def get(self, reminder_id: int) -> ReminderRecord | None:
        row = (
            await self._session.execute(
                select(ReminderRow)
                .where(ReminderRow.id == reminder_id)
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        return _record(row) if row is not None else None

    async def acknowledge(
        self,
        reminder_id: int,
        *,
        state: Acknowledgement,
        by: str,
        by_name: str,
        at: datetime,
    ) -> bool:
        """Record who acknowledged; False when it changes nothing. The first "On it" stands
        (a second person pressing it sees who is on it already), and "Done" is final."""
        allowed = (
            ReminderRow.acknowledged.is_(None)
            if state is Acknowledgement.ON_IT
            else (ReminderRow.acknowledged.is_(None))
            | (ReminderRow.acknowledged != Acknowledgement.DONE.value)
        )
        result = await self._session.execute(
            update(ReminderRow)
            .where(ReminderRow.id == reminder_id, allowed)
            .values(
                acknowledged=state.value,
                acknowledged_by=by,
                acknowledged_by_name=by_name,
                acknowledged_at=at,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))


def _record(row: ReminderRow) -> ReminderRecord:
    return ReminderRecord(
        id=row.id,
        key=ReminderKey(row.case_reference, row.clock_key, row.kind, row.due_on),
        send_at=row.send_at,
        status=ReminderStatus(row.status),
        late=row.late,
        clock_title=row.clock_title,
        outbox_key=row.outbox_key,
        acknowledged=Acknowledgement(row.acknowledged) if row.acknowledged else None,
        acknowledged_by=row.acknowledged_by,
        acknowledged_by_name=row.acknowledged_by_name,
        acknowledged_at=row.acknowledged_at,
        created_at=row.created_at,
    )
