"""How a review looks on cards: the review card (personal chat) and the channel notices. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot_app.cases.views import CaseViews
from cards.base import Card
from cards.review import (
    MilestoneRow,
    ReviewCardView,
    ReviewNoticeView,
    review_card,
    review_notice_card,
)
from safeguarding import reviews as rv
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Case, Stage
from safeguarding.clocks import format_day
from safeguarding.policy import Action, can
from safeguarding.reviews import Review, ReviewKind, ReviewRules
from safeguarding.roles import Person

NO_REVIEW = (
    "No review has been started on case {reference} yet: the review track starts with the "
    "partners' decision to hold a local CSPR or a local learning review, or the Panel's "
    "decision to hold a national review."
)
OPEN_SENT = "I've sent the review card to you in a personal chat."
STEP_OUTSIDE_PERSONAL = (
    "The review is run from its card in your personal chat: type **review <reference>** "
    "there. Nothing was changed."
)
MONITORING_PROMPTS = (
    "Safeguarding partners: please check the review's **time** - is it on track to be "
    "completed by its due date? - and its **quality**: the reviewer's work, the practitioners' "
    "and the family's involvement.",
    "The detail is in the review card, in a personal chat.",
)


class ReviewViews:
    def __init__(self, case_views: CaseViews) -> None:
        self.case_views = case_views
        s = case_views.settings
        self.rules = ReviewRules(calendar=s.calendar, table=s.clocks, convention=s.convention)

    @property
    def calendar(self) -> WorkingDayCalendar:
        return self.case_views.settings.calendar

    def due_line(self, case: Case, review: Review, today: date) -> tuple[str, str]:
        """The review's deadline and how it stands today, as the case card shows it."""
        deadline = self.rules.review_deadline(review)
        clock = next(
            (c for c in self.case_views.clocks(case, today) if c.rule.id == deadline.rule.id),
            None,
        )
        state = self.case_views.clock_line(clock, today).state if clock else "not running"
        return format_day(deadline.due), state

    def card(
        self,
        case: Case,
        reader: Person,
        today: date,
        *,
        people: Sequence[tuple[str, str]] = (),
        notice: str | None = None,
        warning: str | None = None,
        confirm_publish_on: date | None = None,
    ) -> Card:
        review = rv.review_of(case)
        assert review is not None, "callers check a review was started"
        return review_card(
            self.view(
                case,
                review,
                reader,
                today,
                people=people,
                notice=notice,
                warning=warning,
                confirm_publish_on=confirm_publish_on,
            )
        )

    def view(
        self,
        case: Case,
        review: Review,
        reader: Person,
        today: date,
        *,
        people: Sequence[tuple[str, str]] = (),
        notice: str | None = None,
        warning: str | None = None,
        confirm_publish_on: date | None = None,
    ) -> ReviewCardView:
        manage = can(reader, Action.MANAGE_REVIEW) and rv.is_active(case)
        details = can(reader, Action.VIEW_CASE_DETAILS)
        due, due_state = self.due_line(case, review, today)
        local = review.kind is ReviewKind.LOCAL
        unpublished = review.published_on is None
        completed = review.completed_on is not None
        recorded = [(p.kind.value, p.kind.label) for p in review.processes]
        standing = warning
        if standing is None and review.publication is not None and unpublished:
            standing = rv.publication_warning(
                review.publication.publish_on, self.rules.copy_by(review.publication), today, review
            )
            if standing is None and review.publication.breaks_rule:
                standing = (
                    "This publication date was recorded although it breaks the 7-working-day "
                    "rule; the breach is on the record."
                )
            elif standing is not None:
                standing = (
                    "The last day to send the final report to the Panel, the Secretary of "
                    f"State and Ofsted ({format_day(self.rules.copy_by(review.publication))}) "
                    "has passed "
                    "and not all three have it: the planned publication date breaks the "
                    "7-working-day rule. Defer or re-plan publication."
                )
        return ReviewCardView(
            reference=str(case.reference),
            stage=case.stage.label,
            kind=review.kind.label,
            started=format_day(review.started_on),
            due=due,
            due_state=due_state,
            version=review.version,
            today=today.isoformat(),
            milestones=[_row(state, today, manage) for state in review.milestones],
            lead=review.lead.name if review.lead else None,
            joint=f"With the {review.joint_with.label}: one timetable, due as the review is"
            if review.joint_with
            else None,
            family=_family(review) if details and review.family else None,
            publication=_publication(review, details, self.rules),
            warning=standing,
            confirm_publish_on=confirm_publish_on.isoformat() if confirm_publish_on else None,
            processes=[
                (
                    p.kind.label,
                    f"Led by {p.lead_agency}; {p.status.label.lower()}"
                    + (f"; contact: {p.contact}" if details and p.contact else ""),
                )
                for p in review.processes
            ],
            responses=[
                f"{r.partner}, {format_day(r.responded_on)}"
                + (f": {r.summary}" if details and r.summary else "")
                for r in review.responses
            ],
            notice=notice,
            people=list(people),
            process_kinds=[(k.value, k.label) for k in rv.ProcessKind],
            process_statuses=[(s.value, s.label) for s in rv.ProcessStatus],
            recorded_processes=recorded,
            joint_choices=[
                (k, label)
                for k, label in recorded
                if rv.ProcessKind(k) in rv.JOINT_WITH and review.joint_with is None
            ]
            if manage and review.kind is not ReviewKind.NATIONAL
            else [],
            copy_recipients=[(r.value, r.label) for r in rv.Recipient if r not in review.copies]
            if manage and local and completed and unpublished
            else [],
            can_manage=manage,
            can_complete_national=manage
            and review.kind is ReviewKind.NATIONAL
            and not completed
            and unpublished,
            can_plan_publication=manage and local and unpublished,
            can_checklist=manage
            and local
            and completed
            and unpublished
            and not review.checklist_confirmed,
            can_publish=manage
            and unpublished
            and (
                review.kind is ReviewKind.NATIONAL
                or (
                    local
                    and completed
                    and review.checklist_confirmed
                    and review.all_copied
                    and review.publication is not None
                    and case.stage is Stage.LOCAL_REVIEW
                )
            ),
            can_defer=manage
            and local
            and unpublished
            and review.publication is not None
            and bool(review.processes),
            can_respond=can(reader, Action.RESPOND_NATIONAL_FINDINGS)
            and review.kind is ReviewKind.NATIONAL
            and review.published_on is not None
            and all(r.partner != reader.name for r in review.responses),
            notes=_notes(case, review),
        )

    def notice(
        self, case: Case, today: date, *, headline: str = "", prompts: Sequence[str] = ()
    ) -> Card:
        """For a channel: the reference, the stage and the review's deadline only."""
        review = rv.review_of(case)
        assert review is not None
        due, state = self.due_line(case, review, today)
        return review_notice_card(
            ReviewNoticeView(
                reference=str(case.reference),
                stage=case.stage.label,
                due=f"{due} ({state})",
                headline=headline,
                prompts=prompts,
            )
        )

    def monitoring(self, case: Case, review: Review, period: int, today: date) -> Card:
        behind = len(review.behind(today))
        lines = list(MONITORING_PROMPTS)
        if behind:
            lines.insert(
                1, f"{behind} milestone{'s are' if behind > 1 else ' is'} past its target."
            )
        return self.notice(
            case,
            today,
            headline=f"Review monitoring, month {period}: case {case.reference}",
            prompts=lines,
        )

    def deferral_due(self, case: Case, review_on: date, today: date) -> Card:
        return self.notice(
            case,
            today,
            headline=f"Deferred publication to review: case {case.reference}",
            prompts=(
                f"{format_day(review_on)} was set as the day to look again at the deferred "
                "publication of this review: re-plan publication or defer it again.",
                "The detail is in the review card, in a personal chat.",
            ),
        )


