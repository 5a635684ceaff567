"""Retention, as stored: erasing a closed case's narrative, deleting a case, and the log.

Both actions are the only exceptions to "the trail is append-only" (architecture.md), and both
leave a record: anonymisation appends a ``retention.anonymised`` event to the case's own
trail before it erases the narrative of the events before it, the details, the agency
reports, the ballots' rationales and the messages queued about the case (a details card, a
dispute party's position); deletion removes the case and every row that refers to it - by
foreign key, or by its reference alone - leaving a tombstone here that says what existed (its
reference, how many entries, the last seal) and who removed it, when and under which policy.

Every table that can hold a case's text is one of these; the rest hold only what runs the
process (stages, dates, who, keys). ``tests/e2e/test_canary_columns.py`` reads every column
of every table after a journey and after anonymisation to keep it so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, Table, Text, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.case import CaseEvent, Stage
from safeguarding.retention import HOLD, RELEASED
from safeguarding.trail import ANONYMISED
from storage.details import CaseDetailsRow, Cipher
from storage.models import Base, CaseEventRow, CaseRow, UTCDateTime
from storage.outbox import OutboxRow, OutboxStatus
from storage.rapid_review import AgencyReportRow, VoteRow
from storage.repositories import event_from_row

# Outbox rows still to be sent (or being sent): erased with their case, they are never sent.
_UNFINISHED = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)

# Columns by which a row refers to a case through its reference alone, with no foreign key
# (submissions, agency reports, ballots, reminders, dispute timers, the outbox, the access
# log...): deleting a case deletes such rows in every table, whichever feature owns them.
REFERENCE_COLUMNS = ("reference", "case_reference")


class RetentionLogRow(Base):
    """What the retention policy did: for a deleted case, its tombstone."""

    __tablename__ = "retention_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))  # "anonymised" or "deleted"
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[str] = mapped_column(String(128))
    actor_name: Mapped[str] = mapped_column(String(256))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    events: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    policy: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class ClosedCase:
    """A closed case and the events that matter to retention (holds, releases, anonymised)."""

    reference: str
    closed_at: datetime
    events: list[CaseEvent]


@dataclass(frozen=True)
class RetentionLogEntry:
    reference: str
    action: str
    at: datetime
    actor_name: str
    closed_at: datetime | None
    events: int
    head_hash: str
    policy: str


class RetentionRepository:
    def __init__(self, session: AsyncSession, *, cipher: Cipher | None = None) -> None:
        self._session = session
        self._cipher = cipher  # opens the reasons of holds and releases

    async def closed_cases(self) -> list[ClosedCase]:
        """Every closed case, oldest closure first, with its retention events."""
        cases = (
            await self._session.execute(
                select(CaseRow.id, CaseRow.reference, CaseRow.closed_at)
                .where(CaseRow.stage == Stage.CLOSED.value, CaseRow.closed_at.is_not(None))
                .order_by(CaseRow.closed_at, CaseRow.id)
            )
        ).all()
        if not cases:
            return []
        rows = (
            (
                await self._session.execute(
                    select(CaseEventRow)
                    .where(
                        CaseEventRow.case_id.in_([c.id for c in cases]),
                        CaseEventRow.kind.in_([HOLD, RELEASED, ANONYMISED]),
                    )
                    .order_by(CaseEventRow.case_id, CaseEventRow.seq)
                )
            )
            .scalars()
            .all()
        )
        events: dict[int, list[CaseEvent]] = {}
        for row in rows:
            events.setdefault(row.case_id, []).append(event_from_row(row, self._cipher))
        return [
            ClosedCase(reference=c.reference, closed_at=c.closed_at, events=events.get(c.id, []))
            for c in cases
        ]

    async def erase_narrative(self, reference: str, *, before_seq: int) -> int:
        """Erase ``why`` of the case's events before ``before_seq``; their digests remain.

        Returns how many reasons were erased.
        """
        case_id = select(CaseRow.id).where(CaseRow.reference == reference).scalar_subquery()
        result = await self._session.execute(
            update(CaseEventRow)
            .where(
                CaseEventRow.case_id == case_id,
                CaseEventRow.seq < before_seq,
                CaseEventRow.why.is_not(None),
            )
            .values(why=None)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def erase_details(self, reference: str) -> None:
        """Remove the encrypted details (the child's identifiers, the summary)."""
        await self._session.execute(
            delete(CaseDetailsRow).where(CaseDetailsRow.reference == reference)
        )

    async def erase_reports(self, reference: str) -> None:
        """Remove the agency reports (encrypted narrative); the trail keeps who sent when."""
        await self._session.execute(
            delete(AgencyReportRow).where(AgencyReportRow.reference == reference)
        )

    async def erase_rationales(self, reference: str) -> None:
        """Blank the ballots' rationales, kept in the clear beside the trail's copy (``why``,
        erased with the narrative); who voted for what remains."""
        await self._session.execute(
            update(VoteRow)
            .where(VoteRow.reference == reference)
            .values(rationale="")
            .execution_options(synchronize_session=False)
        )

    async def erase_messages(self, reference: str, *, at: datetime) -> int:
        """Erase what the outbox queued about the case, keeping each row's key and outcome.

        The key stays so that the same message is never queued again; the activity (a
        details card, a position) goes, and a message not yet sent never will be. Messages
        about the case are found by their case reference, or by a key that names it.
        Returns how many were erased.
        """
        ids = await self._message_ids(reference)
        unsent = OutboxRow.status.in_(_UNFINISHED)
        for which, changes in ((unsent, {"status": OutboxStatus.SUPERSEDED.value}), (~unsent, {})):
            await self._session.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(ids), which)
                .values(activity={}, updated_at=at, **changes)
                .execution_options(synchronize_session=False)
            )
        return len(ids)

    async def _message_ids(self, reference: str) -> list[int]:
        names = re.compile(rf"(?<![A-Za-z0-9-]){re.escape(reference)}(?![0-9])")
        rows = await self._session.execute(
            select(OutboxRow.id, OutboxRow.key, OutboxRow.case_reference).where(
                (OutboxRow.case_reference == reference)
                | OutboxRow.key.contains(reference, autoescape=True)
            )
        )
        return [
            row.id for row in rows.all() if row.case_reference == reference or names.search(row.key)
        ]

    async def delete_case(self, reference: str) -> None:
        """Delete the case row and every row, in any table, that refers to it."""
        from storage.schema import metadata  # every feature's tables, registered on import

        await self._session.execute(
            delete(OutboxRow).where(OutboxRow.id.in_(await self._message_ids(reference)))
        )
        cases = metadata.tables[CaseRow.__tablename__]
        for table in metadata.sorted_tables:
            if table is cases or table.name == RetentionLogRow.__tablename__:
                continue  # the case goes last, with its foreign-key children; the log stays
            for name in REFERENCE_COLUMNS:
                if name in table.c:
                    await self._session.execute(delete(table).where(table.c[name] == reference))
        await self._delete(cases, CaseRow.reference == reference)

    async def _delete(self, table: Table, condition: ColumnElement[bool]) -> None:
        # Rows that refer to the rows about to go must go first, whatever feature owns them
        # (events, reminders, outbox messages...), or the foreign keys refuse the deletion.
        from storage.schema import metadata  # every feature's tables, registered on import

        for child in metadata.sorted_tables:
            for foreign_key in child.foreign_keys:
                if foreign_key.column.table is table:
                    keys = select(foreign_key.column).where(condition)
                    await self._delete(child, foreign_key.parent.in_(keys))
        await self._session.execute(delete(table).where(condition))

    async def log(self, entry: RetentionLogEntry, *, actor_id: str) -> None:
        values: dict[str, Any] = {
            "reference": entry.reference,
            "action": entry.action,
            "at": entry.at,
            "actor_id": actor_id,
            "actor_name": entry.actor_name,
            "closed_at": entry.closed_at,
            "events": entry.events,
            "head_hash": entry.head_hash,
            "policy": entry.policy,
        }
        await self._session.execute(insert(RetentionLogRow).values(**values))

    async def entries(self, *, limit: int = 200) -> list[RetentionLogEntry]:
        """What the policy did, newest first."""
        rows = (
            (
                await self._session.execute(
                    select(RetentionLogRow).order_by(RetentionLogRow.id.desc()).limit(limit)
                )
            )
            .scalars()
            .all()
        )
        return [
            RetentionLogEntry(
                reference=row.reference,
                action=row.action,
                at=row.at,
                actor_name=row.actor_name,
                closed_at=row.closed_at,
                events=row.events,
                head_hash=row.head_hash,
                policy=row.policy,
            )
            for row in rows
        ]
