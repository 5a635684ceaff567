"""The retention policy on a real database: report first, then anonymise or delete, with holds."""

from __future__ import annotations

import subprocess
from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import JSON, MetaData, String, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot_app.admin.retention import retention_report, run_retention
from bot_app.admin.services import PlaceHold, ReleaseHold, place_hold, release_hold
from bot_app.admin.trail import verify_all, verify_case
from bot_app.core.transactions import Transactions
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.disputes import TimerKey
from safeguarding.rapid_review import make_ballot
from safeguarding.reference import CaseReference
from safeguarding.reminders import ReminderKey
from safeguarding.retention import Outcome, RetentionAction, RetentionPolicy
from safeguarding.roles import Person, Role
from storage.access_log import AccessLogRepository
from storage.details import CaseDetailsRepository, FernetCipher
from storage.disputes import DisputeTimerRepository, TimerStatus
from storage.outbox import OutboxRow, OutgoingMessage, PersonTarget
from storage.rapid_review import RapidReviewRepository
from storage.reminders import ReminderRepository, ReminderStatus
from storage.retention import RetentionRepository
from storage.uow import UnitOfWork
from tests.integration.commands import run_module

Sessions = async_sessionmaker[AsyncSession]

HUB = Actor(id="hub-1", name="Priya Shah")
ADMIN = Actor(id="admin-1", name="Chris Lane")
ADMIN_PERSON = Person(object_id="admin-1", name="Chris Lane", roles=frozenset({Role.ADMIN}))
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ENGLAND = WorkingDayCalendar()
CIPHER = FernetCipher([Fernet.generate_key()])
ANONYMISE = RetentionPolicy(years_after_closure=7, action=RetentionAction.ANONYMISE)
DELETE = RetentionPolicy(years_after_closure=7, action=RetentionAction.DELETE)
REPORT = "Canary report: the class teacher saw bruising twice"
RATIONALE = "Canary rationale: three agencies missed the same warning signs"


async def seed(sessions: Sessions, number: int, *, closed_on: date | None) -> CaseReference:
    """A case with a child's details and a reason in its trail; closed on ``closed_on``."""
    reference = CaseReference(prefix="NL", year=2018, number=number)
    opened = datetime(2018, 1, 8, 9, 0, tzinfo=UTC)
    case = Case.open(
        reference=reference, aware_on=date(2018, 1, 8), incident_on=None, actor=HUB, at=opened
    )
    case.record("vote", actor=HUB, at=opened, what="Voted: no review.", why="Narrative rationale")
    if closed_on is not None:
        case.move_to(
            Stage.CLOSED,
            actor=HUB,
            at=datetime.combine(closed_on, datetime.min.time(), UTC) + timedelta(hours=12),
            why="Criteria not met",
        )
    async with UnitOfWork(sessions) as uow:
        await uow.cases.add(case)
        await CaseDetailsRepository(uow.session, CIPHER).put(
            str(reference), {"name": "Zed"}, at=NOW
        )
        await uow.commit()
    return reference


async def seed_rapid_review(sessions: Sessions, reference: CaseReference) -> None:
    """An agency report and a ballot with a rationale, and the rows kept beside the case by
    its reference alone: a reminder, a dispute timer and a look at its details."""
    member = Actor(id="csprg-1", name="Sam Hughes")
    ballot = make_ballot(
        seat="police", voter=member, choice="no_review", criteria=[], rationale=RATIONALE
    )
    at = datetime(2018, 2, 1, 9, 0, tzinfo=UTC)
    async with UnitOfWork(sessions, cipher=CIPHER) as uow:
        # Two cards about the case: the details sent to the Hub officer, and a dispute
        # party's card not yet sent (its key names the case; the row has no reference).
        await uow.outbox.enqueue(
            OutgoingMessage(
                key=f"details:{reference}:hub-1:1",
                target=PersonTarget("hub-1"),
                activity={"type": "message", "text": f"Zed. {REPORT}"},
                summary=f"About case {reference}",
                case_reference=str(reference),
            ),
            now=at,
        )
        await uow.outbox.enqueue(
            OutgoingMessage(
                key=f"dispute:{reference}:1:person:amira",
                target=PersonTarget("amira"),
                activity={"type": "message", "text": f"Position: {RATIONALE}"},
                summary=f"About case {reference}",
            ),
            now=at,
        )
        rapid_review = RapidReviewRepository(uow.session, CIPHER)
        await rapid_review.put_report(
            str(reference),
            agency="Riverside Primary School",
            content={"facts": REPORT},
            nil_return=False,
            late=False,
            version=1,
            token="t1",
            by=Actor(id="amira", name="Amira Khan"),
            at=at,
        )
        await rapid_review.put_ballot(str(reference), 1, ballot, teams_user_id="29:sam", at=at)
        await ReminderRepository(uow.session).record(
            ReminderKey(str(reference), "rapid_review", "due", at.date()),
            send_at=at,
            status=ReminderStatus.SENT,
            late=False,
            clock_title="Rapid review",
            outbox_key=None,
            now=at,
        )
        await DisputeTimerRepository(uow.session).record(
            TimerKey(str(reference), "1/first", "target", at.date()),
            send_at=at,
            status=TimerStatus.SENT,
            late=False,
            now=at,
        )
        await AccessLogRepository(uow.session).record(
            str(reference), "hub-1", "viewed the details", at
        )
        await uow.commit()


