"""Who holds a role (in an agency): the directory, as proactive messages need it."""

from __future__ import annotations

from typing import Protocol

from safeguarding.case import Actor
from safeguarding.roles import Person, Role
from storage.channels import agency_key
from storage.uow import UnitOfWork


class People(Protocol):
    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        """Everyone holding ``role`` (in ``agency``), read in the caller's transaction."""
        ...


class DirectoryPeople:
    """People from the partnership's directory (``storage/people.py``).

    Read in the caller's unit of work, so a role granted in the same action is seen, and no
    second connection is taken while the first holds a transaction. Agencies are matched the
    way channels match them: case and spacing do not matter.
    """

    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        holders = await uow.people.holders(role)
        return [
            Person(
                object_id=entry.object_id,
                name=entry.name,
                email=entry.email,
                agency=entry.agency,
                roles=entry.roles,
                deputy_for=deputy.deputy_for
                if (deputy := entry.grant(Role.CSPRG_DEPUTY))
                else None,
            )
            for entry in holders
            if agency is None or agency_key(entry.agency) == agency_key(agency)
        ]


def actor_of(person: Person) -> Actor:
    """The author of a case event: the person's Entra object id and name."""
    return Actor(id=person.object_id, name=person.name or "Unknown")
