"""The rapid review's Hub and agency actions: start it, send a report, record the Panel.

Each function is one user action in the caller's unit of work: load the case, check what is
specific to this case (the policy was checked at the edge), call the domain
(``safeguarding/rapid_review.py``), queue what must be posted or updated, and return what to
show. The runner commits once, and runs the action again from the start if the case changed
underneath it, so every retry re-reads the case. A refusal worth keeping in the trail is
recorded and returned as :class:`Refused` (it is committed like any other change).

The vote: ``vote_services.py``, ``chase_services.py``; the partners: ``partner_services.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from bot_app.core.people import actor_of
from bot_app.rapid_review.document import Document, DocumentSettings, build_document
from bot_app.rapid_review.messages import RapidReviewMessages
from bot_app.rapid_review.views import RapidReviewViews, report_received
from cards.base import Card
from safeguarding import rapid_review as rr
from safeguarding.case import Case
from safeguarding.clocks import format_day
from safeguarding.errors import InvalidInput
from safeguarding.policy import Forbidden
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.channels import agency_key
from storage.people import AGENCIES
from storage.rapid_review import SentReport
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


# -- what an action answers with ---------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """The card that replaces the pressed one, for the person who pressed it."""

    card: Card


@dataclass(frozen=True)
class Refused:
    """Refused, with the reason to show; ``code`` names the refusal for the card's client."""

    code: str
    message: str


Outcome = Shown | Refused


async def refuse(
    uow: UnitOfWork, case: Case, actor: Person, action: str, reason: str, *, now: datetime
) -> Refused:
    """Keep the refused attempt in the trail (the state is otherwise unchanged)."""
    log.info("%s refused on %s for %s", action, case.reference, actor.object_id)
    rr.refusal(case, action=action, reason=reason, actor=actor_of(actor), at=now)
    await uow.cases.save(case)
    return Refused("Refused", reason)


# -- starting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    reference: CaseReference
    agencies: tuple[str, ...]  # as ticked on the start card
    actor: Person


async def agencies_to_ask(
    reference: CaseReference, uow: UnitOfWork, *, now: datetime, views: RapidReviewViews
) -> Card:
    """The Hub pressed "Start rapid review": the agencies to ask, on the same card (or the
    case card again, when the review can't start or already has)."""
    case = await uow.cases.get(reference)
    today = views.today(now)
    if not rr.can_start(case) or rr.state_of(case).started:
        return views.hub_card(case, today)
    return views.start_card(case, await known_agencies(uow, views), today)


