"""The follow-up sweep: a scheduler pass that chases every open action's owner.

Each tick reads only the actions due a look (``next_follow_up_at <= now``, through its
index), a keyset page at a time until none is left - no cap on how many there are. For each,
in its own unit of work (one that fails is logged and the others go on):

1. the action is read again (it may have changed since the page was read);
2. the follow-up due now is derived (``due_follow_up``: before, on or after the due day;
   after downtime only the latest missed one, marked late; none once done or closed);
3. it is stored under its key *before* its messages are queued, in the same transaction, so
   of two workers or two ticks exactly one sends it - once, never twice;
4. the action's next look is written back, unless it changed meanwhile.

Time comes only from the tick.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Final

from bot_app.action_plans.messages import ActionPlanMessages
from bot_app.action_plans.views import ActionPlanViews
from bot_app.core.transactions import Transactions
from safeguarding.action_plans import due_follow_up, next_follow_up_at
from storage.action_plans import DueAction
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

PAGE_SIZE: Final = 200


class ActionFollowUps:
    """``tick(now)`` is the scheduler pass; ``now`` is the scheduler's, never the wall clock."""

    def __init__(
        self,
        *,
        tx: Transactions,
        views: ActionPlanViews,
        messages: ActionPlanMessages,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._tx = tx
        self._views = views
        self._messages = messages
        self._page_size = page_size

    async def tick(self, now: datetime) -> int:
        """Send the follow-ups due at ``now``; how many were sent."""
        sent = 0
        after: DueAction | None = None
        while True:
            page = await self._tx.read(
                partial(_due_page, now=now, after=after, limit=self._page_size)
            )
            for due in page:
                try:
                    sent += await self._tx.run(partial(self._follow_up, due=due, now=now))
                except Exception:
                    log.exception(
                        "follow-up of %s action %d failed; the others go on",
                        due.case_reference,
                        due.number,
                    )
            if len(page) < self._page_size:
                return sent
            after = page[-1]

    async def _follow_up(self, uow: UnitOfWork, *, due: DueAction, now: datetime) -> int:
        settings = self._views.settings
        action = await uow.action_plans.find(due.case_reference, due.number)
        if action is None:
            return 0
        sent = 0
        chosen = due_follow_up(
            action,
            now=now,
            sent=await uow.action_plans.follow_up_keys(action.case_reference, action.number),
            policy=settings.follow_ups,
            calendar=settings.calendar,
        )
        if chosen is not None and await uow.action_plans.record_follow_up(
            action.case_reference, action.number, chosen.follow_up, late=chosen.late, now=now
        ):
            await self._messages.follow_up(uow, action, chosen, now=now)
            log.info(
                "follow-up %s queued%s",
                chosen.follow_up.key(action.case_reference, action.number),
                " (late)" if chosen.late else "",
            )
            sent = 1
        await uow.action_plans.reschedule(
            action.case_reference,
            action.number,
            revision=action.revision,
            next_at=next_follow_up_at(
                action, now=now, policy=settings.follow_ups, calendar=settings.calendar
            ),
        )
        return sent


async def _due_page(
    uow: UnitOfWork, *, now: datetime, after: DueAction | None, limit: int
) -> list[DueAction]:
    return await uow.action_plans.due(now, after=after, limit=limit)
