"""The reminder scheduler: each tick, turns the open cases' clocks into queued reminders.

Every worker ticks (every ``SCHEDULER_INTERVAL_SECONDS``); ticks are idempotent, so workers
need not agree on anything. A tick, for each open case - isolated, so one broken case is
logged and the others still get their reminders:

1. derives the clocks (``case_clocks``) and the reminder plan (``plan_reminders``) as of
   ``now``, and selects what is due (``select_due``: after downtime only the latest missed
   reminder of each clock, marked late);
2. records each reminder under its unique key - exactly one worker's insert succeeds - and,
   in the same transaction, queues its messages in the outbox: the responsible channel (an
   agency's, else the Hub's) and the named owner's personal chat (the case fact
   ``owner_object_id``; for agency clocks, the agency's safeguarding leads). With no channel
   at all, the Hub officers get it personally; with nobody to send to, nothing is recorded and
   the next tick tries again.

Then the weekly digest, once per week, to the Hub.

Time comes from the caller: ``await scheduler.tick(now)`` in tests, the injectable clock in
the background loop. Nothing here sends anything: the outbox sender does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.notify import People, card_activity, post_to_hub, post_to_people
from bot_app.outbox_sender import OutboxSender
from bot_app.proactive import ConversationObserver, HttpConnector
from cards.base import Card
from cards.digest import digest_card
from cards.reminder import (
    ReminderView,
    ScheduleLine,
    ScheduleView,
    reminder_card,
    summary,
)
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Case
from safeguarding.case_clocks import CaseClock, case_clocks
from safeguarding.clocks import ClockId, ClockRule, clock_rule
from safeguarding.reminders import (
    CaseSummary,
    ChannelPurpose,
    PlannedReminder,
    ReminderKey,
    ReminderKind,
    ReminderPolicy,
    build_digest,
    digest_day,
    plan_reminders,
    select_due,
    send_instant,
)
from safeguarding.roles import Person, Role
from storage.channels import ChannelRepository, RegisteredChannel
from storage.outbox import OutboxRepository, OutgoingMessage
from storage.reminders import ReminderRecord, ReminderRepository, ReminderStatus
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

DIGEST_CLOCK = "digest"
SHUTDOWN_GRACE_SECONDS = 5.0
MAX_OPEN_CASES = 10_000


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


def reminder_message_key(key: ReminderKey) -> str:
    """The outbox key of a reminder's channel post; personal copies add ``:person:<id>``."""
    return f"reminder:{key}"


