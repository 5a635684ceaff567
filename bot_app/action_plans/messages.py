"""Who is told what about an action, and under which outbox keys.

A follow-up goes to the action's owner in personal chat and, when the owning agency has a
channel registered, as one privacy-safe line there (reference, action number, due date).
Both are queued under keys derived from the follow-up's own key, so a second worker or a
second tick queues nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from bot_app.action_plans.views import ActionPlanViews
from bot_app.core.posting import post_to_channel, post_to_person
from cards.action_plan import agency_line, agency_line_card, follow_up_card, follow_up_summary
from safeguarding.action_plans import DueFollowUp, PlanAction
from safeguarding.clocks import format_day
from safeguarding.reminders import ChannelPurpose
from storage.uow import UnitOfWork


def follow_up_key(action: PlanAction, due: DueFollowUp) -> str:
    return f"action-follow-up:{due.follow_up.key(action.case_reference, action.number)}"


class ActionPlanMessages:
    def __init__(self, *, views: ActionPlanViews) -> None:
        self._views = views

    async def follow_up(
        self, uow: UnitOfWork, action: PlanAction, due: DueFollowUp, *, now: datetime
    ) -> None:
        key = follow_up_key(action, due)
        view = self._views.follow_up(action, due.follow_up.kind, now=now, late=due.late)
        await post_to_person(
            uow,
            action.owner.id,
            follow_up_card(view),
            f"{key}:owner",
            action.case_reference,
            now=now,
            summary=follow_up_summary(view),
        )
        # Only the agency's own channel: the Hub's is not a stand-in for this line.
        if await uow.channels.for_purpose(ChannelPurpose.AGENCY, action.agency) is None:
            return
        due_on = format_day(action.due_on)
        await post_to_channel(
            uow,
            ChannelPurpose.AGENCY,
            agency_line_card(action.case_reference, action.number, due_on),
            f"{key}:agency",
            action.case_reference,
            now=now,
            agency=action.agency,
            summary=agency_line(action.case_reference, action.number, due_on),
        )