async def reports_and_rationales(sessions: Sessions, reference: CaseReference) -> list[str]:
    """The report text and ballot rationales an authorised reader would see for the case."""
    async with UnitOfWork(sessions) as uow:
        rapid_review = RapidReviewRepository(uow.session, CIPHER)
        reports = await rapid_review.reports(str(reference))
        ballots = await rapid_review.ballots(str(reference), 1)
    return [r.content["facts"] for r in reports] + [b.rationale for b in ballots if b.rationale]


async def text_at_rest(engine: AsyncEngine) -> dict[str, str]:
    """Every text and JSON column of every table, as stored: table name -> its text."""
    found: dict[str, str] = {}
    async with engine.connect() as connection:
        metadata = MetaData()
        await connection.run_sync(metadata.reflect)
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | JSON)]
            if columns:
                rows = (await connection.execute(select(*columns))).all()
                found[table.name] = " ".join(str(value) for row in rows for value in row)
    return found


async def report(sessions: Sessions, policy: RetentionPolicy) -> dict[str, Outcome]:
    async with UnitOfWork(sessions) as uow:
        decisions = await retention_report(uow, policy, calendar=ENGLAND, now=NOW)
    return {d.reference: d.outcome for d in decisions}


async def run(sessions: Sessions, policy: RetentionPolicy) -> list[str]:
    outcomes = await run_retention(
        Transactions(sessions), policy, calendar=ENGLAND, by=ADMIN, now=NOW
    )
    assert all(o.error is None for o in outcomes)
    return [o.decision.reference for o in outcomes]


async def details(sessions: Sessions, reference: CaseReference) -> dict | None:
    async with UnitOfWork(sessions) as uow:
        return await CaseDetailsRepository(uow.session, CIPHER).get(str(reference))


async def test_the_report_says_what_would_happen_and_changes_nothing(
    session_factory: Sessions,
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))
    recent = await seed(session_factory, 2, closed_on=date(2024, 3, 1))
    await seed(session_factory, 3, closed_on=None)

    assert await report(session_factory, ANONYMISE) == {
        str(due): Outcome.ANONYMISE,
        str(recent): Outcome.NOT_DUE,
    }
    assert await details(session_factory, due) == {"name": "Zed"}


async def test_anonymising_erases_details_and_reasons_but_the_trail_still_verifies(
    session_factory: Sessions, engine: AsyncEngine
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))

    assert await run(session_factory, ANONYMISE) == [str(due)]

    assert await details(session_factory, due) is None
    async with UnitOfWork(session_factory) as uow:
        case = await uow.cases.get(due)
        trail = await verify_case(uow, str(due))
        log = await RetentionRepository(uow.session).entries()
    assert [e.why for e in case.events[:-1]] == [None, None, None]
    assert case.events[-1].kind == "retention.anonymised"
    assert (case.stage, case.aware_on, case.closed_at is not None) == (
        Stage.CLOSED,
        date(2018, 1, 8),
        True,
    )
    assert trail.intact, trail.problems
    assert [(e.reference, e.action, e.actor_name, e.events) for e in log] == [
        (str(due), "anonymised", "Chris Lane", 4)
    ]
    assert await report(session_factory, ANONYMISE) == {str(due): Outcome.ALREADY_ANONYMISED}
    async with engine.connect() as connection:
        whys = (await connection.execute(text("SELECT why FROM case_events"))).scalars().all()
    assert "Narrative rationale" not in whys


async def test_anonymising_erases_the_agency_reports_and_the_ballots_rationales(
    session_factory: Sessions, engine: AsyncEngine
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))
    kept = await seed(session_factory, 2, closed_on=date(2024, 3, 1))
    await seed_rapid_review(session_factory, due)
    await seed_rapid_review(session_factory, kept)
    assert await reports_and_rationales(session_factory, due) == [REPORT, RATIONALE]

    assert await run(session_factory, ANONYMISE) == [str(due)]

    assert await reports_and_rationales(session_factory, due) == []
    async with UnitOfWork(session_factory) as uow:
        (ballot,) = await RapidReviewRepository(uow.session, CIPHER).ballots(str(due), 1)
    assert (ballot.voter_name, ballot.choice.value) == ("Sam Hughes", "no_review"), "facts stay"
    assert await reports_and_rationales(session_factory, kept) == [REPORT, RATIONALE]
    at_rest = await text_at_rest(engine)
    assert "Canary" not in " ".join(at_rest.values()), "rationales and cards are sealed"


