"""``export <reference>``: links to a case's evidence bundle, for the Hub and administrators.

Personal chat only: the links carry a token that lets the holder download the case's whole
trail, so they are never posted where others could use them.
"""

from __future__ import annotations

import logging

from bot_app.evidence_http import EvidenceService
from bot_app.replies import send_card
from bot_app.routing import Router, Turn
from cards.evidence import export_card
from safeguarding.errors import InvalidInput, NotFound
from safeguarding.policy import Action
from safeguarding.reference import CaseReference
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class Evidence:
    def __init__(self, *, service: EvidenceService, reference_prefix: str) -> None:
        self._service = service
        self._prefix = reference_prefix

    def register(self, router: Router) -> None:
        router.add_command(
            ["export"],
            self.export,
            usage="export <reference>",
            description="Links to a case's evidence bundle (JSON and printable), for 15 minutes.",
            action=Action.EXPORT_EVIDENCE,
            personal_only=True,
        )

    async def export(self, turn: Turn, args: str) -> None:
        if not args.strip():
            raise InvalidInput(f"Which case? For example: export {self._prefix}-2026-0001")
        reference = CaseReference.parse(args, prefix=self._prefix)
        async with UnitOfWork(self._service.sessions) as uow:
            if await uow.cases.find(reference) is None:
                raise NotFound(f"I can't find case {reference}. Check the reference and try again.")
        await send_card(turn.context, export_card(self._service.links(str(reference), turn.actor)))
        log.info("evidence links for %s issued to %s", reference, turn.actor.object_id)
