"""Closing a case as "criteria not met", one function per action: the Hub proposes, the
partners' representatives confirm or challenge (``safeguarding/closure.py``).

Each runs in the caller's unit of work and never commits. A refused press on a case - the
proposer confirming their own proposal, a stale card, a proposal without a reason - is kept
in the trail and answered with the reason (:func:`bot_app.cases.services.refuse`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from bot_app.cases.messages import ClosureMessages, HubCards
from bot_app.cases.services import Refused, refuse
from bot_app.core.people import actor_of
from cards.base import Card
from safeguarding import closure
from safeguarding.case import Case
from safeguarding.clocks import format_day
from safeguarding.errors import DomainError
from safeguarding.policy import Forbidden, voting_seat
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProposeClosure:
    actor: Person
    reference: CaseReference
    reason: str


async def propose(
    command: ProposeClosure,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    hub_cards: HubCards,
    messages: ClosureMessages,
) -> Case | Refused:
    """The Hub proposes closing the case; the representatives get the card to decide."""
    case = await uow.cases.get(command.reference)
    try:
        proposal = closure.propose(
            case, reason=command.reason, actor=actor_of(command.actor), at=now
        )
    except DomainError as refused:
        return await refuse(uow, case, command.actor, "propose closing the case", refused, now=now)
    await messages.ask_representatives(uow, case, proposal.number, now=now)
    await hub_cards.refresh_hub_card(uow, case, today=today, now=now)
    log.info("closure of %s proposed (%d)", case.reference, proposal.number)
    return case


@dataclass(frozen=True)
class AnswerClosure:
    """A representative's answer to proposal ``number``: confirm, or challenge with a reason."""

    actor: Person
    reference: CaseReference
    number: int
    challenge: bool = False
    reason: str = ""


@dataclass(frozen=True)
class Answered:
    card: Card  # the representatives' card as it now stands
    decided: bool  # the case closed with this answer


async def answer(
    command: AnswerClosure,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    hub_cards: HubCards,
    messages: ClosureMessages,
) -> Answered | Refused:
    """Confirm (the case closes once enough seats have) or challenge (it stays open)."""
    seat = voting_seat(command.actor)
    if seat is None:
        raise Forbidden(
            "Sorry, you are a CSPR Group deputy but the directory does not say whose deputy "
            "you are, so you can't answer for a seat yet. Ask an administrator to set it. "
            "Nothing was changed."
        )
    case = await uow.cases.get(command.reference)
    before = len(case.events)
    actor = actor_of(command.actor)
    decided = False
    try:
        if command.challenge:
            closure.challenge(
                case, command.number, seat=seat, reason=command.reason, actor=actor, at=now
            )
        else:
            decided = closure.confirm(
                case,
                command.number,
                seat=seat,
                required=await messages.required(uow),
                actor=actor,
                at=now,
            )
    except DomainError as refused:
        what = "challenge closing the case" if command.challenge else "confirm closing the case"
        return await refuse(uow, case, command.actor, what, refused, now=now)
    if len(case.events) == before:  # the same seat pressed Confirm again
        return Answered(await messages.card(uow, case, command.number), decided=False)
    card = await messages.update_cards(uow, case, command.number, now=now)
    if decided:
        await messages.tell_decision(
            uow, case, command.number, decided_on=format_day(today), now=now
        )
        log.info("case %s closed: criteria not met", case.reference)
    await hub_cards.refresh_hub_card(uow, case, today=today, now=now)
    return Answered(card, decided)