class ReminderScheduler:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        calendar: WorkingDayCalendar,
        table: Sequence[ClockRule],
        convention: CountingConvention,
        policy: ReminderPolicy,
        people: People,
        digest: DigestSchedule = DigestSchedule(),
    ) -> None:
        self._sessions = sessions
        self._calendar = calendar
        self._table = tuple(table)
        self._convention = convention
        self.policy = policy
        self._people = people
        self._digest = digest
        self._passes: list[tuple[str, Callable[[datetime], Awaitable[object]]]] = []

    def add_pass(self, name: str, run: Callable[[datetime], Awaitable[object]]) -> None:
        """Run ``run(now)`` on every tick after the reminders, isolated like them: another
        feature's timers (differences of opinion) ride on the same idempotent tick."""
        self._passes.append((name, run))

    def clocks_of(self, case: Case, today: date) -> list[CaseClock]:
        return case_clocks(
            case,
            today=today,
            calendar=self._calendar,
            table=self._table,
            convention=self._convention,
        )

    def rule_of(self, key: ReminderKey) -> ClockRule:
        return clock_rule(ClockId(key.clock_key.partition(":")[0]), self._table)

    # -- the tick ------------------------------------------------------------------------

    async def tick(self, now: datetime) -> TickReport:
        report = TickReport()
        async with UnitOfWork(self._sessions) as uow:
            cases = await uow.cases.list_open(limit=MAX_OPEN_CASES)
        for case in cases:
            try:
                await self._remind(case, now, report)
            except Exception:
                log.exception("reminders for case %s failed; the others go on", case.reference)
                report.failed_cases.append(str(case.reference))
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

    async def _remind(self, case: Case, now: datetime, report: TickReport) -> None:
        reference = str(case.reference)
        today = self._calendar.local_date(now)
        clocks = self.clocks_of(case, today)
        async with UnitOfWork(self._sessions) as uow:
            reminders = ReminderRepository(uow.session)
            plan = plan_reminders(
                reference,
                clocks,
                policy=self.policy,
                calendar=self._calendar,
                until=today,
                acknowledged=await reminders.acknowledged_clocks(reference),
            )
            selection = select_due(
                plan,
                now=now,
                stored=await reminders.keys_for(reference),
                not_before=case.opened_at,
                late_after=self.policy.late_after,
            )
            for missed in selection.skip:
                await _store(reminders, missed, ReminderStatus.SKIPPED, outbox_key=None, now=now)
                report.skipped += 1
            for reminder, late in selection.send:
                if await self._queue(uow, case, reminder, late=late, today=today, now=now):
                    report.reminders += 1
                else:
                    report.waiting += 1
            await uow.commit()

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
        channel, people = await self._recipients(uow, case, reminder)
        if channel is None and not people:
            log.warning(
                "reminder %s is due but there is no channel and nobody to send it to", reminder.key
            )
            return False
        base_key = reminder_message_key(reminder.key)
        reminder_id = await _store(
            ReminderRepository(uow.session),
            reminder,
            ReminderStatus.SENT,
            late=late,
            outbox_key=base_key,
            now=now,
        )
        if reminder_id is None:
            return False  # another worker recorded it first, and queued its messages
        view = self.view(
            reminder_id=reminder_id,
            case=case,
            key=reminder.key,
            clock_title=reminder.clock.title,
            days_left=reminder.clock.deadline.working_days_left(today, self._calendar),
            send_at=reminder.send_at,
            late=late,
        )
        card = reminder_card(view)
        if channel is not None:
            await OutboxRepository(uow.session).enqueue(
                OutgoingMessage(
                    key=base_key,
                    target=channel.target,
                    activity=card_activity(card, summary=summary(view)),
                    summary=summary(view),
                    case_reference=str(case.reference),
                ),
                now=now,
            )
        await post_to_people(
            uow, people, card, base_key, str(case.reference), now=now, summary=summary(view)
        )
        log.info("reminder %s queued%s", reminder.key, " (late)" if late else "")
        return True

    async def _recipients(
        self, uow: UnitOfWork, case: Case, reminder: PlannedReminder
    ) -> tuple[RegisteredChannel | None, list[Person]]:
        """The channel responsible (an agency's falls back to the Hub's) and the people who
        get it personally: the named owner, or an agency's leads; the Hub officers when no
        channel at all is registered."""
        channel = await ChannelRepository(uow.session).resolve(reminder.purpose, reminder.agency)
        people: list[Person] = []
        if reminder.kind is not ReminderKind.ESCALATION:
            if reminder.clock.subject and reminder.purpose is ChannelPurpose.AGENCY:
                people += await self._people.people_with(Role.AGENCY_LEAD, reminder.clock.subject)
            owner = case.facts.get("owner_object_id")
            if isinstance(owner, str) and owner and not people:
                people.append(Person(object_id=owner, name=""))
        if channel is None:
            people += await self._people.people_with(Role.HUB_OFFICER)
        unique = {person.object_id: person for person in people}
        return channel, list(unique.values())

    def view(
        self,
        *,
        reminder_id: int,
        case: Case,
        key: ReminderKey,
        clock_title: str,
        days_left: int,
        send_at: datetime,
        late: bool,
        record: ReminderRecord | None = None,
    ) -> ReminderView:
        """The card's view model, for a reminder being queued or one already stored."""
        rule = self.rule_of(key)
        subject = key.clock_key.partition(":")[2]
        kind = ReminderKind(key.kind.split("_")[0])
        zone = self._calendar.timezone
        acknowledged_at = record.acknowledged_at if record else None
        return ReminderView(
            reminder_id=reminder_id,
            case_reference=key.case_reference,
            stage=case.stage.label,
            clock_title=clock_title,
            due_on=key.due_on,
            kind=kind,
            days_left=days_left,
            responsible=responsible(kind, self.policy.channel_for(rule.id), subject),
            statutory=rule.statutory,
            scheduled_local=send_at.astimezone(zone) if late else None,
            acknowledged=record.acknowledged.label if record and record.acknowledged else None,
            acknowledged_by=record.acknowledged_by_name if record else None,
            acknowledged_at_local=acknowledged_at.astimezone(zone) if acknowledged_at else None,
        )

    # -- what will be sent ---------------------------------------------------------------

    async def preview(self, case: Case, now: datetime, *, horizon_days: int = 15) -> ScheduleView:
        """Reminders sent so far and those planned for the next ``horizon_days`` working days,
        each with where it would go now: what ``reminders <reference>`` shows."""
        reference = str(case.reference)
        today = self._calendar.local_date(now)
        until = self._calendar.add_working_days(today, horizon_days)
        zone = self._calendar.timezone
        async with UnitOfWork(self._sessions) as uow:
            reminders = ReminderRepository(uow.session)
            records = await reminders.for_case(reference)
            plan = plan_reminders(
                reference,
                self.clocks_of(case, today),
                policy=self.policy,
                calendar=self._calendar,
                until=until,
                acknowledged=await reminders.acknowledged_clocks(reference),
            )
            lines = [
                ScheduleLine(
                    when_local=record.send_at.astimezone(zone),
                    clock_title=record.clock_title,
                    kind=record.key.kind,
                    state=_state(record),
                    destination="",
                    acknowledged=(
                        f"{record.acknowledged.label}: {record.acknowledged_by_name}"
                        if record.acknowledged
                        else None
                    ),
                )
                for record in records
            ]
            stored = {record.key for record in records}
            for reminder in plan:
                if reminder.send_at <= now or reminder.key in stored:
                    continue
                lines.append(
                    ScheduleLine(
                        when_local=reminder.send_at.astimezone(zone),
                        clock_title=reminder.clock.title,
                        kind=reminder.key.kind,
                        state="planned",
                        destination=await self._describe(uow, case, reminder),
                        acknowledged=None,
                    )
                )
        lines.sort(key=lambda line: line.when_local)
        return ScheduleView(
            case_reference=reference, stage=case.stage.label, lines=tuple(lines), horizon=until
        )

    async def _describe(self, uow: UnitOfWork, case: Case, reminder: PlannedReminder) -> str:
        channel, people = await self._recipients(uow, case, reminder)
        parts = []
        if channel is not None:
            parts.append(f"the {channel.label} channel")
        if people:
            parts.append(f"{len(people)} {'person' if len(people) == 1 else 'people'} personally")
        return " and ".join(parts) or "nobody yet: no channel is registered"

    # -- the weekly digest ---------------------------------------------------------------

    async def _send_digest(self, cases: Sequence[Case], now: datetime) -> bool:
        today = self._calendar.local_date(now)
        day = digest_day(today, self._digest.weekday, self._calendar)
        instant = send_instant(day, self._digest.send_time, self._calendar)
        if now < instant:
            return False
        async with UnitOfWork(self._sessions) as uow:
            key = ReminderKey("", DIGEST_CLOCK, "weekly", day)
            recorded = await ReminderRepository(uow.session).record(
                key,
                send_at=instant,
                status=ReminderStatus.SENT,
                late=now - instant > self.policy.late_after,
                clock_title="Weekly summary",
                outbox_key=f"digest:{day.isoformat()}",
                now=now,
            )
            if recorded is None:
                return False
            card = self.digest_card(cases, today)
            keys = await post_to_hub(
                uow,
                card,
                f"digest:{day.isoformat()}",
                None,
                people=self._people,
                now=now,
                summary=f"Weekly summary for {day.isoformat()}",
            )
            if not keys:
                return False  # not committed: the next tick tries again
            await uow.commit()
        log.info("weekly digest for %s queued", day)
        return True

    def digest_card(self, cases: Sequence[Case], today: date) -> Card:
        digest = build_digest(
            (
                CaseSummary(
                    case_reference=str(case.reference),
                    stage=case.stage.label,
                    opened_on=self._calendar.local_date(case.opened_at),
                    clocks=tuple(self.clocks_of(case, today)),
                )
                for case in cases
            ),
            today=today,
            calendar=self._calendar,
            horizon_working_days=self._digest.horizon_working_days,
        )
        return digest_card(digest)