def _row(state: rv.MilestoneState, today: date, manage: bool) -> MilestoneRow:
    if state.done_on is not None:
        done = f"Done on {format_day(state.done_on)}" + (
            f" ({state.done_by})" if state.done_by else ""
        )
    elif state.behind(today):
        done = "Not yet: past its target"
    else:
        done = "Not yet"
    return MilestoneRow(
        key=state.milestone.value,
        label=state.label,
        owner=state.owner.name if state.owner else "Not set",
        target=format_day(state.target_on) if state.target_on else "Not set",
        done=done,
        behind=state.behind(today),
        can_plan=manage and state.done_on is None,
        can_mark=manage and state.done_on is None,
    )


def _family(review: Review) -> list[tuple[str, str]]:
    family = review.family
    assert family is not None
    invited = (
        f"Yes, on {format_day(family.invited_on)}" if family.invited and family.invited_on else "No"
    )
    return [
        ("Invited", invited),
        ("Surviving children invited", "Yes" if family.children_invited else "No"),
        (
            "How their views were included" if family.invited else "Why not",
            family.how or "(no longer held: erased under the retention policy)",
        ),
        ("Recorded by", family.recorded_by),
    ]


def _publication(review: Review, details: bool, rules: ReviewRules) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    plan = review.publication
    if plan is not None:
        lines.append(("Publication planned", format_day(plan.publish_on)))
        if plan.deferral is not None:
            d = plan.deferral
            lines.append(
                (
                    "Deferred",
                    f"Because of the {d.process.label.lower()}; the deferral is reviewed on "
                    f"{format_day(d.review_on)}"
                    + (f". Reason: {d.reason}" if details and d.reason else ""),
                )
            )
        lines.append(
            (
                "Final report to the Panel, the Secretary of State and Ofsted by",
                f"{format_day(rules.copy_by(plan))} (at least 7 working days before publication)",
            )
        )
    if review.kind is ReviewKind.LOCAL and (plan is not None or review.completed_on):
        for recipient in rv.Recipient:
            sent = review.copies.get(recipient)
            lines.append(
                (
                    f"Sent to {recipient.label}",
                    format_day(sent) if sent else "Not yet recorded",
                )
            )
        lines.append(
            (
                "Required content confirmed",
                "Yes: a summary of recommended improvements, and an analysis of systemic or "
                "underlying reasons"
                if review.checklist_confirmed
                else "Not yet",
            )
        )
    if review.published_on is not None:
        who = "Published by the Panel" if review.kind is ReviewKind.NATIONAL else "Published"
        lines.append((who, format_day(review.published_on)))
    if review.keep_until is not None:
        lines.append(("Keep published until at least", format_day(review.keep_until)))
    return lines


def _notes(case: Case, review: Review) -> list[str]:
    notes: list[str] = []
    if review.kind is ReviewKind.NATIONAL:
        notes.append(
            "The Child Safeguarding Practice Review Panel leads this review. The partnership "
            "tracks its publication and records the partners' response to its findings."
        )
    if review.kind is ReviewKind.LEARNING:
        notes.append(
            "A local learning review is lighter than a CSPR and is not published as one: its "
            "learning goes to the action plan."
        )
    if (
        case.stage in {Stage.PARTNERS_DECISION, Stage.WITH_PANEL}
        and review.kind is ReviewKind.LOCAL
    ):
        notes.append(
            "The review runs from the partners' decision and does not wait for the Panel; the "
            "rapid review still goes to the Panel."
        )
    return notes
