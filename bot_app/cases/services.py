"""The case queries and the Hub's first decisions, one function per user action.

Each runs in the caller's unit of work and never commits: reading a case's details writes
the access log first (who saw which case's details, and when), and that entry is committed
with the action or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from bot_app.cases.messages import HubCards, send_details_privately
from bot_app.cases.views import CaseViews, details_view
from bot_app.core.people import actor_of
from cards.case import DetailsView
from safeguarding import panel
from safeguarding import rapid_review as rr
from safeguarding.case import Case
from safeguarding.errors import DomainError, InvalidInput
from safeguarding.policy import Action, can, may_see_case, require_case_access
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from safeguarding.times import check_not_future, format_time_of_day, parse_time_of_day
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

OPEN_CASES_SHOWN = 200


@dataclass(frozen=True)
class ShowStatus:
    reader: Person
    reference: CaseReference
    in_personal_chat: bool  # details are shown in a personal chat only


@dataclass(frozen=True)
class CaseStatus:
    case: Case
    details: dict[str, str] | None  # None: not shown to this reader, or not here


@dataclass(frozen=True)
class OpenDetails:
    reader: Person
    reference: CaseReference
    in_personal_chat: bool
    activity_id: str


@dataclass(frozen=True)
class DetailsOpened:
    view: DetailsView
    sent_privately: bool  # asked in a channel: queued for the reader's personal chat


@dataclass(frozen=True)
class RecordPanelNotified:
    actor: Person
    reference: CaseReference
    notified_on: date | None
    notified_time: str


async def show_status(command: ShowStatus, uow: UnitOfWork, *, now: datetime) -> CaseStatus:
    """A case the reader may see, with its details only in a personal chat and for roles
    that may see them."""
    case = await uow.cases.get(command.reference)
    require_case_access(command.reader, case)
    details = None
    if command.in_personal_chat and can(command.reader, Action.VIEW_CASE_DETAILS):
        details = await _read_details(uow, case, command.reader, "status", now=now)
    return CaseStatus(case=case, details=details)


async def open_cases(reader: Person, uow: UnitOfWork) -> list[Case]:
    """The open cases this person may see, newest first."""
    return [c for c in await uow.cases.list_open(limit=OPEN_CASES_SHOWN) if may_see_case(reader, c)]


async def notification_sent_as(token: str, uow: UnitOfWork) -> str | None:
    """The reference of the case a notification's dialog token became, if it was sent."""
    return await uow.submissions.reference_for(token)


async def open_details(command: OpenDetails, uow: UnitOfWork, *, now: datetime) -> DetailsOpened:
    """The case's details: on the card in a personal chat, else queued for one."""
    case = await uow.cases.get(command.reference)
    require_case_access(command.reader, case)
    stored = await _read_details(uow, case, command.reader, "details", now=now)
    view = details_view(case, stored)
    if command.in_personal_chat:
        return DetailsOpened(view=view, sent_privately=False)
    await send_details_privately(
        uow, command.reader, view, activity_id=command.activity_id, now=now
    )
    return DetailsOpened(view=view, sent_privately=True)


async def record_panel_notified(
    command: RecordPanelNotified,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    views: CaseViews,
    hub_cards: HubCards,
) -> Case | Refused:
    """Record when the Hub told the national Panel, late or not, and move a new case on.

    Possible on any open case where the serious-case definition may apply (the Hub may have
    reclassified it, or the CSPR Group recommended a CSPR). Recorded once: a second record is
    refused with the first one's date and author, and the attempt is kept in the trail.
    """
    if command.notified_on is None:
        raise InvalidInput("Please choose the date the Panel was notified with the date picker.")
    notified_on = command.notified_on
    notified_time = ""
    if command.notified_time.strip():
        moment = parse_time_of_day(command.notified_time)
        local_now = now.astimezone(views.settings.calendar.timezone)
        check_not_future(notified_on, moment, now=local_now, what="The Panel notification")
        notified_time = format_time_of_day(moment)
    case = await uow.cases.get(command.reference)
    actor = actor_of(command.actor)
    try:
        panel.record_panel_notification(
            case,
            notified_on=notified_on,
            notified_time=notified_time,
            due=views.panel_due(case.aware_on),
            may_apply=rr.may_be_serious(case),
            actor=actor,
            at=now,
            today=today,
        )
    except DomainError as refused:
        return await refuse(
            uow, case, command.actor, "record the Panel notification", refused, now=now
        )
    await hub_cards.refresh_hub_card(uow, case, today=today, now=now)
    return case


@dataclass(frozen=True)
class Refused:
    """Refused, and the attempt kept in the case's trail; ``message`` says why."""

    code: str
    message: str


async def refuse(
    uow: UnitOfWork, case: Case, actor: Person, action: str, error: DomainError, *, now: datetime
) -> Refused:
    """Keep a refused attempt on a case in its trail (nothing else changes), and say why.

    Who tried what and why it was refused is part of the record a partnership must be able to
    show (who decided and changed what, and when: domain.md, "Information governance").
    """
    log.info("%s refused on %s for %s", action, case.reference, actor.object_id)
    panel.refusal(case, action=action, reason=error.user_message, actor=actor_of(actor), at=now)
    await uow.cases.save(case)
    return Refused(type(error).__name__, error.user_message)


async def _read_details(
    uow: UnitOfWork, case: Case, reader: Person, what: str, *, now: datetime
) -> dict[str, str]:
    """The decrypted details, with the reading written to the access log first."""
    reference = str(case.reference)
    await uow.access_log.record(reference, reader.object_id, what, now)
    return await uow.details.get(reference) or {}
