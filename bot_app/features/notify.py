"""``notify``: start the guided notification, in a personal chat only.

Details about a child must not be collected in a channel or group chat, so there the bot
sends the person a private message with a Start button and says so where they asked.
"""

from __future__ import annotations

from botbuilder.dialogs import DialogSet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.notify import send_to_personal_chat
from bot_app.replies import send_text
from bot_app.routing import Router, Turn
from cards.base import Card, personal_start_card
from dialogs.notification import DIALOG_ID
from safeguarding.policy import Action


def start_card() -> Card:
    return personal_start_card(
        "Notify a serious incident",
        "You asked to notify an incident in a shared conversation. Details about a child belong "
        "here, in our personal chat.",
        "notify",
        fallback="Start a notification in this personal chat",
    )


class Notify:
    def __init__(
        self,
        *,
        dialogs: DialogSet,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        self._dialogs = dialogs
        self._sessions = sessions

    def register(self, router: Router) -> None:
        router.add_command(
            ["notify", "notification"],
            self.notify,
            usage="notify",
            description="Notify the Hub of a child's death or serious harm - I'll guide you.",
            action=Action.NOTIFY,
        )

    async def notify(self, turn: Turn, _args: str) -> None:
        if not turn.is_personal:
            await send_to_personal_chat(self._sessions, turn, start_card(), key="notify-start")
            await send_text(
                turn.context,
                f"{turn.actor.name.split(' ')[0] or 'Thanks'}, I've sent you a personal message "
                "to start the notification there, so no details are shared here.",
            )
            return
        dialog_context = await self._dialogs.create_context(turn.context)
        await dialog_context.cancel_all_dialogs()
        await dialog_context.begin_dialog(DIALOG_ID)
