"""Who is told about a case's Hub card: every copy of it, updated in place.

The card is posted once when the case is notified (to the Hub channel, or to each Hub
officer when there is none); its outbox keys are recorded on the case, so every later change
- by this feature or another (rapid review, differences of opinion) - edits those messages
instead of posting new ones.
"""

from __future__ import annotations

from datetime import date, datetime

from bot_app.cases.views import CaseViews
from bot_app.core.people import People
from bot_app.core.posting import post_to_hub, post_to_person, update_message
from cards.case import DetailsView, details_card, hub_card
from safeguarding.case import Actor, Case
from safeguarding.roles import Person
from storage.uow import UnitOfWork

HUB_CARD_POSTED = "hub_card.posted"  # data: {"keys": outbox keys of every copy of the card}


def hub_card_key(reference: str) -> str:
    """The outbox key of a case's Hub card, so later changes update that message in place."""
    return f"hub-card:{reference}"


class HubCards:
    """Posts a case's Hub card and keeps every copy of it current."""

    def __init__(self, views: CaseViews, people: People) -> None:
        self._views = views
        self._people = people

    async def post_hub_card(
        self, uow: UnitOfWork, case: Case, *, actor: Actor, today: date, now: datetime
    ) -> list[str]:
        """Queue the new case's card for the Hub and record where it went, on the case.

        Returns the keys of the copies; empty when there is neither a Hub channel nor a Hub
        officer (the case records that too, so the gap is visible in its history).
        """
        reference = str(case.reference)
        copies = await post_to_hub(
            uow,
            hub_card(self._views.card_view(case, today)),
            hub_card_key(reference),
            reference,
            people=self._people,
            now=now,
        )
        case.record(
            HUB_CARD_POSTED,
            actor=actor,
            at=now,
            what="Case card queued for the Hub."
            if copies
            else "No Hub channel or Hub officer to send the case card to.",
            data={"keys": copies},
        )
        return copies

    async def refresh_hub_card(
        self, uow: UnitOfWork, case: Case, *, today: date, now: datetime
    ) -> None:
        """Save the case and update every copy of its Hub card in place (for everyone)."""
        card = hub_card(self._views.card_view(case, today))
        posted = next((e for e in reversed(case.events) if e.kind == HUB_CARD_POSTED), None)
        for original in posted.data.get("keys", []) if posted else []:
            await update_message(
                uow,
                original,
                card,
                f"{original}:update:{len(case.events)}",
                now=now,
                case_reference=str(case.reference),
            )
        await uow.cases.save(case)


async def send_details_privately(
    uow: UnitOfWork,
    reader: Person,
    view: DetailsView,
    *,
    activity_id: str,
    now: datetime,
) -> None:
    """Queue a case's details for the reader's personal chat, never the channel they asked in.

    The activity id is part of the key: Teams redelivers a press with the same id (queued
    once), while a later press queues the details again.
    """
    reference = view.reference
    await post_to_person(
        uow,
        reader.object_id,
        details_card(view),
        f"details:{reference}:{reader.object_id}:{activity_id}",
        reference,
        now=now,
    )
