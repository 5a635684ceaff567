"""Registering and unregistering channels, and listing what is registered.

A channel is identified by its id without the thread suffix, so posts start new threads in
it; its team and channel names come from what the bot saw when it was installed there (the
conversation observer), else from the message that registers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from safeguarding.errors import InvalidInput
from safeguarding.reminders import ChannelPurpose
from storage.channels import RegisteredChannel
from storage.outbox import ConversationTarget
from storage.uow import UnitOfWork

PURPOSES = "hub, csprg, partners or agency «name»"
_ALIASES = {
    "hub": ChannelPurpose.HUB,
    "csprg": ChannelPurpose.CSPRG,
    "cspr": ChannelPurpose.CSPRG,
    "partners": ChannelPurpose.PARTNERS,
    "partner": ChannelPurpose.PARTNERS,
    "agency": ChannelPurpose.AGENCY,
}
MAX_AGENCY_CHARS = 128


def parse_purpose(words: str) -> tuple[ChannelPurpose, str]:
    """``hub`` → (HUB, ""); ``agency Humberside Police`` → (AGENCY, "Humberside Police")."""
    word, _, rest = words.strip().partition(" ")
    purpose = _ALIASES.get(word.lower())
    if purpose is None:
        raise InvalidInput(
            f"Register this channel as one of: {PURPOSES}. For example **register hub**."
        )
    agency = " ".join(rest.split())
    if purpose is ChannelPurpose.AGENCY and not agency:
        raise InvalidInput("Which agency? For example **register agency Humberside Police**.")
    if purpose is not ChannelPurpose.AGENCY and agency:
        raise InvalidInput(f"**register {purpose.value}** takes nothing after it.")
    if len(agency) > MAX_AGENCY_CHARS:
        raise InvalidInput(f"Agency names are at most {MAX_AGENCY_CHARS} characters.")
    return purpose, agency


@dataclass(frozen=True)
class RegisterChannel:
    """Make the channel a message came from the one for ``purpose`` (and ``agency``).

    ``target`` is the conversation reference of that message; the names are what Teams sent
    with it, used only when the bot never saw the channel before.
    """

    purpose: ChannelPurpose
    agency: str
    channel_id: str
    target: ConversationTarget
    team_id: str | None
    team_name: str | None
    channel_name: str | None
    by_object_id: str
    by_name: str


@dataclass(frozen=True)
class ChannelRegistered:
    channel: RegisteredChannel
    replaced: RegisteredChannel | None  # the channel that had this purpose before, if another


@dataclass(frozen=True)
class UnregisterChannel:
    """Stop posting in a channel: for every purpose (``purpose`` None), or for one."""

    channel_id: str
    purpose: ChannelPurpose | None
    agency: str = ""


@dataclass(frozen=True)
class ChannelsUnregistered:
    removed: tuple[RegisteredChannel, ...]


async def register_channel(
    command: RegisterChannel, uow: UnitOfWork, *, now: datetime
) -> ChannelRegistered:
    known = await uow.conversations.channel(command.channel_id)
    channel = RegisteredChannel(
        purpose=command.purpose,
        agency=command.agency,
        channel_id=command.channel_id,
        team_id=(known.team_id if known else None) or command.team_id,
        team_name=(known.team_name if known else None) or command.team_name,
        channel_name=(known.channel_name if known else None) or command.channel_name,
        # Posting to the channel id (no ";messageid=" suffix) starts a new thread.
        target=ConversationTarget(
            conversation_id=command.channel_id,
            service_url=command.target.service_url,
            tenant_id=command.target.tenant_id,
            bot_id=command.target.bot_id,
        ),
        registered_by=command.by_object_id,
        registered_by_name=command.by_name,
        registered_at=now,
    )
    replaced = await uow.channels.register(channel)
    return ChannelRegistered(channel=channel, replaced=replaced)


async def unregister_channel(
    command: UnregisterChannel, uow: UnitOfWork, *, now: datetime
) -> ChannelsUnregistered:
    removed = await uow.channels.unregister(command.channel_id, command.purpose, command.agency)
    return ChannelsUnregistered(removed=tuple(removed))


async def registered_channels(uow: UnitOfWork) -> list[RegisteredChannel]:
    return await uow.channels.all()
