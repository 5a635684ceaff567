"""Where the dashboard reads action plans from: a small interface, so the case page and the
Board's "open actions" chart do not depend on how (or whether) plans are stored yet.

:class:`NotYetAvailable` answers until the action plan storage exists; the pages then say
"Action plans: not yet available" rather than showing an empty plan, which would read as
"no actions".
"""

from __future__ import annotations

from typing import Final, Protocol

from bot_app.dashboard.views import ActionPlanView
from safeguarding.board import OpenAction
from safeguarding.case import Case
from storage.uow import UnitOfWork

NOT_AVAILABLE: Final = "Action plans: not yet available."


class ActionPlans(Protocol):
    @property
    def available(self) -> bool: ...

    async def plan(self, uow: UnitOfWork, case: Case) -> ActionPlanView: ...

    async def open_actions(self, uow: UnitOfWork, cases: list[Case]) -> list[OpenAction]: ...


class NotYetAvailable:
    available = False

    async def plan(self, uow: UnitOfWork, case: Case) -> ActionPlanView:
        return ActionPlanView(available=False, summary=NOT_AVAILABLE)

    async def open_actions(self, uow: UnitOfWork, cases: list[Case]) -> list[OpenAction]:
        return []
