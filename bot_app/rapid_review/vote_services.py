"""The CSPR Group's vote and the safeguarding partners' decision on its recommendation.

The core members vote within a few working days (``VoteRule``: who must vote, what majority);
a closed round with a recommendation goes to the partners, who confirm or challenge it; a
round without one, or a challenge raised as a difference of opinion, goes to the Hub.

Members often vote at the same moment. Each ballot is its own row, upserted by case, round
and seat, so two votes never overwrite each other; the case's event is what can conflict,
and then the runner runs the whole action again, re-reading the case and the ballots - so a
retry never loses or doubles a vote.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot_app.core.people import People, actor_of
from bot_app.rapid_review.messages import RapidReviewMessages, partners_key
from bot_app.rapid_review.services import Outcome, Refused, Shown, refuse
from cards.base import Card
from cards.rapid_review import partners_card
from safeguarding import rapid_review as rr
from safeguarding.case import SYSTEM, Actor, Case, Stage
from safeguarding.clocks import format_day
from safeguarding.policy import Forbidden, require_seat
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


# -- opening and casting -----------------------------------------------------------------------


@dataclass(frozen=True)
class OpenVote:
    reference: CaseReference
    actor: Person


async def open_vote(
    cmd: OpenVote,
    uow: UnitOfWork,
    *,
    now: datetime,
    messages: RapidReviewMessages,
    people: People,
) -> Shown:
    """Open a round for the directory's core members; the card goes to them and the deputies."""
    views = messages.views
    case = await uow.cases.get(cmd.reference)
    if rr.state_of(case).vote_open:  # pressed twice
        return Shown(await messages.tracker_card(uow, case, now=now))
    members = await people.people_with(uow, Role.CSPRG_MEMBER)
    deputies = await people.people_with(uow, Role.CSPRG_DEPUTY)
    number = rr.open_vote(
        case,
        {p.object_id: p.name for p in members},
        closes_on=views.vote_closes_on(views.today(now)),
        actor=actor_of(cmd.actor),
        at=now,
    )
    await messages.post_vote(uow, case, number, members=members, deputies=deputies, now=now)
    return Shown(await messages.save(uow, case, now=now))


@dataclass(frozen=True)
class CastBallot:
    reference: CaseReference
    round: int
    choice: str
    criteria: tuple[str, ...]
    rationale: str
    actor: Person
    teams_user_id: str  # so the shared card refreshes to this voter's own view


async def cast_vote(
    cmd: CastBallot, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> Outcome:
    """A member (or a deputy, in their member's seat) votes or changes their vote."""
    seat = require_seat(cmd.actor)
    reference = str(cmd.reference)
    case = await uow.cases.get(cmd.reference)
    try:
        current = rr.check_vote_open(case, cmd.round, messages.views.today(now))
    except rr.VoteClosed as refused:
        return await refuse(uow, case, cmd.actor, "vote", refused.user_message, now=now)
    if seat not in current.seats:
        log.warning("vote refused on %s: seat not in round %d", reference, cmd.round)
        raise Forbidden(
            f"You don't hold one of the seats voting in round {cmd.round} on case "
            f"{reference}. Nothing was changed."
        )
    ballot = rr.make_ballot(
        seat=seat,
        voter=actor_of(cmd.actor),
        choice=cmd.choice,
        criteria=cmd.criteria,
        rationale=cmd.rationale,
    )
    before = next(
        (b for b in await uow.rapid_review.ballots(reference, cmd.round) if b.seat == seat), None
    )
    if before is not None and before.same_vote(ballot) and before.voter_id == ballot.voter_id:
        notice = "Your vote is already recorded."
        return Shown(await messages.vote_card(uow, case, cmd.round, viewer=seat, notice=notice))
    await uow.rapid_review.put_ballot(
        reference, cmd.round, ballot, teams_user_id=cmd.teams_user_id, at=now
    )
    rr.record_ballot(case, ballot, round_number=cmd.round, changed=before is not None, at=now)
    await messages.update_vote_cards(uow, case, cmd.round, now=now)
    await messages.save(uow, case, now=now)
    log.info("vote cast on %s (round %d)", reference, cmd.round)
    notice = "Your vote was recorded."
    return Shown(await messages.vote_card(uow, case, cmd.round, viewer=seat, notice=notice))


async def vote_as_seen_by(
    reference: CaseReference,
    number: int,
    viewer: str | None,
    uow: UnitOfWork,
    *,
    messages: RapidReviewMessages,
) -> Card:
    """One person's view of the vote card, when Teams refreshes it for them."""
    case = await uow.cases.get(reference)
    return await messages.vote_card(uow, case, number, viewer=viewer)


# -- closing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseVote:
    reference: CaseReference
    actor: Person


async def close_vote(
    cmd: CloseVote, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> Outcome:
    """The Hub closes the vote: early once every vote needed is in, or after its date."""
    case = await uow.cases.get(cmd.reference)
    current = rr.state_of(case).round
    if current is None or current.closed:
        return Shown(await messages.tracker_card(uow, case, now=now))
    ballots = await uow.rapid_review.ballots(str(cmd.reference), current.number)
    needed = messages.views.settings.vote_rule.needed(len(current.seats))
    if messages.views.today(now) <= current.closes_on and len(ballots) < needed:
        return Refused(
            "VoteStillOpen",
            f"{len(ballots)} of the {needed} votes needed are in. The vote stays open "
            f"until {format_day(current.closes_on)}; you can close it early once "
            "they are all in.",
        )
    return Shown(await _close(uow, case, actor_of(cmd.actor), now=now, messages=messages))


def vote_due(case: Case, now: datetime, messages: RapidReviewMessages) -> bool:
    """Whether the case's open round is past its last day (the scheduler closes it)."""
    current = rr.state_of(case).round
    if case.stage is not Stage.RECOMMENDATION or current is None or current.closed:
        return False
    return messages.views.today(now) > current.closes_on


async def close_due_vote(
    reference: CaseReference, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> bool:
    """Close the case's vote at its deadline, if it is still due; whether it closed."""
    case = await uow.cases.get(reference)
    if not vote_due(case, now, messages):
        return False
    await _close(uow, case, SYSTEM, now=now, messages=messages)
    log.info("vote on %s closed at its deadline", reference)
    return True


async def _close(
    uow: UnitOfWork, case: Case, actor: Actor, *, now: datetime, messages: RapidReviewMessages
) -> Card:
    """Tally the round: a recommendation goes to the partners, none to the Hub."""
    current = rr.state_of(case).round
    assert current is not None
    reference = str(case.reference)
    ballots = await uow.rapid_review.ballots(reference, current.number)
    rule = messages.views.settings.vote_rule
    result = rr.close_vote(case, ballots, rule=rule, actor=actor, at=now)
    await messages.update_vote_cards(uow, case, current.number, now=now)
    if result.recommendation is not None:
        await messages.post_partners(uow, case, current.number, now=now)
    else:
        await messages.refer_to_hub(
            uow,
            reference,
            f"dispute:{reference}:vote:{current.number}",
            f"The CSPR Group vote (round {current.number}) ended without a recommendation: "
            f"{result.reason}. The Hub can open a new round.",
            now=now,
        )
    return await messages.save(uow, case, now=now)


# -- the partners ------------------------------------------------------------------------------


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