async def start(
    cmd: Start, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> Shown:
    """Ask each chosen agency for its report, post the tracker to the Hub, open the review."""
    views = messages.views
    today = views.today(now)
    case = await uow.cases.get(cmd.reference)
    if rr.state_of(case).started:  # a second press, or another officer first
        return Shown(views.hub_card(case, today))
    known = await known_agencies(uow, views)
    unknown = [a for a in cmd.agencies if a not in known]
    if unknown or not cmd.agencies:
        error = (
            f"I don't know the agency '{unknown[0]}'."
            if unknown
            else "Choose at least one agency from the list."
        )
        return Shown(views.start_card(case, known, today, chosen=cmd.agencies, error=error))
    rr.start(case, cmd.agencies, requested_on=today, actor=actor_of(cmd.actor), at=now)
    due = format_day(views.agency_due(today))
    for agency in cmd.agencies:
        await messages.ask_agency(uow, str(cmd.reference), agency, due, now=now)
    await messages.post_tracker(uow, case, now=now)
    card = await messages.save(uow, case, now=now, tracker=False)
    log.info("rapid review of %s started: %d agencies", cmd.reference, len(cmd.agencies))
    return Shown(card)


async def known_agencies(uow: UnitOfWork, views: RapidReviewViews) -> list[str]:
    """The directory's agencies (as imported from the partnership's file), else defaults."""
    stored = (await uow.people.settings()).get(AGENCIES) or []
    names = [str(a.get("name")) for a in stored if isinstance(a, dict) and a.get("name")]
    return names or list(views.settings.default_agencies)


# -- agency reports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportToWrite:
    """Where the report dialog starts: the lead's agency, its due date, and whether late."""

    reference: CaseReference
    agency: str
    due: date
    late: bool
    replacing: bool


async def report_to_write(
    reference: CaseReference,
    actor: Person,
    uow: UnitOfWork,
    *,
    now: datetime,
    views: RapidReviewViews,
) -> ReportToWrite:
    """The report the actor's agency was asked for, or why they can't write one now."""
    case = await uow.cases.get(reference)
    status = agency_status(case, actor)
    if rr.state_of(case).sent_on is not None:
        raise InvalidInput(
            f"The rapid review of case {reference} has already gone to the Panel. If your "
            "agency has more to add, contact the Hub."
        )
    due = views.agency_due(status.requested_on)
    return ReportToWrite(
        reference=reference,
        agency=status.agency,
        due=due,
        late=views.today(now) > due,
        replacing=status.submitted_on is not None,
    )


@dataclass(frozen=True)
class SendReport:
    reference: CaseReference
    actor: Person
    token: str  # the dialog's: the same Send pressed twice stores the report once
    content: Mapping[str, str]
    nil_return: bool


@dataclass(frozen=True)
class ReportSent:
    """What the lead is told: this press sent the report (``again`` False), or the report this
    form sent earlier (``again`` True) - with what was sent, by whom and when."""

    message: str
    report: SentReport
    again: bool = False
    from_this_form: bool = True  # False: a newer form sent the agency's latest report


async def send_report(
    cmd: SendReport, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> ReportSent:
    """Store the report encrypted, record the fact, update the tracker - once, however often
    Send is pressed."""
    views = messages.views
    reference = str(cmd.reference)
    case = await uow.cases.get(cmd.reference)
    status = agency_status(case, cmd.actor)
    earlier = await uow.rapid_review.sent_report(reference, status.agency)
    if earlier is not None and earlier.token == cmd.token:
        return ReportSent("", earlier, again=True)
    due = views.agency_due(status.requested_on)
    actor = actor_of(cmd.actor)
    event = rr.record_report(
        case,
        status.agency,
        submitted_on=views.today(now),
        due=due,
        nil_return=cmd.nil_return,
        actor=actor,
        at=now,
    )
    late, version = bool(event.data["late"]), int(event.data["version"])
    await uow.rapid_review.put_report(
        reference,
        agency=status.agency,
        content=dict(cmd.content),
        nil_return=cmd.nil_return,
        late=late,
        version=version,
        token=cmd.token,
        by=actor,
        at=now,
    )
    await messages.save(uow, case, now=now)
    sent = SentReport(
        agency=status.agency,
        nil_return=cmd.nil_return,
        late=late,
        version=version,
        token=cmd.token,
        submitted_by_name=actor.name,
        submitted_at=now,
    )
    return ReportSent(
        report_received(
            reference,
            status.agency,
            nil_return=cmd.nil_return,
            version=version,
            late_due=due if late else None,
        ),
        sent,
    )


async def sent_from_form(
    reference: CaseReference, actor: Person, token: str, uow: UnitOfWork
) -> ReportSent | None:
    """A press on a report form no dialog is waiting for: what this form sent, if anything,
    else the agency's latest report (a newer form's), else ``None``."""
    case = await uow.cases.find(reference)
    if case is None:
        return None
    status = agency_status(case, actor)
    latest = await uow.rapid_review.sent_report(str(reference), status.agency)
    if latest is None:
        return None
    return ReportSent("", latest, again=True, from_this_form=latest.token == token)


def agency_status(case: Case, actor: Person) -> rr.AgencyStatus:
    """The request to the actor's agency on this case, or ``Forbidden`` (audited in the log)."""
    mine = agency_key(actor.agency)
    for status in rr.state_of(case).agencies.values():
        if mine and agency_key(status.agency) == mine:
            return status
    log.warning("report refused on %s: %s's agency was not asked", case.reference, actor.object_id)
    raise Forbidden(
        f"Your agency was not asked for a report on case {case.reference}, so you can't send "
        "one. If you think it should be, contact the Hub."
    )


# -- the Panel ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MarkSent:
    reference: CaseReference
    sent_on: date
    actor: Person


async def record_sent(
    cmd: MarkSent, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> Outcome:
    """The Hub sent the rapid review to the Panel on ``sent_on`` (late after its clock).

    A case that may be serious needs its Panel notification (or the Hub's reason why there is
    none) first: the attempt is refused, and kept in the trail, until it is recorded.
    """
    views = messages.views
    today = views.today(now)
    if cmd.sent_on > today:
        raise InvalidInput("The rapid review can't have been sent in the future.")
    case = await uow.cases.get(cmd.reference)
    if rr.state_of(case).sent_on is not None:  # pressed twice
        return Shown(await messages.tracker_card(uow, case, now=now))
    try:
        rr.record_sent(
            case,
            sent_on=cmd.sent_on,
            due=views.rapid_review_due(case, today),
            actor=actor_of(cmd.actor),
            at=now,
        )
    except rr.PanelNotNotified as refused:
        return await refuse(
            uow, case, cmd.actor, "record the rapid review as sent", refused.user_message, now=now
        )
    return Shown(await messages.save(uow, case, now=now))


@dataclass(frozen=True)
class PanelAnswer:
    reference: CaseReference
    decided_on: date
    decision: str  # a PanelDecision value, as the card's choice sent it
    note: str
    actor: Person


async def record_panel_decision(
    cmd: PanelAnswer, uow: UnitOfWork, *, now: datetime, messages: RapidReviewMessages
) -> Shown:
    """The Panel answered: a review starts (or the case closes), or "other" is noted."""
    if cmd.decided_on > messages.views.today(now):
        raise InvalidInput("The Panel can't have decided in the future.")
    try:
        decision = rr.PanelDecision(cmd.decision)
    except ValueError:
        raise InvalidInput("Please choose the Panel's decision.") from None
    case = await uow.cases.get(cmd.reference)
    rr.record_panel_decision(
        case,
        decision,
        decided_on=cmd.decided_on,
        note=cmd.note,
        actor=actor_of(cmd.actor),
        at=now,
    )
    return Shown(await messages.save(uow, case, now=now))


# -- the document ------------------------------------------------------------------------------


async def check_document(reference: CaseReference, actor: Person, uow: UnitOfWork) -> None:
    """The document exists once the review has started; who was given links is logged."""
    case = await uow.cases.get(reference)
    if not rr.state_of(case).started:
        raise InvalidInput(f"The rapid review of case {reference} has not started yet.")
    log.info("rapid review document links for %s issued to %s", reference, actor.object_id)


@dataclass(frozen=True)
class DownloadDocument:
    reference: CaseReference
    by: Person
    printable: bool  # the HTML page, or the Markdown file


async def download_document(
    cmd: DownloadDocument,
    uow: UnitOfWork,
    *,
    now: datetime,
    views: RapidReviewViews,
    settings: DocumentSettings,
) -> Document | None:
    """The document as it stands (``None``: no such case); the download is in the access log."""
    case = await uow.cases.find(cmd.reference)
    if case is None:
        return None
    reference = str(case.reference)
    state = rr.state_of(case)
    decided = next((r for r in reversed(state.rounds) if r.closed), state.round)
    ballots = await uow.rapid_review.ballots(reference, decided.number) if decided else []
    initials = ""
    if settings.include_initials:
        initials = str((await uow.details.get(reference) or {}).get("initials") or "")
    today = views.today(now)
    document = build_document(
        case,
        reports=await uow.rapid_review.reports(reference),
        ballots=ballots,
        clocks=views.clocks(case, today),
        initials=initials,
        subtitle=f"{settings.partnership} · prepared {format_day(today)} by {cmd.by.name}",
    )
    await uow.access_log.record(
        reference,
        cmd.by.object_id,
        f"downloaded the rapid review document ({'printable' if cmd.printable else 'Markdown'})",
        now,
    )
    return document
