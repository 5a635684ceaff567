"""The directory of people and roles, as stored, with its audit trail.

The partnership maintains the directory in a file (imported at start-up and from the command
line) and adjusts it in chat (``grant`` / ``revoke``). Both land here, so every worker sees
the same roles, and every change is written to ``directory_audit`` - who, when, what, why -
in the same transaction as the change itself.

Grants remember where they came from: a ``file`` grant is the file's to add and remove on the
next import; a ``chat`` grant survives imports until someone revokes it, or until its holder
is removed from the file altogether (people who leave lose every role).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.roles import Role
from storage.models import Base, UTCDateTime


class GrantSource(StrEnum):
    FILE = "file"
    CHAT = "chat"


class PersonRow(Base):
    """Someone the partnership knows; ``active`` is False once they leave the file."""

    __tablename__ = "people"

    object_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    email: Mapped[str] = mapped_column(String(320), index=True)
    agency: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RoleGrantRow(Base):
    """One role held by one person (a deputy's grant names the member it stands in for)."""

    __tablename__ = "role_grants"

    object_id: Mapped[str] = mapped_column(
        ForeignKey("people.object_id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    deputy_for: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(8))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    granted_by: Mapped[str] = mapped_column(String(256))


class DirectoryAuditRow(Base):
    """One change to the directory: who made it, when, what changed and why. Never updated."""

    __tablename__ = "directory_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[str] = mapped_column(String(128))
    actor_name: Mapped[str] = mapped_column(String(256))
    change: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(320))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    why: Mapped[str | None] = mapped_column(Text)


class DirectorySettingRow(Base):
    """The directory file's configuration: agencies, partners, role names, the last import."""

    __tablename__ = "directory_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class Grant:
    role: Role
    deputy_for: str | None
    source: GrantSource
    granted_at: datetime
    granted_by: str


@dataclass(frozen=True)
class DirectoryEntry:
    """A person as stored, with their grants."""

    object_id: str
    name: str
    email: str
    agency: str
    active: bool
    grants: tuple[Grant, ...]

    def grant(self, role: Role) -> Grant | None:
        return next((g for g in self.grants if g.role is role), None)

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(g.role for g in self.grants)


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor_id: str
    actor_name: str
    change: str
    subject: str
    detail: Mapping[str, Any]
    why: str | None


# An arbitrary constant naming the directory import's advisory lock (PostgreSQL).
_DIRECTORY_LOCK = 0x43535052  # "CSPR"

# Keys in the directory_settings table.
AGENCIES = "agencies"
PARTNERS = "partners"
ROLE_NAMES = "role_names"
FILE_DIGEST = "file_digest"


class PeopleRepository:
    """People, grants, settings and the audit, in the session of one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    # -- reading ---------------------------------------------------------------------

    async def person(self, object_id: str) -> DirectoryEntry | None:
        found = await self._entries(PersonRow.object_id == object_id.lower())
        return found[0] if found else None

    async def by_email(self, email: str) -> DirectoryEntry | None:
        """The active person with this email (emails are stored lower-case)."""
        found = await self._entries(
            PersonRow.email == email.strip().lower(), PersonRow.active.is_(True)
        )
        return found[0] if found else None

    async def search(self, text: str, *, limit: int = 10) -> list[DirectoryEntry]:
        """Active people whose name or email contains ``text`` (any case), by name."""
        pattern = f"%{_escape_like(text.strip().lower())}%"
        return (
            await self._entries(
                PersonRow.active.is_(True),
                or_(
                    func.lower(PersonRow.name).like(pattern, escape="\\"),
                    PersonRow.email.like(pattern, escape="\\"),
                ),
            )
        )[:limit]

    async def everyone(self) -> list[DirectoryEntry]:
        """Everyone ever imported, active or not."""
        return await self._entries()

    async def holders(self, role: Role) -> list[DirectoryEntry]:
        """Active people who hold ``role``."""
        holder_ids = select(RoleGrantRow.object_id).where(RoleGrantRow.role == role.value)
        return await self._entries(PersonRow.active.is_(True), PersonRow.object_id.in_(holder_ids))

    async def _entries(self, *conditions: Any) -> list[DirectoryEntry]:
        people = (
            (
                await self._session.execute(
                    select(PersonRow)
                    .where(*conditions)
                    .order_by(PersonRow.name, PersonRow.object_id)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        if not people:
            return []
        ids = [p.object_id for p in people]
        grant_rows = (
            (
                await self._session.execute(
                    select(RoleGrantRow)
                    .where(RoleGrantRow.object_id.in_(ids))
                    .order_by(RoleGrantRow.role)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        grants: dict[str, list[Grant]] = {}
        for row in grant_rows:
            grants.setdefault(row.object_id, []).append(
                Grant(
                    role=Role(row.role),
                    deputy_for=row.deputy_for,
                    source=GrantSource(row.source),
                    granted_at=row.granted_at,
                    granted_by=row.granted_by,
                )
            )
        return [
            DirectoryEntry(
                object_id=p.object_id,
                name=p.name,
                email=p.email,
                agency=p.agency,
                active=p.active,
                grants=tuple(grants.get(p.object_id, ())),
            )
            for p in people
        ]

    # -- changing (the caller audits) ------------------------------------------------

    async def put_person(
        self, *, object_id: str, name: str, email: str, agency: str, at: datetime
    ) -> None:
        """Create or update a person and make them active."""
        values = {
            "name": name,
            "email": email.strip().lower(),
            "agency": agency,
            "active": True,
            "updated_at": at,
        }
        changed = await self._session.execute(
            update(PersonRow)
            .where(PersonRow.object_id == object_id.lower())
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(changed, "rowcount", 0) == 0:
            await self._session.execute(
                insert(PersonRow).values(object_id=object_id.lower(), **values)
            )

    async def deactivate(self, object_id: str, *, at: datetime) -> None:
        """The person left the file: inactive, and every role gone."""
        await self._session.execute(
            delete(RoleGrantRow).where(RoleGrantRow.object_id == object_id.lower())
        )
        await self._session.execute(
            update(PersonRow)
            .where(PersonRow.object_id == object_id.lower())
            .values(active=False, updated_at=at)
            .execution_options(synchronize_session=False)
        )

    async def grant(
        self,
        object_id: str,
        role: Role,
        *,
        deputy_for: str | None,
        source: GrantSource,
        at: datetime,
        by: str,
    ) -> None:
        """Give ``role`` (replacing an existing grant of the same role)."""
        await self.revoke(object_id, role)
        await self._session.execute(
            insert(RoleGrantRow).values(
                object_id=object_id.lower(),
                role=role.value,
                deputy_for=deputy_for.lower() if deputy_for else None,
                source=source.value,
                granted_at=at,
                granted_by=by,
            )
        )

    async def revoke(self, object_id: str, role: Role) -> None:
        await self._session.execute(
            delete(RoleGrantRow).where(
                RoleGrantRow.object_id == object_id.lower(), RoleGrantRow.role == role.value
            )
        )

    # -- settings ----------------------------------------------------------------------

    async def lock_for_import(self) -> None:
        """Hold the directory for this transaction: two workers starting with the same new file
        would otherwise both read "not imported yet" and both import it. PostgreSQL takes an
        advisory lock until commit; SQLite has a single writer already."""
        if self._session.bind.dialect.name == "postgresql":
            await self._session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DIRECTORY_LOCK}
            )

    async def settings(self) -> dict[str, Any]:
        rows = (await self._session.execute(select(DirectorySettingRow))).scalars().all()
        return {row.key: row.value for row in rows}

    async def put_setting(self, key: str, value: Any, *, at: datetime) -> None:
        changed = await self._session.execute(
            update(DirectorySettingRow)
            .where(DirectorySettingRow.key == key)
            .values(value=value, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        if getattr(changed, "rowcount", 0) == 0:
            await self._session.execute(
                insert(DirectorySettingRow).values(key=key, value=value, updated_at=at)
            )

    # -- the audit -----------------------------------------------------------------------

    async def audit(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        await self._session.execute(
            insert(DirectoryAuditRow),
            [
                {
                    "at": e.at,
                    "actor_id": e.actor_id,
                    "actor_name": e.actor_name,
                    "change": e.change,
                    "subject": e.subject,
                    "detail": dict(e.detail),
                    "why": e.why,
                }
                for e in entries
            ],
        )

    async def audit_log(self, *, subject: str | None = None, limit: int = 200) -> list[AuditEntry]:
        """Audit entries, newest first (optionally about one person)."""
        query = select(DirectoryAuditRow).order_by(DirectoryAuditRow.id.desc()).limit(limit)
        if subject is not None:
            query = query.where(DirectoryAuditRow.subject == subject.lower())
        rows = (await self._session.execute(query)).scalars().all()
        return [
            AuditEntry(
                at=row.at,
                actor_id=row.actor_id,
                actor_name=row.actor_name,
                change=row.change,
                subject=row.subject,
                detail=row.detail,
                why=row.why,
            )
            for row in rows
        ]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
