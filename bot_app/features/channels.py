"""Registering channels: an administrator says, in a channel, what it is for.

``register hub`` (or ``csprg``, ``partners``, ``agency <name>``), ``unregister [purpose]`` and
``channels``. Only administrators may (``Action.REGISTER_CHANNEL``, checked by the router);
registering makes sense only in a team channel, so anywhere else the answer says where to do
it. The channel is identified by its id without the thread suffix, so posts start new threads
in it; its team and channel names come from what the bot saw when it was installed there.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.replies import send_card, send_text
from bot_app.routing import Router, Turn
from cards.channels import ChannelLine, channels_card
from cards.reminder import when
from safeguarding.errors import InvalidInput
from safeguarding.policy import Action
from safeguarding.reminders import ChannelPurpose
from storage.channels import ChannelRepository, RegisteredChannel
from storage.conversations import ConversationRepository, channel_id_of
from storage.outbox import ConversationTarget
from storage.uow import UnitOfWork

PURPOSES = "hub, csprg, partners or agency <name>"
_ALIASES = {
    "hub": ChannelPurpose.HUB,
    "csprg": ChannelPurpose.CSPRG,
    "cspr": ChannelPurpose.CSPRG,
    "partners": ChannelPurpose.PARTNERS,
    "partner": ChannelPurpose.PARTNERS,
    "agency": ChannelPurpose.AGENCY,
}
MAX_AGENCY_CHARS = 128


def parse_purpose(args: str) -> tuple[ChannelPurpose, str]:
    """``hub`` → (HUB, ""); ``agency Humberside Police`` → (AGENCY, "Humberside Police")."""
    word, _, rest = args.strip().partition(" ")
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


class Channels:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def register(self, router: Router) -> None:
        router.add_command(
            ["register"],
            self.register_channel,
            usage="register hub|csprg|partners|agency <name>",
            description="In a team channel: post that group's reminders and case cards here.",
            action=Action.REGISTER_CHANNEL,
        )
        router.add_command(
            ["unregister"],
            self.unregister_channel,
            usage="unregister [hub|csprg|partners|agency <name>]",
            description="In a team channel: stop posting here (for one purpose, or all).",
            action=Action.REGISTER_CHANNEL,
        )
        router.add_command(
            ["channels"],
            self.list_channels,
            usage="channels",
            description="Which channel is registered for what.",
            action=Action.REGISTER_CHANNEL,
        )

    async def register_channel(self, turn: Turn, args: str) -> None:
        purpose, agency = parse_purpose(args)
        if not await self._in_channel(turn, f"register {args.strip()}"):
            return
        activity = turn.context.activity
        channel_id = _channel_id(turn)
        async with UnitOfWork(self._sessions) as uow:
            known = await ConversationRepository(uow.session).channel(channel_id)
            channel = RegisteredChannel(
                purpose=purpose,
                agency=agency,
                channel_id=channel_id,
                team_id=(known.team_id if known else None) or _team(turn, "id"),
                team_name=(known.team_name if known else None) or _team(turn, "name"),
                channel_name=known.channel_name if known else None,
                target=ConversationTarget(
                    conversation_id=channel_id,
                    service_url=activity.service_url or "",
                    tenant_id=(activity.conversation.tenant_id if activity.conversation else None)
                    or _tenant(turn),
                    bot_id=(activity.recipient.id if activity.recipient else None) or "",
                ),
                registered_by=turn.actor.object_id,
                registered_by_name=turn.actor.name,
                registered_at=turn.now,
            )
            previous = await ChannelRepository(uow.session).register(channel)
            await uow.commit()
        moved = f" It replaces {previous.where}." if previous else ""
        await send_text(
            turn.context,
            f"Done: this is now the **{channel.label}** channel ({channel.where}). I'll post case "
            f"references, stages and deadlines here - never details about a child.{moved}",
        )

    async def unregister_channel(self, turn: Turn, args: str) -> None:
        purpose: ChannelPurpose | None = None
        agency = ""
        if args.strip():
            purpose, agency = parse_purpose(args)
        if not await self._in_channel(turn, f"unregister {args.strip()}".strip()):
            return
        channel_id = _channel_id(turn)
        async with UnitOfWork(self._sessions) as uow:
            removed = await ChannelRepository(uow.session).unregister(channel_id, purpose, agency)
            await uow.commit()
        if not removed:
            await send_text(
                turn.context, "Nothing was registered in this channel, so nothing changed."
            )
            return
        names = ", ".join(f"**{c.label}**" for c in removed)
        await send_text(
            turn.context,
            f"Done: this channel is no longer the {names} channel. Reminders for it go to the Hub "
            "channel until another channel is registered.",
        )

    async def list_channels(self, turn: Turn, _args: str) -> None:
        async with UnitOfWork(self._sessions) as uow:
            registered = await ChannelRepository(uow.session).all()
        zone = turn.now.tzinfo
        lines = [
            ChannelLine(
                label=c.label,
                where=c.where,
                registered=f"by {c.registered_by_name or 'an administrator'}, "
                f"{when(c.registered_at.astimezone(zone))}",
            )
            for c in registered
        ]
        await send_card(turn.context, channels_card(lines))

    async def _in_channel(self, turn: Turn, command: str) -> bool:
        if turn.conversation_type == "channel":
            return True
        where = "a personal chat" if turn.is_personal else "a group chat"
        await send_text(
            turn.context,
            f"This is {where}, and only a team channel can be registered. Go to the channel "
            f"you want me to post in, mention me and say **{command}** there.",
        )
        return False


def _channel_data(turn: Turn) -> dict[str, object]:
    data = turn.context.activity.channel_data
    return data if isinstance(data, dict) else {}


def _channel_id(turn: Turn) -> str:
    channel = _channel_data(turn).get("channel")
    if isinstance(channel, dict) and isinstance(channel.get("id"), str) and channel["id"]:
        return str(channel["id"])
    conversation = turn.context.activity.conversation
    return channel_id_of(conversation.id if conversation else "")


def _team(turn: Turn, field: str) -> str | None:
    team = _channel_data(turn).get("team")
    value = team.get(field) if isinstance(team, dict) else None
    return value if isinstance(value, str) and value else None


def _tenant(turn: Turn) -> str:
    tenant = _channel_data(turn).get("tenant")
    value = tenant.get("id") if isinstance(tenant, dict) else None
    return value if isinstance(value, str) else ""
