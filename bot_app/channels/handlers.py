"""``register hub`` (or ``csprg``, ``partners``, ``agency <name>``), ``unregister [purpose]``
and ``channels``.

Only administrators may (``Action.REGISTER_CHANNEL``, checked by the router). Registering
makes sense only in a team channel, so anywhere else the answer says where to do it.
"""

from __future__ import annotations

from typing import Self

from bot_app.channels import services, views
from bot_app.core.answers import Reply, card, text
from bot_app.core.payloads import Args, NoArgs
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from safeguarding.policy import Action
from safeguarding.reminders import ChannelPurpose
from storage.conversations import channel_id_of


class RegisterArgs(Args):
    """``register <purpose>``: the purpose is required."""

    purpose: ChannelPurpose
    agency: str
    words: str  # as typed, to repeat it when the command was said in the wrong place

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        purpose, agency = services.parse_purpose(text)
        return cls(purpose=purpose, agency=agency, words=text.strip())


class UnregisterArgs(Args):
    """``unregister [<purpose>]``: nothing after it means every purpose."""

    purpose: ChannelPurpose | None
    agency: str
    words: str

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        if not text.strip():
            return cls(purpose=None, agency="", words="")
        purpose, agency = services.parse_purpose(text)
        return cls(purpose=purpose, agency=agency, words=text.strip())


class ChannelHandlers:
    def __init__(self, *, tx: Transactions) -> None:
        self._tx = tx

    def register(self, router: Router) -> None:
        router.add_command(
            ["register"],
            self.register_channel,
            args=RegisterArgs,
            usage="register hub|csprg|partners|agency <name>",
            description="In a team channel: post that group's reminders and case cards here.",
            action=Action.REGISTER_CHANNEL,
        )
        router.add_command(
            ["unregister"],
            self.unregister_channel,
            args=UnregisterArgs,
            usage="unregister [hub|csprg|partners|agency <name>]",
            description="In a team channel: stop posting here (for one purpose, or all).",
            action=Action.REGISTER_CHANNEL,
        )
        router.add_command(
            ["channels"],
            self.list_channels,
            args=NoArgs,
            usage="channels",
            description="Which channel is registered for what.",
            action=Action.REGISTER_CHANNEL,
        )

    async def register_channel(self, turn: Turn, args: RegisterArgs) -> Reply:
        if not turn.in_channel:
            return _not_a_channel(turn, f"register {args.words}")
        where = turn.where
        command = services.RegisterChannel(
            purpose=args.purpose,
            agency=args.agency,
            channel_id=_channel_id(turn),
            target=where.target,
            team_id=where.team_id,
            team_name=where.team_name,
            channel_name=where.channel_name,
            by_object_id=turn.actor.object_id,
            by_name=turn.actor.name,
        )
        done = await self._tx.run(lambda uow: services.register_channel(command, uow, now=turn.now))
        return text(views.registered_text(done.channel, done.replaced))

    async def unregister_channel(self, turn: Turn, args: UnregisterArgs) -> Reply:
        if not turn.in_channel:
            return _not_a_channel(turn, f"unregister {args.words}".strip())
        command = services.UnregisterChannel(
            channel_id=_channel_id(turn), purpose=args.purpose, agency=args.agency
        )
        done = await self._tx.run(
            lambda uow: services.unregister_channel(command, uow, now=turn.now)
        )
        return text(views.unregistered_text(done.removed))

    async def list_channels(self, turn: Turn, args: NoArgs) -> Reply:
        registered = await self._tx.read(services.registered_channels)
        return card(views.registered_card(registered, turn.now.tzinfo))


def _not_a_channel(turn: Turn, command: str) -> Reply:
    return text(views.not_a_channel_text(personal=turn.is_personal, command=command))


def _channel_id(turn: Turn) -> str:
    return turn.where.channel_id or channel_id_of(turn.where.target.conversation_id)
