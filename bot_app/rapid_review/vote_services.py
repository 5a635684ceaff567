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
from cards.rapid_review import VERB_OPEN_VOTE, partners_card
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


# -- chasing the members who haven't voted -----------------------------------------------------


@dataclass(frozen=True)
class Said:
    """A short answer; the card stays as it is."""

    text: str


@dataclass(frozen=True)
class ChaseVote:
    reference: CaseReference
    actor: Person


async def chase_vote(
    cmd: ChaseVote, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> Shown | Said:
    """The Hub reminds every member (and their deputies) who hasn't voted, in personal chat;
    once a day: a second press the same day says when they were chased and sends nothing."""
    views = messages.views
    case = await uow.cases.get(cmd.reference)
    current = rr.state_of(case).round
    if current is None or current.closed:
        return Shown(await messages.tracker_card(uow, case, now=now))
    today = views.today(now)
    earlier = rr.hub_chased_on(case, current.number, today)
    if earlier is not None:
        names = ", ".join(current.seats.get(s, s) for s in earlier.seats)
        return Said(
            f"Chased at {views.time_today(earlier.at)} today by {earlier.actor} ({names}), so "
            "nothing was sent again. You can chase again on another day, or close the vote."
        )
    voted = {b.seat for b in await uow.rapid_review.ballots(str(cmd.reference), current.number)}
    seats = [s for s in current.seats if s not in voted]
    if not seats:
        return Said("Every member has voted, so there is nobody to chase. You can close the vote.")
    notice = f"Reminder from {cmd.actor.name} (the Hub): your vote is needed. " + _deadlines(
        case, current, now, messages
    )
    reminded = await messages.chase(
        uow, case, current.number, seats, tag=f"hub:{today.isoformat()}", notice=notice, now=now
    )
    rr.record_chase(
        case,
        round_number=current.number,
        seats=seats,
        by=("hub",),
        on=today,
        actor=actor_of(cmd.actor),
        at=now,
    )
    await messages.save(uow, case, now=now)
    return Said(
        f"Chased at {views.time_today(now)}: {', '.join(reminded) or 'nobody'} reminded in a "
        "personal chat. Nothing more is sent if you press again today."
    )


def _deadlines(case: Case, current: rr.Round, now: datetime, messages: RapidReviewMessages) -> str:
    views = messages.views
    due = views.rapid_review_due(case, views.today(now))
    return f"The vote closes at the end of {format_day(current.closes_on)}" + (
        f"; the rapid review is due with the Panel on {format_day(due)}." if due else "."
    )


def reminders_due(case: Case, now: datetime, messages: RapidReviewMessages) -> tuple[str, ...]:
    """The reminder rules due for the case's open vote and not sent yet."""
    views = messages.views
    today = views.today(now)
    return rr.reminders_to_send(
        case,
        views.settings.vote_reminders,
        today=today,
        rapid_review_due=views.rapid_review_due(case, today),
        calendar=views.settings.calendar,
    )


async def remind_non_voters(
    reference: CaseReference, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> bool:
    """Send the reminders due for the case's vote to the members who haven't voted (once per
    rule; none once they have all voted or the vote has closed); whether any were sent."""
    case = await uow.cases.get(reference)
    rules = reminders_due(case, now, messages)
    current = rr.state_of(case).round
    if not rules or current is None:
        return False
    voted = {b.seat for b in await uow.rapid_review.ballots(str(reference), current.number)}
    seats = [s for s in current.seats if s not in voted]
    if not seats:
        return False
    notice = "Reminder: your vote is needed. " + _deadlines(case, current, now, messages)
    await messages.chase(
        uow, case, current.number, seats, tag="+".join(rules), notice=notice, now=now
    )
    rr.record_chase(
        case,
        round_number=current.number,
        seats=seats,
        by=rules,
        on=messages.views.today(now),
        actor=SYSTEM,
        at=now,
    )
    await uow.cases.save(case)
    log.info("vote reminders on %s: %s", reference, ", ".join(rules))
    return True


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
