"""Who is acting: the Entra object id from the activity, roles from the directory.

Roles never come from what a card displayed or a payload claims - only from here, looked up
afresh on every turn, so a role granted or revoked in chat applies to the very next message
on every worker. The edge resolves the person once per turn, before any handler runs.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.admin.directory import role_names_from
from safeguarding.roles import Person, Role
from storage.uow import UnitOfWork


class Directory(Protocol):
    async def resolve(self, object_id: str, name: str) -> Person:
        """The person with this Entra object id; someone unknown gets the default roles."""
        ...


class SqlDirectory:
    """The directory in the database (imported from the partnership's file, edited in chat).

    Someone the directory does not know - or who has left it - gets ``default_roles``
    (``UNKNOWN_PEOPLE_ROLES``, by default practitioner only: any professional may notify).
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        default_roles: frozenset[Role] = frozenset({Role.PRACTITIONER}),
    ) -> None:
        self._sessions = sessions
        self._default_roles = default_roles

    async def resolve(self, object_id: str, name: str) -> Person:
        async with UnitOfWork(self._sessions) as uow:
            entry = await uow.people.person(object_id)
            names = role_names_from(await uow.people.settings())
        if entry is None or not entry.active:
            return Person(
                object_id=object_id, name=name, roles=self._default_roles, role_names=names
            )
        deputy = next((g for g in entry.grants if g.role is Role.CSPRG_DEPUTY), None)
        return Person(
            object_id=entry.object_id,
            name=entry.name,
            email=entry.email,
            agency=entry.agency,
            roles=entry.roles,
            deputy_for=deputy.deputy_for if deputy else None,
            role_names=names,
        )
