"""One function per thing a person does with an action plan as a whole (its oversight, the
Board's sign-off, closing it), and the change machinery every plan change runs through.

Each loads the case, changes the plan through the domain (``safeguarding/action_plans.py``),
which checks who may do it and refuses bad input with nothing recorded, saves the case (the
evidence trail) and the plan's current state (``uow.action_plans``) in the caller's unit of
work. A redelivered press (the same activity id) changes nothing and answers as before. The
plan's actions are changed in ``action_services.py``; the Board report is in
``board_services.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar

from bot_app.action_plans.views import PlanSettings
from bot_app.core.people import actor_of
from safeguarding import action_plans as domain
from safeguarding.action_plans import ActionPlan, PlanAction, PlanOwner
from safeguarding.case import Case, Stage
from safeguarding.errors import InvalidInput
from safeguarding.policy import Forbidden
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


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


# -- the plan ------------------------------------------------------------------------------


async def open_plan(reference: CaseReference, uow: UnitOfWork, *, settings: PlanSettings) -> Shown:
    case = await uow.cases.get(reference)
    return Shown(case, domain.plan_of(case, default_owner=settings.default_owner))


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
        require_manager(plan, cmd.person)
        domain.set_owner(
            case,
            owner,
            actor=actor_of(cmd.person),
            at=now,
            default_owner=settings.default_owner,
        )
        return f"Oversight of the plan set to the {owner.label}"

    return await apply_change(
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

    return await apply_change(
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

    return await apply_change(
        uow, cmd.reference, cmd.activity_id, change, now, today, settings, hub_cards
    )


# -- the change machinery ------------------------------------------------------------------


async def apply_change(
    uow: UnitOfWork,
    reference: CaseReference,
    activity_id: str,
    change: Callable[[Case], str],
    now: datetime,
    today: date,
    settings: PlanSettings,
    hub_cards: HubCardRefresher,
) -> Changed:
    """Shared by every plan change (here and in ``action_services.py``), so each answers a
    redelivered press the same way and the case card follows a change of stage."""
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


def require_manager(plan: ActionPlan, person: Person) -> None:
    if not plan.may_manage(person):
        raise Forbidden(
            f"Sorry, case {plan.case_reference}'s action plan is managed by the Hub and the "
            f"{plan.owner.label}. Nothing was changed."
        )
