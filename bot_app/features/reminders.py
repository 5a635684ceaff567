"""Reminders in chat: what a case will be reminded of, and the "On it" / "Done" buttons.

``reminders <reference>`` shows the reminders sent and those planned, with where each goes
(for anyone who may see the case: ``Action.VIEW_CASE``). The card buttons acknowledge a
reminder (``Action.ACKNOWLEDGE_REMINDER``): the acknowledgement is recorded on the reminder and
in the case's evidence trail, the person who pressed gets the card redrawn with their name,
and every posted copy is updated in place through the outbox so everyone sees it. An
acknowledged clock is not escalated to the Hub.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from botbuilder.core import InvokeResponse
from botbuilder.integration.aiohttp import CloudAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.features.channels import Channels
from bot_app.invoke import card_response
from bot_app.notify import People, update_message
from bot_app.outbox_sender import Endpoint, OutboxSender, SenderConfig
from bot_app.proactive import AdapterTokens, ConversationObserver, HttpConnector
from bot_app.replies import send_card, send_text
from bot_app.routing import Router, Turn
from bot_app.scheduler import BackgroundWork, DigestSchedule, ReminderScheduler
from bot_app.settings import Settings
from cards.reminder import VERB_DONE, VERB_ON_IT, reminder_card, schedule_card, summary
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Actor, Case
from safeguarding.clocks import ClockRule, Deadline, format_day
from safeguarding.errors import InvalidInput, NotFound
from safeguarding.policy import Action, require_case_access
from safeguarding.reference import CaseReference
from safeguarding.reminders import WEEKDAYS
from storage.outbox import OutboxRepository
from storage.reminders import Acknowledgement, ReminderRecord, ReminderRepository
from storage.uow import UnitOfWork

ACKNOWLEDGED = "reminder.acknowledged"


class Reminders:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        scheduler: ReminderScheduler,
        calendar: WorkingDayCalendar,
        reference_prefix: str,
        convention: CountingConvention,
    ) -> None:
        self._sessions = sessions
        self._scheduler = scheduler
        self._calendar = calendar
        self._prefix = reference_prefix
        self._convention = convention

    def register(self, router: Router) -> None:
        router.add_command(
            ["reminders"],
            self.show,
            usage="reminders <reference>",
            description="The reminders a case has had and will get: when, and where they go.",
            action=Action.VIEW_CASE,
        )
        router.add_verb(VERB_ON_IT, self.on_it, action=Action.ACKNOWLEDGE_REMINDER)
        router.add_verb(VERB_DONE, self.done, action=Action.ACKNOWLEDGE_REMINDER)

    async def show(self, turn: Turn, args: str) -> None:
        if not args.strip():
            await send_text(
                turn.context, f"Which case? For example **reminders {self._prefix}-2026-0001**."
            )
            return
        reference = CaseReference.parse(args, prefix=self._prefix)
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
        require_case_access(turn.actor, case)
        await send_card(turn.context, schedule_card(await self._scheduler.preview(case, turn.now)))

    async def on_it(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        return await self._acknowledge(turn, data, Acknowledgement.ON_IT)

    async def done(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        return await self._acknowledge(turn, data, Acknowledgement.DONE)

    async def _acknowledge(
        self, turn: Turn, data: dict[str, Any], state: Acknowledgement
    ) -> InvokeResponse:
        reminder_id = data.get("reminder")
        if isinstance(reminder_id, bool) or not isinstance(reminder_id, int):
            raise InvalidInput("That button did not say which reminder it is for.")
        async with UnitOfWork(self._sessions) as uow:
            reminders = ReminderRepository(uow.session)
            record = await reminders.get(reminder_id)
            if record is None or not record.key.case_reference:
                raise NotFound("I can't find that reminder any more.")
            case = await uow.cases.get(CaseReference.parse(record.key.case_reference))
            name = turn.actor.name or "Someone"
            changed = await reminders.acknowledge(
                reminder_id, state=state, by=turn.actor.object_id, by_name=name, at=turn.now
            )
            record = await reminders.get(reminder_id)
            assert record is not None
            if changed:
                _record_in_trail(case, record, state, turn, name)
                await uow.cases.save(case)
            view = self._scheduler.view(
                reminder_id=reminder_id,
                case=case,
                key=record.key,
                clock_title=record.clock_title,
                days_left=self._days_left(case, record, turn.today),
                send_at=record.send_at,
                late=record.late,
                record=record,
            )
            card = reminder_card(view)
            if changed and record.outbox_key:
                for original in await OutboxRepository(uow.session).copies_of(record.outbox_key):
                    await update_message(
                        uow,
                        original,
                        card,
                        f"{original}:ack:{state.value}",
                        now=turn.now,
                        case_reference=record.key.case_reference,
                        summary=summary(view),
                    )
            await uow.commit()
        return card_response(card)

    def _days_left(self, case: Case, record: ReminderRecord, today: date) -> int:
        for clock in self._scheduler.clocks_of(case, today):
            if clock.key == record.key.clock_key and clock.deadline.due == record.key.due_on:
                return clock.deadline.working_days_left(today, self._calendar)
        # The clock was met or its date corrected since: count to the date on the card.
        due = record.key.due_on
        rule = self._scheduler.rule_of(record.key)
        on_card = Deadline(
            rule=rule, start=due, due=due, convention=self._convention, explanation=""
        )
        return on_card.working_days_left(today, self._calendar)


def _record_in_trail(
    case: Case, record: ReminderRecord, state: Acknowledgement, turn: Turn, name: str
) -> None:
    """Who acknowledged what, and when, belongs in the case's evidence trail."""
    case.record(
        ACKNOWLEDGED,
        actor=Actor(id=turn.actor.object_id, name=name),
        at=turn.now,
        what=f"{name} marked the reminder for '{record.clock_title}' (due "
        f"{format_day(record.key.due_on)}) as '{state.label}'.",
        data={
            "clock": record.key.clock_key,
            "kind": record.key.kind,
            "due_on": record.key.due_on.isoformat(),
            "state": state.value,
        },
    )


