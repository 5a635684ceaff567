"""Directory services: importing the partnership's file, granting and revoking in chat.

Every change is audited in the same transaction that makes it (who, when, what, why), and an
import is idempotent: importing the same file twice changes nothing the second time, and an
unchanged file is not even re-read into the database at start-up (so a role revoked in chat
does not quietly come back on the next restart - only on the next *changed* file).

Command line::

    python -m bot_app.admin.directory check FILE     # validate only
    python -m bot_app.admin.directory import FILE    # validate, then import (audited)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from bot_app.admin.directory_file import (
    DEMO_DIRECTORY,
    DirectoryFile,
    DirectoryFileError,
    DirectoryPerson,
    load_directory_file,
)
from bot_app.core.transactions import Transactions
from bot_app.settings import Settings
from safeguarding.case import Actor
from safeguarding.roles import DEFAULT_ROLE_NAMES, Role, role_label
from storage.db import create_engine, migrate, session_factory
from storage.people import (
    AGENCIES,
    FILE_DIGEST,
    PARTNERS,
    ROLE_NAMES,
    AuditEntry,
    DirectoryEntry,
    GrantSource,
    PeopleRepository,
)
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def role_names_from(settings: Mapping[str, Any]) -> dict[Role, str]:
    """The stored role-name overrides on top of the defaults."""
    stored = settings.get(ROLE_NAMES) or {}
    names = dict(DEFAULT_ROLE_NAMES)
    known = {role.value for role in Role}
    names.update({Role(key): str(value) for key, value in stored.items() if key in known})
    return names


@dataclass
class ImportReport:
    source: str
    skipped: bool = False
    changes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.skipped:
            return f"The directory file {self.source} has not changed since it was last imported."
        if not self.changes:
            return f"Imported {self.source}: the directory already matched it, nothing changed."
        listed = "\n  - ".join(self.changes)
        return f"Imported {self.source}: {len(self.changes)} change(s).\n  - {listed}"


class Someone(Protocol):
    @property
    def object_id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def email(self) -> str: ...


@dataclass
class Changes:
    """A batch of directory changes made through one repository, each audited as it is made:
    the audit rows, and the same changes as plain-English lines for the person who asked."""

    by: Actor
    at: datetime
    why: str | None
    people: PeopleRepository
    names: Mapping[Role, str] = field(default_factory=lambda: DEFAULT_ROLE_NAMES)
    entries: list[AuditEntry] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def add(self, change: str, subject: str, line: str, **detail: Any) -> None:
        self.entries.append(
            AuditEntry(
                at=self.at,
                actor_id=self.by.id,
                actor_name=self.by.name,
                change=change,
                subject=subject,
                detail=detail,
                why=self.why,
            )
        )
        self.lines.append(line)

    async def give(
        self, who: Someone, role: Role, *, deputy_for: str | None, source: GrantSource
    ) -> None:
        await self.people.grant(
            who.object_id, role, deputy_for=deputy_for, source=source, at=self.at, by=self.by.name
        )
        self.add(
            "role.granted",
            who.email,
            f"{who.name} is now {role_label(role, self.names)}",
            object_id=who.object_id,
            role=role.value,
            deputy_for=deputy_for,
            source=source.value,
        )

    async def take(self, who: Someone, role: Role, *, source: GrantSource) -> None:
        await self.people.revoke(who.object_id, role)
        self.add(
            "role.revoked",
            who.email,
            f"{who.name} is no longer {role_label(role, self.names)}",
            object_id=who.object_id,
            role=role.value,
            source=source.value,
        )


async def import_directory(
    uow: UnitOfWork,
    directory: DirectoryFile,
    *,
    by: Actor,
    at: datetime,
    only_if_changed: bool = False,
) -> ImportReport:
    """Make the stored directory match the file (chat grants of listed people are kept)."""
    people = uow.people
    await people.lock_for_import()
    stored_settings = await people.settings()
    report = ImportReport(source=directory.source)
    if only_if_changed and stored_settings.get(FILE_DIGEST) == directory.digest:
        report.skipped = True
        return report
    names = role_names_from({ROLE_NAMES: {r.value: n for r, n in directory.role_names.items()}})
    audit = Changes(
        by=by,
        at=at,
        why=f"imported from the directory file {directory.source}",
        people=people,
        names=names,
    )
    existing = {entry.object_id: entry for entry in await people.everyone()}
    listed = {person.object_id for person in directory.people}
    for person in directory.people:
        await _sync_person(people, existing.get(person.object_id), person, audit)
    for entry in existing.values():
        if entry.active and entry.object_id not in listed:
            await people.deactivate(entry.object_id, at=at)
            roles = sorted(g.role.value for g in entry.grants)
            audit.add(
                "person.removed",
                entry.email,
                f"removed {entry.name}" + (f" (lost {', '.join(roles)})" if roles else ""),
                object_id=entry.object_id,
                roles=roles,
            )
    await _sync_settings(people, stored_settings, directory, audit)
    await people.put_setting(FILE_DIGEST, directory.digest, at=at)
    if audit.entries:
        audit.add(
            "directory.imported",
            directory.source,
            f"{len(audit.lines)} change(s) from {directory.source}",
            digest=directory.digest,
        )
        report.changes = audit.lines[:-1]
    await people.audit(audit.entries)
    return report


async def _sync_person(
    people: PeopleRepository,
    entry: DirectoryEntry | None,
    person: DirectoryPerson,
    audit: Changes,
) -> None:
    fields = {"name": person.name, "email": person.email, "agency": person.agency}
    if entry is None or not entry.active:
        await people.put_person(object_id=person.object_id, at=audit.at, **fields)
        verb = "added" if entry is None else "restored"
        audit.add(
            f"person.{verb}", person.email, f"{verb} {person.name}", object_id=person.object_id
        )
    else:
        changed = {
            key: {"from": getattr(entry, key), "to": value}
            for key, value in fields.items()
            if getattr(entry, key) != value
        }
        if changed:
            await people.put_person(object_id=person.object_id, at=audit.at, **fields)
            audit.add(
                "person.updated",
                person.email,
                f"updated {person.name}: {', '.join(changed)}",
                object_id=person.object_id,
                changes=changed,
            )
    held = {g.role: g for g in entry.grants} if entry is not None and entry.active else {}
    for role in sorted(person.roles):
        deputy_for = person.deputy_for if role is Role.CSPRG_DEPUTY else None
        grant = held.get(role)
        if grant is not None and grant.deputy_for == deputy_for:
            if grant.source is not GrantSource.FILE:  # now the file's to manage
                await people.grant(
                    person.object_id,
                    role,
                    deputy_for=deputy_for,
                    source=GrantSource.FILE,
                    at=grant.granted_at,
                    by=grant.granted_by,
                )
            continue
        await audit.give(person, role, deputy_for=deputy_for, source=GrantSource.FILE)
    for role, grant in held.items():
        if grant.source is GrantSource.FILE and role not in person.roles:
            await audit.take(person, role, source=GrantSource.FILE)


async def _sync_settings(
    people: PeopleRepository,
    stored: Mapping[str, Any],
    directory: DirectoryFile,
    audit: Changes,
) -> None:
    wanted: dict[str, Any] = {
        AGENCIES: [a.model_dump() for a in directory.agencies],
        PARTNERS: [p.model_dump() for p in directory.partners],
        ROLE_NAMES: {role.value: name for role, name in sorted(directory.role_names.items())},
    }
    for key, value in wanted.items():
        if stored.get(key) != value:
            await people.put_setting(key, value, at=audit.at)
            audit.add(
                "settings.updated",
                key,
                f"{key.replace('_', ' ')} updated",
                before=stored.get(key),
                after=value,
            )


# -- start-up and the command line -------------------------------------------------------


def directory_source(settings: Settings) -> Path | None:
    """The file to import at start-up: the configured one, or the demo in local mode."""
    if settings.directory_file is not None:
        return settings.directory_file
    return None if settings.auth_enabled else DEMO_DIRECTORY


async def import_file(
    tx: Transactions,
    directory: DirectoryFile,
    *,
    by: Actor,
    at: datetime,
    only_if_changed: bool,
) -> ImportReport:
    """Import in one transaction (run again from the start if a concurrent import collides)."""
    return await tx.run(
        lambda uow: import_directory(uow, directory, by=by, at=at, only_if_changed=only_if_changed)
    )


STARTUP_IMPORTER = Actor(id="system", name="CSPR assistant (start-up import)")


def import_on_startup(
    tx: Transactions, directory: DirectoryFile, *, now: Callable[[], datetime]
) -> Callable[[object], Awaitable[None]]:
    """An ``on_startup`` hook importing the (already validated) file if it changed.

    Several workers may start at once with the same new file: one imports it, the others
    collide on the same rows, and the runner tries them again, when they find it already
    imported. ``now`` is the application's clock, read once when the hook runs.
    """

    async def run(_app: object) -> None:
        if directory.source == str(DEMO_DIRECTORY):
            log.warning(
                "DIRECTORY_FILE is not set: using the demo directory, whose people and roles "
                "are fictional (local mode only)."
            )
        report = await import_file(
            tx, directory, by=STARTUP_IMPORTER, at=now(), only_if_changed=True
        )
        if report.skipped:
            log.info("directory file %s unchanged since its last import", directory.source)
        else:
            log.info(
                "directory file %s imported: %d change(s)", directory.source, len(report.changes)
            )

    return run


async def _import_command(settings: Settings, path: Path) -> ImportReport:
    directory = load_directory_file(path)
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    user = getpass.getuser()
    try:
        return await import_file(
            Transactions(session_factory(engine)),
            directory,
            by=Actor(id=f"cli:{user}", name=f"command line ({user})"),
            at=datetime.now(UTC),  # the command line's own moment: this run is its tick
            only_if_changed=False,
        )
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot_app.admin.directory",
        description="Validate or import the partnership's directory file.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("check", "validate only"), ("import", "validate, then import")):
        commands.add_parser(name, help=text).add_argument("file", type=Path)
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        if arguments.command == "check":
            directory = load_directory_file(arguments.file)
            print(f"{arguments.file} is valid: {len(directory.people)} people.")
            return 0
        print(asyncio.run(_import_command(Settings(), arguments.file)).summary())
    except DirectoryFileError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
