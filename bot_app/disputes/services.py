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
from typing import Final

from bot_app.core.case_pages import cases_in
from bot_app.core.people import actor_of
from bot_app.disputes.messages import DisputeMessages
from bot_app.disputes.views import DisputeViews
from cards.base import Card
from safeguarding import disputes as domain
from safeguarding.disputes import Dispute, DisputeStage, Topic
from safeguarding.errors import IllegalTransition
from safeguarding.policy import Forbidden, require_case_access
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

LISTED_PAGE: Final = 200  # the ``disputes`` command reads the cases this many at a time


# -- commands ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RaiseDispute:
    """The raise card's answers; ``token`` makes a second press of Raise harmless."""

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
    skip_reason: str = ""  # escalating from a stage nobody responded at: why


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Raised:
    dispute: Dispute
    again: bool  # the card's Raise was pressed before: nothing new was recorded


@dataclass(frozen=True)
class Opened:
    card: Card | None  # shown in place (personal chat); None when sent or already there
    sent_privately: bool  # queued for the person's personal chat rather than shown here


@dataclass(frozen=True)
class Acted:
    dispute: Dispute
    receipt: str  # what was done, by whom, when - or what had been done already
    replayed: bool = False  # nothing was recorded: a repeat, or a card of an earlier stage
    warning: bool = False  # the press was NOT recorded (the dispute had moved on)


# -- raising -----------------------------------------------------------------------------


async def require_may_raise(reference: CaseReference, person: Person, uow: UnitOfWork) -> None:
    """Refuse before the raise card is shown: no access to the case, or the case is closed."""
    case = await uow.cases.get(reference)
    require_case_access(person, case)
    domain.require_open_case(case)


async def raised_by_token(reference: CaseReference, token: str, uow: UnitOfWork) -> Dispute | None:
    """The dispute a raise card already opened: any later press of it says so."""
    return domain.raised_with_token(await uow.cases.get(reference), token)


async def raise_dispute(
    cmd: RaiseDispute, uow: UnitOfWork, *, now: datetime, today: date, messages: DisputeMessages
) -> Raised:
    """Record the dispute and tell stage 1's parties - once, however often Raise is pressed.

    Each party, the raiser included, gets one card for it; the raise card itself becomes
    a summary without buttons.
    """
    case = await uow.cases.get(cmd.reference)
    require_case_access(cmd.person, case)
    dispute = domain.raised_with_token(case, cmd.token)
    if dispute is not None:
        return Raised(dispute, again=True)
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
    return Raised(dispute, again=False)


async def open_from_referral(
    cmd: OpenFromReferral,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    messages: DisputeMessages,
) -> Raised:
    """The Hub opens a dispute from a ``dispute.referred`` event of the rapid review."""
    if not cmd.person.has(Role.HUB_OFFICER):
        raise Forbidden("Sorry, only the Hub opens a referred difference of opinion.")
    case = await uow.cases.get(cmd.reference)
    already = domain.opened_from_referral(case, cmd.referral_seq)
    if already is not None:
        return Raised(already, again=True)
    dispute = domain.raise_from_referral(case, cmd.referral_seq, actor=actor_of(cmd.person), at=now)
    await uow.cases.save(case)
    await messages.announce(uow, case, dispute, now=now)
    await messages.refresh_hub_card(uow, case, today=today, now=now)
    return Raised(dispute, again=False)


# -- the parties' actions ----------------------------------------------------------------


async def open_dispute(
    cmd: OpenDispute,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    views: DisputeViews,
    messages: DisputeMessages,
) -> Opened:
    """A party's card: shown in personal chat; from a channel, their one card is sent there
    (never a second one), and never shown in the channel."""
    case = await uow.cases.get(cmd.reference)
    dispute = domain.find_dispute(case, cmd.number)
    dispute.require_party(cmd.person)
    if cmd.personal:
        return Opened(views.card(dispute, cmd.person, today), sent_privately=False)
    sent = await messages.send_card(uow, dispute, cmd.person, now=now)
    return Opened(None, sent_privately=sent)


