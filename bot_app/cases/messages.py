"""Who is told about a case's Hub card: every copy of it, updated in place.

The card is posted once when the case is notified (to the Hub channel, or to each Hub
officer when there is none); its outbox keys are recorded on the case, so every later change
- by this feature or another (rapid review, differences of opinion) - edits those messages
instead of posting new ones.
"""

from __future__ import annotations

from datetime import date, datetime

from bot_app.cases.views import CaseViews, closure_view
from bot_app.core.people import People
from bot_app.core.posting import post_to_hub, post_to_people, post_to_person, update_message
from cards.base import Card
from cards.case import (
    DecisionView,
    DetailsView,
    closure_card,
    decision_card,
    details_card,
    hub_card,
)
from safeguarding import closure
from safeguarding.case import Actor, Case
from safeguarding.roles import Person, Role
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


def closure_key(reference: str, number: int) -> str:
    """The representatives' cards about one proposal to close a case (one copy each)."""
    return f"closure:{reference}:{number}"


class ClosureMessages:
    """Who is told about a proposal to close a case as not meeting the criteria.

    The partners' representatives (the CSPR Group's core members, and their deputies) get the
    card with the Hub's reason in their personal chats - never a channel, as the reason may
    describe the child. Once they decide, the notifier and the notifying agency's
    safeguarding leads are told, personally, so they can disagree.
    """

    def __init__(self, *, people: People, confirmations: int) -> None:
        self._people = people
        self._confirmations = confirmations  # 0: every core member

    async def required(self, uow: UnitOfWork) -> int:
        """How many representatives must confirm: the setting, else every core member."""
        if self._confirmations > 0:
            return self._confirmations
        return max(1, len(await self._people.people_with(uow, Role.CSPRG_MEMBER)))

    async def ask_representatives(
        self, uow: UnitOfWork, case: Case, number: int, *, now: datetime
    ) -> None:
        members = await self._people.people_with(uow, Role.CSPRG_MEMBER)
        deputies = await self._people.people_with(uow, Role.CSPRG_DEPUTY)
        card = closure_card(closure_view(case, number, await self.required(uow)))
        reference = str(case.reference)
        await post_to_people(
            uow,
            [*members, *deputies],
            card,
            closure_key(reference, number),
            reference,
            now=now,
            summary=f"{reference}: the Hub proposes closing it (criteria not met)",
        )

    async def card(self, uow: UnitOfWork, case: Case, number: int) -> Card:
        """The representatives' card about proposal ``number``, as the case now stands."""
        return closure_card(closure_view(case, number, await self.required(uow)))

    async def update_cards(
        self, uow: UnitOfWork, case: Case, number: int, *, now: datetime
    ) -> Card:
        """Every representative's copy, redrawn; returns the card as it now stands."""
        card = await self.card(uow, case, number)
        reference = str(case.reference)
        for original in await uow.outbox.copies_of(closure_key(reference, number)):
            await update_message(
                uow,
                original,
                card,
                f"{original}:update:{len(case.events)}",
                now=now,
                case_reference=reference,
            )
        return card

    async def tell_decision(
        self, uow: UnitOfWork, case: Case, number: int, *, decided_on: str, now: datetime
    ) -> None:
        """The notifier and the notifying agency's leads, in their personal chats."""
        reference = str(case.reference)
        proposal = next(p for p in closure.proposals_of(case) if p.number == number)
        reason = proposal.reason or "See the case record."
        key = f"closure-decision:{reference}:{number}"
        notifier = str(case.facts.get("notifier_object_id") or "")
        agency = str(case.facts.get("agency") or "")
        leads = await self._people.people_with(uow, Role.AGENCY_LEAD, agency) if agency else []
        for lead in leads:
            await post_to_person(
                uow,
                lead.object_id,
                decision_card(DecisionView(reference, reason, decided_on, can_disagree=True)),
                f"{key}:person:{lead.object_id}",
                reference,
                now=now,
                summary=f"{reference}: criteria not met",
            )
        if notifier and notifier not in {lead.object_id for lead in leads}:
            await post_to_person(
                uow,
                notifier,
                decision_card(DecisionView(reference, reason, decided_on, can_disagree=False)),
                f"{key}:person:{notifier}",
                reference,
                now=now,
                summary=f"{reference}: criteria not met",
            )
