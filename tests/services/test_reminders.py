"""Reminders without Teams: the scheduler's tick, the schedule and "On it" / "Done", on a real
SQLite database. What reached the outbox is what Teams would have been sent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from bot_app.core.transactions import Transactions
from bot_app.reminders import services
from bot_app.reminders.messages import reminder_message_key
from bot_app.reminders.scheduled import DigestSchedule, ReminderScheduler
from bot_app.reminders.views import ReminderViews
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Actor, Case
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.errors import NotFound
from safeguarding.policy import Forbidden
from safeguarding.reference import CaseReference
from safeguarding.reminders import ChannelPurpose, ReminderPolicy
from safeguarding.roles import Person, Role
from storage.channels import RegisteredChannel
from storage.outbox import ConversationTarget, OutboxRow
from storage.reminders import Acknowledgement
from storage.uow import UnitOfWork

HANA = Person(object_id="hana-oid", name="Hana Hub", roles=frozenset({Role.HUB_OFFICER}))
PAT = Person(object_id="pat-oid", name="Pat Practitioner", roles=frozenset({Role.PRACTITIONER}))
HUB_CHANNEL = "19:hub@thread.tacv2"
AWARE_ON = date(2026, 12, 23)  # the Panel must be notified by Monday 4 January 2027
DUE_DAY = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


class Roster:
    """Who holds a role: the directory, as the scheduler asks it."""

    def __init__(self, *people: Person) -> None:
        self.people = list(people)

    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return [p for p in self.people if p.has(role)]


@pytest.fixture
def tx(transactions: Transactions) -> Transactions:
    return transactions


VIEWS = ReminderViews(
    calendar=WorkingDayCalendar(),
    table=STATUTORY_CLOCKS,
    convention=CountingConvention.EXCLUDE_START,
    policy=ReminderPolicy(),
)


def scheduler(tx: Transactions, roster: Roster) -> ReminderScheduler:
    return ReminderScheduler(tx, views=VIEWS, people=roster, digest=DigestSchedule())


async def open_case(tx: Transactions, number: int = 1) -> str:
    reference = CaseReference("NL", AWARE_ON.year, number)
    case = Case.open(
        reference=reference,
        aware_on=AWARE_ON,
        incident_on=AWARE_ON,
        actor=Actor(id=HANA.object_id, name=HANA.name),
        at=datetime.combine(AWARE_ON, time(12), tzinfo=UTC),
        facts={"child_name": "Jamie Doe"},
    )
    await tx.run(lambda uow: uow.cases.add(case))
    return str(reference)


async def register_hub(tx: Transactions) -> None:
    channel = RegisteredChannel(
        purpose=ChannelPurpose.HUB,
        agency="",
        channel_id=HUB_CHANNEL,
        team_id=None,
        team_name=None,
        channel_name=None,
        target=ConversationTarget(HUB_CHANNEL, "https://smba.example/", "tenant", "28:bot"),
        registered_by="ada-oid",
        registered_by_name="Ada Admin",
        registered_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    await tx.run(lambda uow: uow.channels.register(channel))


async def queued(tx: Transactions) -> list[str]:
    """The outbox keys queued so far, in order."""

    async def keys(uow: UnitOfWork) -> list[str]:
        return list(
            (await uow.session.execute(select(OutboxRow.key).order_by(OutboxRow.id))).scalars()
        )

    return await tx.read(keys)


async def test_a_due_reminder_is_queued_for_the_hub_channel_once_however_often_it_ticks(
    tx: Transactions,
) -> None:
    await register_hub(tx)
    reference = await open_case(tx)
    work = scheduler(tx, Roster(HANA))

    first = await work.tick(DUE_DAY)
    again = await work.tick(DUE_DAY)

    assert (first.reminders, first.failed_cases) == (1, [])
    assert again.reminders == 0
    [key] = [k for k in await queued(tx) if k.startswith("reminder:")]
    assert reference in key
    assert "/due/" in key


async def test_with_no_channel_the_hub_officers_get_the_reminder_personally(
    tx: Transactions,
) -> None:
    await open_case(tx)

    report = await scheduler(tx, Roster(HANA)).tick(DUE_DAY)

    assert report.reminders == 1
    assert any(key.endswith(f":person:{HANA.object_id}") for key in await queued(tx))


async def test_with_nobody_to_tell_nothing_is_recorded_and_a_later_tick_sends_it(
    tx: Transactions,
) -> None:
    await open_case(tx)
    roster = Roster()

    waiting = await scheduler(tx, roster).tick(DUE_DAY)
    roster.people.append(HANA)
    later = await scheduler(tx, roster).tick(DUE_DAY.replace(minute=10))

    assert (waiting.reminders, waiting.waiting) == (0, 1)
    assert later.reminders == 1


async def test_one_failing_pass_does_not_stop_the_others(tx: Transactions) -> None:
    work = scheduler(tx, Roster(HANA))
    ran: list[datetime] = []

    async def broken(now: datetime) -> None:
        raise RuntimeError("a bug in another feature's timers")

    async def fine(now: datetime) -> None:
        ran.append(now)

    work.add_pass("broken", broken)
    work.add_pass("fine", fine)
    await work.tick(DUE_DAY)

    assert ran == [DUE_DAY]


async def test_the_weekly_summary_goes_to_the_hub_once_a_week(tx: Transactions) -> None:
    await register_hub(tx)
    await open_case(tx)
    work = scheduler(tx, Roster(HANA))

    monday = await work.tick(DUE_DAY)
    later = await work.tick(DUE_DAY.replace(hour=15))

    assert monday.digest
    assert not later.digest
    assert (await queued(tx)).count("digest:2027-01-04") == 1


async def test_on_it_is_recorded_in_the_trail_and_redraws_every_posted_copy(
    tx: Transactions,
) -> None:
    await register_hub(tx)
    reference = await open_case(tx)
    await scheduler(tx, Roster(HANA)).tick(DUE_DAY)
    records = await tx.read(lambda uow: uow.reminders.for_case(reference))
    [record] = [r for r in records if r.key.kind == "due"]
    at = DUE_DAY.replace(minute=20)

    def press(state: Acknowledgement, by: Person) -> services.Acknowledge:
        return services.Acknowledge(reminder_id=record.id, state=state, by=by)

    on_it = await tx.run(
        lambda uow: services.acknowledge(
            press(Acknowledgement.ON_IT, HANA), uow, now=at, views=VIEWS
        )
    )
    second = await tx.run(
        lambda uow: services.acknowledge(
            press(Acknowledgement.ON_IT, PAT), uow, now=at, views=VIEWS
        )
    )

    assert on_it.changed
    assert "Hana Hub" in str(on_it.card)
    assert "09:20 on Monday 4 January 2027" in str(on_it.card)
    assert not second.changed, "the first 'On it' stands"
    assert "Hana Hub" in str(second.card)
    assert f"{reminder_message_key(record.key)}:ack:on_it" in await queued(tx)
    case = await tx.read(lambda uow: uow.cases.get(CaseReference.parse(reference)))
    assert [e.kind for e in case.events].count("reminder.acknowledged") == 1


async def test_acknowledging_a_reminder_that_is_gone_is_refused(tx: Transactions) -> None:
    command = services.Acknowledge(reminder_id=999, state=Acknowledgement.DONE, by=HANA)

    with pytest.raises(NotFound, match="can't find that reminder"):
        await tx.run(lambda uow: services.acknowledge(command, uow, now=DUE_DAY, views=VIEWS))


async def test_the_schedule_shows_sent_and_planned_reminders_and_where_they_go(
    tx: Transactions,
) -> None:
    await register_hub(tx)
    reference = await open_case(tx)
    roster = Roster(HANA)
    tuesday = datetime(2026, 12, 29, 9, 0, tzinfo=UTC)
    await scheduler(tx, roster).tick(tuesday)
    command = services.ShowSchedule(reference=CaseReference.parse(reference), by=HANA)

    schedule = await tx.read(
        lambda uow: services.schedule_of(
            command, uow, now=tuesday.replace(hour=10), views=VIEWS, people=roster
        )
    )

    states = [(line.when_local.date(), line.state, line.destination) for line in schedule.lines]
    assert (date(2026, 12, 29), "sent", "") in states
    assert (date(2026, 12, 31), "planned", "the Hub channel") in states


async def test_the_schedule_is_refused_to_someone_who_may_not_see_the_case(
    tx: Transactions,
) -> None:
    reference = await open_case(tx)
    command = services.ShowSchedule(reference=CaseReference.parse(reference), by=PAT)

    with pytest.raises(Forbidden, match="don't have access"):
        await tx.read(
            lambda uow: services.schedule_of(
                command, uow, now=DUE_DAY, views=VIEWS, people=Roster(HANA)
            )
        )
