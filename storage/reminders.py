"""Reminders already materialised: sent, or skipped while the service was down.

The plan (``safeguarding/reminders.py``) says which reminders a case *should* have; this table
remembers which ones were acted on, under the unique key ``(case reference, clock key, kind,
due date)``. Inserting is ``ON CONFLICT DO NOTHING``: of two workers deriving the same
reminder at the same instant exactly one inserts it, and only that one queues the messages
(in the same transaction), so re-deriving is idempotent on any number of workers.

Rows also carry the acknowledgement ("On it" / "Done", who and when), which stops the Hub
escalation, and the outbox key of the channel post so the card can be updated in place. The
weekly digest is recorded here too, with an empty case reference.

The schedule (``reminder_schedule``) says when each case next needs the sweep: one row per
case, ``due_at`` indexed. A trigger on ``cases`` (migration 0008) resets a case's row to the
epoch whenever the case changes, so the sweep reads only what is due and never misses a
change; the sweep writes the next time back only if the case has not changed since it read
it (``case_version``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import cast

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    bindparam,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.reminders import ReminderKey
from storage.models import Base, UTCDateTime
from storage.outbox import insert_for
from storage.upserts import insert_or_ignore


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


class ReminderScheduleRow(Base):
    """When a case next needs the reminder sweep; ``due_at`` NULL: never (a closed case)."""

    __tablename__ = "reminder_schedule"
    __table_args__ = (Index("ix_reminder_schedule_due_at_case_id", "due_at", "case_id"),)

    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True
    )
    case_reference: Mapped[str] = mapped_column(String(32))
    case_version: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Which policy, clock table and calendar the time was planned with: a restart with other
    # settings plans every case again.
    plan_key: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True, order=True)
class DueCase:
    """A case the sweep must look at now, with the version its schedule row was set for."""

    due_at: datetime
    case_id: int
    case_reference: str
    case_version: int


@dataclass(frozen=True)
class NextDue:
    case_id: int
    case_version: int  # the version planned from: not written if the case changed since
    due_at: datetime | None


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


# The columns a reminder is known by (its unique constraint), for "stored before?".
_REMINDER_IDENTITY = ("case_reference", "clock_key", "kind", "due_on")


def _row(
    key: ReminderKey,
    send_at: datetime,
    status: ReminderStatus,
    late: bool,
    clock_title: str,
    outbox_key: str | None,
    now: datetime,
) -> dict[str, object]:
    """A reminder's row, as it is stored whether it is sent or skipped."""
    return {
        "case_reference": key.case_reference,
        "clock_key": key.clock_key,
        "kind": key.kind,
        "due_on": key.due_on,
        "send_at": send_at,
        "status": status.value,
        "late": late,
        "clock_title": clock_title[:200],
        "outbox_key": outbox_key,
        "created_at": now,
    }


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
        row = _row(key, send_at, status, late, clock_title, outbox_key, now)
        statement = insert_or_ignore(ReminderRow, tuple(row), _REMINDER_IDENTITY, returning="id")
        inserted: int | None = (await self._session.execute(statement, row)).scalar_one_or_none()
        return inserted

    async def record_skipped(
        self, skipped: Sequence[tuple[ReminderKey, datetime, str]], *, now: datetime
    ) -> None:
        """Store reminders that will never be sent - ``(key, send_at, clock title)`` each - a
        statement per 90: a case that reaches the bot late, or a clock moved, can skip dozens
        at once, and a statement each made such a turn slow. Ones stored before are left."""
        # Rows per statement: ten parameters each, under SQLite's oldest limit of 999.
        for start in range(0, len(skipped), 90):
            rows = [
                _row(key, send_at, ReminderStatus.SKIPPED, False, clock_title, None, now)
                for key, send_at, clock_title in skipped[start : start + 90]
            ]
            await self._session.execute(
                insert_for(self._session, ReminderRow)
                .values(rows)
                .on_conflict_do_nothing(index_elements=list(_REMINDER_IDENTITY))
            )

    # -- the schedule ---------------------------------------------------------------------

    async def due(
        self, now: datetime, *, after: DueCase | None = None, limit: int
    ) -> list[DueCase]:
        """Up to ``limit`` cases due at ``now``, in (due time, id) order after ``after``: a
        keyset page through the index, so a case left due (a failure) is not read twice."""
        query = select(
            ReminderScheduleRow.due_at,
            ReminderScheduleRow.case_id,
            ReminderScheduleRow.case_reference,
            ReminderScheduleRow.case_version,
        ).where(ReminderScheduleRow.due_at <= now)
        if after is not None:
            query = query.where(
                tuple_(ReminderScheduleRow.due_at, ReminderScheduleRow.case_id)
                > tuple_(
                    bindparam("after_due", after.due_at, type_=UTCDateTime),
                    bindparam("after_id", after.case_id, type_=Integer),
                )
            )
        rows = await self._session.execute(
            query.order_by(ReminderScheduleRow.due_at, ReminderScheduleRow.case_id).limit(limit)
        )
        return [DueCase(*row) for row in rows.all()]

    async def set_next(self, plans: Sequence[NextDue], *, plan_key: str) -> None:
        """Write each case's next due time, unless the case changed after it was read."""
        if not plans:
            return
        # The table, not the class: an executemany of an ORM update would match rows by
        # primary key only, and the version check is the point.
        table = cast(Table, ReminderScheduleRow.__table__)
        await self._session.execute(
            update(table)
            .where(
                table.c.case_id == bindparam("id"),
                table.c.case_version == bindparam("version"),
            )
            .values(due_at=bindparam("next_due"), plan_key=plan_key),
            [{"id": p.case_id, "version": p.case_version, "next_due": p.due_at} for p in plans],
        )

    async def replan_unless(self, plan_key: str, *, epoch: datetime) -> int:
        """Mark every case planned with other settings as due now; how many were."""
        result = await self._session.execute(
            update(ReminderScheduleRow)
            .where(ReminderScheduleRow.plan_key != plan_key)
            .values(due_at=epoch)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def count_open(self) -> int:
        """Cases with a schedule still running (open ones; closed ones are never due)."""
        return int(
            (
                await self._session.execute(
                    select(func.count()).where(ReminderScheduleRow.due_at.is_not(None))
                )
            ).scalar_one()
        )

    async def keys_for_cases(self, references: Iterable[str]) -> dict[str, set[ReminderKey]]:
        """Every stored reminder key of these cases, in one query."""
        wanted = list(references)
        found: dict[str, set[ReminderKey]] = {reference: set() for reference in wanted}
        if not wanted:
            return found
        rows = await self._session.execute(
            select(
                ReminderRow.case_reference,
                ReminderRow.clock_key,
                ReminderRow.kind,
                ReminderRow.due_on,
            ).where(ReminderRow.case_reference.in_(wanted))
        )
        for row in rows.all():
            found[row[0]].add(ReminderKey(*row))
        return found

    async def acknowledged_for_cases(
        self, references: Iterable[str]
    ) -> dict[str, set[tuple[str, date]]]:
        """``acknowledged_clocks`` of these cases, in one query."""
        wanted = list(references)
        found: dict[str, set[tuple[str, date]]] = {reference: set() for reference in wanted}
        if not wanted:
            return found
        rows = await self._session.execute(
            select(ReminderRow.case_reference, ReminderRow.clock_key, ReminderRow.due_on)
            .where(
                ReminderRow.case_reference.in_(wanted),
                ReminderRow.acknowledged.is_not(None),
            )
            .distinct()
        )
        for reference, clock_key, due_on in rows.all():
            found[reference].add((clock_key, due_on))
        return found

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
