"""Chasing the CSPR Group members who haven't voted: the Hub, at most once a day, and the
partnership's reminder rules, each once per vote, sent by the scheduler.

A chase is a personal copy of the vote card with the reminder on it, so later votes update it
in place. The case records each chase (who, by which rule or on which day), so a second press
the same day, or a repeated tick, sends nothing again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot_app.core.people import actor_of
from bot_app.rapid_review.messages import RapidReviewMessages
from bot_app.rapid_review.services import Shown
from safeguarding import rapid_review as rr
from safeguarding.case import SYSTEM, Case
from safeguarding.clocks import format_day
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


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
