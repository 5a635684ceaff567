"""The outbox sender: delivers queued messages exactly once, whatever Teams or the host does.

Every worker runs one (started with the app); ``run_once(now)`` is one pass, and tests call it
directly with the time they choose - nothing here reads a clock or sleeps. A pass:

1. **claims** up to a batch of due rows in its own short transaction (atomic: PostgreSQL
   ``FOR UPDATE SKIP LOCKED``, SQLite's single writer), with a lease. A worker killed after
   claiming leaves rows that another worker claims again when the lease expires; a row is
   recorded as sent once, by the claim that still holds it (the claim token fences out a
   worker that comes back late).
2. **resolves** each row's conversation: an explicit one, a person's personal chat (created
   with ``POST /v3/conversations`` when the bot never talked to them, then remembered), or
   for an update the conversation and activity id of the original message.
3. **paces** it under Teams' rate limits (``rate_limit.py``): a row that would exceed
   them goes back untried, its attempt not counted, to be sent when there is room.
4. **sends** it and records the outcome in a new transaction: ``sent``, with the Teams
   activity id (needed to update the message later); or, on a failure, retried after a
   backoff or given up (``failed``, ``parked``) with the Hub alerted - the retry policy is
   ``outbox_outcomes.py``.

Deliberate about duplicates: posting a message is not idempotent at Teams, and a timeout or a
5xx can hide a post that did land (teams-platform.md, "Limits"). The sender still retries
them, because a statutory reminder lost is worse than one repeated, and it keeps the window
small: the timeout is generous and each outcome is committed straight after its call. What
the outbox guarantees is that *our* side never sends a row twice: one claim at a time, one
recorded success.

Failures are isolated per row: one bad message is logged with its key and case and retried or
parked; the others in the pass go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.core.people import People
from bot_app.teams.outbox_outcomes import OutcomeRecorder
from bot_app.teams.outbox_report import (
    DEFAULT_CONFIG,
    NO_ENDPOINT,
    Endpoint,
    Outcome,
    Result,
    SenderConfig,
    SendReport,
)
from bot_app.teams.proactive import Connector, DeliveryError
from bot_app.teams.rate_limit import RateLimiter
from storage.details import Cipher
from storage.outbox import (
    UPDATE,
    ClaimedMessage,
    ConversationTarget,
    OutboxRow,
    OutboxStatus,
    PersonTarget,
)
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class OutboxSender:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        connector: Connector,
        *,
        people: People,
        service_url_allowed: Callable[[str], bool],
        config: SenderConfig = DEFAULT_CONFIG,
        limiter: RateLimiter | None = None,
        endpoint: Endpoint = NO_ENDPOINT,
        random_fraction: Callable[[], float] = random.random,
        cipher: Cipher | None = None,
    ) -> None:
        self._sessions = sessions
        self._cipher = cipher  # opens the sealed activities, and seals the alerts it queues
        self._connector = connector
        self._allowed = service_url_allowed
        self._config = config
        self._limiter = limiter or RateLimiter()
        self._endpoint = endpoint
        self._outcomes = OutcomeRecorder(
            self._unit,
            people=people,
            config=config,
            limiter=self._limiter,
            random_fraction=random_fraction,
        )

    def _unit(self) -> UnitOfWork:
        return UnitOfWork(self._sessions, cipher=self._cipher)

    # -- one pass ------------------------------------------------------------------------

    async def run_once(self, now: datetime) -> SendReport:
        """Claim what is due at ``now`` and deliver it; never raises for a single message."""
        async with self._unit() as uow:
            claimed = await uow.outbox.claim(
                now=now,
                lease=timedelta(seconds=self._config.lease_seconds),
                limit=self._config.batch_size,
            )
            await uow.commit()
        report = SendReport(claimed=len(claimed))
        groups: dict[str, list[ClaimedMessage]] = {}
        for item in claimed:
            groups.setdefault(_conversation_key(item), []).append(item)
        slots = asyncio.Semaphore(self._config.concurrency)

        async def deliver_group(items: list[ClaimedMessage]) -> None:
            # One conversation's messages go in order; a pause (pacing, 429) holds the rest.
            async with slots:
                paused: datetime | None = None
                for item in items:
                    if paused is not None:
                        report.add(await self._outcomes.release(item, at=paused, now=now))
                        continue
                    result = await self._deliver_isolated(item, now)
                    report.add(result.outcome)
                    paused = result.pause_until

        await asyncio.gather(*(deliver_group(items) for items in groups.values()))
        return report

    async def next_due(self) -> datetime | None:
        """When the earliest pending row is due (for the background loop's nap)."""
        async with self._unit() as uow:
            found: datetime | None = (
                await uow.session.execute(
                    select(func.min(OutboxRow.next_attempt_at)).where(
                        OutboxRow.status == OutboxStatus.PENDING.value
                    )
                )
            ).scalar_one_or_none()
        return found

    async def run_forever(
        self, clock: Callable[[], datetime], *, poll_seconds: float, stop: asyncio.Event
    ) -> None:
        """The background loop: a pass, then a nap until the next row is due (at most
        ``poll_seconds``, which also picks up rows other workers queued)."""
        while not stop.is_set():
            nap = poll_seconds
            try:
                report = await self.run_once(clock())
                if report.claimed >= self._config.batch_size:
                    nap = 0
                else:
                    due = await self.next_due()
                    if due is not None:
                        nap = min(poll_seconds, max(0.05, (due - clock()).total_seconds()))
                self._limiter.sweep(clock())
            except Exception:
                log.exception("outbox pass failed; trying again in %.0f s", poll_seconds)
            if nap > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=nap)

    # -- one message ---------------------------------------------------------------------

    async def _deliver_isolated(self, item: ClaimedMessage, now: datetime) -> Result:
        try:
            return await self._deliver(item, now)
        except Exception as exc:
            log.exception(
                "outbox %r (case %s, attempt %d) failed unexpectedly",
                item.key,
                item.case_reference,
                item.attempts,
            )
            try:
                return await self._outcomes.failed(
                    item, None, f"internal error: {type(exc).__name__}", now
                )
            except Exception:
                log.exception(
                    "outbox %r: could not record the failure; the lease expires", item.key
                )
                return Result(Outcome.LOST_CLAIM)

    async def _deliver(self, item: ClaimedMessage, now: datetime) -> Result:
        if item.attempts > self._config.max_attempts:
            # Claimed again and again without an outcome: a worker died mid-send each time.
            return await self._outcomes.give_up(
                item, None, f"claimed {item.attempts - 1} times without an outcome", now, True
            )
        activity_id: str | None = None
        if item.operation == UPDATE:
            resolved = await self._original_of(item, now)
            if isinstance(resolved, Result):
                return resolved
            target, activity_id = resolved
        else:
            try:
                found = await self._conversation_of(item, now)
            except DeliveryError as error:
                return await self._outcomes.failed(item, None, str(error), now, error=error)
            if found is None:
                return await self._outcomes.failed(
                    item, None, "no conversation of the bot's is known yet to reach them", now
                )
            target = found
        if not self._allowed(target.service_url):
            return await self._outcomes.give_up(
                item, target, "its service URL is not on the allow-list", now, False
            )

        wait = self._limiter.delay(target.conversation_id, target.tenant_id, now)
        if wait > 0:
            until = now + timedelta(seconds=wait)
            return Result(await self._outcomes.release(item, at=until, now=now), pause_until=until)
        self._limiter.record(target.conversation_id, target.tenant_id, now)
        try:
            if activity_id is not None:
                await self._connector.update(target, activity_id, item.activity)
                new_id: str | None = activity_id
            else:
                new_id = await self._connector.send(target, item.activity)
        except DeliveryError as error:
            return await self._outcomes.failed(item, target, str(error), now, error=error)

        async with self._unit() as uow:
            recorded = await uow.outbox.mark_sent(
                item,
                activity_id=new_id,
                conversation_id=target.conversation_id,
                service_url=target.service_url,
                now=now,
            )
            await uow.commit()
        if not recorded:
            log.error("outbox %r was delivered after its claim was lost", item.key)
            return Result(Outcome.LOST_CLAIM)
        log.info("outbox %r delivered (attempt %d)", item.key, item.attempts)
        return Result(Outcome.SENT)

    async def _conversation_of(
        self, item: ClaimedMessage, now: datetime
    ) -> ConversationTarget | None:
        target = item.target
        if not isinstance(target, PersonTarget):
            return target
        async with self._unit() as uow:
            conversations = uow.conversations
            known = await conversations.personal(target.object_id)
            latest = await conversations.latest() if known is None else None
        if known is not None:
            return known
        endpoint = ConversationTarget(
            conversation_id="",
            service_url=self._endpoint.service_url or (latest.service_url if latest else ""),
            tenant_id=self._endpoint.tenant_id or (latest.tenant_id if latest else ""),
            bot_id=self._endpoint.bot_id or (latest.bot_id if latest else ""),
        )
        if not endpoint.service_url or not self._allowed(endpoint.service_url):
            return None
        # Teams accepts the Entra object id as the member when opening a personal chat, and
        # answers with the one chat that bot and person have (it is created only once).
        conversation_id = await self._connector.create_personal(endpoint, target.object_id)
        found = ConversationTarget(
            conversation_id, endpoint.service_url, endpoint.tenant_id, endpoint.bot_id
        )
        async with self._unit() as uow:
            await uow.conversations.remember_personal(
                object_id=target.object_id, user_id="", target=found, at=now
            )
            await uow.commit()
        return found

    async def _original_of(
        self, item: ClaimedMessage, now: datetime
    ) -> tuple[ConversationTarget, str] | Result:
        async with self._unit() as uow:
            outbox = uow.outbox
            if await outbox.newer_update_exists(item):
                done = await outbox.give_up(
                    item,
                    status=OutboxStatus.SUPERSEDED,
                    error="a newer update replaced it",
                    now=now,
                )
                await uow.commit()
                return Result(Outcome.SUPERSEDED if done else Outcome.LOST_CLAIM)
            original = await outbox.get(item.original_key or "")
        if original is None:
            return await self._outcomes.give_up(
                item, None, f"there is no message {item.original_key!r} to update", now, False
            )
        if original.status in (OutboxStatus.PENDING, OutboxStatus.SENDING):
            until = now + timedelta(seconds=self._config.wait_for_original_seconds)
            return Result(await self._outcomes.release(item, at=until, now=now))
        if original.status is not OutboxStatus.SENT or not original.activity_id:
            # The original's own failure was alerted; this edit has nothing to edit.
            async with self._unit() as uow:
                await uow.outbox.give_up(
                    item,
                    status=OutboxStatus.PARKED,
                    error="the original was not delivered",
                    now=now,
                )
                await uow.commit()
            return Result(Outcome.PARKED)
        target = ConversationTarget(
            conversation_id=original.conversation_id or "",
            service_url=original.service_url or "",
            tenant_id=original.tenant_id or "",
            bot_id="",
        )
        return target, original.activity_id


def _conversation_key(item: ClaimedMessage) -> str:
    target = item.target
    if isinstance(target, ConversationTarget):
        return f"conversation:{target.conversation_id}"
    if isinstance(target, PersonTarget):
        return f"person:{target.object_id}"
    return f"update:{item.original_key}"
