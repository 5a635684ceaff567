"""One size of the sweep benchmark: ``python -m bench.sweep OPEN_CASES`` prints one JSON line.

``OPEN_CASES`` open cases on a fresh SQLite file, 100 of them real cases whose "3 working
days before" reminder falls due at 09:00 on Tuesday 29 December 2026; the rest are open cases
whose next reminder is months away (inserted as rows, so seeding 100k takes seconds). Times
one tick just before 09:00 (nothing due) and one at 09:00 (100 due), then deadline arithmetic
and case clocks, then reports this process's peak resident memory.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, update

from bot_app.core.transactions import Transactions
from bot_app.reminders.scheduled import DigestSchedule, ReminderScheduler, plan_key_of
from bot_app.reminders.views import ReminderViews
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Actor, Case
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.reference import CaseReference
from safeguarding.reminders import ChannelPurpose, ReminderPolicy
from safeguarding.roles import Person, Role
from storage.channels import RegisteredChannel
from storage.db import create_engine, migrate, session_factory
from storage.models import CaseRow
from storage.outbox import ConversationTarget
from storage.reminders import ReminderScheduleRow
from storage.uow import UnitOfWork

DUE = 100
AWARE_ON = date(2026, 12, 23)
BEFORE = datetime(2026, 12, 24, 8, 0, tzinfo=UTC)
AT_NINE = datetime(2026, 12, 29, 9, 0, tzinfo=UTC)
HANA = Person(object_id="hana", name="Hana Hub", roles=frozenset({Role.HUB_OFFICER}))
ACTOR = Actor(id="hana", name="Hana Hub")
CALENDAR = WorkingDayCalendar()
VIEWS = ReminderViews(
    calendar=CALENDAR,
    table=STATUTORY_CLOCKS,
    convention=CountingConvention.EXCLUDE_START,
    policy=ReminderPolicy(),
)


class _Hub:
    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return [HANA] if HANA.has(role) else []


async def _seed(tx: Transactions, cases: int) -> list[Case]:
    hub = "19:hub@thread.tacv2"
    channel = RegisteredChannel(
        purpose=ChannelPurpose.HUB,
        agency="",
        channel_id=hub,
        team_id=None,
        team_name=None,
        channel_name=None,
        target=ConversationTarget(hub, "https://smba.example/", "tenant", "28:bot"),
        registered_by="ada",
        registered_by_name="Ada",
        registered_at=BEFORE,
    )
    await tx.run(lambda uow: uow.channels.register(channel))
    real = []
    for number in range(1, DUE + 1):
        case = Case.open(
            reference=CaseReference("NL", 2026, number),
            aware_on=AWARE_ON,
            incident_on=AWARE_ON,
            actor=ACTOR,
            at=BEFORE - timedelta(hours=20),
            facts={},
        )
        await tx.run(lambda uow, case=case: uow.cases.add(case))
        real.append(case)
    later = datetime(2027, 6, 1, 8, tzinfo=UTC)
    async with tx.unit() as uow:
        rows = [
            {
                "reference": f"NL-2026-{number:05d}",
                "prefix": "NL",
                "year": 2026,
                "number": number,
                "stage": "notified",
                "version": 1,
                "aware_on": AWARE_ON,
                "incident_on": AWARE_ON,
                "opened_at": BEFORE,
                "closed_at": None,
                "facts": {},
                "updated_at": BEFORE,
            }
            for number in range(DUE + 1, cases + 1)
        ]
        for start in range(0, len(rows), 5_000):
            await uow.session.execute(insert(CaseRow), rows[start : start + 5_000])
        await uow.session.execute(
            update(ReminderScheduleRow)
            .where(ReminderScheduleRow.case_id > DUE)
            .values(due_at=later, plan_key=plan_key_of(VIEWS))
            .execution_options(synchronize_session=False)
        )
        await uow.commit()
    return real


async def run(cases: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'sweep.db'}"
        await migrate(url)
        engine = create_engine(url)
        tx = Transactions(session_factory(engine))
        real = await _seed(tx, cases)
        sweep = ReminderScheduler(tx, views=VIEWS, people=_Hub(), digest=DigestSchedule(weekday=4))
        await sweep.tick(BEFORE)  # plans the 100 new cases
        started = time.perf_counter()
        quiet = await sweep.tick(AT_NINE - timedelta(minutes=1))
        quiet_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        due = await sweep.tick(AT_NINE)
        due_ms = (time.perf_counter() - started) * 1000
        await engine.dispose()
    if quiet.reminders or due.reminders != DUE:
        raise RuntimeError(f"the sweep did not do what was expected: {quiet}, {due}")

    # Deadline arithmetic: the nth working day after a date, as every clock computes it.
    starts = [date(2026, 1, 1) + timedelta(days=i % 730) for i in range(100_000)]
    started = time.perf_counter()
    for i, start in enumerate(starts):
        CALENDAR.add_working_days(start, 5 + i % 20)
    deadlines_per_s = 100_000 / (time.perf_counter() - started)

    # Every clock of a case, as the case card and the sweep derive them.
    today = date(2026, 12, 29)
    count = min(cases, 20_000)
    started = time.perf_counter()
    for i in range(count):
        VIEWS.clocks_of(real[i % DUE], today)
    case_clocks_per_s = count / (time.perf_counter() - started)

    return {
        "cases": cases,
        "sweep_0_due_ms": round(quiet_ms, 1),
        "sweep_100_due_ms": round(due_ms, 1),
        "cases_looked_at_0_due": quiet.cases_looked_at,
        "cases_looked_at_100_due": due.cases_looked_at,
        "deadlines_per_s": round(deadlines_per_s),
        "case_clocks_per_s": round(case_clocks_per_s),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    print(json.dumps(asyncio.run(run(int(sys.argv[1])))))


if __name__ == "__main__":
    main()
