"""The reminder sweep follows what is due: every open case is reminded however many there are,
and a tick with nothing due reads nothing - on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.core.transactions import Transactions
from bot_app.reminders.scheduled import ReminderScheduler
from bot_app.reminders.views import ReminderViews
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.reference import CaseReference
from safeguarding.reminders import ChannelPurpose, ReminderPolicy
from safeguarding.roles import Person, Role
from storage.channels import RegisteredChannel
from storage.outbox import ConversationTarget, OutboxRow
from storage.uow import UnitOfWork

HANA = Person(object_id="hana-oid", name="Hana Hub", roles=frozenset({Role.HUB_OFFICER}))
HUB = "19:hub@thread.tacv2"
AWARE_ON = date(2026, 12, 23)  # the Panel must be notified by Monday 4 January 2027
BEFORE_ANY_REMINDER = datetime(2026, 12, 24, 8, 0, tzinfo=UTC)
THREE_DAYS_BEFORE = datetime(2026, 12, 29, 9, 0, tzinfo=UTC)  # 28 December is a bank holiday
HANA_ACTOR = Actor(id=HANA.object_id, name=HANA.name)
VIEWS = ReminderViews(
    calendar=WorkingDayCalendar(),
    table=STATUTORY_CLOCKS,
    convention=CountingConvention.EXCLUDE_START,
    policy=ReminderPolicy(),
)
CASES = 7
PAGE = 3  # fewer than the cases: the sweep must page through all of them


class Roster:
    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return [HANA] if HANA.has(role) else []


async def _setup(sessions: async_sessionmaker[AsyncSession]) -> tuple[Transactions, list[str]]:
    tx = Transactions(sessions)
    channel = RegisteredChannel(
        purpose=ChannelPurpose.HUB,
        agency="",
        channel_id=HUB,
        team_id=None,
        team_name=None,
        channel_name=None,
        target=ConversationTarget(HUB, "https://smba.example/", "tenant", "28:bot"),
        registered_by="ada-oid",
        registered_by_name="Ada Admin",
        registered_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    await tx.run(lambda uow: uow.channels.register(channel))
    references = []
    for number in range(1, CASES + 1):
        case = Case.open(
            reference=CaseReference("NL", 2026, number),
            aware_on=AWARE_ON,
            incident_on=AWARE_ON,
            actor=HANA_ACTOR,
            at=datetime.combine(AWARE_ON, time(12), tzinfo=UTC),
            facts={},
        )
        await tx.run(lambda uow, case=case: uow.cases.add(case))
        references.append(str(case.reference))
    return tx, references


async def _reminded(tx: Transactions) -> list[str]:
    async def keys(uow: UnitOfWork) -> list[str]:
        rows = await uow.session.execute(select(OutboxRow.key).order_by(OutboxRow.id))
        return [key for key in rows.scalars() if key.startswith("reminder:")]

    return await tx.read(keys)


async def test_every_open_case_is_reminded_when_there_are_more_than_a_page(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    tx, references = await _setup(session_factory)
    sweep = ReminderScheduler(tx, views=VIEWS, people=Roster(), page_size=PAGE)

    first = await sweep.tick(BEFORE_ANY_REMINDER)  # plans every new case; nothing is due yet
    due = await sweep.tick(THREE_DAYS_BEFORE)

    assert (first.cases_looked_at, first.reminders) == (CASES, 0)
    assert (due.cases_looked_at, due.reminders, due.failed_cases) == (CASES, CASES, [])
    reminded = await _reminded(tx)
    assert all(any(reference in key for key in reminded) for reference in references)


async def test_a_tick_with_nothing_due_looks_at_no_case(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    tx, _references = await _setup(session_factory)
    sweep = ReminderScheduler(tx, views=VIEWS, people=Roster(), page_size=PAGE)
    await sweep.tick(BEFORE_ANY_REMINDER)

    quiet = await sweep.tick(THREE_DAYS_BEFORE - timedelta(minutes=1))
    await sweep.tick(THREE_DAYS_BEFORE)
    after = await sweep.tick(THREE_DAYS_BEFORE + timedelta(minutes=1))

    assert (quiet.cases_looked_at, quiet.reminders) == (0, 0)
    assert (after.cases_looked_at, after.reminders) == (0, 0)


async def test_a_change_to_a_case_brings_it_back_to_the_sweep_at_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    tx, references = await _setup(session_factory)
    sweep = ReminderScheduler(tx, views=VIEWS, people=Roster(), page_size=PAGE)
    await sweep.tick(BEFORE_ANY_REMINDER)

    async def close_first(uow: UnitOfWork) -> None:
        case = await uow.cases.get(CaseReference.parse(references[0]))
        case.move_to(
            Stage.CLOSED, actor=HANA_ACTOR, at=BEFORE_ANY_REMINDER, why="Not for a review."
        )
        await uow.cases.save(case)

    await tx.run(close_first)
    changed = await sweep.tick(BEFORE_ANY_REMINDER + timedelta(minutes=1))
    due = await sweep.tick(THREE_DAYS_BEFORE)

    assert changed.cases_looked_at == 1
    assert (due.cases_looked_at, due.reminders) == (CASES - 1, CASES - 1)
    assert not any(references[0] in key for key in await _reminded(tx))
