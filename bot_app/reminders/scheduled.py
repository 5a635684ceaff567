"""The reminder scheduler: each tick, turns the open cases' clocks into queued reminders.

Every worker ticks (every ``SCHEDULER_INTERVAL_SECONDS``); ticks are idempotent, so workers
need not agree on anything. A tick, for each open case - isolated, so one broken case is
logged and the others still get their reminders:

1. derives the clocks and the reminder plan (``plan_reminders``) as of ``now``, and selects
   what is due (``select_due``: after downtime only the latest missed reminder of each
   clock, marked late);
2. records each reminder under its unique key - exactly one worker's insert succeeds - and,
   in the same transaction, queues its messages in the outbox (``messages.py`` says to whom).
   With nobody to send to, nothing is recorded and the next tick tries again.

Then the weekly digest, once per week, to the Hub; then the passes other features add
(``add_pass``), each isolated the same way.

Time comes from the caller: ``await scheduler.tick(now)`` in tests, the injected clock in
the background loop; nothing here reads the wall clock. Nothing here sends anything: the
outbox sender does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial

from bot_app.core.people import People
from bot_app.core.transactions import Transactions
from bot_app.reminders import messages
from bot_app.reminders.views import ReminderViews
from cards.reminder import reminder_card, summary
from safeguarding.case import Case
from safeguarding.reminders import (
    PlannedReminder,
    ReminderKey,
    digest_day,
    plan_reminders,
    select_due,
    send_instant,
)
from storage.reminders import ReminderStatus
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

DIGEST_CLOCK = "digest"
MAX_OPEN_CASES = 10_000

Pass = Callable[[datetime], Awaitable[object]]


@dataclass(frozen=True)
class DigestSchedule:
    weekday: int = 0  # Monday
    send_time: time = time(9, 0)
    horizon_working_days: int = 10


@dataclass
class TickReport:
    reminders: int = 0
    skipped: int = 0
    waiting: int = 0  # due, but nobody to send them to yet
    failed_cases: list[str] = field(default_factory=list)
    digest: bool = False


@dataclass(frozen=True)
class _CaseOutcome:
    sent: int = 0
    skipped: int = 0
    waiting: int = 0


class _NobodyToTell(Exception):
    """The digest found neither a Hub channel nor a Hub officer: roll back, try next tick."""


class ReminderScheduler:
    def __init__(
        self,
        tx: Transactions,
        *,
        views: ReminderViews,
        people: People,
        digest: DigestSchedule = DigestSchedule(),
    ) -> None:
        self._tx = tx
        self._views = views
        self._people = people
        self._digest = digest
        self._passes: list[tuple[str, Pass]] = []

    def add_pass(self, name: str, run: Pass) -> None:
        """Run ``run(now)`` on every tick after the reminders, isolated like them: another
        feature's timers (vote deadlines, differences of opinion) ride on the same
        idempotent tick."""
        self._passes.append((name, run))

    async def tick(self, now: datetime) -> TickReport:
        report = TickReport()
        cases = await self._tx.read(lambda uow: uow.cases.list_open(limit=MAX_OPEN_CASES))
        for case in cases:
            try:
                outcome = await self._tx.run(partial(self._remind, case=case, now=now))
            except Exception:
                log.exception("reminders for case %s failed; the others go on", case.reference)
                report.failed_cases.append(str(case.reference))
                continue
            report.reminders += outcome.sent
            report.skipped += outcome.skipped
            report.waiting += outcome.waiting
        try:
            report.digest = await self._send_digest(cases, now)
        except Exception:
            log.exception("the weekly digest failed; the next tick tries again")
        for name, run in self._passes:
            try:
                await run(now)
            except Exception:
                log.exception("the %s pass failed; the next tick tries again", name)
        return report

    async def run_forever(
        self, clock: Callable[[], datetime], *, interval_seconds: float, stop: asyncio.Event
    ) -> None:
        while not stop.is_set():
            try:
                await self.tick(clock())
            except Exception:
                log.exception("scheduler tick failed; trying again in %.0f s", interval_seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_seconds)

    async def _remind(self, uow: UnitOfWork, *, case: Case, now: datetime) -> _CaseOutcome:
        reference = str(case.reference)
        views = self._views
        today = views.calendar.local_date(now)
        plan = plan_reminders(
            reference,
            views.clocks_of(case, today),
            policy=views.policy,
            calendar=views.calendar,
            until=today,
            acknowledged=await uow.reminders.acknowledged_clocks(reference),
        )
        selection = select_due(
            plan,
            now=now,
            stored=await uow.reminders.keys_for(reference),
            not_before=case.opened_at,
            late_after=views.policy.late_after,
        )
        for missed in selection.skip:
            await _store(uow, missed, ReminderStatus.SKIPPED, outbox_key=None, now=now)
        sent = waiting = 0
        for reminder, late in selection.send:
            if await self._queue(uow, case, reminder, late=late, today=today, now=now):
                sent += 1
            else:
                waiting += 1
        return _CaseOutcome(sent=sent, skipped=len(selection.skip), waiting=waiting)

    async def _queue(
        self,
        uow: UnitOfWork,
        case: Case,
        reminder: PlannedReminder,
        *,
        late: bool,
        today: date,
        now: datetime,
    ) -> bool:
        to = await messages.recipients(uow, case, reminder, people=self._people)
        if to.nobody:
            log.warning(
                "reminder %s is due but there is no channel and nobody to send it to", reminder.key
            )
            return False
        reminder_id = await _store(
            uow,
            reminder,
            ReminderStatus.SENT,
            late=late,
            outbox_key=messages.reminder_message_key(reminder.key),
            now=now,
        )
        if reminder_id is None:
            return False  # another worker recorded it first, and queued its messages
        view = self._views.planned_view(reminder_id, case, reminder, today=today, late=late)
        await messages.post_reminder(
            uow, to, reminder_card(view), key=reminder.key, summary=summary(view), now=now
        )
        log.info("reminder %s queued%s", reminder.key, " (late)" if late else "")
        return True

    async def _send_digest(self, cases: Sequence[Case], now: datetime) -> bool:
        calendar = self._views.calendar
        today = calendar.local_date(now)
        day = digest_day(today, self._digest.weekday, calendar)
        instant = send_instant(day, self._digest.send_time, calendar)
        if now < instant:
            return False

        async def send(uow: UnitOfWork) -> bool:
            recorded = await uow.reminders.record(
                ReminderKey("", DIGEST_CLOCK, "weekly", day),
                send_at=instant,
                status=ReminderStatus.SENT,
                late=now - instant > self._views.policy.late_after,
                clock_title="Weekly summary",
                outbox_key=messages.digest_message_key(day),
                now=now,
            )
            if recorded is None:
                return False
            card = self._views.digest_card(
                cases, today, horizon_working_days=self._digest.horizon_working_days
            )
            if not await messages.post_digest(uow, card, day, people=self._people, now=now):
                raise _NobodyToTell()
            return True

        try:
            sent = await self._tx.run(send)
        except _NobodyToTell:
            return False  # nothing committed: the next tick tries again
        if sent:
            log.info("weekly digest for %s queued", day)
        return sent


async def _store(
    uow: UnitOfWork,
    reminder: PlannedReminder,
    status: ReminderStatus,
    *,
    outbox_key: str | None,
    now: datetime,
    late: bool = False,
) -> int | None:
    return await uow.reminders.record(
        reminder.key,
        send_at=reminder.send_at,
        status=status,
        late=late,
        clock_title=reminder.clock.title,
        outbox_key=outbox_key,
        now=now,
    )
