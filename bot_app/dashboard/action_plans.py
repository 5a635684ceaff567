"""Where the dashboard reads action plans from: a small interface, so the case page and the
Board's "open actions" chart do not depend on how plans are stored.

:class:`StoredActionPlans` reads the plan from the case's evidence trail
(``safeguarding.action_plans.plan_of``) and the open actions across every case from their
table (``uow.action_plans``). :class:`NotYetAvailable` is for a deployment without them: the
pages then say "Action plans: not yet available" rather than showing an empty plan, which
would read as "no actions".
"""

from __future__ import annotations

from typing import Final, Protocol

from bot_app.dashboard.views import ActionLine, ActionPlanView
from safeguarding.action_plans import PlanAction, PlanOwner, plan_of
from safeguarding.case import Case
from safeguarding.clocks import format_day
from safeguarding.policy import Action, can
from safeguarding.roles import Person
from storage.uow import UnitOfWork

NOT_AVAILABLE: Final = "Action plans: not yet available."


class ActionPlans(Protocol):
    @property
    def available(self) -> bool: ...

    async def plan(self, uow: UnitOfWork, case: Case, viewer: Person) -> ActionPlanView: ...

    async def open_actions(self, uow: UnitOfWork) -> list[PlanAction]: ...


class NotYetAvailable:
    available = False

    async def plan(self, uow: UnitOfWork, case: Case, viewer: Person) -> ActionPlanView:
        return ActionPlanView(available=False, summary=NOT_AVAILABLE)

    async def open_actions(self, uow: UnitOfWork) -> list[PlanAction]:
        return []


class StoredActionPlans:
    """Plans as the action plan feature records them."""

    available = True

    def __init__(self, *, default_owner: PlanOwner = PlanOwner.CSPRG) -> None:
        self._default_owner = default_owner

    async def plan(self, uow: UnitOfWork, case: Case, viewer: Person) -> ActionPlanView:
        plan = plan_of(case, default_owner=self._default_owner)
        if not plan.started:
            return ActionPlanView(available=True, summary="No action plan has been started.")
        parts = [f"Overseen by the {plan.owner.label}."]
        signed = plan.signed_off
        parts.append(
            f"Signed off at the Board on {format_day(signed.board_on)} by {signed.signed_by.name}."
            if signed
            else "Not yet signed off at the Board."
        )
        if plan.closed_at is not None:
            parts.append("The plan is closed.")
        # What people typed (an action's description) is for the roles that see a case in
        # full and for the action's own owner; others see which action, whose and when.
        in_full = can(viewer, Action.VIEW_CASE_DETAILS)
        return ActionPlanView(
            available=True,
            summary=" ".join(parts),
            actions=tuple(_line(a, in_full or a.owned_by(viewer)) for a in plan.actions),
        )

    async def open_actions(self, uow: UnitOfWork) -> list[PlanAction]:
        return await uow.action_plans.open_actions()


def _line(action: PlanAction, with_text: bool) -> ActionLine:
    return ActionLine(
        description=f"{action.title}: {action.text}" if with_text else action.title,
        agency=action.agency,
        due=format_day(action.due_on),
        status=action.status.label,
    )
