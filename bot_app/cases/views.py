"""How a case looks on cards: the Hub card, its clocks, and the dates the Panel expects.

Public to every feature whose changes show on the case card (the rapid review, differences
of opinion): they answer a stale or repeated press with the same card, and show the same
clock lines, so a case reads the same wherever it appears. Pure: no storage, no Teams.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from cards.case import (
    CaseCardView,
    CaseListItem,
    ClockLine,
    DeadlineItem,
    DetailsView,
    StatusView,
)
from safeguarding import disputes, milestones
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Case, Stage
from safeguarding.case_clocks import CaseClock, ClockStatus, case_clocks
from safeguarding.clocks import ClockId, ClockRule, clock_rule, compute_deadline, format_day
from safeguarding.disputes import DisputePolicy
from safeguarding.notification import LABELS, Route
from safeguarding.rapid_review import can_start as can_start_rapid_review

# Offered when the partnership's directory file lists no agencies.
DEFAULT_AGENCIES = (
    "Children's social care (council)",
    "Health (ICB)",
    "Hospital trust",
    "GP / primary care",
    "Police",
    "School or college",
    "Early years",
    "Voluntary sector",
    "Other",
)

CRITERIA_NOT_MET = "case.criteria_not_met"
NOTHING_SENT = (
    "That notification was cancelled or has expired, so nothing was sent. "
    "Type **notify** to start a new one."
)


def already_sent(reference: str) -> str:
    """The answer to a notification sent twice (a double press, a redelivered activity)."""
    return (
        f"This notification was already sent as **{reference}**, so nothing was created "
        f"twice. Type **status {reference}** to see where it is."
    )


@dataclass(frozen=True)
class CaseSettings:
    reference_prefix: str
    calendar: WorkingDayCalendar
    clocks: tuple[ClockRule, ...]
    convention: CountingConvention
    hub_contact: str
    # The stage targets of the escalation protocol, for the card's "open difference of
    # opinion" line.
    dispute_policy: DisputePolicy = field(default_factory=DisputePolicy)


class CaseViews:
    """The case card and its clock lines, from the partnership's calendar and clock table."""

    def __init__(self, settings: CaseSettings) -> None:
        self.settings = settings

    def panel_due(self, aware_on: date) -> date:
        """When the national Panel must be told of a serious incident (Working Together)."""
        s = self.settings
        rule = clock_rule(ClockId.PANEL_NOTIFICATION, s.clocks)
        return compute_deadline(rule, aware_on, s.calendar, s.convention).due

    def clocks(self, case: Case, today: date) -> list[CaseClock]:
        s = self.settings
        return case_clocks(
            case, today=today, calendar=s.calendar, table=s.clocks, convention=s.convention
        )

    def clock_line(self, clock: CaseClock, today: date) -> ClockLine:
        """How one deadline stands today; the rapid review's tracker shows the same lines."""
        due = format_day(clock.deadline.due)
        status = clock.status
        if status is ClockStatus.MET and clock.met_on:
            return ClockLine(clock.title, due, f"Met on {format_day(clock.met_on)}")
        if status is ClockStatus.MET_LATE and clock.met_on:
            return ClockLine(clock.title, due, f"Met late, on {format_day(clock.met_on)}", True)
        if status is ClockStatus.STOPPED:
            return ClockLine(clock.title, due, "Stopped (case closed)")
        left = clock.deadline.working_days_left(today, self.settings.calendar)
        if status is ClockStatus.DUE_TODAY:
            return ClockLine(clock.title, due, "Due today", True)
        if status is ClockStatus.OVERDUE:
            return ClockLine(
                clock.title, due, f"Overdue by {-left} working day{'s' if left < -1 else ''}", True
            )
        return ClockLine(clock.title, due, f"{left} working day{'s' if left != 1 else ''} left")

    def card_view(self, case: Case, today: date) -> CaseCardView:
        """The Hub card's view; other features answer a stale or repeated press with it."""
        notified = next((e for e in case.events if e.kind == milestones.PANEL_NOTIFIED), None)
        closed = next((e for e in case.events if e.kind == CRITERIA_NOT_MET), None)
        note = notified.what if notified else None
        if closed is not None:
            note = f"Closed by {closed.actor.name}: criteria not met."
        return CaseCardView(
            reference=str(case.reference),
            route=route_label(case),
            stage=case.stage.label,
            agency=str(case.facts.get("agency", "")),
            clocks=[self.clock_line(c, today) for c in self.clocks(case, today)],
            today=today.isoformat(),
            can_record_panel=case.stage is Stage.NOTIFIED
            and case.facts.get("route") == Route.SERIOUS.value,
            can_close_not_met=case.stage is Stage.NOTIFIED,
            can_start_rapid_review=can_start_rapid_review(case),
            note=note,
            disputes=disputes.case_card_line(
                case, self.settings.calendar, self.settings.dispute_policy
            ),
            can_disagree=case.is_open,
        )


def route_label(case: Case) -> str:
    """The route advised when the case was notified, as people read it."""
    try:
        return Route(case.facts.get("route", "")).label
    except ValueError:
        return "Not recorded"


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
    )


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


def details_view(case: Case, stored: Mapping[str, str]) -> DetailsView:
    """What identifies the child and what happened: for a personal chat only."""
    facts = case.facts
    child = facts.get("child", {})
    return DetailsView(
        reference=str(case.reference),
        pairs=detail_pairs(stored),
        facts=[
            ("Incident", format_day(date.fromisoformat(facts["incident_on"]))),
            ("What happened", LABELS.get(facts.get("outcome", ""), "-")),
            ("Abuse or neglect", LABELS.get(facts.get("abuse_or_neglect", ""), "-")),
            (
                "Nature of harm",
                ", ".join(LABELS.get(h, h) for h in facts.get("harm_types", [])) or "-",
            ),
            ("Age", LABELS.get(child.get("age_band", ""), "-")),
            (
                "Notified by",
                f"{facts.get('notifier_name', '-')}, {facts.get('notifier_role', '-')}",
            ),
        ],
        summary=stored.get("summary", ""),
    )


def detail_pairs(stored: Mapping[str, str]) -> list[tuple[str, str]]:
    pairs = [("Initials", stored.get("initials") or "Not given")]
    if stored.get("full_name"):
        pairs.append(("Full name", stored["full_name"]))
    pairs.append(("Summary", stored.get("summary") or "Not given"))
    return pairs


_NEXT_STEPS = {
    Stage.PANEL_NOTIFIED: "The Hub starts the rapid review and asks the agencies for their "
    "reports.",
    Stage.RAPID_REVIEW: "The agencies send their reports; the Hub then opens the CSPR Group vote.",
    Stage.RECOMMENDATION: "The CSPR Group votes a recommendation (the Hub closes the vote).",
    Stage.PARTNERS_DECISION: "The safeguarding partners confirm or challenge the recommendation; "
    "the Hub then sends the rapid review to the Panel.",
    Stage.WITH_PANEL: "The Panel answers; the Hub records its decision.",
    Stage.CLOSED: "None: the case is closed.",
}


def next_step(case: Case) -> str:
    """Who acts next, in the order Working Together sets for a notified incident."""
    if case.stage is Stage.NOTIFIED:
        if case.facts.get("route") == Route.SERIOUS.value:
            return "The Hub notifies the Panel and records it here."
        return "The Hub decides how to proceed."
    return _NEXT_STEPS.get(case.stage, f"Continue the {case.stage.label.lower()}.")
