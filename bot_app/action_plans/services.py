"""One function per thing a person does with an action plan; the runner commits.

Each loads the case, changes the plan through the domain (``safeguarding/action_plans.py``),
which checks who may do it and refuses bad input with nothing recorded, saves the case (the
evidence trail) and the plan's current state (``uow.action_plans``) in the caller's unit of
work. A redelivered press (the same activity id) changes nothing and answers as before.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Final, Protocol, TypeVar
from urllib.parse import quote

from bot_app.action_plans.views import PlanSettings
from bot_app.core.people import actor_of
from bot_app.security import EXPORT_LINK_LIFETIME, sign_export_token
from safeguarding import action_plans as domain
from safeguarding.action_plans import ActionPlan, ActionStatus, PlanAction, PlanOwner
from safeguarding.board_report import BoardReport, board_report
from safeguarding.case import Case, Stage
from safeguarding.case_clocks import CaseClock
from safeguarding.clocks import ClockRule
from safeguarding.errors import InvalidInput
from safeguarding.policy import Action, Forbidden, can
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# The token's scope: a Board report link is for the report, never for a case.
BOARD_REPORT_SCOPE: Final = "board-report"


class HubCardRefresher(Protocol):
    """``bot_app.cases.messages.HubCards``: the case card follows the stage."""

    async def refresh_hub_card(
        self, uow: UnitOfWork, case: Case, *, today: date, now: datetime
    ) -> None: ...


C_contra = TypeVar("C_contra", contravariant=True)


class PlanChange(Protocol[C_contra]):
    """A service that changes a plan: ``add_action``, ``change_status`` and the others."""

    def __call__(
        self,
        cmd: C_contra,
        uow: UnitOfWork,
        /,
        *,
        now: datetime,
        today: date,
        settings: PlanSettings,
        hub_cards: HubCardRefresher,
    ) -> Awaitable[Changed]: ...


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


@dataclass(frozen=True)
class SetOwner:
    reference: CaseReference
    owner: str
    person: Person
    activity_id: str


@dataclass(frozen=True)
class SignOff:
    reference: CaseReference
    board_on: date | None
    person: Person
    activity_id: str


@dataclass(frozen=True)
class ClosePlan:
    reference: CaseReference
    person: Person
    activity_id: str


# -- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Changed:
    case: Case
    plan: ActionPlan
    what: str  # the receipt's "what": "Action 2 added"
    replayed: bool = False


@dataclass(frozen=True)
class Shown:
    case: Case
    plan: ActionPlan


class ActionsView(StrEnum):
    MINE = "mine"
    AGENCY = "agency"
    OVERDUE = "overdue"


# -- the plan ------------------------------------------------------------------------------


async def open_plan(reference: CaseReference, uow: UnitOfWork, *, settings: PlanSettings) -> Shown:
    case = await uow.cases.get(reference)
    return Shown(case, domain.plan_of(case, default_owner=settings.default_owner))


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
        _require_manager(plan, cmd.person)
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

    return await _apply(
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

    return await _apply(
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

    return await _apply(
        uow, cmd.reference, cmd.activity_id, change, now, today, settings, hub_cards
    )


async def set_owner(
    cmd: SetOwner,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    settings: PlanSettings,
    hub_cards: HubCardRefresher,
) -> Changed:
    try:
        owner = PlanOwner(cmd.owner)
    except ValueError:
        raise InvalidInput(
            "Please choose who oversees the plan: the CSPR Group or SPLIG. Nothing was changed."
        ) from None

    def change(case: Case) -> str:
        plan = domain.plan_of(case, default_owner=settings.default_owner)
        _require_manager(plan, cmd.person)
        domain.set_owner(
            case,
            owner,
            actor=actor_of(cmd.person),
            at=now,
            default_owner=settings.default_owner,
        )
        return f"Oversight of the plan set to the {owner.label}"

    return await _apply(
        uow, cmd.reference, cmd.activity_id, change, now, today, settings, hub_cards
    )


async def sign_off(
    cmd: SignOff,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    settings: PlanSettings,
    hub_cards: HubCardRefresher,
) -> Changed:
    if cmd.board_on is None:
        raise InvalidInput("Please give the date of the Board. Nothing was changed.")
    board_on = cmd.board_on

    def change(case: Case) -> str:
        domain.sign_off(
            case,
            board_on=board_on,
            person=cmd.person,
            actor=actor_of(cmd.person),
            at=now,
            today=today,
            default_owner=settings.default_owner,
            activity=cmd.activity_id,
        )
        return "The Board's sign-off of the action plan recorded"

    return await _apply(
        uow, cmd.reference, cmd.activity_id, change, now, today, settings, hub_cards
    )


async def close_plan(
    cmd: ClosePlan,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    settings: PlanSettings,
    hub_cards: HubCardRefresher,
) -> Changed:
    def change(case: Case) -> str:
        domain.close_plan(
            case,
            person=cmd.person,
            actor=actor_of(cmd.person),
            at=now,
            default_owner=settings.default_owner,
        )
        return f"Action plan closed, and case {case.reference} closed with it"

    return await _apply(
        uow, cmd.reference, cmd.activity_id, change, now, today, settings, hub_cards
    )


async def _apply(
    uow: UnitOfWork,
    reference: CaseReference,
    activity_id: str,
    change: Callable[[Case], str],
    now: datetime,
    today: date,
    settings: PlanSettings,
    hub_cards: HubCardRefresher,
) -> Changed:
    case = await uow.cases.get(reference)
    if domain.replayed(case, activity_id):  # Teams redelivered the same press
        plan = domain.plan_of(case, default_owner=settings.default_owner)
        return Changed(case, plan, "Already recorded", replayed=True)
    stage = case.stage
    what = change(case)
    await uow.cases.save(case)
    plan = domain.plan_of(case, default_owner=settings.default_owner)
    await uow.action_plans.save(plan, now=now, first_follow_up=_first_follow_up(settings))
    if case.stage is not stage:
        await hub_cards.refresh_hub_card(uow, case, today=today, now=now)
    log.info("action plan %s: %s", reference, case.events[-1].kind)
    if case.stage is Stage.CLOSED:
        log.info("case %s closed with its action plan", reference)
    return Changed(case, plan, what)


def _first_follow_up(settings: PlanSettings) -> Callable[[PlanAction], datetime | None]:
    def first(action: PlanAction) -> datetime | None:
        return domain.first_follow_up_at(
            action, policy=settings.follow_ups, calendar=settings.calendar
        )

    return first


def _require_manager(plan: ActionPlan, person: Person) -> None:
    if not plan.may_manage(person):
        raise Forbidden(
            f"Sorry, case {plan.case_reference}'s action plan is managed by the Hub and the "
            f"{plan.owner.label}. Nothing was changed."
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


# -- the Board report ----------------------------------------------------------------------


@dataclass(frozen=True)
class BoardSettings:
    partnership: str
    table: tuple[ClockRule, ...]
    clocks: Callable[[Case, date], Sequence[CaseClock]]
    signing_key: bytes
    public_base_url: str


@dataclass(frozen=True)
class BoardLinks:
    markdown_url: str
    html_url: str
    csv_url: str
    expires_at: datetime
    report: BoardReport


async def build_board_report(
    uow: UnitOfWork, *, today: date, settings: BoardSettings
) -> BoardReport:
    """Every case, as of ``today``."""
    cases = []
    for reference in await uow.trail.references():
        case = await uow.cases.find(CaseReference.parse(reference))
        if case is not None:
            cases.append(case)
    return board_report(
        cases,
        clocks_of={str(c.reference): settings.clocks(c, today) for c in cases},
        open_actions=await uow.action_plans.open_actions(),
        table=settings.table,
        today=today,
    )


async def issue_board_links(
    person: Person, uow: UnitOfWork, *, now: datetime, today: date, settings: BoardSettings
) -> BoardLinks:
    """Three links bound to the person, working for 15 minutes from ``now``."""
    expires_at = now + EXPORT_LINK_LIFETIME
    token = sign_export_token(
        settings.signing_key,
        reference=BOARD_REPORT_SCOPE,
        person_id=person.object_id,
        expires_at=expires_at,
    )
    base = f"{settings.public_base_url.rstrip('/')}/board-report"
    query = f"?token={quote(token)}"
    return BoardLinks(
        markdown_url=f"{base}.md{query}",
        html_url=f"{base}.html{query}",
        csv_url=f"{base}.csv{query}",
        expires_at=expires_at,
        report=await build_board_report(uow, today=today, settings=settings),
    )
