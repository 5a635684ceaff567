"""Administration without Teams: the directory, holds, retention and trail checks as services
and handlers on a real SQLite database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot_app.admin import services
from bot_app.admin.directory import import_directory
from bot_app.admin.directory_file import parse_directory
from bot_app.admin.handlers import (
    AdminHandlers,
    GrantArgs,
    HoldArgs,
    RetentionArgs,
    RevokeListed,
    RoleArgs,
    VerifyArgs,
)
from bot_app.admin.identity import SqlDirectory
from bot_app.core.answers import CardMessage, ShowCard, Text
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn, Where
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.errors import InvalidInput, NotFound
from safeguarding.reference import CaseReference
from safeguarding.retention import Outcome, RetentionAction, RetentionPolicy
from safeguarding.roles import Person, Role
from storage.outbox import ConversationTarget

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)
ENGLAND = WorkingDayCalendar()
POLICY = RetentionPolicy(years_after_closure=7, action=RetentionAction.DELETE)
ADMIN = Person(
    object_id="a0000000-0000-4000-8000-000000000001",
    name="Chris Lane",
    roles=frozenset({Role.ADMIN}),
)
SAM_ID = "b0000000-0000-4000-8000-000000000002"
DIRECTORY = f"""\
agencies:
  - {{name: Humberside Police, kind: police}}
role_names:
  csprg_member: Core member
people:
  - object_id: {ADMIN.object_id}
    name: Chris Lane
    email: chris.lane@example.org
    roles: [admin]
  - object_id: {SAM_ID}
    name: Sam Hughes
    email: sam.hughes@example.org
    agency: Humberside Police
    roles: [csprg_member]
