"""The directory in a real database: imports, chat grants, the audit and resolving people."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.admin.directory import import_directory, import_on_startup
from bot_app.admin.directory_file import DirectoryFile, parse_directory
from bot_app.admin.identity import SqlDirectory
from bot_app.admin.services import GrantRole, RevokeRole, grant_role, revoke_role
from bot_app.core.transactions import Transactions
from safeguarding.case import Actor
from safeguarding.errors import InvalidInput, NotFound
from safeguarding.roles import Person, Role
from storage.people import GrantSource, PeopleRepository
from storage.uow import UnitOfWork
from tests.integration.commands import run_module

Sessions = async_sessionmaker[AsyncSession]

AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
FILE = Actor(id="cli:ops", name="command line (ops)")
ADMIN = Person(object_id="a0000000-0000-4000-8000-000000000001", name="Chris Lane")
SAM_ID = "b0000000-0000-4000-8000-000000000002"
JO_ID = "c0000000-0000-4000-8000-000000000003"

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
  - object_id: {JO_ID}
    name: Jo Patel
    email: jo.patel@example.org
    agency: Humberside Police
    roles: [csprg_deputy]
    deputy_for: sam.hughes@example.org
"""


def directory(text: str = DIRECTORY) -> DirectoryFile:
    return parse_directory(text, source="people.yaml")


async def load(
    sessions: Sessions, text: str = DIRECTORY, *, at: datetime = AT, only_if_changed: bool = False
) -> list[str] | None:
    async with UnitOfWork(sessions) as uow:
        report = await import_directory(
            uow, directory(text), by=FILE, at=at, only_if_changed=only_if_changed
        )
        await uow.commit()
    return None if report.skipped else report.changes


async def resolve(sessions: Sessions, object_id: str, name: str = "From Teams") -> Person:
    return await SqlDirectory(sessions).resolve(object_id, name)


async def in_chat(sessions: Sessions, change: Any, **arguments: Any) -> str:
    """``grant_role`` or ``revoke_role`` by the administrator, committed; the reply."""
    command = (GrantRole if change is grant_role else RevokeRole)(by=ADMIN, **arguments)
    done = await Transactions(sessions).run(lambda uow: change(command, uow, now=AT))
    reply: str = done.message
    return reply


async def audit(sessions: Sessions) -> list[tuple[str, str, str | None]]:
    async with sessions() as session:
        entries = await PeopleRepository(session).audit_log()
    return [(e.change, e.actor_name, e.why) for e in reversed(entries)]


async def test_importing_a_file_gives_people_their_roles_and_audits_each_change(
    session_factory: Sessions,
) -> None:
    changes = await load(session_factory)

    assert changes is not None
    assert "Sam Hughes is now Core member" in changes
    jo = await resolve(session_factory, JO_ID)
    assert (jo.name, jo.roles, jo.deputy_for) == ("Jo Patel", {Role.CSPRG_DEPUTY}, SAM_ID)
    assert jo.role_names[Role.CSPRG_MEMBER] == "Core member"
    entries = await audit(session_factory)
    assert (
        "person.added",
        "command line (ops)",
        "imported from the directory file people.yaml",
    ) in entries
    assert entries[-1][0] == "directory.imported"


async def test_importing_the_same_file_again_changes_nothing_and_audits_nothing(
    session_factory: Sessions,
) -> None:
    await load(session_factory)
    before = await audit(session_factory)

    assert await load(session_factory, at=AT + timedelta(days=1)) == []
    assert await load(session_factory, only_if_changed=True) is None
    assert await audit(session_factory) == before


async def test_someone_removed_from_the_file_loses_every_role_but_stays_in_the_audit(
    session_factory: Sessions,
) -> None:
    await load(session_factory)
    without_jo = DIRECTORY[: DIRECTORY.index(f"  - object_id: {JO_ID}")]

    changes = await load(session_factory, without_jo)

    assert changes == ["removed Jo Patel (lost csprg_deputy)"]
    jo = await resolve(session_factory, JO_ID, "Jo Patel")
    assert jo.roles == {Role.PRACTITIONER}, "someone who left is treated like anyone unknown"
    assert (
        "person.removed",
        "command line (ops)",
        "imported from the directory file people.yaml",
    ) in await audit(session_factory)


async def test_an_unknown_person_gets_the_configured_default_roles(
    session_factory: Sessions,
) -> None:
    stranger = await resolve(session_factory, "d0000000-0000-4000-8000-000000000009", "Sky")
    nobody = await SqlDirectory(session_factory, default_roles=frozenset()).resolve("x", "Sky")

    assert (stranger.name, stranger.roles) == ("Sky", {Role.PRACTITIONER})
    assert nobody.roles == frozenset()


