"""Who is told what about a dispute, and under which outbox keys.

Every post is queued in the caller's unit of work under a key that names the dispute, so a
redelivered press or a second worker queues nothing twice. Each party gets ONE personal card
per dispute (``card_key``), whatever the stage: it is redrawn in place at every step
(``OutboxRepository.copies_of``), and a new stage posts a card only to the people joining
it. Channel notices are per stage (``base_key``): each stage's channels are told once.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING, Final

from bot_app.core.people import People
from bot_app.core.posting import (
    NoChannel,
    post_to_channel,
    post_to_hub,
    post_to_person,
    update_message,
)
from bot_app.disputes.views import DisputeViews
from cards.dispute import NoticeView, ReferralView, notice_card, notice_summary, referral_card
from safeguarding.case import SYSTEM, Case, CaseEvent
from safeguarding.disputes import Dispute, DisputeStage, TimerKey, TimerKind
from safeguarding.reminders import ChannelPurpose
from safeguarding.roles import Person, Role
from storage.disputes import TimerStatus
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from bot_app.cases.messages import HubCards

log = logging.getLogger(__name__)

STAGE_CHANNELS: Final = {
    DisputeStage.LIAISON: (ChannelPurpose.HUB, ChannelPurpose.CSPRG),
    DisputeStage.PARTNERS: (ChannelPurpose.HUB, ChannelPurpose.PARTNERS),
    DisputeStage.MEDIATION: (ChannelPurpose.HUB, ChannelPurpose.PARTNERS),
}
# Who is told personally at each stage (CSPR Group deputies may act, but are not pinged).
STAGE_PEOPLE: Final = {
    DisputeStage.LIAISON: (Role.HUB_OFFICER, Role.CSPRG_MEMBER),
    DisputeStage.PARTNERS: (Role.HUB_OFFICER, Role.CSPRG_MEMBER, Role.PARTNER),
    DisputeStage.MEDIATION: (
        Role.HUB_OFFICER,
        Role.CSPRG_MEMBER,
        Role.PARTNER,
        Role.SCRUTINY_OFFICER,
    ),
}


def base_key(dispute: Dispute, stage: int | None = None) -> str:
    """The outbox key of a stage's channel notices (channels add ``:<purpose>``)."""
    return f"dispute:{dispute.case_reference}:{dispute.number}:s{stage or int(dispute.stage)}"


def card_key(dispute: Dispute) -> str:
    """The parties' personal cards are ``{card_key}:person:<object id>``: one per person for
    the whole dispute (what ``OutboxRepository.copies_of`` finds to redraw)."""
    return f"dispute:{dispute.case_reference}:{dispute.number}"


def person_key(dispute: Dispute, object_id: str) -> str:
    return f"{card_key(dispute)}:person:{object_id}"


def start_key(reference: str, object_id: str) -> str:
    """The personal "raise it here" card (``post_to_actor`` adds the activity id)."""
    return f"dispute-start:{reference}:{object_id}"


