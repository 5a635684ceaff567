"""Who is told what about a review.

* The review card goes to one person's personal chat (it names owners, contacts and the
  family's involvement): ``review-card:{reference}:{activity}``, once per request.
* The partners' monitoring prompt goes to the Hub channel (or each Hub officer when there is
  none), carrying only the reference, the stage and the deadline:
  ``review-monitoring:{reference}:{period}`` - one key per period, so it is queued once;
  likewise the Hub's prompt to look again at a deferred publication on the date set,
  ``review-deferral:{reference}:{date}``.
"""

from __future__ import annotations

from datetime import date, datetime

from bot_app.core.people import People
from bot_app.core.posting import post_to_hub, post_to_person
from cards.base import Card
from safeguarding.case import Case
from safeguarding.roles import Person
from storage.uow import UnitOfWork


def monitoring_key(reference: str, period: int) -> str:
    return f"review-monitoring:{reference}:{period}"


def deferral_key(reference: str, review_on: date) -> str:
    return f"review-deferral:{reference}:{review_on.isoformat()}"


class ReviewMessages:
    def __init__(self, people: People) -> None:
        self._people = people

    async def send_privately(
        self,
        uow: UnitOfWork,
        reader: Person,
        case: Case,
        card: Card,
        *,
        activity_id: str,
        now: datetime,
    ) -> None:
        reference = str(case.reference)
        await post_to_person(
            uow,
            reader.object_id,
            card,
            f"review-card:{reference}:{activity_id}",
            reference,
            now=now,
            summary=f"The review of case {reference}",
        )

    async def monitoring(
        self, uow: UnitOfWork, case: Case, period: int, card: Card, *, now: datetime
    ) -> list[str]:
        reference = str(case.reference)
        return await post_to_hub(
            uow,
            card,
            monitoring_key(reference, period),
            reference,
            people=self._people,
            now=now,
            summary=f"Review monitoring: case {reference}",
        )

    async def deferral_due(
        self, uow: UnitOfWork, case: Case, review_on: date, card: Card, *, now: datetime
    ) -> list[str]:
        reference = str(case.reference)
        return await post_to_hub(
            uow,
            card,
            deferral_key(reference, review_on),
            reference,
            people=self._people,
            now=now,
            summary=f"Deferred publication to review: case {reference}",
        )
