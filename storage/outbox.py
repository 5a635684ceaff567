"""The outbox: every proactive message the bot sends, persisted before it is sent.

Nothing is lost, nothing is sent twice (architecture.md). A service writes the message into
the outbox *in the same transaction* as the state change that caused it, so the two commit
together or not at all; the sender (``bot_app/teams/outbox_sender.py``) delivers it later, from any
worker, and records the Teams activity id.

Every queued activity is sealed at rest with the data keys (a Fernet token of its JSON, kept
as a JSON string): a details card or a dispute party's card carries a child's identifiers or
a position, and even a channel card is nobody's business in a backup. The sender opens it
only to send it (``claim``); the retention policy erases it with the case.

Using it from another journey (inside a unit of work, before ``uow.commit()``)::

    outbox = uow.outbox
    await outbox.enqueue(OutgoingMessage(key=..., target=..., activity=..., summary=...), now=now)
    await outbox.enqueue_update(MessageUpdate(key=..., original_key=..., activity=...), now=now)

Most journeys should call the helpers in ``bot_app/core/posting.py`` instead, which build the
activity from a card and resolve channel purposes.

* ``key`` is the idempotency key, unique forever: ``enqueue`` returns False (and changes
  nothing) when it exists, so a replayed Teams activity or a second worker deriving the same
  reminder cannot queue a second message. Derive keys from what the message is about
  (``"hub-card:NL-2026-0001"``), never from a clock or a random number.
* Targets: :class:`ConversationTarget`, an explicit conversation (a registered channel,
  resolved by the caller *when enqueuing*); or :class:`PersonTarget`, a person by Entra
  object id, resolved *when sending* to their personal chat (created if the bot never talked
  to them).
* An update edits a message sent earlier in place (a tracker card), found by the original's
  outbox key; it waits until the original has been sent. A newer update of the same message
  supersedes older ones not yet sent: only the latest card matters.

Claiming is atomic: ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)`` on
PostgreSQL, so concurrent workers take disjoint rows without waiting on each other; SQLite has
a single writer, so the same single statement is atomic there. A claim carries a lease and a
token: a worker that dies leaves a row that is claimed again once the lease has expired, and
the token fences out a worker that comes back late.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Index,
    Integer,
    String,
    Text,
    and_,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.details import Cipher
from storage.models import Base, UTCDateTime
from storage.upserts import insert_or_ignore


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"
    PARKED = "parked"  # Teams refused it for good (channel deleted, app removed): alerted
    FAILED = "failed"  # gave up after the configured number of attempts: alerted
    SUPERSEDED = "superseded"  # an update replaced by a newer update before it was sent


POST = "post"
UPDATE = "update"


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    operation: Mapped[str] = mapped_column(String(8))
    case_reference: Mapped[str | None] = mapped_column(String(32))
    # What the message is, for alerts and operators: a reference, stage and deadline at most.
    summary: Mapped[str] = mapped_column(String(300))
    is_alert: Mapped[bool] = mapped_column(Boolean)
    # The target: an explicit conversation, a person (object_id), or the message to update.
    conversation_id: Mapped[str | None] = mapped_column(String(512))
    service_url: Mapped[str | None] = mapped_column(String(512))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    bot_id: Mapped[str | None] = mapped_column(String(256))
    object_id: Mapped[str | None] = mapped_column(String(128))
    original_key: Mapped[str | None] = mapped_column(String(255))
    # The activity, sealed: a Fernet token of its JSON (a JSON string). Rows queued by older
    # versions hold the activity itself until ``python -m bot_app.keys rotate`` seals them;
    # ``{}`` once the retention policy erased it.
    activity: Mapped[dict[str, Any] | str] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where it landed: the Teams activity id and conversation, needed to update it later.
    activity_id: Mapped[str | None] = mapped_column(String(256))
    sent_conversation_id: Mapped[str | None] = mapped_column(String(512))
    sent_service_url: Mapped[str | None] = mapped_column(String(512))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class ConversationTarget:
    """A conversation the bot can post into: a channel or a personal chat it already knows."""

    conversation_id: str
    service_url: str
    tenant_id: str
    bot_id: str


@dataclass(frozen=True)
class PersonTarget:
    """A person's personal chat with the bot, found (or created) when the message is sent."""

    object_id: str


