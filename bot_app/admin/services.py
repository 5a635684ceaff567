"""Administration as services: the directory, trail verification and legal holds.

Each function is one administrator's action, run in the caller's unit of work and never
committing: the runner commits once, so a role change and its audit entry, or a hold and
its trail event, are stored together or not at all. Who acts comes from the command (the
person the edge resolved), never from what a card carried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot_app.admin.directory import Changes, role_names_from
from bot_app.admin.retention import retention_report
from bot_app.admin.trail import verify_all, verify_case
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor
from safeguarding.errors import InvalidInput, NotFound
from safeguarding.reference import CaseReference
from safeguarding.retention import HOLD, RELEASED, RetentionDecision, RetentionPolicy, hold_state
from safeguarding.roles import Person, Role, role_label
from safeguarding.trail import TrailReport
from storage.people import DirectoryEntry, GrantSource, PeopleRepository
from storage.uow import UnitOfWork

# -- commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindPeople:
    query: str


@dataclass(frozen=True)
class GrantRole:
    by: Person
    email: str
    role: Role
    why: str
    deputy_for_email: str | None = None


@dataclass(frozen=True)
class RevokeRole:
    by: Person
    email: str
    role: Role
    why: str


@dataclass(frozen=True)
class RevokeListedRole:
    """A revoke from the whois card's button: the person is named by their object id."""

    by: Person
    object_id: str
    role: Role
    why: str


@dataclass(frozen=True)
class VerifyTrails:
    reference: CaseReference | None  # None: every case


@dataclass(frozen=True)
class PlaceHold:
    by: Person
    reference: CaseReference
    why: str


@dataclass(frozen=True)
class ReleaseHold:
    by: Person
    reference: CaseReference
    why: str | None


# -- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeopleFound:
    query: str
    people: list[DirectoryEntry]
    role_names: dict[Role, str]
    members: dict[str, str]  # core members' object ids -> names, to name whom a deputy covers


@dataclass(frozen=True)
class Done:
    """A change was made; ``message`` confirms it to the person who asked."""

    message: str


@dataclass(frozen=True)
class RoleRevoked(Done):
    email: str  # whose role it was, to show their entry again


def author(person: Person) -> Actor:
    """The audit's and the trail's author for something an administrator did in chat."""
    return Actor(id=person.object_id, name=person.name or person.object_id)


# -- the directory --------------------------------------------------------------------------


async def find_people(cmd: FindPeople, uow: UnitOfWork) -> PeopleFound:
    """Who matches a name or email, with the names the partnership gives roles."""
    people = uow.people
    return PeopleFound(
        query=cmd.query,
        people=list(await people.search(cmd.query)),
        role_names=role_names_from(await people.settings()),
        members={p.object_id: p.name for p in await people.holders(Role.CSPRG_MEMBER)},
    )


async def _find_person(people: PeopleRepository, email: str) -> DirectoryEntry:
    entry = await people.by_email(email)
    if entry is None:
        raise NotFound(
            f"No one with the email {email} is in the directory. People join the directory "
            "through the directory file the partnership maintains."
        )
    return entry


async def grant_role(cmd: GrantRole, uow: UnitOfWork, *, now: datetime) -> Done:
    """Give ``role`` to the person with ``email``, audited with the reason."""
    people = uow.people
    names = role_names_from(await people.settings())
    entry = await _find_person(people, cmd.email)
    label = role_label(cmd.role, names)
    deputy_for = None
    if cmd.role is Role.CSPRG_DEPUTY:
        if not cmd.deputy_for_email:
            raise InvalidInput(
                f"A {label} stands in for one core member: say whose deputy, e.g. "
                f"grant {cmd.email} csprg_deputy for member@example.org «reason»."
            )
        member = await _find_person(people, cmd.deputy_for_email)
        if Role.CSPRG_MEMBER not in member.roles:
            raise InvalidInput(
                f"{member.name} is not a {role_label(Role.CSPRG_MEMBER, names)}, so nobody can "
                "be their deputy. Nothing was changed."
            )
        deputy_for = member.object_id
    elif cmd.deputy_for_email:
        raise InvalidInput("'for ...' only applies to csprg_deputy. Nothing was changed.")
    held = entry.grant(cmd.role)
    if held is not None and held.deputy_for == deputy_for:
        raise InvalidInput(f"{entry.name} is already {label}. Nothing was changed.")
    changes = Changes(by=author(cmd.by), at=now, why=cmd.why, people=people, names=names)
    await changes.give(entry, cmd.role, deputy_for=deputy_for, source=GrantSource.CHAT)
    await people.audit(changes.entries)
    return Done(f"Done: {entry.name} is now {label}. Recorded with your reason.")