"""
OLD_CASE = CaseReference("NL", 2018, 1)


@pytest.fixture
async def tx(transactions: Transactions) -> Transactions:
    """The directory imported and a long-closed case, on a fresh database."""
    await transactions.run(
        lambda uow: import_directory(
            uow,
            parse_directory(DIRECTORY, source="people.yaml"),
            by=Actor(id="cli:ops", name="ops"),
            at=NOW,
        )
    )
    hub = Actor(id="hub-1", name="Priya Shah")
    opened = datetime(2018, 1, 8, 9, tzinfo=UTC)
    case = Case.open(
        reference=OLD_CASE, aware_on=date(2018, 1, 8), incident_on=None, actor=hub, at=opened
    )
    case.move_to(Stage.CLOSED, actor=hub, at=datetime(2019, 3, 1, 12, tzinfo=UTC), why="Met")
    await transactions.run(lambda uow: uow.cases.add(case))
    return transactions


def turn(person: Person = ADMIN) -> Turn:
    where = Where("personal", ConversationTarget("a:chat", "https://smba.example/", "t", "28:b"))
    return Turn(
        actor=person,
        teams_user_id="29:x",
        where=where,
        activity_id="act-1",
        now=NOW,
        today=NOW.date(),
    )


def handlers(tx: Transactions) -> AdminHandlers:
    return AdminHandlers(tx=tx, calendar=ENGLAND, retention=POLICY)


async def roles_of(tx: Transactions, object_id: str) -> frozenset[Role]:
    return (await SqlDirectory(tx.sessions).resolve(object_id, "")).roles


async def test_a_granted_role_applies_to_the_persons_next_turn_and_names_it_as_the_partnership_does(
    tx: Transactions,
) -> None:
    grant = services.GrantRole(
        by=ADMIN, email="Sam.Hughes@example.org", role=Role.HUB_OFFICER, why="covering December"
    )
    done = await tx.run(lambda uow: services.grant_role(grant, uow, now=NOW))

    assert done.message == "Done: Sam Hughes is now Hub officer. Recorded with your reason."
    assert await roles_of(tx, SAM_ID) == {Role.CSPRG_MEMBER, Role.HUB_OFFICER}
    found = await tx.read(lambda uow: services.find_people(services.FindPeople("sam"), uow))
    assert found.role_names[Role.CSPRG_MEMBER] == "Core member"


async def test_the_only_administrator_cannot_lose_the_role(tx: Transactions) -> None:
    revoke = services.RevokeRole(
        by=ADMIN, email="chris.lane@example.org", role=Role.ADMIN, why="leaving"
    )

    with pytest.raises(InvalidInput, match="the only Administrator"):
        await tx.run(lambda uow: services.revoke_role(revoke, uow, now=NOW))
    assert await roles_of(tx, ADMIN.object_id) == {Role.ADMIN}


async def test_the_whois_button_revokes_and_shows_the_entry_again_with_a_note(
    tx: Transactions,
) -> None:
    payload = RevokeListed.read({"object_id": SAM_ID, "role": "csprg_member", "reason": "Left"})

    answer = await handlers(tx).revoke_button(turn(), payload)

    assert isinstance(answer, ShowCard)
    assert "remove it from the file too" in str(answer.card)
    assert await roles_of(tx, SAM_ID) == frozenset()


async def test_a_revoke_for_someone_no_longer_listed_changes_nothing(tx: Transactions) -> None:
    revoke = services.RevokeListedRole(
        by=ADMIN, object_id="d0000000-0000-4000-8000-000000000009", role=Role.ADMIN, why="x"
    )

    with pytest.raises(NotFound, match="no longer in the directory"):
        await tx.run(lambda uow: services.revoke_listed_role(revoke, uow, now=NOW))


async def test_a_grant_typed_without_a_reason_asks_for_one(tx: Transactions) -> None:
    args = GrantArgs.parse(
        "sam.hughes@example.org hub_officer", prefix="NL", usage="grant <email> <role> <reason>"
    )

    with pytest.raises(InvalidInput, match="Please say why"):
        await handlers(tx).grant(turn(), args)
    assert await roles_of(tx, SAM_ID) == {Role.CSPRG_MEMBER}


def test_a_deputys_member_is_read_from_the_words_after_for() -> None:
    args = GrantArgs.parse(
        "jo@example.org csprg_deputy for sam@example.org covering leave",
        prefix="NL",
        usage="grant <email> <role> <reason>",
    )

    assert (args.role_word, args.deputy_for, args.rest) == (
        "csprg_deputy",
        "sam@example.org",
        "covering leave",
    )
    with pytest.raises(InvalidInput, match=r"revoke sam\.hughes@example\.org hub_officer"):
        RoleArgs.parse("sam", prefix="NL", usage="revoke <email> <role> <reason>")


async def test_a_case_on_hold_is_reported_held_and_the_retention_run_leaves_it(
    tx: Transactions,
) -> None:
    args = HoldArgs.parse(f"{OLD_CASE} Civil claim", prefix="NL", usage="")
    admin = handlers(tx)

    held = await admin.hold(turn(), args)
    run = await admin.retention(turn(), RetentionArgs(run=True))

    assert held == (Text(f"Case {OLD_CASE} is now on legal hold. The hold and your reason are "
                         "in its trail."),)  # fmt: skip
    assert run == (Text("No closed case is due under the retention policy; nothing was changed."),)
    decisions = await tx.read(
        lambda uow: services.retention_decisions(uow, now=NOW, policy=POLICY, calendar=ENGLAND)
    )
    assert [(d.reference, d.outcome) for d in decisions] == [(str(OLD_CASE), Outcome.HELD)]


async def test_the_retention_run_deletes_what_is_due_and_says_so(tx: Transactions) -> None:
    admin = handlers(tx)

    report = await admin.retention(turn(), RetentionArgs(run=False))
    run = await admin.retention(turn(), RetentionArgs(run=True))

    assert isinstance(report[0], CardMessage)
    assert run == (Text(f"Retention policy applied:\n- {OLD_CASE}: deleted"),)
    assert await tx.read(lambda uow: uow.cases.find(OLD_CASE)) is None


async def test_verifying_every_trail_counts_them_and_names_none_tampered(
    tx: Transactions,
) -> None:
    reply = await handlers(tx).verify(turn(), VerifyArgs.parse("all", prefix="NL", usage=""))

    assert reply == (Text("Checked 1 trail(s): 0 tampered with."),)


def test_an_admin_command_is_for_a_personal_chat_only() -> None:
    router = Router()
    AdminHandlers(tx=None, calendar=ENGLAND, retention=POLICY).register(router)  # type: ignore[arg-type]

    assert all(spec.personal_only for spec in router.commands)
    assert [spec.names[0] for spec in router.commands] == [
        "whois", "grant", "revoke", "verify", "hold", "release", "retention",
    ]  # fmt: skip
