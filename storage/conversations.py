"""Conversation references: where the bot can reach a person or a channel without being asked.

Teams lets a bot post proactively only into conversations it knows: a person's one-to-one
chat with it, or a channel of a team it is installed in. Each time someone talks to the bot
(or the bot is added to a team) the handler's observer remembers the reference here, so the
outbox sender can reach that person or channel later - after a restart, from any worker.

Rows are keyed ``personal:<Entra object id>`` and ``channel:<channel id>``. A channel's id is
the conversation id without the ``;messageid=...`` thread suffix: posting to it starts a new
thread in the channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime
from storage.outbox import ConversationTarget
from storage.upserts import insert_or_update

PERSONAL = "personal"
CHANNEL = "channel"


class ConversationRefRow(Base):
    """The latest reference seen for a person's personal chat or a team channel."""

    __tablename__ = "conversation_refs"

    key: Mapped[str] = mapped_column(String(600), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str] = mapped_column(String(512))
    service_url: Mapped[str] = mapped_column(String(512))
    tenant_id: Mapped[str] = mapped_column(String(64))
    bot_id: Mapped[str] = mapped_column(String(256))
    object_id: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(256))
    team_id: Mapped[str | None] = mapped_column(String(512))
    team_name: Mapped[str | None] = mapped_column(String(256))
    channel_name: Mapped[str | None] = mapped_column(String(256))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class KnownChannel:
    """A team channel the bot has seen (installed there, or mentioned in it)."""

    channel_id: str
    team_id: str | None
    team_name: str | None
    channel_name: str | None
    target: ConversationTarget


def channel_id_of(conversation_id: str) -> str:
    """The channel a thread belongs to: Teams appends ``;messageid=<root>`` to the channel id."""
    return conversation_id.split(";", 1)[0]


class ConversationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember_personal(
        self, *, object_id: str, user_id: str, target: ConversationTarget, at: datetime
    ) -> None:
        await self._upsert(
            key=f"{PERSONAL}:{object_id}",
            kind=PERSONAL,
            target=target,
            at=at,
            object_id=object_id,
            user_id=user_id,
        )

    async def remember_channel(
        self,
        *,
        channel_id: str,
        target: ConversationTarget,
        team_id: str | None,
        team_name: str | None,
        channel_name: str | None,
        at: datetime,
    ) -> None:
        """Remember a channel; a name Teams left out this time keeps the one seen before."""
        await self._upsert(
            key=f"{CHANNEL}:{channel_id}",
            kind=CHANNEL,
            target=target,
            at=at,
            team_id=team_id,
            team_name=team_name,
            channel_name=channel_name,
        )

    async def personal(self, object_id: str) -> ConversationTarget | None:
        row = await self._session.get(ConversationRefRow, f"{PERSONAL}:{object_id}")
        return _target(row) if row is not None else None

    async def channel(self, channel_id: str) -> KnownChannel | None:
        row = await self._session.get(ConversationRefRow, f"{CHANNEL}:{channel_id}")
        if row is None:
            return None
        return KnownChannel(
            channel_id=channel_id,
            team_id=row.team_id,
            team_name=row.team_name,
            channel_name=row.channel_name,
            target=_target(row),
        )

    async def latest(self) -> ConversationTarget | None:
        """The most recently seen reference of any kind: its service URL, tenant and bot id
        are what a new personal chat is created with when the person never wrote to us."""
        row = (
            await self._session.execute(
                select(ConversationRefRow)
                .order_by(ConversationRefRow.updated_at.desc(), ConversationRefRow.key)
                .limit(1)
            )
        ).scalar_one_or_none()
        return _target(row) if row is not None else None

    async def _upsert(
        self, *, key: str, kind: str, target: ConversationTarget, at: datetime, **extra: str | None
    ) -> None:
        values = {
            "key": key,
            "kind": kind,
            "conversation_id": target.conversation_id,
            "service_url": target.service_url,
            "tenant_id": target.tenant_id,
            "bot_id": target.bot_id,
            "updated_at": at,
            **extra,
        }
        changes = tuple(k for k, v in values.items() if k != "key" and v is not None)
        upsert = insert_or_update(ConversationRefRow, tuple(values), ("key",), update=changes)
        await self._session.execute(upsert, values)


def _target(row: ConversationRefRow) -> ConversationTarget:
    return ConversationTarget(
        conversation_id=row.conversation_id,
        service_url=row.service_url,
        tenant_id=row.tenant_id,
        bot_id=row.bot_id,
    )
