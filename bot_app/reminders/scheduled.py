"""The reminder scheduler: each tick, turns the open cases' clocks into queued reminders.

Every worker ticks (every ``SCHEDULER_INTERVAL_SECONDS``); ticks are idempotent, so workers
need not agree on anything. A tick follows what is due: each case's schedule row
(``storage/reminders.py``) holds when it next needs attention - its next planned reminder, or
"now" after any change to the case (a trigger resets it) - and the tick reads only the rows
due by ``now``, page by page through the index, with no cap on how many cases there are.
For each due case - isolated, so one broken case is logged and the others still get their
reminders:

1. derives the clocks and the reminder plan (``plan_reminders``) as of ``now``, and selects
   what is due (``select_due``: after downtime only the latest missed reminder of each
   clock, marked late);
2. records each reminder under its unique key - exactly one worker's insert succeeds - and,
   in the same transaction, queues its messages in the outbox (``messages.py`` says to whom).
   With nobody to send to, nothing is recorded and the next tick tries again;
3. writes the case's next due time: the earliest reminder still to come, or the end of the
   planning horizon when none is planned before it. A failed or waiting case keeps its due
   time, so the next tick tries it again.

Then the weekly digest, once per week, to the Hub; then the passes other features add
(``add_pass``), each isolated the same way.

Time comes from the caller: ``await scheduler.tick(now)`` in tests, the injected clock in
the background loop; nothing here reads the wall clock. Nothing here sends anything: the
outbox sender does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

from bot_app.core.people import People
from bot_app.core.transactions import Transactions
from bot_app.reminders import messages
from bot_app.reminders.views import ReminderViews
from cards.reminder import reminder_card, summary
from safeguarding.case import Case, Stage
from safeguarding.reference import CaseReference
from safeguarding.reminders import (
    PlannedReminder,
    ReminderKey,
    digest_day,
    plan_reminders,
    select_due,
    send_instant,
)
from storage.reminders import DueCase, NextDue, ReminderStatus
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

DIGEST_CLOCK = "digest"
# Cases read and planned together: one query for their stored reminders, one write of their
# next due times. Memory per tick is bounded by the page, not by the number of open cases.
SWEEP_PAGE_SIZE = 500
# How far ahead a case's reminders are planned; a case with none planned that far is looked
# at again then (its clocks may have moved on).
HORIZON = timedelta(days=42)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

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
    cases_looked_at: int = 0  # due by the schedule (changed, or a reminder due)


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
        page_size: int = SWEEP_PAGE_SIZE,
    ) -> None:
        self._tx = tx
        self._views = views
        self._people = people
        self._digest = digest
        self._page_size = page_size
        self._passes: list[tuple[str, Pass]] = []
        self._plan_key = plan_key_of(views)
        self._plan_key_checked = False

    def add_pass(self, name: str, run: Pass) -> None:
        """Run ``run(now)`` on every tick after the reminders, isolated like them: another
        feature's timers (vote deadlines, differences of opinion) ride on the same
        idempotent tick."""
        self._passes.append((name, run))

    async def tick(self, now: datetime) -> TickReport:
        report = TickReport()
        await self._sweep(now, report)
        try:
            report.digest = await self._send_digest(now)
        except Exception:
            log.exception("the weekly digest failed; the next tick tries again")
        for name, run in self._passes:
            try:
                await run(now)
            except Exception:
                log.exception("the %s pass failed; the next tick tries again", name)
        return report

    async def _sweep(self, now: datetime, report: TickReport) -> None:
        """Every case due by ``now``, a page at a time, until no page is left."""
        if not self._plan_key_checked:
            replanned = await self._tx.run(
                lambda uow: uow.reminders.replan_unless(self._plan_key, epoch=EPOCH)
            )
            if replanned:
                log.info("reminder settings changed: %d cases planned again", replanned)
            self._plan_key_checked = True
        after: DueCase | None = None
        while True:
            page = await self._tx.read(
                partial(_due_page, now=now, after=after, limit=self._page_size)
            )
            if not page:
                return
            report.cases_looked_at += len(page)
            await self._sweep_page(page, now, report)
            if len(page) < self._page_size:
                return
            after = page[-1]

    async def _sweep_page(self, page: Sequence[DueCase], now: datetime, report: TickReport) -> None:
        references = [due.case_reference for due in page]
        loaded = await self._tx.read(partial(_load_page, references=references))
        cases, stored, acknowledged = loaded
        planned: list[NextDue] = []
        for due in page:
            reference = due.case_reference
            case = cases.get(reference)
            if case is None or case.stage is Stage.CLOSED:
                planned.append(NextDue(due.case_id, due.case_version, None))
                continue
            try:
                plan = self._plan(case, now, acknowledged[reference])
                selection = select_due(
                    plan,
                    now=now,
                    stored=stored[reference],
                    not_before=case.opened_at,
                    late_after=self._views.policy.late_after,
                )
                if selection.send or selection.skip:
                    outcome = await self._tx.run(partial(self._remind, case=case, now=now))
                    report.reminders += outcome.sent
                    report.skipped += outcome.skipped
                    report.waiting += outcome.waiting
                    if outcome.waiting:
                        continue  # still due: the next tick tries again
            except Exception:
                log.exception("reminders for case %s failed; the others go on", reference)
                report.failed_cases.append(reference)
                continue
            planned.append(NextDue(due.case_id, case.version, self._next_due(case, now)))
        await self._tx.run(lambda uow: uow.reminders.set_next(planned, plan_key=self._plan_key))

    def _plan(
        self, case: Case, now: datetime, acknowledged: set[tuple[str, date]]
    ) -> list[PlannedReminder]:
        views = self._views
        today = views.calendar.local_date(now)
        return plan_reminders(
            str(case.reference),
            views.clocks_of(case, today),
            policy=views.policy,
            calendar=views.calendar,
            until=today,
            acknowledged=acknowledged,
        )

    def _next_due(self, case: Case, now: datetime) -> datetime:
        """The first reminder after ``now``, or the horizon if none is planned before it.

        Escalations are planned as if unacknowledged: an acknowledgement can only take a
        reminder away, and a case looked at for nothing costs one planning.
        """
        views = self._views
        today = views.calendar.local_date(now)
        horizon = today + HORIZON
        plan = plan_reminders(
            str(case.reference),
            views.clocks_of(case, today),
            policy=views.policy,
            calendar=views.calendar,
            until=horizon,
        )
        upcoming = [reminder.send_at for reminder in plan if reminder.send_at > now]
        if upcoming:
            return min(upcoming)
        return datetime.combine(horizon, time(0), tzinfo=views.calendar.timezone).astimezone(UTC)

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
        await uow.reminders.record_skipped(
            [(missed.key, missed.send_at, missed.clock.title) for missed in selection.skip],
            now=now,
        )
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
        reminder_id = await uow.reminders.record(
            reminder.key,
            send_at=reminder.send_at,
            status=ReminderStatus.SENT,
            late=late,
            clock_title=reminder.clock.title,
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

    async def _send_digest(self, now: datetime) -> bool:
        calendar = self._views.calendar
        today = calendar.local_date(now)
        day = digest_day(today, self._digest.weekday, calendar)
        instant = send_instant(day, self._digest.send_time, calendar)
        if now < instant:
            return False
        key = ReminderKey("", DIGEST_CLOCK, "weekly", day)
        if key in await self._tx.read(lambda uow: uow.reminders.keys_for("")):
            return False  # this week's is sent: the open cases need not be read

        async def send(uow: UnitOfWork) -> bool:
            recorded = await uow.reminders.record(
                key,
                send_at=instant,
                status=ReminderStatus.SENT,
                late=now - instant > self._views.policy.late_after,
                clock_title="Weekly summary",
                outbox_key=messages.digest_message_key(day),
                now=now,
            )
            if recorded is None:
                return False
            # Every open case, however many: the count first, so nothing is cut off.
            cases = await uow.cases.list_open(limit=max(1, await uow.reminders.count_open()))
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


async def _due_page(
    uow: UnitOfWork, *, now: datetime, after: DueCase | None, limit: int
) -> list[DueCase]:
    return await uow.reminders.due(now, after=after, limit=limit)


async def _load_page(
    uow: UnitOfWork, *, references: Sequence[str]
) -> tuple[dict[str, Case], dict[str, set[ReminderKey]], dict[str, set[tuple[str, date]]]]:
    """A page's cases, stored reminder keys and acknowledged clocks, in one transaction."""
    cases = await uow.cases.find_many(CaseReference.parse(reference) for reference in references)
    stored = await uow.reminders.keys_for_cases(references)
    acknowledged = await uow.reminders.acknowledged_for_cases(references)
    return cases, stored, acknowledged


def plan_key_of(views: ReminderViews) -> str:
    """A fingerprint of what reminder times are planned from: policy, clocks, calendar."""
    table = getattr(views, "_table", ())
    convention = getattr(views, "_convention", "")
    basis = repr((views.policy, views.calendar, table, convention))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()