async def _store(
    reminders: ReminderRepository,
    reminder: PlannedReminder,
    status: ReminderStatus,
    *,
    outbox_key: str | None,
    now: datetime,
    late: bool = False,
) -> int | None:
    return await reminders.record(
        reminder.key,
        send_at=reminder.send_at,
        status=status,
        late=late,
        clock_title=reminder.clock.title,
        outbox_key=outbox_key,
        now=now,
    )


def _state(record: ReminderRecord) -> str:
    if record.status is ReminderStatus.SKIPPED:
        return "skipped: missed while the service was down"
    return "sent late" if record.late else "sent"


def responsible(kind: ReminderKind, purpose: ChannelPurpose, subject: str | None) -> str:
    """Who answers for a reminder, as its card says: "Hub", "Agency: Humberside Police"."""
    if kind is ReminderKind.ESCALATION:
        return "Hub (escalation)"
    if purpose is ChannelPurpose.AGENCY and subject:
        return f"{purpose.label}: {subject}"
    return purpose.label


# -- running in the background of every worker ------------------------------------------------


@dataclass(frozen=True)
class BackgroundWork:
    """The scheduler and the outbox sender of one worker, and what they share with the app.

    Tests reach them through ``app[REMINDERS]`` to call ``tick(now)`` and ``run_once(now)``
    themselves (with ``SCHEDULER_ENABLED=false`` so no loop runs behind their back).
    """

    scheduler: ReminderScheduler
    sender: OutboxSender
    connector: HttpConnector
    observer: ConversationObserver
    enabled: bool
    interval_seconds: float
    poll_seconds: float

    def lifecycle(
        self, clock: Callable[[], datetime]
    ) -> Callable[[web.Application], AsyncIterator[None]]:
        """An aiohttp ``cleanup_ctx``: both loops start with the app and stop with it."""

        async def run(_app: web.Application) -> AsyncIterator[None]:
            stop = asyncio.Event()
            tasks = []
            if self.enabled:
                tasks = [
                    asyncio.create_task(
                        self.scheduler.run_forever(
                            clock, interval_seconds=self.interval_seconds, stop=stop
                        ),
                        name="reminder-scheduler",
                    ),
                    asyncio.create_task(
                        self.sender.run_forever(clock, poll_seconds=self.poll_seconds, stop=stop),
                        name="outbox-sender",
                    ),
                ]
            try:
                yield
            finally:
                stop.set()
                # A send in flight may take up to its timeout: after a grace period it is
                # cancelled, and its row is taken over when its lease expires.
                if tasks:
                    _done, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
                    for task in pending:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                await self.connector.close()

        return run


REMINDERS = web.AppKey("reminders", BackgroundWork)
