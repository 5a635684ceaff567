"""The review after the decision, one function per user action (``safeguarding/reviews.py``).

Each runs in the caller's unit of work and never commits. A refused step - a milestone out of
order, a publication date in the past, an owner outside the directory, a step on a case not
at that stage, a stale card - changes nothing but the trail, which keeps who tried what and
why it was refused (:func:`bot_app.cases.services.refuse`), and is answered with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from bot_app.cases.messages import HubCards
from bot_app.cases.services import Refused, refuse
from bot_app.core.people import actor_of
from bot_app.reviews.messages import ReviewMessages
from bot_app.reviews.views import NO_REVIEW, ReviewViews
from cards.base import Card
from safeguarding import reviews as rv
from safeguarding.case import Actor, Case
from safeguarding.clocks import format_day
from safeguarding.errors import DomainError, InvalidInput, NotFound
from safeguarding.policy import require_case_access
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_PEOPLE_ON_CARD = 100
E = TypeVar("E", bound=StrEnum)


class Step(StrEnum):
    PLAN = "plan a milestone"
    DONE = "mark a milestone done"
    FAMILY = "record the family's involvement"
    LEAD = "set the review's lead"
    COMPLETE = "record the national review complete"
    PLAN_PUBLICATION = "plan the publication date"
    COPY = "record the final report sent"
    CHECKLIST = "confirm the final report's content"
    PUBLISH = "record publication"
    DEFER = "defer publication"
    PROCESS = "record a parallel process"
    JOINT = "hold the review jointly"
    RESPOND = "record the partners' response"


@dataclass(frozen=True)
class ReviewStep:
    """One press on the review card: the step, the card's version and what the form held."""

    step: Step
    person: Person
    reference: CaseReference
    version: int
    milestone: rv.Milestone | None = None
    owner: str = ""  # a directory object id
    day: date | None = None  # the step's date: target, done, sent, published, ...
    other_day: date | None = None  # the deferral's review date
    text: str = ""
    flag: bool = False  # invited / confirm a breach
    second_flag: bool = False  # surviving children invited
    choice: str = ""  # recipient, process, status
    agency: str = ""
    status: str = ""


@dataclass(frozen=True)
class Acted:
    card: Card
    receipt: str


class NoReview(NotFound):
    """The case has no review started."""


async def show_review(
    reference: CaseReference, reader: Person, uow: UnitOfWork, *, today: date, views: ReviewViews
) -> Case:
    """The case with its review, for a reader who may see it (the router checked already)."""
    case = await uow.cases.get(reference)
    require_case_access(reader, case)
    if rv.review_of(case) is None:
        raise NoReview(NO_REVIEW.format(reference=reference))
    return case


async def review_card(
    case: Case,
    reader: Person,
    uow: UnitOfWork,
    *,
    today: date,
    views: ReviewViews,
    notice: str | None = None,
) -> Card:
    return views.card(case, reader, today, people=await directory_choices(uow), notice=notice)


async def open_review(
    reference: CaseReference,
    reader: Person,
    uow: UnitOfWork,
    *,
    activity_id: str,
    personal: bool,
    now: datetime,
    today: date,
    views: ReviewViews,
    messages: ReviewMessages,
) -> Card | None:
    """The review card: shown here in a personal chat, else queued for the reader's one."""
    case = await show_review(reference, reader, uow, today=today, views=views)
    card = await review_card(case, reader, uow, today=today, views=views)
    if personal:
        return card
    await messages.send_privately(uow, reader, case, card, activity_id=activity_id, now=now)
    return None


async def directory_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    """Who may own a milestone: the active people of the partnership's directory."""
    people = [p for p in await uow.people.everyone() if p.active]
    return [(p.object_id, p.name) for p in people[:MAX_PEOPLE_ON_CARD]]


async def act(
    command: ReviewStep,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    views: ReviewViews,
    hub_cards: HubCards,
) -> Acted | Refused:
    """Take one step of the review, or refuse it with the reason (kept in the trail)."""
    case = await uow.cases.get(command.reference)
    require_case_access(command.person, case)
    actor = actor_of(command.person)
    warning: str | None = None
    confirm_on: date | None = None
    try:
        rv.check_card(case, command.version)
        owner = await _owner(uow, command) if command.step in {Step.PLAN, Step.LEAD} else None
        receipt, warning, confirm_on = _apply(
            case, command, owner=owner, today=today, rules=views.rules, actor=actor, at=now
        )
    except DomainError as refused:
        return await refuse(uow, case, command.person, command.step.value, refused, now=now)
    if case.pending_events:
        await hub_cards.refresh_hub_card(uow, case, today=today, now=now)  # saves the case
        log.info("review step on %s: %s", case.reference, command.step.name)
    when = now.astimezone(views.calendar.timezone)
    stamp = f"{receipt} - {command.person.name}, {format_day(today)} {when:%H:%M}."
    card = views.card(
        case,
        command.person,
        today,
        people=await directory_choices(uow),
        notice=stamp if confirm_on is None else None,
        warning=warning,
        confirm_publish_on=confirm_on,
    )
    return Acted(card=card, receipt=stamp)


async def _owner(uow: UnitOfWork, command: ReviewStep) -> rv.Owner:
    entry = await uow.people.person(command.owner) if command.owner.strip() else None
    if entry is None or not entry.active:
        raise InvalidInput(
            "Choose the owner from the partnership's directory: that person is not in it (or "
            "no longer active). Nothing was changed."
        )
    return rv.Owner(entry.object_id, entry.name)