Target = ConversationTarget | PersonTarget


@dataclass(frozen=True)
class OutgoingMessage:
    key: str
    target: Target
    activity: dict[str, Any]  # the Bot Framework activity JSON (type, attachments, ...)
    summary: str
    case_reference: str | None = None
    is_alert: bool = False  # a delivery alert: its own failure is logged, never alerted


@dataclass(frozen=True)
class MessageUpdate:
    key: str
    original_key: str
    activity: dict[str, Any]
    summary: str
    case_reference: str | None = None


@dataclass(frozen=True)
class ClaimedMessage:
    """A row this worker holds until its lease ends; ``claim_token`` proves it."""

    id: int
    key: str
    operation: str
    target: Target | None  # None for an update: the original message says where
    original_key: str | None
    activity: dict[str, Any]
    summary: str
    case_reference: str | None
    is_alert: bool
    attempts: int  # including this one
    claim_token: str


@dataclass(frozen=True)
class OutboxRecord:
    """A row as operators and other journeys see it."""

    key: str
    operation: str
    status: OutboxStatus
    attempts: int
    summary: str
    case_reference: str | None
    activity_id: str | None
    conversation_id: str | None  # where it was sent (or is to be sent)
    service_url: str | None
    tenant_id: str | None
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None


def insert_for(session: AsyncSession, model: Any) -> Any:
    """An INSERT with ``ON CONFLICT`` support on either supported database."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise RuntimeError(f"upserts are not implemented for {dialect}")  # pragma: no cover


def seal_activity(cipher: Cipher | None, activity: dict[str, Any]) -> dict[str, Any] | str:
    """The activity as stored: sealed, or as it is without a cipher (storage tests)."""
    if cipher is None:
        return activity
    plaintext = json.dumps(activity, ensure_ascii=False).encode("utf-8")  # order kept
    return cipher.encrypt(plaintext)


def open_activity(cipher: Cipher | None, stored: dict[str, Any] | str) -> dict[str, Any]:
    """The activity behind a stored value (sealed, or in the clear from older versions)."""
    if isinstance(stored, dict):
        return stored
    if cipher is None:
        raise RuntimeError("this outbox was opened without a cipher: it cannot send")
    opened: dict[str, Any] = json.loads(cipher.decrypt(stored))
    return opened


class OutboxRepository:
    """The outbox, in the session of one unit of work; it never commits.

    ``cipher`` seals the activities; without one (counting rows for ``/healthz``, storage
    tests) activities are stored as given and sealed ones cannot be claimed.
    """

    def __init__(self, session: AsyncSession, *, cipher: Cipher | None = None) -> None:
        self._session = session
        self._cipher = cipher

    # -- enqueueing ----------------------------------------------------------------------

    async def enqueue(self, message: OutgoingMessage, *, now: datetime) -> bool:
        """Queue a new message; False (nothing changes) when its key was queued before."""
        target = message.target
        values: dict[str, Any] = {"operation": POST}
        if isinstance(target, ConversationTarget):
            values.update(
                conversation_id=target.conversation_id,
                service_url=target.service_url,
                tenant_id=target.tenant_id,
                bot_id=target.bot_id,
            )
        else:
            values["object_id"] = target.object_id
        return await self._insert(
            message.key,
            values,
            activity=message.activity,
            summary=message.summary,
            case_reference=message.case_reference,
            is_alert=message.is_alert,
            now=now,
        )

    async def enqueue_update(self, message: MessageUpdate, *, now: datetime) -> bool:
        """Queue an edit of the message queued as ``original_key``; older pending edits of
        the same message are superseded. False when ``key`` was queued before."""
        inserted = await self._insert(
            message.key,
            {"operation": UPDATE, "original_key": message.original_key},
            activity=message.activity,
            summary=message.summary,
            case_reference=message.case_reference,
            is_alert=False,
            now=now,
        )
        if inserted:
            await self._session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.original_key == message.original_key,
                    OutboxRow.operation == UPDATE,
                    OutboxRow.status == OutboxStatus.PENDING.value,
                    OutboxRow.key != message.key,
                )
                .values(status=OutboxStatus.SUPERSEDED.value, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        return inserted

    async def _insert(
        self,
        key: str,
        values: dict[str, Any],
        *,
        activity: dict[str, Any],
        summary: str,
        case_reference: str | None,
        is_alert: bool,
        now: datetime,
    ) -> bool:
        row = {
            "key": key,
            "activity": seal_activity(self._cipher, activity),
            "summary": summary[:300],
            "case_reference": case_reference,
            "is_alert": is_alert,
            "status": OutboxStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
            **values,
        }
        statement = insert_or_ignore(OutboxRow, tuple(row), ("key",), returning="id")
        return (await self._session.execute(statement, row)).scalar_one_or_none() is not None

    # -- the sender's side ---------------------------------------------------------------

    async def claim(self, *, now: datetime, lease: timedelta, limit: int) -> list[ClaimedMessage]:
        """Take up to ``limit`` rows that are due (or whose lease expired) for this worker.

        The caller commits at once, before sending anything, so the claim is visible to the
        other workers while the slow part (the HTTP call) runs outside any transaction.
        """
        due = or_(
            and_(
                OutboxRow.status == OutboxStatus.PENDING.value,
                OutboxRow.next_attempt_at <= now,
            ),
            and_(OutboxRow.status == OutboxStatus.SENDING.value, OutboxRow.lease_until < now),
        )
        candidates = (
            select(OutboxRow.id)
            .where(due)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        token = uuid.uuid4().hex
        rows = (
            (
                await self._session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_(candidates.scalar_subquery()))
                    .values(
                        status=OutboxStatus.SENDING.value,
                        claim_token=token,
                        lease_until=now + lease,
                        attempts=OutboxRow.attempts + 1,
                        updated_at=now,
                    )
                    .returning(OutboxRow)
                    .execution_options(synchronize_session=False, populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        return sorted((_claimed(row, self._cipher) for row in rows), key=lambda c: c.id)

    async def mark_sent(
        self,
        claimed: ClaimedMessage,
        *,
        activity_id: str | None,
        conversation_id: str,
        service_url: str,
        now: datetime,
    ) -> bool:
        """Record the delivery; False if the claim was lost (another worker took the row)."""
        return await self._finish(
            claimed,
            status=OutboxStatus.SENT,
            now=now,
            activity_id=activity_id,
            sent_conversation_id=conversation_id,
            sent_service_url=service_url,
            sent_at=now,
            last_error=None,
        )

    async def retry_at(
        self, claimed: ClaimedMessage, *, at: datetime, error: str, now: datetime
    ) -> bool:
        """A failed attempt: try again at ``at``."""
        return await self._finish(
            claimed, status=OutboxStatus.PENDING, now=now, next_attempt_at=at, last_error=error
        )

    async def release(self, claimed: ClaimedMessage, *, at: datetime, now: datetime) -> bool:
        """Give the row back untried (paced, or waiting for its original): the attempt does
        not count."""
        return await self._finish(
            claimed,
            status=OutboxStatus.PENDING,
            now=now,
            next_attempt_at=at,
            attempts=OutboxRow.attempts - 1,
        )

    async def give_up(
        self, claimed: ClaimedMessage, *, status: OutboxStatus, error: str, now: datetime
    ) -> bool:
        """Stop trying (``PARKED`` or ``FAILED``); the caller queues the alert."""
        return await self._finish(claimed, status=status, now=now, last_error=error)

    async def _finish(
        self, claimed: ClaimedMessage, *, status: OutboxStatus, now: datetime, **values: Any
    ) -> bool:
        result = await self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == claimed.id,
                OutboxRow.claim_token == claimed.claim_token,
                OutboxRow.status == OutboxStatus.SENDING.value,
            )
            .values(
                status=status.value, claim_token=None, lease_until=None, updated_at=now, **values
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    # -- reading -------------------------------------------------------------------------

    async def get(self, key: str) -> OutboxRecord | None:
        row = (
            await self._session.execute(
                select(OutboxRow)
                .where(OutboxRow.key == key)
                .execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        return _record(row) if row is not None else None

    async def find(self, keys: Sequence[str]) -> list[OutboxRecord]:
        if not keys:
            return []
        rows = (
            (
                await self._session.execute(
                    select(OutboxRow)
                    .where(OutboxRow.key.in_(list(keys)))
                    .order_by(OutboxRow.id)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        return [_record(row) for row in rows]

    async def copies_of(self, key: str) -> list[str]:
        """The keys of a post and its personal copies (``{key}:person:<id>``, as queued by
        ``bot_app.core.posting.post_to_people``): everything to update when the card changes."""
        rows = await self._session.execute(
            select(OutboxRow.key)
            .where(
                OutboxRow.operation == POST,
                or_(
                    OutboxRow.key == key,
                    OutboxRow.key.startswith(f"{key}:person:", autoescape=True),
                ),
            )
            .order_by(OutboxRow.id)
        )
        return list(rows.scalars().all())

    async def newer_update_exists(self, claimed: ClaimedMessage) -> bool:
        """Whether a later edit of the same message was queued: this one need not be sent."""
        found = (
            await self._session.execute(
                select(OutboxRow.id)
                .where(
                    OutboxRow.original_key == claimed.original_key,
                    OutboxRow.operation == UPDATE,
                    OutboxRow.id > claimed.id,
                )
                .limit(1)
            )
        ).scalar_one_or_none()
        return found is not None

    async def rotate_activities(self) -> int:
        """Seal every queued activity with the first data key (``python -m bot_app.keys
        rotate``): rotated if sealed, sealed if queued in the clear by an older version.
        Returns how many were rewritten."""
        cipher = self._cipher
        if cipher is None:
            raise RuntimeError("rotating the outbox needs a cipher")
        rows = (await self._session.execute(select(OutboxRow.id, OutboxRow.activity))).all()
        rewritten = 0
        for row in rows:
            stored = row.activity
            if stored == {}:
                continue  # erased under the retention policy
            sealed = (
                cipher.rotate(stored) if isinstance(stored, str) else seal_activity(cipher, stored)
            )
            await self._session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == row.id)
                .values(activity=sealed)
                .execution_options(synchronize_session=False)
            )
            rewritten += 1
        return rewritten

    async def counts(self) -> dict[str, int]:
        """How many rows are in each state, and how many pending rows have failed before
        (``failing``): what ``/healthz`` reports."""
        rows = (
            await self._session.execute(
                select(
                    OutboxRow.status,
                    func.count(),
                    func.sum(case((OutboxRow.last_error.is_not(None), 1), else_=0)),
                ).group_by(OutboxRow.status)
            )
        ).all()
        counts = {status.value: 0 for status in OutboxStatus}
        failing = 0
        for status, count, with_error in rows:
            counts[status] = int(count)
            if status in (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value):
                failing += int(with_error or 0)
        counts["failing"] = failing
        return counts


HEALTH_TIMEOUT_SECONDS = 5.0


async def outbox_health(engine: AsyncEngine) -> dict[str, int] | None:
    """The outbox counts for ``/healthz``; None (never an exception) when they cannot be read,
    so that a health probe reports the problem instead of crashing."""
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), AsyncSession(engine) as session:
            return await OutboxRepository(session).counts()
    except (SQLAlchemyError, OSError, TimeoutError):
        return None


def _target(row: OutboxRow) -> Target | None:
    if row.operation == UPDATE:
        return None
    if row.object_id is not None:
        return PersonTarget(object_id=row.object_id)
    return ConversationTarget(
        conversation_id=row.conversation_id or "",
        service_url=row.service_url or "",
        tenant_id=row.tenant_id or "",
        bot_id=row.bot_id or "",
    )


def _claimed(row: OutboxRow, cipher: Cipher | None) -> ClaimedMessage:
    return ClaimedMessage(
        id=row.id,
        key=row.key,
        operation=row.operation,
        target=_target(row),
        original_key=row.original_key,
        activity=open_activity(cipher, row.activity),
        summary=row.summary,
        case_reference=row.case_reference,
        is_alert=row.is_alert,
        attempts=row.attempts,
        claim_token=row.claim_token or "",
    )


def _record(row: OutboxRow) -> OutboxRecord:
    return OutboxRecord(
        key=row.key,
        operation=row.operation,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        summary=row.summary,
        case_reference=row.case_reference,
        activity_id=row.activity_id,
        conversation_id=row.sent_conversation_id or row.conversation_id,
        service_url=row.sent_service_url or row.service_url,
        tenant_id=row.tenant_id,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        sent_at=row.sent_at,
    )
