"""Remembering where people and channels are, as they talk to the bot.

Teams lets a bot post proactively only into conversations it knows, so every personal
message stores the person's chat (by Entra object id), and every channel message - or the
bot's installation in a team - stores the channel with the team's and channel's names when
Teams sends them, so ``register`` can name the channel it registers and the outbox sender can
reach it later, from any worker.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from storage.outbox import ConversationTarget
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# The edge stands this prefix in for a sender without an Entra object id (some test clients):
# such a sender has no personal chat the outbox could look up.
_NO_OBJECT_ID = "teams:"


@dataclass(frozen=True)
class _Seen:
    conversation_id: str
    service_url: str
    team_name: str | None


class ConversationObserver:
    """Called by the edge for every message, invoke and conversation update.

    It never fails a turn: a database hiccup here is logged, and the next message stores the
    reference again. Writes are skipped when this worker stored the same reference recently.
    """

    _CACHE_LIMIT = 10_000

    def __init__(self, tx: Transactions) -> None:
        self._tx = tx
        self._seen: dict[str, _Seen] = {}

    async def __call__(self, turn: Turn) -> None:
        try:
            await self._observe(turn)
        except Exception:
            log.exception("could not remember the conversation reference")

    async def _observe(self, turn: Turn) -> None:
        where = turn.where
        if not where.target.conversation_id or not where.target.service_url:
            return
        if turn.is_personal:
            await self._personal(turn)
        elif turn.in_channel and where.channel_id:
            await self._channel(turn)

    async def _personal(self, turn: Turn) -> None:
        object_id = turn.actor.object_id
        if not object_id or object_id.startswith(_NO_OBJECT_ID):
            return
        target = turn.where.target
        key = f"personal:{object_id}"
        seen = _Seen(target.conversation_id, target.service_url, None)
        if self._seen.get(key) == seen:
            return

        async def remember(uow: UnitOfWork) -> None:
            await uow.conversations.remember_personal(
                object_id=object_id, user_id=turn.teams_user_id, target=target, at=turn.now
            )

        await self._tx.run(remember)
        self._remember(key, seen)

    async def _channel(self, turn: Turn) -> None:
        where = turn.where
        # The channel id without the thread suffix: posting to it starts a new thread.
        target = ConversationTarget(
            conversation_id=where.channel_id,
            service_url=where.target.service_url,
            tenant_id=where.target.tenant_id,
            bot_id=where.target.bot_id,
        )
        key = f"channel:{where.channel_id}"
        seen = _Seen(where.channel_id, target.service_url, where.team_name)
        if self._seen.get(key) == seen:
            return

        async def remember(uow: UnitOfWork) -> None:
            await uow.conversations.remember_channel(
                channel_id=where.channel_id,
                target=target,
                team_id=where.team_id,
                team_name=where.team_name,
                channel_name=where.channel_name,
                at=turn.now,
            )

        await self._tx.run(remember)
        self._remember(key, seen)

    def _remember(self, key: str, seen: _Seen) -> None:
        """Only after the commit: a failed write is tried again on the next message."""
        if len(self._seen) >= self._CACHE_LIMIT:
            self._seen.clear()
        self._seen[key] = seen
