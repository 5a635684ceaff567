"""What becomes of a message after an attempt: paced, retried after a backoff, or given up.

The retry policy of the outbox sender (``outbox_sender.py``), apart from the sending, so the
rules read in one place:

* 429: retried after ``Retry-After``, and the whole conversation paused until then; 5xx, 408,
  412, timeouts and network errors: retried with exponential backoff and jitter (Microsoft's
  advice for Teams), at least ``Retry-After`` when given;
* after ``max_attempts`` attempts: ``failed``, and the Hub is alerted;
* 403/404 (channel deleted, app removed, bot blocked) or any other 4xx: ``parked`` at once -
  retrying cannot help - and the Hub is alerted (``outbox_alerts.py``, in the same
  transaction as the give-up).

Each outcome is committed in its own transaction straight after the call, and only by the
claim that still holds the row: a claim lost meanwhile is reported, never overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot_app.core.people import People
from bot_app.teams.outbox_alerts import alert_hub, explain
from bot_app.teams.outbox_report import Outcome, Result, SenderConfig
from bot_app.teams.proactive import DeliveryError
from bot_app.teams.rate_limit import RateLimiter
from storage.outbox import ClaimedMessage, ConversationTarget, OutboxStatus
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class OutcomeRecorder:
    """Records one attempt's outcome for the sender; shares its limiter, to pause a
    throttled conversation."""

    def __init__(
        self,
        unit: Callable[[], UnitOfWork],
        *,
        people: People,
        config: SenderConfig,
        limiter: RateLimiter,
        random_fraction: Callable[[], float],
    ) -> None:
        self._unit = unit
        self._people = people
        self._config = config
        self._limiter = limiter
        self._random = random_fraction

    async def release(self, item: ClaimedMessage, *, at: datetime, now: datetime) -> Outcome:
        async with self._unit() as uow:
            done = await uow.outbox.release(item, at=at, now=now)
            await uow.commit()
        return Outcome.PACED if done else Outcome.LOST_CLAIM

    async def failed(
        self,
        item: ClaimedMessage,
        target: ConversationTarget | None,
        reason: str,
        now: datetime,
        *,
        error: DeliveryError | None = None,
    ) -> Result:
        if error is not None and not error.retryable:
            return await self.give_up(item, target, explain(error), now, False)
        if item.attempts >= self._config.max_attempts:
            return await self.give_up(item, target, reason, now, True)
        delay = self.backoff(item.attempts)
        if error is not None and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        at = now + timedelta(seconds=delay)
        pause_until = None
        if error is not None and error.status == 429 and target is not None:
            # Throttled: the whole conversation waits, and resumes with this message first
            # (the rest are released to the same instant, so the queue keeps its order).
            pause_until = at
            self._limiter.block(target.conversation_id, at)
        log.warning(
            "outbox %r (case %s) attempt %d failed: %s; next try at %s",
            item.key,
            item.case_reference,
            item.attempts,
            reason,
            at.isoformat(),
        )
        async with self._unit() as uow:
            done = await uow.outbox.retry_at(item, at=at, error=reason, now=now)
            await uow.commit()
        return Result(Outcome.RETRIED if done else Outcome.LOST_CLAIM, pause_until=pause_until)

    async def give_up(
        self,
        item: ClaimedMessage,
        target: ConversationTarget | None,
        reason: str,
        now: datetime,
        exhausted: bool,
    ) -> Result:
        status = OutboxStatus.FAILED if exhausted else OutboxStatus.PARKED
        log.error(
            "outbox %r (case %s) %s after %d attempt(s): %s",
            item.key,
            item.case_reference,
            status.value,
            item.attempts,
            reason,
        )
        async with self._unit() as uow:
            done = await uow.outbox.give_up(item, status=status, error=reason, now=now)
            if done and not item.is_alert:
                await alert_hub(
                    uow, item, target, reason, exhausted=exhausted, now=now, people=self._people
                )
            await uow.commit()
        if not done:
            return Result(Outcome.LOST_CLAIM)
        return Result(Outcome.FAILED if exhausted else Outcome.PARKED)

    def backoff(self, attempts: int) -> float:
        base = self._config.backoff_seconds * 2 ** max(0, attempts - 1)
        return min(self._config.backoff_max_seconds, base) * (
            1 + self._config.jitter * self._random()
        )