class DisputeMessages:
    """Telling a dispute's parties and channels, and keeping the Hub's case card current."""

    def __init__(self, *, views: DisputeViews, people: People, hub_cards: HubCards) -> None:
        self._views = views
        self._people = people
        self._hub_cards = hub_cards

    async def parties(self, uow: UnitOfWork, dispute: Dispute) -> list[Person]:
        """Who is told personally at the dispute's stage: the raiser and the stage's roles."""
        people: dict[str, Person] = {}
        if dispute.raised_by != SYSTEM:
            people[dispute.raised_by.id] = Person(
                object_id=dispute.raised_by.id, name=dispute.raised_by.name
            )
        for role in STAGE_PEOPLE[dispute.stage]:
            for person in await self._people.people_with(uow, role):
                people[person.object_id] = person
        return list(people.values())

    async def announce(
        self, uow: UnitOfWork, case: Case, dispute: Dispute, *, now: datetime
    ) -> bool:
        """Tell the current stage's parties (personally) and channels - once per stage.

        The announcement is stored as a timer first, so the raise (or escalation) and the
        next tick never both send it; False when it had been sent already.
        """
        calendar = self._views.calendar
        key = TimerKey(
            dispute.case_reference,
            f"{dispute.number}/{int(dispute.stage)}",
            str(TimerKind.ANNOUNCE),
            calendar.local_date(dispute.stage_started_at),
        )
        if not await uow.dispute_timers.record(
            key, send_at=dispute.stage_started_at, status=TimerStatus.SENT, late=False, now=now
        ):
            return False
        headline = (
            "New difference of opinion"
            if dispute.stage is DisputeStage.LIAISON
            else f"Difference of opinion escalated to stage {int(dispute.stage)}"
        )
        base = base_key(dispute)
        await self.to_channels(uow, dispute, self._views.notice(dispute, headline), base, now)
        today = calendar.local_date(now)
        have = await self.copies(uow, dispute)
        for person in await self.parties(uow, dispute):
            if person.object_id in have:
                continue  # their card is redrawn in place (``changed``), never sent again
            await post_to_person(
                uow,
                person.object_id,
                self._views.card(dispute, person, today),
                person_key(dispute, person.object_id),
                dispute.case_reference,
                now=now,
                summary=f"{dispute.title}: {headline.lower()}",
            )
        return True

    async def copies(self, uow: UnitOfWork, dispute: Dispute) -> dict[str, str]:
        """Each person's card for the dispute: object id -> the outbox key it was posted as.

        Cards posted before there was one card per person were keyed by stage; the latest
        of those stands for the person's card until it is replaced.
        """
        found: dict[str, str] = {}
        for stage in range(1, int(dispute.stage) + 1):
            for key in await uow.outbox.copies_of(base_key(dispute, stage)):
                found[key.rpartition(":person:")[2]] = key
        for key in await uow.outbox.copies_of(card_key(dispute)):
            found[key.rpartition(":person:")[2]] = key
        return found

    async def send_card(
        self, uow: UnitOfWork, dispute: Dispute, person: Person, *, now: datetime
    ) -> bool:
        """Post ``person`` their card for the dispute, unless they already have one."""
        if person.object_id in await self.copies(uow, dispute):
            return False
        return await post_to_person(
            uow,
            person.object_id,
            self._views.card(dispute, person, self._views.calendar.local_date(now)),
            person_key(dispute, person.object_id),
            dispute.case_reference,
            now=now,
            summary=dispute.title,
        )

    async def changed(
        self,
        uow: UnitOfWork,
        case: Case,
        before: Dispute,
        after: Dispute,
        *,
        today: date,
        now: datetime,
        actor_id: str = "",
        receipt: str | None = None,
    ) -> None:
        """Redraw every party's card in place; announce a new stage or the resolution.

        The person who acted sees ``receipt`` on their card; the others see what changed.
        """
        parties = {p.object_id: p for p in await self.parties(uow, before)}
        latest = self._views.latest(after)
        for object_id, original in (await self.copies(uow, before)).items():
            person = parties.get(object_id) or Person(object_id=object_id, name="")
            mine = bool(actor_id) and object_id == actor_id and receipt is not None
            await update_message(
                uow,
                original,
                self._views.card(after, person, today, notice=receipt if mine else latest),
                f"{original}:update:{len(case.events)}",
                now=now,
                case_reference=after.case_reference,
                summary=f"{after.title}: updated",
            )
        if after.stage != before.stage:
            await self.announce(uow, case, after, now=now)
        if not after.is_open:
            view = self._views.notice(after, f"Difference of opinion {after.number} resolved")
            await self.to_channels(uow, after, view, f"{base_key(after)}:resolved", now)
        if after.stage != before.stage or not after.is_open:
            await self.refresh_hub_card(uow, case, today=today, now=now)

    async def refresh_hub_card(
        self, uow: UnitOfWork, case: Case, *, today: date, now: datetime
    ) -> None:
        """The case card shows the open disputes' stages and targets."""
        await self._hub_cards.refresh_hub_card(uow, case, today=today, now=now)

    async def reminder(
        self, uow: UnitOfWork, dispute: Dispute, view: NoticeView, key: str, *, now: datetime
    ) -> None:
        """A target ahead or today: the stage's channels and each party personally."""
        await self.to_channels(uow, dispute, view, key, now)
        for person in await self.parties(uow, dispute):
            await post_to_person(
                uow,
                person.object_id,
                notice_card(view),
                f"{key}:person:{person.object_id}",
                dispute.case_reference,
                now=now,
                summary=notice_summary(view),
            )

    async def to_hub(
        self, uow: UnitOfWork, dispute: Dispute, view: NoticeView, key: str, *, now: datetime
    ) -> None:
        """A passed target: the Hub decides whether to escalate or resolve."""
        await post_to_hub(
            uow,
            notice_card(view),
            key,
            dispute.case_reference,
            people=self._people,
            now=now,
            summary=notice_summary(view),
        )

    async def offer_referral(
        self, uow: UnitOfWork, reference: str, referral: CaseEvent, *, now: datetime
    ) -> None:
        """The rapid review referred a difference of opinion: the Hub may open it."""
        await post_to_hub(
            uow,
            referral_card(ReferralView(reference, referral.seq, referral.what)),
            f"dispute-referral:{reference}:{referral.seq}",
            reference,
            people=self._people,
            now=now,
            summary=f"{reference}: a difference of opinion was referred",
        )

    async def to_channels(
        self, uow: UnitOfWork, dispute: Dispute, view: NoticeView, key: str, now: datetime
    ) -> None:
        for purpose in STAGE_CHANNELS[dispute.stage]:
            try:
                await post_to_channel(
                    uow,
                    purpose,
                    notice_card(view),
                    f"{key}:{purpose.value}",
                    dispute.case_reference,
                    now=now,
                    summary=notice_summary(view),
                )
            except NoChannel:
                # The parties are told personally whatever happens; a missing channel only
                # loses the shared notice.
                log.info("no %s channel for a dispute notice", purpose.value)
