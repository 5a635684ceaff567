"""Translating ``notify`` and the notification dialog's Send into service calls and replies.

The notification is one card, updated in place (``dialogs/notification.py``): Send answers
with the receipt on that card - the case reference, who sent it and when - and a press on a
card already sent answers "Already sent, as NL-2026-0001, at 09:41", never a second case.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

from bot_app.cases.messages import HubCards
from bot_app.cases.views import CaseViews
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
from cards.base import Card
from cards.notification import already_sent_card, confirmation_card
from dialogs.card_dialog import Said
from dialogs.notification import DIALOG_ID, Submission
from dialogs.turn import DialogTurn
from safeguarding.policy import Action
from safeguarding.times import at_time
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
            return [self._already_sent(result, turn.today)]
        log.info("case %s opened (%s)", result.case.reference, result.route.value)
        view = confirmation(
            self._views,
            result.case,
            result.route,
            result.reasons,
            sent=f"Sent to the Hub by {turn.actor.name} {self.when(turn.now, turn.today)}.",
        )
        return [confirmation_card(view)]

    async def receipt(self, turn: DialogTurn, token: str) -> Card | None:
        """A press on a notification card no dialog is waiting for: sent (as what, when)?"""
        found = await self._tx.read(lambda uow: services.sent_as(token, uow))
        return self._already_sent(found, turn.today) if found is not None else None

    def when(self, moment: datetime, today: date | None = None) -> str:
        """``moment`` as the partnership's local time: "at 09:41" (with the day if not today)."""
        calendar = self._views.settings.calendar
        return at_time(
            moment.astimezone(calendar.timezone),
            today=today if today is not None else calendar.local_date(moment),
        )

    def _already_sent(self, sent: services.AlreadySent, today: date) -> Card:
        return already_sent_card(
            sent.reference, f"This notification was sent {self.when(sent.sent_at, today)}."
        )