async def test_anonymising_erases_the_messages_queued_about_the_case(
    session_factory: Sessions,
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))
    kept = await seed(session_factory, 2, closed_on=date(2024, 3, 1))
    await seed_rapid_review(session_factory, due)
    await seed_rapid_review(session_factory, kept)

    assert await run(session_factory, ANONYMISE) == [str(due)]

    async with session_factory() as session:
        rows = (await session.execute(select(OutboxRow).order_by(OutboxRow.id))).scalars().all()
    messages = {row.key: (row.activity, row.status) for row in rows}
    assert messages[f"details:{due}:hub-1:1"] == ({}, "superseded")
    assert messages[f"dispute:{due}:1:person:amira"] == ({}, "superseded"), "found by its key"
    assert isinstance(messages[f"details:{kept}:hub-1:1"][0], str), "the kept case's, sealed"
    async with UnitOfWork(session_factory, cipher=CIPHER) as uow:
        claimed = await uow.outbox.claim(now=NOW, lease=timedelta(minutes=5), limit=10)
    assert {c.key for c in claimed} == {f"details:{kept}:hub-1:1", f"dispute:{kept}:1:person:amira"}


async def test_deleting_removes_the_case_entirely_and_leaves_a_tombstone(
    session_factory: Sessions,
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))
    kept = await seed(session_factory, 2, closed_on=date(2024, 3, 1))

    assert await run(session_factory, DELETE) == [str(due)]

    async with UnitOfWork(session_factory) as uow:
        assert await uow.cases.find(due) is None
        remaining = [r.reference for r in await verify_all(uow)]
        (tombstone,) = await RetentionRepository(uow.session).entries()
    assert remaining == [str(kept)]
    assert await details(session_factory, due) is None
    assert (tombstone.reference, tombstone.action, tombstone.events) == (str(due), "deleted", 3)
    assert len(tombstone.head_hash) == 64
    assert "deleted 7 years after closure" in tombstone.policy


async def test_deleting_leaves_no_row_about_the_case_in_any_table_but_the_tombstone(
    session_factory: Sessions, engine: AsyncEngine
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))
    kept = await seed(session_factory, 2, closed_on=date(2024, 3, 1))
    await seed_rapid_review(session_factory, due)
    await seed_rapid_review(session_factory, kept)

    assert await run(session_factory, DELETE) == [str(due)]

    assert await reports_and_rationales(session_factory, due) == []
    mentions = {name for name, stored in (await text_at_rest(engine)).items() if str(due) in stored}
    assert mentions == {"retention_log"}
    assert await reports_and_rationales(session_factory, kept) == [REPORT, RATIONALE]
    kept_rows = {
        name for name, stored in (await text_at_rest(engine)).items() if str(kept) in stored
    }
    assert {"agency_reports", "rapid_review_votes", "reminders", "dispute_timers"} <= kept_rows


async def test_a_case_on_legal_hold_is_left_alone_until_released(
    session_factory: Sessions,
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))
    hold = PlaceHold(by=ADMIN_PERSON, reference=due, why="Civil claim")
    await Transactions(session_factory).run(lambda uow: place_hold(hold, uow, now=NOW))

    assert await run(session_factory, DELETE) == []
    assert await report(session_factory, DELETE) == {str(due): Outcome.HELD}
    assert await details(session_factory, due) == {"name": "Zed"}

    release = ReleaseHold(by=ADMIN_PERSON, reference=due, why="Claim settled")
    await Transactions(session_factory).run(lambda uow: release_hold(release, uow, now=NOW))
    assert await run(session_factory, DELETE) == [str(due)]


@pytest.mark.sqlite_only  # the command line is the same program on either database
async def test_the_command_line_reports_by_default_and_acts_only_with_run(
    session_factory: Sessions, migrated_url: str
) -> None:
    due = await seed(session_factory, 1, closed_on=date(2019, 3, 1))

    def retention(*arguments: str) -> Awaitable[subprocess.CompletedProcess[str]]:
        return run_module(
            "bot_app.admin.retention",
            *arguments,
            database_url=migrated_url,
            RETENTION_ACTION="delete",
        )

    dry = await retention()
    assert dry.returncode == 0, dry.stderr
    assert f"{due}: delete" in dry.stdout
    assert "Nothing was changed" in dry.stdout
    assert await details(session_factory, due) == {"name": "Zed"}

    done = await retention("--run")
    assert done.returncode == 0, done.stderr
    assert f"{due}: deleted" in done.stdout
    async with UnitOfWork(session_factory) as uow:
        assert await uow.cases.find(due) is None
