"""The safeguarding partners' decision on the CSPR Group's recommendation.

Once a round closes with a recommendation, each partner confirms it - the decision stands once
enough have - or challenges it: back to the CSPR Group, or to the Hub as a difference of
opinion. Every copy of the partners' card is updated in place, so each partner sees who has
confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot_app.core.people import actor_of
from bot_app.rapid_review.messages import RapidReviewMessages, partners_key
from bot_app.rapid_review.services import Outcome, Shown, refuse
from cards.rapid_review import partners_card
from safeguarding import rapid_review as rr
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Confirm:
    reference: CaseReference
    round: int
    actor: Person


async def confirm(
    cmd: Confirm, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> Outcome:
    """A partner confirms the recommendation; once enough have, the decision stands."""
    required = await messages.partners_required(uow)
    case = await uow.cases.get(cmd.reference)
    before = len(case.events)
    try:
        rr.confirm(
            case,
            round_number=cmd.round,
            required=required,
            actor=actor_of(cmd.actor),
            at=now,
            decided_on=messages.views.today(now),
        )
    except rr.VoteClosed as refused:
        return await refuse(uow, case, cmd.actor, "partner decision", refused.user_message, now=now)
    card = partners_card(messages.views.partners(case, cmd.round, required))
    if len(case.events) > before:  # not a second press by the same partner
        key = partners_key(str(cmd.reference), cmd.round)
        await messages.update_copies(uow, key, card, case, now=now)
        await messages.save(uow, case, now=now)
    return Shown(card)


@dataclass(frozen=True)
class Challenge:
    reference: CaseReference
    round: int
    reason: str
    refer: bool  # raise a difference of opinion, rather than return it to the CSPR Group
    actor: Person


async def challenge(
    cmd: Challenge, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> Outcome:
    """A partner challenges: back to the CSPR Group, or to the Hub as a difference of opinion."""
    required = await messages.partners_required(uow)
    case = await uow.cases.get(cmd.reference)
    try:
        rr.challenge(
            case,
            round_number=cmd.round,
            reason=cmd.reason,
            refer=cmd.refer,
            actor=actor_of(cmd.actor),
            at=now,
        )
    except rr.VoteClosed as refused:
        return await refuse(uow, case, cmd.actor, "partner decision", refused.user_message, now=now)
    card = partners_card(messages.views.partners(case, cmd.round, required))
    await messages.update_copies(
        uow, partners_key(str(cmd.reference), cmd.round), card, case, now=now
    )
    if cmd.refer:
        await messages.refer_to_hub(
            uow,
            str(cmd.reference),
            f"dispute:{cmd.reference}:partners:{cmd.round}:{len(case.events)}",
            f"{cmd.actor.name} challenged the CSPR Group's recommendation and raised "
            "a difference of opinion. The reason is in the case's trail.",
            now=now,
        )
    await messages.save(uow, case, now=now)
    return Shown(card)
