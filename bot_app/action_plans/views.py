"""Action plans as people see them: the plan card, the lists, follow-ups and receipts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from cards.action_plan import (
    ActionLine,
    ActionsView,
    FollowUpView,
    ListedAction,
    PlanView,
)
from cards.reminder import when
from safeguarding.action_plans import (
    ActionPlan,
    FollowUpKind,
    FollowUpPolicy,
    PlanAction,
    PlanOwner,
)
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Case
from safeguarding.clocks import format_day
from safeguarding.roles import Person, Role


@dataclass(frozen=True)
class PlanSettings:
    """The partnership's choices for action plans (from the composition root)."""

    calendar: WorkingDayCalendar
    default_owner: PlanOwner
    follow_ups: FollowUpPolicy


class ActionPlanViews:
    def __init__(self, settings: PlanSettings) -> None:
        self.settings = settings

    @property
    def calendar(self) -> WorkingDayCalendar:
        return self.settings.calendar

    def plan(
        self, case: Case, plan: ActionPlan, person: Person, today: date, notice: str | None = None
    ) -> PlanView:
        manage = plan.may_manage(person)
        signed = plan.signed_off
        return PlanView(
            reference=plan.case_reference,
            stage=case.stage.label,
            owner=plan.owner.label,
            owner_value=plan.owner.value,
            owner_choices=[(owner.label, owner.value) for owner in PlanOwner],
            signed_off=(
                f"Signed off at the Children's MARS Board on {format_day(signed.board_on)} "
                f"(recorded by {signed.signed_by.name})"
                if signed
                else None
            ),
            closed=(
                f"Closed {self.when(plan.closed_at)} by {plan.closed_by.name}"
                if plan.closed_at and plan.closed_by
                else None
            ),
            actions=[
                ActionLine(
                    number=a.number,
                    description=a.text,
                    agency=a.agency,
                    owner=a.owner.name,
                    due=format_day(a.due_on),
                    status=a.status.label,
                    revision=a.revision,
                    overdue=a.is_overdue(today),
                    national=a.national,
                    evidence=a.evidence,
                    closed_reason=a.closed_reason,
                    is_open=a.is_open,
                    can_update=plan.may_update(person, a) and case.is_open,
                    can_close=manage and case.is_open,
                )
                for a in plan.actions
            ],
            can_manage=manage and case.is_open,
            can_sign_off=person.has(Role.PARTNER) and case.is_open,
            notice=notice,
        )

    def listed(self, actions: Sequence[PlanAction], today: date) -> list[ListedAction]:
        return [
            ListedAction(
                reference=a.case_reference,
                number=a.number,
                description=a.text,
                agency=a.agency,
                owner=a.owner.name,
                due=format_day(a.due_on),
                status=a.status.label,
                overdue=a.is_overdue(today),
            )
            for a in actions
        ]

    def actions(
        self,
        title: str,
        empty: str,
        actions: Sequence[PlanAction],
        today: date,
        others: Sequence[str],
    ) -> ActionsView:
        return ActionsView(
            title=title, empty=empty, actions=self.listed(actions, today), other_views=others
        )

    def follow_up(
        self, action: PlanAction, kind: FollowUpKind, *, now: datetime, late: bool
    ) -> FollowUpView:
        today = self.calendar.local_date(now)
        if kind is FollowUpKind.BEFORE:
            left = self.calendar.count_working_days(today, action.due_on)
            headline = f"Action due in {left} working day{'s' if left != 1 else ''}"
        elif kind is FollowUpKind.DUE:
            headline = "Action due today" if today >= action.due_on else "Action due"
        else:
            headline = "Action overdue"
        return FollowUpView(
            reference=action.case_reference,
            number=action.number,
            headline=headline,
            description=action.text,
            agency=action.agency,
            due=format_day(action.due_on),
            status=action.status.label,
            late_note="Sent late: the service was unavailable when it was due." if late else None,
        )

    def when(self, moment: datetime) -> str:
        """ "at 10:04 on Tuesday 1 December 2026", in the partnership's time."""
        return f"at {when(moment.astimezone(self.calendar.timezone))}"

    def receipt(self, what: str, person: Person, moment: datetime) -> str:
        """What was done, by whom, when: every action answers with one."""
        return f"{what} by {person.name or 'you'} {self.when(moment)}."