async def act_on_dispute(
    cmd: ActOnDispute,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    views: DisputeViews,
    messages: DisputeMessages,
) -> Acted:
    """Respond, escalate or resolve, with a receipt.

    A repeated press (the same activity, the same words again, a step someone already
    took) records nothing and says what was done, by whom and when; a press on a card of
    an earlier stage records nothing and says why. Refusals change nothing.
    """
    case = await uow.cases.get(cmd.reference)
    before = domain.find_dispute(case, cmd.number)
    before.require_party(cmd.person)
    actor = actor_of(cmd.person)
    repeat = before.recorded_by(cmd.activity_id)  # Teams redelivered the same press
    if repeat is not None:
        return Acted(before, views.already(repeat), replayed=True)
    if not before.is_open:
        resolved = before.latest(domain.RESOLVED)
        assert resolved is not None  # a dispute is closed only by its resolution
        return Acted(before, views.already(resolved), replayed=True)
    if cmd.stage != int(before.stage):
        return _from_earlier_stage(cmd, before, views)
    if cmd.step is Step.RESPOND:
        same = before.same_response(actor, cmd.text)
        if same is not None:
            return Acted(before, views.already(same), replayed=True)
    if cmd.step is Step.RESOLVE and not before.may_resolve(cmd.person):
        raise Forbidden(
            "Sorry, the outcome of a mediation is recorded by the Independent Scrutiny "
            "Officer who facilitated it. Nothing was changed."
        )
    was_open = case.is_open
    number, text, activity = cmd.number, cmd.text, cmd.activity_id
    if cmd.step is Step.RESOLVE:
        after = domain.resolve(
            case, number, actor=actor, text=text, at=now, activity=activity, upheld=cmd.upheld
        )
    elif cmd.step is Step.ESCALATE:
        after = domain.escalate(
            case,
            number,
            actor=actor,
            text=text,
            at=now,
            activity=activity,
            skip_reason=cmd.skip_reason,
        )
    else:
        after = domain.respond(case, number, actor=actor, text=text, at=now, activity=activity)
    if case.is_open and not was_open:  # upheld: the decision is set aside, the case reopens
        log.info("case %s reopened: difference of opinion %d upheld", cmd.reference, cmd.number)
    receipt = views.done(after, after.history[-1])
    await messages.changed(
        uow,
        case,
        before,
        after,
        today=today,
        now=now,
        actor_id=cmd.person.object_id,
        receipt=receipt,
    )
    await uow.cases.save(case)
    log.info("dispute %s/%d: %s", cmd.reference, cmd.number, case.events[-1].kind)
    return Acted(after, receipt)


def _from_earlier_stage(cmd: ActOnDispute, now_at: Dispute, views: DisputeViews) -> Acted:
    """A card drawn for an earlier stage: an escalation from it was already done; a response
    or an outcome meant for that stage is not recorded at this one."""
    if cmd.stage > int(now_at.stage):
        raise IllegalTransition(
            f"That card is for a stage {now_at.title.lower()} has not reached. Nothing was changed."
        )
    if cmd.step is Step.ESCALATE:
        done = now_at.latest(domain.ESCALATED, stage=DisputeStage(cmd.stage + 1))
        if done is not None:
            return Acted(now_at, views.already(done), replayed=True)
    what = "respond" if cmd.step is Step.RESPOND else "record it"
    return Acted(now_at, views.moved_on(now_at, cmd.stage, what), replayed=True, warning=True)


# -- listing -----------------------------------------------------------------------------


async def open_disputes_of(
    person: Person, uow: UnitOfWork, *, page_size: int = LISTED_PAGE
) -> list[Dispute]:
    """The open disputes ``person`` takes part in at their current stage, on every case with
    a difference of opinion: closed ones too (the decision to close a case can be disputed),
    and however many there are - a list cut at a number of cases hid the rest."""
    cases = await cases_in(uow, with_events="dispute.", page_size=page_size)
    return [d for case in cases for d in domain.open_disputes(case) if d.is_party(person)]
