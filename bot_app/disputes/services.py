"""One function per thing a person does with a dispute; the runner commits.

Each loads the case, checks the person is a party at this stage (the policy table only says
they *could* be one), changes the dispute through the domain (``safeguarding/disputes.py``)
and queues what must be posted (``messages.py``), all in the caller's unit of work. Nothing
is posted before the commit, and a refusal changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final, Protocol

from bot_app.core.people import actor_of
from bot_app.core.posting import post_to_person
from bot_app.disputes.messages import DisputeMessages, open_key
from bot_app.disputes.views import DisputeViews
from cards.base import Card
from safeguarding import disputes as domain
from safeguarding.case import Actor, Case
from safeguarding.disputes import Dispute, Topic
from safeguarding.errors import IllegalTransition
from safeguarding.policy import Forbidden, require_case_access
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

LISTED_CASES: Final = 200  # the ``disputes`` command looks at this many open cases


# -- commands ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RaiseDispute:
    """The raise dialog's answers; ``token`` makes a second press of Raise harmless."""

    reference: CaseReference
    person: Person
    topic: Topic
    position: str
    reasons: str
    token: str


@dataclass(frozen=True)
class OpenFromReferral:
    reference: CaseReference
    referral_seq: int
    person: Person


@dataclass(frozen=True)
class OpenDispute:
    """A party asks for their card; outside personal chat it is sent there instead."""

    reference: CaseReference
    number: int
    person: Person
    activity_id: str
    personal: bool


class Step(StrEnum):
    RESPOND = "respond"
    ESCALATE = "escalate"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class ActOnDispute:
    """Respond, escalate or resolve, from a card drawn at ``stage``; ``text`` is the
    narrative (the response, the reason for escalating, the outcome)."""

    step: Step
    reference: CaseReference
    number: int
    stage: int
    text: str
    person: Person
    activity_id: str  # Teams redelivers a press with the same id
    upheld: bool = False  # resolving a dispute on a decision: upheld reopens the case


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    card: Card
    sent_privately: bool  # queued for the person's personal chat rather than shown here


@dataclass(frozen=True)
class Acted:
    dispute: Dispute
    replayed: bool  # a redelivered press: nothing was recorded again


class Change(Protocol):
    """``domain.respond``, ``domain.escalate`` or ``domain.resolve``."""

    def __call__(
        self, case: Case, number: int, *, actor: Actor, text: str, at: datetime, activity: str
    ) -> Dispute: ...


CHANGES: Final[dict[Step, Change]] = {
    Step.RESPOND: domain.respond,
    Step.ESCALATE: domain.escalate,
    Step.RESOLVE: domain.resolve,
}


# -- raising -----------------------------------------------------------------------------


async def require_may_raise(reference: CaseReference, person: Person, uow: UnitOfWork) -> None:
    """Refuse before the dialog starts: no access to the case, or the case is closed."""
    case = await uow.cases.get(reference)
    require_case_access(person, case)
    domain.require_open_case(case)


async def raise_dispute(
    cmd: RaiseDispute, uow: UnitOfWork, *, now: datetime, today: date, messages: DisputeMessages
) -> Dispute:
    """Record the dispute and tell stage 1's parties - once, however often Raise is pressed."""
    case = await uow.cases.get(cmd.reference)
    require_case_access(cmd.person, case)
    dispute = domain.raised_with_token(case, cmd.token)
    if dispute is not None:
        return dispute
    dispute = domain.raise_dispute(
        case,
        actor=actor_of(cmd.person),
        topic=cmd.topic,
        position=cmd.position,
        reasons=cmd.reasons,
        at=now,
        token=cmd.token,
    )
    await uow.cases.save(case)
    await messages.announce(uow, case, dispute, now=now)
    await messages.refresh_hub_card(uow, case, today=today, now=now)
    log.info("dispute %s/%d raised", cmd.reference, dispute.number)
    return dispute


async def open_from_referral(
    cmd: OpenFromReferral,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    messages: DisputeMessages,
) -> Dispute:
    """The Hub opens a dispute from a ``dispute.referred`` event of the rapid review."""
    if not cmd.person.has(Role.HUB_OFFICER):
        raise Forbidden("Sorry, only the Hub opens a referred difference of opinion.")
    case = await uow.cases.get(cmd.reference)
    already = domain.opened_from_referral(case, cmd.referral_seq)
    if already is not None:
        return already
    dispute = domain.raise_from_referral(case, cmd.referral_seq, actor=actor_of(cmd.person), at=now)
    await uow.cases.save(case)
    await messages.announce(uow, case, dispute, now=now)
    await messages.refresh_hub_card(uow, case, today=today, now=now)
    return dispute


# -- the parties' actions ----------------------------------------------------------------


async def open_dispute(
    cmd: OpenDispute, uow: UnitOfWork, *, now: datetime, today: date, views: DisputeViews
) -> Opened:
    """A party's card - in a channel it is queued for their personal chat, never shown."""
    case = await uow.cases.get(cmd.reference)
    dispute = domain.find_dispute(case, cmd.number)
    dispute.require_party(cmd.person)
    card = views.card(dispute, cmd.person, today)
    if cmd.personal:
        return Opened(card, sent_privately=False)
    await post_to_person(
        uow,
        cmd.person.object_id,
        card,
        open_key(dispute, cmd.person.object_id, cmd.activity_id),
        str(cmd.reference),
        now=now,
    )
    return Opened(card, sent_privately=True)


async def act_on_dispute(
    cmd: ActOnDispute,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    messages: DisputeMessages,
) -> Acted:
    """Respond, escalate or resolve; refused from an out-of-date card, changing nothing."""
    case = await uow.cases.get(cmd.reference)
    before = domain.find_dispute(case, cmd.number)
    before.require_party(cmd.person)
    if domain.replayed(case, cmd.activity_id):  # Teams redelivered the same press
        return Acted(before, replayed=True)
    if not before.is_open or cmd.stage != int(before.stage):
        raise IllegalTransition(
            f"That card is out of date: {before.title.lower()} is now "
            f"{'resolved' if not before.is_open else f'at stage {int(before.stage)}'}. "
            "Nothing was changed."
        )
    if cmd.step is Step.RESOLVE and not before.may_resolve(cmd.person):
        raise Forbidden(
            "Sorry, the outcome of a mediation is recorded by the Independent Scrutiny "
            "Officer who facilitated it. Nothing was changed."
        )
    was_open = case.is_open
    if cmd.step is Step.RESOLVE:
        after = domain.resolve(
            case,
            cmd.number,
            actor=actor_of(cmd.person),
            text=cmd.text,
            at=now,
            activity=cmd.activity_id,
            upheld=cmd.upheld,
        )
    else:
        after = CHANGES[cmd.step](
            case,
            cmd.number,
            actor=actor_of(cmd.person),
            text=cmd.text,
            at=now,
            activity=cmd.activity_id,
        )
    if case.is_open and not was_open:  # upheld: the decision is set aside, the case reopens
        log.info("case %s reopened: difference of opinion %d upheld", cmd.reference, cmd.number)
    await messages.changed(uow, case, before, after, today=today, now=now)
    await uow.cases.save(case)
    log.info("dispute %s/%d: %s", cmd.reference, cmd.number, case.events[-1].kind)
    return Acted(after, replayed=False)


# -- listing -----------------------------------------------------------------------------


async def open_disputes_of(person: Person, uow: UnitOfWork) -> list[Dispute]:
    """The open disputes ``person`` takes part in at their current stage."""
    cases = await uow.cases.list_open(limit=LISTED_CASES)
    return [d for case in cases for d in domain.open_disputes(case) if d.is_party(person)]
