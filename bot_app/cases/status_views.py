"""The answers to the case queries: the ``status`` card, the ``cases`` list, the
``deadlines`` list, and who acts next.

Apart from the Hub card (``views.py``) because only the case queries show them; they read
the case through the same clocks and labels, so a case reads the same on every card. Pure:
no storage, no Teams.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from bot_app.cases.views import CaseViews, detail_pairs, may_record_panel, route_label
from cards.case import CaseListItem, DeadlineItem, StatusView
from safeguarding import closure, panel, reviews
from safeguarding import rapid_review as rr
from safeguarding.case import Case, Stage
from safeguarding.clocks import format_day

DEADLINE_HORIZON_WORKING_DAYS = 10


def status_view(
    views: CaseViews, case: Case, today: date, details: Mapping[str, str] | None
) -> StatusView:
    """The ``status`` card: the Hub card's facts, when it opened, what happens next."""
    view = views.card_view(case, today)
    return StatusView(
        reference=view.reference,
        route=view.route,
        stage=view.stage,
        agency=view.agency,
        opened=format_day(views.settings.calendar.local_date(case.opened_at)),
        clocks=view.clocks,
        next_step=next_step(case),
        details=detail_pairs(details) if details is not None else None,
        review=review_lines(case, today),
    )


def review_lines(case: Case, today: date) -> list[tuple[str, str]]:
    """The review after the decision, in a few lines safe for any reader of the case: no
    owner, contact or family's views (those are on the ``review`` card, in personal chat)."""
    review = reviews.review_of(case)
    if review is None:
        return []
    kind = review.kind.label
    if review.joint_with is not None:
        kind += f", held jointly with the {review.joint_with.label}"
    lines = [("Review", kind), ("Review started", format_day(review.started_on))]
    if review.milestones:
        done = sum(1 for s in review.milestones if s.done_on is not None)
        behind = len(review.behind(today))
        lines.append(
            (
                "Milestones",
                f"{done} of {len(review.milestones)} done"
                + (f"; {behind} past its target" if behind else ""),
            )
        )
    if review.completed_on is not None:
        lines.append(("Review completed", format_day(review.completed_on)))
    plan = review.publication
    if plan is not None and review.published_on is None:
        lines.append(
            (
                "Publication planned",
                f"{format_day(plan.publish_on)}; final report to the Panel, the Secretary of "
                "State and Ofsted "
                + (
                    f"by {format_day(plan.copy_by)}"
                    if plan.copy_by
                    else "at least 7 working days before"
                )
                + (" (deferred)" if plan.deferral else ""),
            )
        )
    if review.published_on is not None:
        keep = review.keep_until
        until = f"; stays published until at least {format_day(keep)}" if keep else ""
        lines.append(("Published", format_day(review.published_on) + until))
    if review.processes:
        lines.append(
            (
                "Parallel processes",
                "; ".join(f"{p.kind.label} ({p.status.label.lower()})" for p in review.processes),
            )
        )
    lines.append(("More", f"Type **review {case.reference}** for the review card."))
    return lines


def case_list(views: CaseViews, cases: Sequence[Case], today: date) -> list[CaseListItem]:
    """One line per open case, with the clock that falls due first."""
    items = []
    for case in cases:
        open_clocks = [c for c in views.clocks(case, today) if c.status.is_open]
        next_due = min(open_clocks, key=lambda c: c.deadline.due, default=None)
        items.append(
            CaseListItem(
                reference=str(case.reference),
                stage=case.stage.label,
                route=route_label(case),
                next_due=f"{next_due.title}, {format_day(next_due.deadline.due)}"
                if next_due
                else "nothing",
            )
        )
    return items


def deadline_horizon(views: CaseViews, today: date) -> date:
    return views.settings.calendar.add_working_days(today, DEADLINE_HORIZON_WORKING_DAYS)


def deadline_list(
    views: CaseViews, cases: Sequence[Case], today: date, horizon: date
) -> list[DeadlineItem]:
    """Every open clock due by ``horizon`` (overdue ones too), soonest first."""
    due: list[tuple[date, DeadlineItem]] = []
    for case in cases:
        for clock in views.clocks(case, today):
            if clock.status.is_open and clock.deadline.due <= horizon:
                line = views.clock_line(clock, today)
                due.append(
                    (
                        clock.deadline.due,
                        DeadlineItem(
                            reference=str(case.reference),
                            clock=clock.title,
                            due=line.due,
                            state=line.state,
                            alarming=line.alarming,
                        ),
                    )
                )
    due.sort(key=lambda pair: pair[0])
    return [item for _, item in due]


_NEXT_STEPS = {
    Stage.PANEL_NOTIFIED: "The Hub starts the rapid review and asks the agencies for their "
    "reports.",
    Stage.LOCAL_REVIEW: "The partners commission the reviewer(s); the review is due within 6 "
    "months of their decision. The Hub records the Panel's answer when it comes.",
    Stage.RAPID_REVIEW: "The agencies send their reports; the Hub then opens the CSPR Group vote.",
    Stage.RECOMMENDATION: "The CSPR Group votes a recommendation (the Hub closes the vote).",
    Stage.PARTNERS_DECISION: "The safeguarding partners confirm or challenge the recommendation; "
    "the Hub then sends the rapid review to the Panel.",
    Stage.WITH_PANEL: "The Panel answers; the Hub records its decision.",
    Stage.LEARNING_REVIEW: "The CSPR Group runs the local learning review to its target; its "
    "learning goes to the action plan.",
    Stage.NATIONAL_REVIEW: "The Panel leads the national review; the Hub records its "
    "publication and the partners respond to its findings.",
    Stage.PUBLISHED: "The published findings feed the action plan.",
    Stage.CLOSED: "None: the case is closed.",
}


def next_step(case: Case) -> str:
    """Who acts next, in the order Working Together sets for a notified incident."""
    if closure.closed_as_not_met(case) is not None:
        return (
            "None: the partners' representatives decided the criteria are not met. A "
            "difference of opinion may still be raised; if upheld, the case reopens."
        )
    if closure.pending_proposal(case) is not None:
        return "The partners' representatives confirm or challenge the Hub's proposal to close it."
    if case.stage is Stage.NOTIFIED:
        if may_record_panel(case):
            return "The Hub notifies the Panel and records it here."
        if panel.statutory_notices(case):
            return "The Hub notifies the Secretary of State and Ofsted and records it here."
        return "The Hub decides how to proceed."
    state = rr.state_of(case)
    if case.stage is Stage.WITH_PANEL and state.panel_decision == rr.PanelDecision.OTHER.value:
        return (
            "The Panel answered 'Other' (its note is on the case record): the Hub follows it up "
            "and records the Panel's decision when it is final. The partners' decision stands "
            "meanwhile."
        )
    if case.stage is Stage.PARTNERS_DECISION and state.confirmed and may_record_panel(case):
        return (
            "Before the rapid review goes to the Panel, the Hub records the Panel notification "
            "(or why the Panel was not notified)."
        )
    return _NEXT_STEPS.get(case.stage, f"Continue the {case.stage.label.lower()}.")
