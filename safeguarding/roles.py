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
    # What this partnership calls each role (the directory file's ``role_names``). It travels
    # with the person so that a refusal or a help card speaks the partnership's language
    # wherever it is built; it is vocabulary, not identity, so it takes no part in equality.
    role_names: Mapping[Role, str] = field(
        default_factory=lambda: DEFAULT_ROLE_NAMES, compare=False, hash=False, repr=False
    )

    def has(self, role: Role) -> bool:
        return role in self.roles

    def role_labels(self) -> tuple[str, ...]:
        """The person's roles in the partnership's words, sorted for display."""
        return tuple(sorted(role_label(role, self.role_names) for role in self.roles))


def role_label(role: Role, names: Mapping[Role, str] = DEFAULT_ROLE_NAMES) -> str:
    """A role's display name: the partnership's own if it has one, else the default."""
    return names.get(role) or DEFAULT_ROLE_NAMES[role]


def parse_role(text: str, names: Mapping[Role, str] = DEFAULT_ROLE_NAMES) -> Role | None:
    """The role someone typed: its key (``hub_officer``) or its display name, any case.

    Admins type roles in chat; accepting "Hub officer" as well as ``hub_officer`` saves a
    round trip, and matching whole names only means a typo is refused rather than guessed.
    """
    wanted = " ".join(text.replace("_", " ").replace("-", " ").lower().split())
    for role in Role:
        if wanted in {role.value.replace("_", " "), role_label(role, names).lower()}:
            return role
        if wanted == DEFAULT_ROLE_NAMES[role].lower():
            return role
    return None