def _day(command: ReviewStep, what: str) -> date:
    if command.day is None:
        raise InvalidInput(f"Please choose {what} with the date picker. Nothing was changed.")
    return command.day


def _choice(enum: type[E], value: str, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise InvalidInput(f"Please choose {what}. Nothing was changed.") from None


def _apply(
    case: Case,
    command: ReviewStep,
    *,
    owner: rv.Owner | None,
    today: date,
    rules: rv.ReviewRules,
    actor: Actor,
    at: datetime,
) -> tuple[str, str | None, date | None]:
    """(receipt, warning, a publication date waiting for confirmation)."""
    step = command.step
    milestone = command.milestone
    if step is Step.PLAN:
        assert owner is not None
        if milestone is None:
            raise InvalidInput("That button didn't say which milestone. Nothing was changed.")
        target = _day(command, "the target date")
        rv.plan_milestone(case, milestone, owner=owner, target_on=target, actor=actor, at=at)
        return f"'{milestone.label}': owner {owner.name}, target {format_day(target)}", None, None
    if step is Step.DONE:
        if milestone is None:
            raise InvalidInput("That button didn't say which milestone. Nothing was changed.")
        done_on = _day(command, "the date it was done")
        rv.mark_done(case, milestone, done_on=done_on, today=today, actor=actor, at=at)
        receipt = f"'{milestone.label}' recorded as done on {format_day(done_on)}"
        if milestone in rv.COMPLETING:
            receipt += ": the review is complete, and its clock is met"
        return receipt, None, None
    if step is Step.FAMILY:
        rv.record_family(
            case,
            invited=command.flag,
            invited_on=command.day,
            children_invited=command.second_flag,
            how=command.text,
            today=today,
            actor=actor,
            at=at,
        )
        return "The family's involvement was recorded", None, None
    if step is Step.LEAD:
        assert owner is not None
        rv.set_lead(case, owner=owner, actor=actor, at=at)
        return f"{owner.name} leads the review", None, None
    if step is Step.COMPLETE:
        completed = _day(command, "the date the review was completed")
        rv.complete_national(case, completed_on=completed, today=today, actor=actor, at=at)
        return f"The national review was recorded complete on {format_day(completed)}", None, None
    if step is Step.PLAN_PUBLICATION:
        publish_on = _day(command, "the publication date")
        check = rv.plan_publication(
            case,
            publish_on=publish_on,
            today=today,
            rules=rules,
            confirm_breach=command.flag,
            actor=actor,
            at=at,
        )
        if not check.recorded:
            return "Not recorded yet", check.warning, publish_on
        receipt = (
            f"Publication planned for {format_day(publish_on)}: the final report must reach the "
            f"Panel, the Secretary of State and Ofsted by {format_day(check.copy_by.due)}"
        )
        if check.warning:
            receipt += " (recorded although it breaks the 7-working-day rule)"
        return receipt, check.warning, None
    if step is Step.COPY:
        recipient = _choice(rv.Recipient, command.choice, "who the report was sent to")
        sent = _day(command, "the date it was sent")
        rv.record_copy(case, recipient, sent_on=sent, today=today, actor=actor, at=at)
        return f"Final report sent to {recipient.label} on {format_day(sent)}", None, None
    if step is Step.CHECKLIST:
        rv.confirm_checklist(
            case, improvements=command.flag, systemic=command.second_flag, actor=actor, at=at
        )
        return "The final report's required content was confirmed", None, None
    if step is Step.PUBLISH:
        published = _day(command, "the publication date")
        review = rv.publish(
            case, published_on=published, today=today, rules=rules, actor=actor, at=at
        )
        keep = format_day(review.keep_until) if review.keep_until else "-"
        return (
            f"Published on {format_day(published)}; it stays published until at least {keep}",
            None,
            None,
        )
    if step is Step.DEFER:
        process = _choice(rv.ProcessKind, command.choice, "the process publication waits for")
        publish_on = _day(command, "the new publication date")
        if command.other_day is None:
            raise InvalidInput(
                "Please choose the date to review the deferral. Nothing was changed."
            )
        review = rv.defer_publication(
            case,
            process=process,
            publish_on=publish_on,
            review_on=command.other_day,
            reason=command.text,
            today=today,
            rules=rules,
            actor=actor,
            at=at,
        )
        copy_by = (review.publication and review.publication.copy_by) or publish_on
        return (
            f"Publication deferred to {format_day(publish_on)}; the final report now goes to the "
            f"Panel, the Secretary of State and Ofsted by {format_day(copy_by)}",
            None,
            None,
        )
    if step is Step.PROCESS:
        process = _choice(rv.ProcessKind, command.choice, "the process")
        status = _choice(rv.ProcessStatus, command.status or "ongoing", "its status")
        rv.record_process(
            case,
            process,
            lead_agency=command.agency,
            contact=command.text,
            status=status,
            actor=actor,
            at=at,
        )
        return f"{process.label} recorded ({status.label.lower()})", None, None
    if step is Step.JOINT:
        process = _choice(rv.ProcessKind, command.choice, "the review it is held with")
        rv.hold_jointly(case, process, actor=actor, at=at)
        return f"The review is held jointly with the {process.label}", None, None
    if step is Step.RESPOND:
        responded = _day(command, "the date of the response")
        rv.record_response(
            case, responded_on=responded, summary=command.text, today=today, actor=actor, at=at
        )
        return "The partners' response to the national findings was recorded", None, None
    raise InvalidInput("That step is not one I know. Nothing was changed.")