def install(
    settings: Settings,
    *,
    router: Router,
    sessions: async_sessionmaker[AsyncSession],
    adapter: CloudAdapter,
    calendar: WorkingDayCalendar,
    clocks: Sequence[ClockRule],
    people: People,
) -> BackgroundWork:
    """Build the channels and reminders features, the scheduler and the outbox sender.

    The composition root calls this once; it registers the commands and verbs, and returns
    what the app must start (``lifecycle``) and observe (``observer``).
    """
    scheduler = ReminderScheduler(
        sessions,
        calendar=calendar,
        table=clocks,
        convention=settings.counting_convention,
        policy=settings.reminder_policy(),
        people=people,
        digest=DigestSchedule(
            weekday=WEEKDAYS.index(settings.digest_day), send_time=settings.digest_time
        ),
    )
    connector = HttpConnector(
        tokens=AdapterTokens(adapter, settings.microsoft_app_id),
        timeout_seconds=settings.outbox_send_timeout_seconds,
    )
    sender = OutboxSender(
        sessions,
        connector,
        people=people,
        service_url_allowed=settings.service_url_allowed,
        config=SenderConfig(
            max_attempts=settings.outbox_max_attempts,
            backoff_seconds=settings.outbox_backoff_seconds,
            backoff_max_seconds=settings.outbox_backoff_max_seconds,
            lease_seconds=settings.outbox_lease_seconds,
            batch_size=settings.outbox_batch_size,
            concurrency=settings.outbox_concurrency,
        ),
        endpoint=Endpoint(
            service_url=settings.teams_service_url,
            tenant_id=settings.microsoft_app_tenant_id,
            bot_id=f"28:{settings.microsoft_app_id}" if settings.microsoft_app_id else "",
        ),
    )
    Channels(sessions=sessions).register(router)
    Reminders(
        sessions=sessions,
        scheduler=scheduler,
        calendar=calendar,
        reference_prefix=settings.reference_prefix,
        convention=settings.counting_convention,
    ).register(router)
    return BackgroundWork(
        scheduler=scheduler,
        sender=sender,
        connector=connector,
        observer=ConversationObserver(sessions),
        enabled=settings.scheduler_enabled,
        interval_seconds=settings.scheduler_interval_seconds,
        poll_seconds=settings.outbox_poll_seconds,
    )
