"""Registered channels: which Teams channel is the Hub's, the CSPR Group's, the partners' or
an agency's (architecture.md: "Channels are registered, not hard-coded").

An administrator says ``register hub`` in a channel; the bot keeps that channel's reference
here and posts reminders and case cards for that purpose there. One channel per purpose (per
agency for agency channels): registering another channel for the same purpose moves it. A
channel may serve several purposes.

Lookup for posting is :meth:`ChannelRepository.resolve`: an agency without a channel of its
own falls back to the Hub, which chases agencies anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.reminders import ChannelPurpose
from storage.models import Base, UTCDateTime
from storage.outbox import ConversationTarget


class RegisteredChannelRow(Base):
    __tablename__ = "registered_channels"
    __table_args__ = (UniqueConstraint("purpose", "agency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    agency: Mapped[str] = mapped_column(String(128))  # as typed, for display; "" if none
    agency_key: Mapped[str] = mapped_column(String(128))  # case-folded, for matching
    channel_id: Mapped[str] = mapped_column(String(512))
    team_id: Mapped[str | None] = mapped_column(String(512))
    team_name: Mapped[str | None] = mapped_column(String(256))
    channel_name: Mapped[str | None] = mapped_column(String(256))
    service_url: Mapped[str] = mapped_column(String(512))
    tenant_id: Mapped[str] = mapped_column(String(64))
    bot_id: Mapped[str] = mapped_column(String(256))
    registered_by: Mapped[str] = mapped_column(String(128))
    registered_by_name: Mapped[str] = mapped_column(String(256))
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


def agency_key(agency: str) -> str:
    """Agencies are typed by people ("Humberside Police", "humberside police "): one key."""
    return " ".join(agency.split()).casefold()


@dataclass(frozen=True)
class RegisteredChannel:
    purpose: ChannelPurpose
    agency: str
    channel_id: str
    team_id: str | None
    team_name: str | None
    channel_name: str | None
    target: ConversationTarget
    registered_by: str
    registered_by_name: str
    registered_at: datetime

    @property
    def label(self) -> str:
        """ "Hub", or "Agency: Humberside Police"."""
        if self.purpose is ChannelPurpose.AGENCY:
            return f"{self.purpose.label}: {self.agency}"
        return self.purpose.label

    @property
    def where(self) -> str:
        """The channel as people know it: its team and name when Teams told us."""
        team = f"team {self.team_name}" if self.team_name else "a team"
        channel = f"channel {self.channel_name}" if self.channel_name else "a channel"
        return f"{channel} in {team}"


class ChannelRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def register(self, channel: RegisteredChannel) -> RegisteredChannel | None:
        """Make ``channel`` the one for its purpose; returns the channel it replaced, if any."""
        key = agency_key(channel.agency)
        previous = await self.for_purpose(channel.purpose, channel.agency)
        await self._session.execute(
            delete(RegisteredChannelRow).where(
                RegisteredChannelRow.purpose == channel.purpose.value,
                RegisteredChannelRow.agency_key == key,
            )
        )
        self._session.add(
            RegisteredChannelRow(
                purpose=channel.purpose.value,
                agency=channel.agency,
                agency_key=key,
                channel_id=channel.channel_id,
                team_id=channel.team_id,
                team_name=channel.team_name,
                channel_name=channel.channel_name,
                service_url=channel.target.service_url,
                tenant_id=channel.target.tenant_id,
                bot_id=channel.target.bot_id,
                registered_by=channel.registered_by,
                registered_by_name=channel.registered_by_name,
                registered_at=channel.registered_at,
            )
        )
        await self._session.flush()
        if previous is not None and previous.channel_id == channel.channel_id:
            return None
        return previous

    async def unregister(
        self, channel_id: str, purpose: ChannelPurpose | None = None, agency: str = ""
    ) -> list[RegisteredChannel]:
        """Stop using this channel: for every purpose, for one, or for one agency; returns
        what was removed."""
        removed = [
            c
            for c in await self.in_channel(channel_id)
            if (purpose is None or c.purpose is purpose)
            and (not agency or agency_key(c.agency) == agency_key(agency))
        ]
        statement = delete(RegisteredChannelRow).where(
            RegisteredChannelRow.channel_id == channel_id
        )
        if purpose is not None:
            statement = statement.where(RegisteredChannelRow.purpose == purpose.value)
        if agency:
            statement = statement.where(RegisteredChannelRow.agency_key == agency_key(agency))
        await self._session.execute(statement)
        return removed

    async def for_purpose(
        self, purpose: ChannelPurpose, agency: str = ""
    ) -> RegisteredChannel | None:
        row = (
            await self._session.execute(
                select(RegisteredChannelRow).where(
                    RegisteredChannelRow.purpose == purpose.value,
                    RegisteredChannelRow.agency_key == agency_key(agency),
                )
            )
        ).scalar_one_or_none()
        return _channel(row) if row is not None else None

    async def resolve(self, purpose: ChannelPurpose, agency: str = "") -> RegisteredChannel | None:
        """The channel to post to for ``purpose``: an agency without one falls back to the Hub."""
        found = await self.for_purpose(purpose, agency if purpose is ChannelPurpose.AGENCY else "")
        if found is None and purpose is ChannelPurpose.AGENCY:
            found = await self.for_purpose(ChannelPurpose.HUB)
        return found

    async def in_channel(self, channel_id: str) -> list[RegisteredChannel]:
        rows = (
            (
                await self._session.execute(
                    select(RegisteredChannelRow)
                    .where(RegisteredChannelRow.channel_id == channel_id)
                    .order_by(RegisteredChannelRow.purpose, RegisteredChannelRow.agency_key)
                )
            )
            .scalars()
            .all()
        )
        return [_channel(row) for row in rows]

    async def all(self) -> list[RegisteredChannel]:
        rows = (
            (
                await self._session.execute(
                    select(RegisteredChannelRow).order_by(
                        RegisteredChannelRow.purpose, RegisteredChannelRow.agency_key
                    )
                )
            )
            .scalars()
            .all()
        )
        return [_channel(row) for row in rows]


def _channel(row: RegisteredChannelRow) -> RegisteredChannel:
    return RegisteredChannel(
        purpose=ChannelPurpose(row.purpose),
        agency=row.agency,
        channel_id=row.channel_id,
        team_id=row.team_id,
        team_name=row.team_name,
        channel_name=row.channel_name,
        target=ConversationTarget(
            conversation_id=row.channel_id,
            service_url=row.service_url,
            tenant_id=row.tenant_id,
            bot_id=row.bot_id,
        ),
        registered_by=row.registered_by,
        registered_by_name=row.registered_by_name,
        registered_at=row.registered_at,
    )
