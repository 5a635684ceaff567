"""The CSPR Group's vote: opening it, casting or changing a ballot, the voting pack, closing it.

The core members vote within a few working days (``VoteRule``: who must vote, what majority);
a closed round with a recommendation goes to the partners, who confirm or challenge it
(``partner_services.py``); a round without one goes to the Hub. Chasing the members who
haven't voted is in ``chase_services.py``.

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
from bot_app.rapid_review.messages import RapidReviewMessages
from bot_app.rapid_review.services import Outcome, Refused, Shown, refuse
from cards.base import Card
from cards.rapid_review import VERB_OPEN_VOTE
from cards.vote import VERB_SHOW_TRACKER, open_anyway_card, voting_pack_card
from safeguarding import rapid_review as rr
from safeguarding.case import SYSTEM, Actor, Case, Stage
from safeguarding.clocks import format_day
from safeguarding.errors import InvalidInput
from safeguarding.policy import Action, Forbidden, require, require_seat
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


# -- opening and casting -----------------------------------------------------------------------


@dataclass(frozen=True)
class OpenVote:
    reference: CaseReference
    actor: Person
    anyway: bool = False  # the Hub was warned that reports are missing, and opens it anyway


async def open_vote(
    cmd: OpenVote,
    uow: UnitOfWork,
    *,
    now: datetime,
    messages: RapidReviewMessages,
    people: People,
) -> Shown:
    """Open a vote for the directory's core members; the card goes to them and the deputies.

    The CSPR Group evaluates the agency reports before it recommends, so with reports still
    missing the Hub is asked first: open the vote anyway, or wait for them.
    """
    views = messages.views
    case = await uow.cases.get(cmd.reference)
    state = rr.state_of(case)
    if state.vote_open:  # pressed twice
        return Shown(await messages.tracker_card(uow, case, now=now))
    missing = rr.missing_reports(case)
    if missing and not cmd.anyway and case.stage in {Stage.RAPID_REVIEW, Stage.RECOMMENDATION}:
        return Shown(
            open_anyway_card(
                str(cmd.reference),
                missing=missing,
                asked=len(state.agencies),
                open_verb=VERB_OPEN_VOTE,
                back_verb=VERB_SHOW_TRACKER,
            )
        )
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


async def tracker(
    reference: CaseReference, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> Card:
    """The tracker as it stands ("Wait for the reports" puts it back)."""
    return await messages.tracker_card(uow, await uow.cases.get(reference), now=now)


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
    """A member (or a deputy, in their member's seat) votes or changes their vote; the card
    they see is their receipt: what they chose, their reason, and when."""
    views = messages.views
    seat = require_seat(cmd.actor)
    reference = str(cmd.reference)
    case = await uow.cases.get(cmd.reference)
    try:
        current = rr.check_vote_open(case, cmd.round, views.today(now))
    except rr.VoteClosed as refused:
        return await refuse(uow, case, cmd.actor, "vote", refused.user_message, now=now)
    if seat not in current.seats:
        log.warning("vote refused on %s: seat not in vote %d", reference, cmd.round)
        raise Forbidden(
            f"You don't hold one of the seats in this CSPR Group vote on case {reference}. "
            "Nothing was changed."
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
        when = f" at {views.when(before.cast_at)}" if before.cast_at else ""
        notice = f"Already recorded{when}: you voted {before.choice.label}. Nothing was changed."
        return Shown(await messages.vote_card(uow, case, cmd.round, viewer=seat, notice=notice))
    await uow.rapid_review.put_ballot(
        reference, cmd.round, ballot, teams_user_id=cmd.teams_user_id, at=now
    )
    rr.record_ballot(case, ballot, round_number=cmd.round, changed=before is not None, at=now)
    await messages.update_vote_cards(uow, case, cmd.round, now=now)
    await messages.save(uow, case, now=now)
    log.info("vote cast on %s (vote %d)", reference, cmd.round)
    what = "Your changed vote was recorded" if before is not None else "Your vote was recorded"
    notice = (
        f"{what}: {ballot.choice.label}, at {views.when(now)}. You can change your vote until "
        f"the vote closes ({format_day(current.closes_on)})."
    )
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


# -- the voting pack ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenPack:
    reference: CaseReference
    actor: Person


async def voting_pack(
    cmd: OpenPack, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> Card:
    """The case summary, the clocks and the agency reports, for a member to read before they
    vote (personal chat only: the caller queues it there). Opening it is in the access log."""
    require(cmd.actor, Action.OPEN_VOTING_PACK)
    case = await uow.cases.get(cmd.reference)
    reference = str(cmd.reference)
    if rr.state_of(case).round is None:
        raise InvalidInput(
            f"The CSPR Group vote on case {reference} has not opened yet, so there is no "
            "voting pack."
        )
    reports = await uow.rapid_review.reports(reference)
    await uow.access_log.record(
        reference,
        cmd.actor.object_id,
        f"opened the voting pack (the case summary and {len(reports)} agency reports)",
        now,
    )
    stored = await uow.details.get(reference) or {}
    log.info("voting pack of %s opened by %s", reference, cmd.actor.object_id)
    views = messages.views
    return voting_pack_card(views.voting_pack(case, stored, reports, views.today(now)))


# -- closing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloseVote:
    reference: CaseReference
    actor: Person
    reason: str = ""
    refer: bool = False  # too few votes to decide: close and refer it to the partners


async def close_vote(
    cmd: CloseVote, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> Outcome:
    """The Hub closes the vote, with a reason, once enough votes are in to decide - or, below
    that, closes it and refers it to the partners as a difference of opinion."""
    case = await uow.cases.get(cmd.reference)
    current = rr.state_of(case).round
    if current is None or current.closed:
        return Shown(await messages.tracker_card(uow, case, now=now))
    try:
        card = await _close(
            uow,
            case,
            actor_of(cmd.actor),
            now=now,
            messages=messages,
            reason=cmd.reason,
            refer=cmd.refer,
        )
    except rr.BelowQuorum as refused:
        return Refused("BelowQuorum", refused.user_message)
    return Shown(card)


def vote_due(case: Case, now: datetime, messages: RapidReviewMessages) -> bool:
    """Whether the case's open vote is past its last day (the scheduler closes it)."""
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
    current = rr.state_of(case).round
    assert current is not None
    await _close(
        uow,
        case,
        SYSTEM,
        now=now,
        messages=messages,
        reason=f"The vote's last day, {format_day(current.closes_on)}, has passed.",
        refer=True,
    )
    log.info("vote on %s closed at its deadline", reference)
    return True


async def _close(
    uow: UnitOfWork,
    case: Case,
    actor: Actor,
    *,
    now: datetime,
    messages: RapidReviewMessages,
    reason: str,
    refer: bool,
) -> Card:
    """Tally the vote: a recommendation goes to the partners; none is a difference of opinion,
    to the Hub and the partners."""
    current = rr.state_of(case).round
    assert current is not None
    reference = str(case.reference)
    name = rr.vote_name(case, current.number)
    ballots = await uow.rapid_review.ballots(reference, current.number)
    rule = messages.views.settings.vote_rule
    result = rr.close_vote(
        case, ballots, rule=rule, actor=actor, at=now, reason=reason, refer=refer
    )
    await messages.update_vote_cards(uow, case, current.number, now=now)
    if result.recommendation is not None:
        await messages.post_partners(uow, case, current.number, now=now)
    else:
        what = (
            f"The CSPR Group vote ({name.lower()}) closed without a recommendation: "
            f"{result.reason}. It is a difference of opinion: the Hub liaises with the "
            "members and can open another vote; unresolved, the safeguarding partners decide."
        )
        key = f"dispute:{reference}:vote:{current.number}"
        await messages.refer_to_hub(uow, reference, key, what, now=now)
        await messages.refer_to_partners(uow, reference, f"{key}:partners", what, now=now)
    return await messages.save(uow, case, now=now)
