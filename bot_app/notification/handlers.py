"""Translating ``notify`` and the notification dialog's Send into service calls and replies."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot_app.cases.messages import HubCards
from bot_app.cases.views import CaseViews, already_sent
from bot_app.core.answers import BeginDialog, Reply, Text
from bot_app.core.payloads import NoArgs
from bot_app.core.posting import post_to_actor
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from bot_app.notification import services
from bot_app.notification.messages import (
    START_CARD_KEY,
    confirmation,
    moved_to_personal_chat,
    start_card,
)
from cards.notification import confirmation_card
from dialogs.card_dialog import Said
from dialogs.notification import DIALOG_ID, Submission
from dialogs.turn import DialogTurn
from safeguarding.policy import Action
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class NotificationHandlers:
    def __init__(
        self,
        *,
        tx: Transactions,
        views: CaseViews,
        hub_cards: HubCards,
        reference_prefix: str,
    ) -> None:
        self._tx = tx
        self._views = views
        self._hub_cards = hub_cards
        self._prefix = reference_prefix

    def register(self, router: Router) -> None:
        router.add_command(
            ["notify", "notification"],
            self.notify,
            args=NoArgs,
            usage="notify",
            description="Notify the Hub of a child's death or serious harm - I'll guide you.",
            action=Action.NOTIFY,
        )

    async def notify(self, turn: Turn, _args: NoArgs) -> Reply:
        """Start the guided notification here, or in a personal chat if asked elsewhere."""
        if turn.is_personal:
            return (BeginDialog(DIALOG_ID),)

        async def queue_start_card(uow: UnitOfWork) -> None:
            await post_to_actor(uow, turn, start_card(), key=START_CARD_KEY)

        await self._tx.run(queue_start_card)
        return (Text(moved_to_personal_chat(turn.actor.name.split(" ")[0])),)

    async def submit(self, turn: DialogTurn, submission: Submission) -> Sequence[Said]:
        """The dialog's Send: what to tell the practitioner once the case is committed."""
        command = services.SendNotification(
            notifier=turn.actor,
            token=submission.token,
            notification=submission.notification,
            details=submission.details,
        )

        async def work(uow: UnitOfWork) -> services.CaseOpened | services.AlreadySent:
            return await services.send_notification(
                command,
                uow,
                now=turn.now,
                today=turn.today,
                reference_prefix=self._prefix,
                hub_cards=self._hub_cards,
            )

        result = await self._tx.run(work)
        if isinstance(result, services.AlreadySent):
            return [already_sent(result.reference)]
        log.info("case %s opened (%s)", result.case.reference, result.route.value)
        view = confirmation(self._views, result.case, result.route, result.reasons)
        return [confirmation_card(view)]
