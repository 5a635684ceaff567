"""Who is acting: the Entra object id from the activity, roles from the directory.

Roles never come from what a card displayed or a payload claims - only from here.
"""

from __future__ import annotations

from typing import Protocol

from safeguarding.roles import Person, Role


class Directory(Protocol):
    async def resolve(self, object_id: str, name: str) -> Person:
        """The person with this Entra object id; someone unknown gets the default roles."""
        ...


class DefaultRolesDirectory:
    """Until the partnership's directory is loaded: everyone is a practitioner.

    Any professional may notify, so an unknown colleague is treated as a practitioner rather
    than turned away; nothing else is open to them.
    """

    def __init__(self, default_roles: frozenset[Role] = frozenset({Role.PRACTITIONER})) -> None:
        self._default_roles = default_roles

    async def resolve(self, object_id: str, name: str) -> Person:
        return Person(object_id=object_id, name=name, roles=self._default_roles)
