"""The case queries and the Hub's first decisions, one function per user action.

Each runs in the caller's unit of work and never commits: reading a case's details writes
the access log first (who saw which case's details, and when), and that entry is committed
with the action or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot_app.cases.messages import HubCards, send_details_privately
from bot_app.cases.views import CRITERIA_NOT_MET, CaseViews, details_view
from bot_app.core.people import actor_of
from cards.case import MAX_REASON_CHARS, DetailsView
from safeguarding import milestones
from safeguarding.case import Case, Stage
from safeguarding.clocks import format_day
from safeguarding.errors import InvalidInput
from safeguarding.policy import Action, can, may_see_case, require_case_access
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.uow import UnitOfWork

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


@dataclass(frozen=True)
class CloseCriteriaNotMet:
    actor: Person
    reference: CaseReference
    reason: str


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
) -> Case:
    """Record when the Hub told the national Panel, late or not, and move the case on.

    A second press (or a colleague's) changes nothing: the case as it stands is returned.
    """
    if command.notified_on is None:
        raise InvalidInput("Please choose the date the Panel was notified with the date picker.")
    notified_on, time = command.notified_on, command.notified_time
    if notified_on > today:
        raise InvalidInput("The Panel can't have been notified in the future.")
    case = await uow.cases.get(command.reference)
    if any(e.kind == milestones.PANEL_NOTIFIED for e in case.events):
        return case
    if notified_on < case.aware_on:
        raise InvalidInput(
            f"The Panel can't have been notified before the partners became aware "
            f"({format_day(case.aware_on)})."
        )
    due = views.panel_due(case.aware_on)
    late = notified_on > due
    actor = actor_of(command.actor)
    case.record(
        milestones.PANEL_NOTIFIED,
        actor=actor,
        at=now,
        what=f"Panel notified on {format_day(notified_on)}{' at ' + time if time else ''}"
        f" by {actor.name}" + (f" - late (due {format_day(due)})." if late else "."),
        data={
            "notified_on": notified_on.isoformat(),
            "notified_time": time,
            "notified_by": actor.name,
            "late": late,
        },
    )
    case.move_to(Stage.PANEL_NOTIFIED, actor=actor, at=now)
    await hub_cards.refresh_hub_card(uow, case, today=today, now=now)
    return case


async def close_criteria_not_met(
    command: CloseCriteriaNotMet,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    hub_cards: HubCards,
) -> Case:
    """Close a case the Hub finds outside the criteria for a review, with its reason.

    A case already closed (by a colleague, say) is returned as it stands.
    """
    reason = " ".join(command.reason.split())
    if not reason:
        raise InvalidInput("Please give the reason the criteria are not met.")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(f"Keep the reason under {MAX_REASON_CHARS} characters.")
    case = await uow.cases.get(command.reference)
    if not case.is_open:
        return case
    actor = actor_of(command.actor)
    case.record(
        CRITERIA_NOT_MET,
        actor=actor,
        at=now,
        what="The Hub decided the criteria are not met.",
        why=reason,
    )
    case.move_to(Stage.CLOSED, actor=actor, at=now, why=reason)
    await hub_cards.refresh_hub_card(uow, case, today=today, now=now)
    return case


async def _read_details(
    uow: UnitOfWork, case: Case, reader: Person, what: str, *, now: datetime
) -> dict[str, str]:
    """The decrypted details, with the reading written to the access log first."""
    reference = str(case.reference)
    await uow.access_log.record(reference, reader.object_id, what, now)
    return await uow.details.get(reference) or {}