async def test_a_role_granted_in_chat_is_audited_with_its_reason_and_survives_a_reimport(
    session_factory: Sessions,
) -> None:
    await load(session_factory)
    reply = await in_chat(
        session_factory,
        grant_role,
        email="Sam.Hughes@example.org",
        role=Role.HUB_OFFICER,
        why="covering the Hub in December",
    )

    assert reply.startswith("Done: Sam Hughes is now Hub officer")
    assert ("role.granted", "Chris Lane", "covering the Hub in December") in await audit(
        session_factory
    )
    await load(session_factory, DIRECTORY.replace("Core member", "CSPRG member"))
    sam = await resolve(session_factory, SAM_ID)
    assert sam.roles == {Role.CSPRG_MEMBER, Role.HUB_OFFICER}
    async with session_factory() as session:
        entry = await PeopleRepository(session).person(SAM_ID)
    assert entry is not None
    grant = entry.grant(Role.HUB_OFFICER)
    assert grant is not None
    assert grant.source is GrantSource.CHAT


async def test_revoking_a_role_from_the_file_warns_it_will_return_with_the_file(
    session_factory: Sessions,
) -> None:
    await load(session_factory)
    reply = await in_chat(
        session_factory,
        revoke_role,
        email="sam.hughes@example.org",
        role=Role.CSPRG_MEMBER,
        why="left the police",
    )

    assert "no longer Core member" in reply
    assert "remove it from the file too" in reply
    assert (await resolve(session_factory, SAM_ID)).roles == frozenset()
    assert await load(session_factory, only_if_changed=True) is None, "an unchanged file is kept"
    assert (await resolve(session_factory, SAM_ID)).roles == frozenset()


async def test_changes_that_make_no_sense_are_refused_and_change_nothing(
    session_factory: Sessions,
) -> None:
    await load(session_factory)
    before = await audit(session_factory)

    async def attempt(change: Any, **arguments: Any) -> str:
        with pytest.raises((InvalidInput, NotFound)) as refused:
            await in_chat(session_factory, change, why="r", **arguments)
        return refused.value.user_message

    assert "No one with the email" in await attempt(
        grant_role, email="x@example.org", role=Role.ADMIN
    )
    assert "already Core member" in await attempt(
        grant_role, email="sam.hughes@example.org", role=Role.CSPRG_MEMBER
    )
    assert "say whose deputy" in await attempt(
        grant_role, email="chris.lane@example.org", role=Role.CSPRG_DEPUTY
    )
    assert "is not a Core member" in await attempt(
        grant_role,
        email="chris.lane@example.org",
        role=Role.CSPRG_DEPUTY,
        deputy_for_email="jo.patel@example.org",
    )
    assert "is not Hub officer" in await attempt(
        revoke_role, email="sam.hughes@example.org", role=Role.HUB_OFFICER
    )
    assert "the only Administrator" in await attempt(
        revoke_role, email="chris.lane@example.org", role=Role.ADMIN
    )
    assert await audit(session_factory) == before
    assert (await resolve(session_factory, ADMIN.object_id)).roles == {Role.ADMIN}


@pytest.mark.sqlite_only  # the command line is the same program on either database
async def test_the_command_line_import_refuses_a_bad_file_and_imports_a_good_one_once(
    migrated_url: str, session_factory: Sessions, tmp_path: Path
) -> None:
    good, bad = tmp_path / "people.yaml", tmp_path / "bad.yaml"
    good.write_text(DIRECTORY, encoding="utf-8")
    bad.write_text(DIRECTORY.replace("[admin]", "[admin, wizard]"), encoding="utf-8")

    def directory_command(*arguments: str) -> Awaitable[subprocess.CompletedProcess[str]]:
        return run_module("bot_app.admin.directory", *arguments, database_url=migrated_url)

    refused = await directory_command("import", str(bad))
    checked = await directory_command("check", str(good))
    imported = await directory_command("import", str(good))
    again = await directory_command("import", str(good))

    assert refused.returncode == 1
    assert "line 9: Chris Lane: unknown role 'wizard'" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert (checked.returncode, checked.stdout.strip()) == (0, f"{good} is valid: 3 people.")
    assert imported.returncode == 0, imported.stderr
    assert "Sam Hughes is now Core member" in imported.stdout
    assert "nothing changed" in again.stdout
    assert (await resolve(session_factory, SAM_ID)).roles == {Role.CSPRG_MEMBER}


@pytest.mark.postgres_only
async def test_workers_starting_together_import_a_new_file_once(
    session_factory: Sessions,
) -> None:
    start = import_on_startup(Transactions(session_factory), directory(), now=lambda: AT)

    await asyncio.gather(*(start(web.Application()) for _ in range(3)))

    imports = [e for e in await audit(session_factory) if e[0] == "directory.imported"]
    assert len(imports) == 1
    assert (await resolve(session_factory, SAM_ID)).roles == {Role.CSPRG_MEMBER}
