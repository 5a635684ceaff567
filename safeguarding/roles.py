"""Who people are in the process, as the code sees them.

Role *keys* are fixed because the rules refer to them; what each role is called, which
agencies and partner organisations exist, and who holds which role are the partnership's
configuration (the health partner became an ICB in 2022; names change, the process doesn't).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    AGENCY_LEAD = "agency_lead"
    HUB_OFFICER = "hub_officer"
    CSPRG_MEMBER = "csprg_member"
    CSPRG_DEPUTY = "csprg_deputy"
    PARTNER = "partner"
    SCRUTINY_OFFICER = "scrutiny_officer"
    SPLIG_MEMBER = "splig_member"
    ADMIN = "admin"


DEFAULT_ROLE_NAMES: Final[Mapping[Role, str]] = {
    Role.PRACTITIONER: "Practitioner",
    Role.AGENCY_LEAD: "Agency safeguarding lead",
    Role.HUB_OFFICER: "Hub officer",
    Role.CSPRG_MEMBER: "CSPR Group core member",
    Role.CSPRG_DEPUTY: "CSPR Group deputy",
    Role.PARTNER: "Safeguarding partner",
    Role.SCRUTINY_OFFICER: "Independent Scrutiny Officer",
    Role.SPLIG_MEMBER: "SPLIG member",
    Role.ADMIN: "Administrator",
}


@dataclass(frozen=True)
class Person:
    """Someone the partnership knows, identified by their Entra object id."""

    object_id: str
    name: str
    email: str = ""
    agency: str = ""
    roles: frozenset[Role] = field(default_factory=frozenset)
    deputy_for: str | None = None  # the core member's object id, for a CSPR Group deputy

    def has(self, role: Role) -> bool:
        return role in self.roles
