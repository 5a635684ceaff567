"""One function per thing a person does with a plan's actions (add one, change its status,
record the evidence of completion), and the ``actions`` lists.

Apart from the plan as a whole (``services.py``), whose change machinery these run through:
the same checks, the same evidence trail, the same answer to a redelivered press.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot_app.action_plans.services import (
    Changed,
    HubCardRefresher,
    apply_change,
    require_manager,
)
from bot_app.action_plans.views import PlanSettings
from bot_app.core.people import actor_of
from safeguarding import action_plans as domain
from safeguarding.action_plans import ActionStatus, PlanAction
from safeguarding.case import Case
from safeguarding.errors import InvalidInput
from safeguarding.policy import Action, can
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# -- commands ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddAction:
    reference: CaseReference
    person: Person
    description: str
    owner: str  # an email (or Entra object id) from the directory
    agency: str  # blank: the owner's agency
    due_on: date | None
    national: bool
    activity_id: str


@dataclass(frozen=True)
class ChangeStatus:
    reference: CaseReference
    number: int
    revision: int
    status: str  # as the form sent it
    text: str  # evidence (done), reason (closed), or nothing
    person: Person
    activity_id: str


@dataclass(frozen=True)
class RecordEvidence:
    reference: CaseReference
    number: int
    revision: int
    evidence: str
    person: Person
    activity_id: str


class ActionsView(StrEnum):
    MINE = "mine"
    AGENCY = "agency"
    OVERDUE = "overdue"


# -- changing the actions ------------------------------------------------------------------


async def add_action(
    cmd: AddAction,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    settings: PlanSettings,
    hub_cards: HubCardRefresher,
) -> Changed:
    if cmd.due_on is None:
        raise InvalidInput("Please give the date the action is due by. Nothing was changed.")
    owner = await _directory_person(uow, cmd.owner)
    due_on = cmd.due_on

    def change(case: Case) -> str:
        plan = domain.plan_of(case, default_owner=settings.default_owner)
        require_manager(plan, cmd.person)
        action = domain.add_action(
            case,
            description=cmd.description,
            agency=cmd.agency,
            owner=owner,
            due_on=due_on,
            national=cmd.national,
            actor=actor_of(cmd.person),
            at=now,
            today=today,
            default_owner=settings.default_owner,
            activity=cmd.activity_id,
        )
        return f"{action.title} added for {action.owner.name} ({action.agency})"

    return await apply_change(
        uow, cmd.reference, cmd.activity_id, change, now, today, settings, hub_cards
    )


async def change_status(
    cmd: ChangeStatus,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    settings: PlanSettings,
    hub_cards: HubCardRefresher,
) -> Changed:
    try:
        status = ActionStatus(cmd.status)
    except ValueError:
        raise InvalidInput("Please choose the action's new status. Nothing was changed.") from None

    def change(case: Case) -> str:
        action = domain.change_status(
            case,
            cmd.number,
            status,
            person=cmd.person,
            actor=actor_of(cmd.person),
            at=now,
            revision=cmd.revision,
            default_owner=settings.default_owner,
            text=cmd.text,
            activity=cmd.activity_id,
        )
        if status is ActionStatus.CLOSED:
            return f"{action.title} closed with a reason"
        return f"{action.title} marked '{action.status.label}'"

    return await apply_change(
        uow, cmd.reference, cmd.activity_id, change, now, today, settings, hub_cards
    )


async def record_evidence(
    cmd: RecordEvidence,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    settings: PlanSettings,
    hub_cards: HubCardRefresher,
) -> Changed:
    def change(case: Case) -> str:
        action = domain.record_evidence(
            case,
            cmd.number,
            evidence=cmd.evidence,
            person=cmd.person,
            actor=actor_of(cmd.person),
            at=now,
            revision=cmd.revision,
            default_owner=settings.default_owner,
            activity=cmd.activity_id,
        )
        return f"Evidence of completion recorded for {action.title.lower()}"

    return await apply_change(
        uow, cmd.reference, cmd.activity_id, change, now, today, settings, hub_cards
    )


async def _directory_person(uow: UnitOfWork, named: str) -> Person | None:
    """The person the directory knows by this email (or object id); None if it doesn't."""
    named = named.strip()
    if not named:
        raise InvalidInput("Please give the owner's email. Nothing was changed.")
    entry = await uow.people.by_email(named) if "@" in named else await uow.people.person(named)
    if entry is None or not entry.active:
        log.info("refused an action owner outside the directory")
        return None
    return Person(
        object_id=entry.object_id,
        name=entry.name,
        email=entry.email,
        agency=entry.agency,
        roles=entry.roles,
    )


# -- lists ---------------------------------------------------------------------------------


async def list_actions(
    person: Person, view: ActionsView, uow: UnitOfWork, *, today: date
) -> list[PlanAction]:
    """The open actions the person asked for, soonest due first."""
    if view is ActionsView.MINE:
        return await uow.action_plans.owned_by(person.object_id)
    if view is ActionsView.AGENCY:
        if not person.agency:
            raise InvalidInput(
                "The directory doesn't say which agency you are in, so I can't list its "
                "actions. Ask an administrator to add it."
            )
        return await uow.action_plans.of_agency(person.agency)
    overdue = await uow.action_plans.overdue(today)
    if sees_every_action(person):
        return overdue
    agency = person.agency.casefold().split()
    return [
        a
        for a in overdue
        if a.owned_by(person) or (agency and a.agency.casefold().split() == agency)
    ]


def sees_every_action(person: Person) -> bool:
    """Those who see every case, and the groups that oversee plans, see every action."""
    return can(person, Action.LIST_ALL_CASES) or person.has(Role.SPLIG_MEMBER)
