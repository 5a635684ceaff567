"""``export <reference>``: links to a case's evidence bundle, for the Hub and administrators.

Personal chat only: the links carry a token that lets the holder download the case's whole
trail, so they are never posted where others could use them.
"""

from __future__ import annotations

import logging

from bot_app.core.answers import Reply, card
from bot_app.core.payloads import CaseArgs
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from bot_app.evidence import services
from bot_app.evidence.views import export_view
from cards.evidence import export_card
from safeguarding.policy import Action

log = logging.getLogger(__name__)


class EvidenceHandlers:
    def __init__(self, *, tx: Transactions, settings: services.EvidenceSettings) -> None:
        self._tx = tx
        self._settings = settings

    def register(self, router: Router) -> None:
        router.add_command(
            ["export"],
            self.export,
            args=CaseArgs,
            usage="export <reference>",
            description="Links to a case's evidence bundle (JSON and printable), for 15 minutes.",
            action=Action.EXPORT_EVIDENCE,
            personal_only=True,
        )

    async def export(self, turn: Turn, args: CaseArgs) -> Reply:
        command = services.IssueLinks(reference=args.reference, by=turn.actor)
        links = await self._tx.read(
            lambda uow: services.issue_links(command, uow, now=turn.now, settings=self._settings)
        )
        log.info("evidence links for %s issued to %s", args.reference, turn.actor.object_id)
        return card(export_card(export_view(links, self._settings.calendar.timezone)))