async def revoke_role(cmd: RevokeRole, uow: UnitOfWork, *, now: datetime) -> RoleRevoked:
    """Take ``role`` from the person with ``email``, audited with the reason."""
    people = uow.people
    names = role_names_from(await people.settings())
    entry = await _find_person(people, cmd.email)
    label = role_label(cmd.role, names)
    held = entry.grant(cmd.role)
    if held is None:
        raise InvalidInput(f"{entry.name} is not {label}. Nothing was changed.")
    if cmd.role is Role.ADMIN and [p.object_id for p in await people.holders(Role.ADMIN)] == [
        entry.object_id
    ]:
        raise InvalidInput(
            f"{entry.name} is the only {label}: grant the role to someone else first, so the "
            "directory can still be managed. Nothing was changed."
        )
    changes = Changes(by=author(cmd.by), at=now, why=cmd.why, people=people, names=names)
    await changes.take(entry, cmd.role, source=held.source)
    await people.audit(changes.entries)
    note = (
        " The directory file still lists this role, so it will return when a changed file is "
        "next imported: remove it from the file too."
        if held.source is GrantSource.FILE
        else ""
    )
    return RoleRevoked(
        f"Done: {entry.name} is no longer {label}. Recorded with your reason.{note}",
        email=entry.email,
    )


async def revoke_listed_role(
    cmd: RevokeListedRole, uow: UnitOfWork, *, now: datetime
) -> RoleRevoked:
    """The whois card's revoke: the person must still be in the directory."""
    entry = await uow.people.person(cmd.object_id)
    if entry is None or not entry.active:
        raise NotFound("That person is no longer in the directory. Nothing was changed.")
    return await revoke_role(
        RevokeRole(by=cmd.by, email=entry.email, role=cmd.role, why=cmd.why), uow, now=now
    )


# -- the trail ------------------------------------------------------------------------------


async def verify_trails(cmd: VerifyTrails, uow: UnitOfWork) -> list[TrailReport]:
    """Recompute the hash chain of one case, or of every case."""
    if cmd.reference is None:
        return await verify_all(uow)
    return [await verify_case(uow, str(cmd.reference))]


# -- legal holds and retention --------------------------------------------------------------


async def place_hold(cmd: PlaceHold, uow: UnitOfWork, *, now: datetime) -> Done:
    """Put a case beyond the retention policy's reach until released (litigation, inquiry)."""
    case = await uow.cases.get(cmd.reference)
    current = hold_state(case.events)
    if current.held:
        raise InvalidInput(
            f"Case {cmd.reference} is already on legal hold ({current.reason}). "
            "Nothing was changed."
        )
    case.record(
        HOLD,
        actor=author(cmd.by),
        at=now,
        what="Legal hold placed: the retention policy will not touch this case until released.",
        why=cmd.why,
    )
    await uow.cases.save(case)
    return Done(
        f"Case {cmd.reference} is now on legal hold. The hold and your reason are in its trail."
    )


async def release_hold(cmd: ReleaseHold, uow: UnitOfWork, *, now: datetime) -> Done:
    case = await uow.cases.get(cmd.reference)
    if not hold_state(case.events).held:
        raise InvalidInput(f"Case {cmd.reference} is not on legal hold. Nothing was changed.")
    case.record(
        RELEASED,
        actor=author(cmd.by),
        at=now,
        what="Legal hold released: the retention policy applies to this case again.",
        why=cmd.why or None,
    )
    await uow.cases.save(case)
    return Done(
        f"The legal hold on case {cmd.reference} is released. This is recorded in its trail."
    )


async def retention_decisions(
    uow: UnitOfWork, *, now: datetime, policy: RetentionPolicy, calendar: WorkingDayCalendar
) -> list[RetentionDecision]:
    """What the retention policy would do to every closed case today; nothing is changed."""
    return await retention_report(uow, policy, calendar=calendar, now=now)
