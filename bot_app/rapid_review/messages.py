"""Who is told what in the rapid review, and under which outbox keys.

* Each agency asked for a report: its safeguarding leads personally, else the agency's own
  channel; an agency with neither is named to the Hub, who add a lead or forward the request.
* The Hub: the tracker (updated in place at every step), the case card, and a referral card
  for every difference of opinion.
* The CSPR Group: the vote card, in their channel or to each member and deputy personally;
  the partners likewise get their card once a round closes with a recommendation.

Everything is queued in the caller's unit of work (``bot_app.core.posting``), so it is sent
only if the action commits. What is posted carries references, agencies, dates and names
only: report text and rationales stay encrypted, in personal views, and in the document.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from bot_app.cases.messages import HubCards
from bot_app.core.people import People
from bot_app.core.posting import (
    channel_for,
    post_to_channel,
    post_to_hub,
    post_to_people,
    post_to_person,
    update_message,
)
from bot_app.rapid_review.views import RapidReviewViews
from cards.base import Card
from cards.rapid_review import (
    NoLeadView,
    RequestView,
    no_lead_card,
    partners_card,
    referral_card,
    request_card,
    tracker_card,
)
from cards.vote import vote_card
from safeguarding import rapid_review as rr
from safeguarding.case import Case
from safeguarding.reminders import ChannelPurpose
from safeguarding.roles import Person, Role
from storage.channels import agency_key
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def tracker_key(reference: str) -> str:
    return f"rapid-review:{reference}"


def vote_key(reference: str, round_number: int) -> str:
    return f"vote:{reference}:{round_number}"


def chase_key(reference: str, round_number: int, object_id: str, tag: str) -> str:
    """A reminder to one person to vote: ``tag`` is the Hub's day ("hub:2026-11-26") or the
    reminder rule, so each is sent once. It is a personal copy of the vote card (its key
    extends the card's ``:person:`` copies), so later votes update it in place."""
    return f"{vote_key(reference, round_number)}:person:{object_id}:chase:{tag}"


def pack_key(reference: str, object_id: str) -> str:
    """The voting pack sent privately; the edge adds the activity id (one per request)."""
    return f"voting-pack:{reference}:{object_id}"


def partners_key(reference: str, round_number: int) -> str:
    return f"partners:{reference}:{round_number}"


def request_key(reference: str, agency: str) -> str:
    return f"rr-request:{reference}:{agency_key(agency)}"


def document_key(reference: str, object_id: str) -> str:
    """The document links sent privately; the edge adds the activity id (one per request)."""
    return f"rr-document:{reference}:{object_id}"


def report_start_key(reference: str) -> str:
    return f"report-start:{reference}"


class RapidReviewMessages:
    """Queues the rapid review's cards; reads only what those cards show (ballots, ids)."""

    def __init__(self, *, views: RapidReviewViews, people: People, hub_cards: HubCards) -> None:
        self.views = views
        self._people = people
        self._hub_cards = hub_cards

    async def ask_agency(
        self, uow: UnitOfWork, reference: str, agency: str, due: str, *, now: datetime
    ) -> None:
        """Ask the agency's safeguarding leads personally, else the agency's own channel.

        An agency with neither is never asked in the Hub's channel as if the request were the
        Hub's own: the Hub is told plainly that nobody leads for it in the directory, so it can
        add a lead or forward the request (reference, agency and due date only).
        """
        card = request_card(RequestView(reference=reference, agency=agency, due=due))
        key = request_key(reference, agency)
        leads = await self._people.people_with(uow, Role.AGENCY_LEAD, agency)
        if leads:
            await post_to_people(uow, leads, card, key, reference, now=now)
            return
        if await uow.channels.for_purpose(ChannelPurpose.AGENCY, agency) is not None:
            await post_to_channel(
                uow, ChannelPurpose.AGENCY, card, key, reference, now=now, agency=agency
            )
            return
        log.warning("no safeguarding lead or channel to ask for a report on %s", reference)
        await post_to_hub(
            uow,
            no_lead_card(NoLeadView(reference=reference, agency=agency, due=due)),
            f"{key}:no-lead",
            reference,
            people=self._people,
            now=now,
        )

    async def tracker_card(self, uow: UnitOfWork, case: Case, *, now: datetime) -> Card:
        """The tracker as it stands, counting the open round's ballots."""
        current = rr.state_of(case).round
        voted = 0
        if current is not None and not current.closed:
            voted = len(await uow.rapid_review.ballots(str(case.reference), current.number))
        return tracker_card(self.views.tracker(case, self.views.today(now), voted=voted))

    async def post_tracker(self, uow: UnitOfWork, case: Case, *, now: datetime) -> None:
        reference = str(case.reference)
        await post_to_hub(
            uow,
            await self.tracker_card(uow, case, now=now),
            tracker_key(reference),
            reference,
            people=self._people,
            now=now,
        )

    async def save(
        self, uow: UnitOfWork, case: Case, *, now: datetime, tracker: bool = True
    ) -> Card:
        """Update the tracker and the Hub's case card in place, and save the case; returns the
        tracker as it now stands (the Hub officer's answer)."""
        card = await self.tracker_card(uow, case, now=now)
        if tracker:
            await self.update_copies(uow, tracker_key(str(case.reference)), card, case, now=now)
        await self._hub_cards.refresh_hub_card(uow, case, today=self.views.today(now), now=now)
        await uow.cases.save(case)
        return card

    async def update_copies(
        self, uow: UnitOfWork, key: str, card: Card, case: Case, *, now: datetime
    ) -> None:
        """Edit every copy of the message queued as ``key`` (the channel's, or each person's)."""
        for original in await uow.outbox.copies_of(key):
            await update_message(
                uow,
                original,
                card,
                f"{original}:update:{len(case.events)}",
                now=now,
                case_reference=str(case.reference),
            )

    async def vote_card(
        self,
        uow: UnitOfWork,
        case: Case,
        number: int,
        *,
        viewer: str | None = None,
        notice: str | None = None,
    ) -> Card:
        """One person's view of the vote card (their own vote, if they hold a seat)."""
        ballots = await uow.rapid_review.ballots(str(case.reference), number)
        return vote_card(self.views.vote(case, number, ballots, viewer=viewer, notice=notice))

    async def post_vote(
        self,
        uow: UnitOfWork,
        case: Case,
        number: int,
        *,
        members: Sequence[Person],
        deputies: Sequence[Person],
        now: datetime,
    ) -> None:
        """The shared vote card, to the CSPR Group's channel or to each member and deputy."""
        ids = [p.object_id for p in [*members, *deputies]]
        card = await self._shared_vote_card(uow, case, number, ids)
        await _post_to_group(
            uow,
            ChannelPurpose.CSPRG,
            [*members, *deputies],
            card,
            vote_key(str(case.reference), number),
            str(case.reference),
            now=now,
        )

    async def update_vote_cards(
        self, uow: UnitOfWork, case: Case, number: int, *, now: datetime
    ) -> None:
        """Every copy of the round's shared card: who has voted (and, once closed, how)."""
        current = rr.state_of(case).round_number(number)
        deputies = await self._people.people_with(uow, Role.CSPRG_DEPUTY)
        ids = [*(current.seats if current else ()), *(d.object_id for d in deputies)]
        card = await self._shared_vote_card(uow, case, number, ids)
        await self.update_copies(uow, vote_key(str(case.reference), number), card, case, now=now)

    async def _shared_vote_card(
        self, uow: UnitOfWork, case: Case, number: int, ids: Sequence[str]
    ) -> Card:
        """The card everyone sees; Teams refreshes it to each listed person's own view."""
        reference = str(case.reference)
        ballots = await uow.rapid_review.ballots(reference, number)
        user_ids = await uow.rapid_review.teams_ids(reference, list(ids)) if ids else []
        return vote_card(self.views.vote(case, number, ballots, user_ids=user_ids))

    async def chase(
        self,
        uow: UnitOfWork,
        case: Case,
        number: int,
        seats: Sequence[str],
        *,
        tag: str,
        notice: str,
        now: datetime,
    ) -> list[str]:
        """Remind the holders of ``seats`` (each member and their deputies) personally, with
        the vote card under ``notice``; returns who was reminded, a line per seat: "Sam Hughes
        (and Jo Patel, deputy)"."""
        members = await self._people.people_with(uow, Role.CSPRG_MEMBER)
        deputies = await self._people.people_with(uow, Role.CSPRG_DEPUTY)
        reference = str(case.reference)
        ballots = await uow.rapid_review.ballots(reference, number)
        current = rr.state_of(case).round_number(number)
        ids = [*(current.seats if current else ()), *(d.object_id for d in deputies)]
        user_ids = await uow.rapid_review.teams_ids(reference, ids) if ids else []
        card = vote_card(self.views.vote(case, number, ballots, user_ids=user_ids, notice=notice))
        reminded: list[str] = []
        for seat in seats:
            holders = [p for p in members if p.object_id == seat]
            holders += [d for d in deputies if d.deputy_for == seat]
            if not holders:
                log.warning("nobody in the directory holds a voting seat on %s", reference)
                continue
            for person in holders:
                await post_to_person(
                    uow,
                    person.object_id,
                    card,
                    chase_key(reference, number, person.object_id, tag),
                    reference,
                    now=now,
                    summary=f"Your vote is needed on case {reference}",
                )
            member = next((p.name for p in holders if p.object_id == seat), None)
            deputy = ", ".join(p.name for p in holders if p.object_id != seat)
            if member is None:
                reminded.append(f"{deputy} (deputy)")
            else:
                reminded.append(f"{member} (and {deputy}, deputy)" if deputy else member)
        return reminded

    async def partners_required(self, uow: UnitOfWork) -> int:
        """How many partners must confirm: the setting, else every partner in the directory."""
        configured = self.views.settings.partner_confirmations
        if configured > 0:
            return configured
        return max(1, len(await self._people.people_with(uow, Role.PARTNER)))

    async def post_partners(
        self, uow: UnitOfWork, case: Case, number: int, *, now: datetime
    ) -> None:
        partners = await self._people.people_with(uow, Role.PARTNER)
        required = await self.partners_required(uow)
        card = partners_card(self.views.partners(case, number, required))
        await _post_to_group(
            uow,
            ChannelPurpose.PARTNERS,
            partners,
            card,
            partners_key(str(case.reference), number),
            str(case.reference),
            now=now,
        )

    async def refer_to_hub(
        self, uow: UnitOfWork, reference: str, key: str, what: str, *, now: datetime
    ) -> None:
        """A difference of opinion, to the Hub: what happened, never the reason's text."""
        await post_to_hub(
            uow, referral_card(reference, what), key, reference, people=self._people, now=now
        )

    async def refer_to_partners(
        self, uow: UnitOfWork, reference: str, key: str, what: str, *, now: datetime
    ) -> None:
        """A vote that could not decide, to the partners as well (their channel, or each)."""
        partners = await self._people.people_with(uow, Role.PARTNER)
        await _post_to_group(
            uow,
            ChannelPurpose.PARTNERS,
            partners,
            referral_card(reference, what),
            key,
            reference,
            now=now,
        )


async def _post_to_group(
    uow: UnitOfWork,
    purpose: ChannelPurpose,
    people: Sequence[Person],
    card: Card,
    key: str,
    reference: str,
    *,
    now: datetime,
) -> None:
    """The group's registered channel, or each of its people personally when it has none."""
    if await channel_for(uow, purpose) is not None:
        await post_to_channel(uow, purpose, card, key, reference, now=now)
    else:
        await post_to_people(uow, list(people), card, key, reference, now=now)
