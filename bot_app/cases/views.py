"""How a case looks on cards: the Hub card, its clocks, the details card, and the dates the
Panel expects.

Public to every feature whose changes show on the case card (the rapid review, differences
of opinion): they answer a stale or repeated press with the same card, and show the same
clock lines and details, so a case reads the same wherever it appears. The case queries'
own cards (status, cases, deadlines) are in ``status_views.py``. Pure: no storage, no Teams.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from cards.case import CaseCardView, ClockLine, ClosureView, CorrectionView, DetailsView
from safeguarding import closure, corrections, disputes, milestones, panel
from safeguarding import rapid_review as rr
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import CORRECTED, Case, Stage
from safeguarding.case_clocks import CaseClock, ClockStatus, case_clocks
from safeguarding.clocks import ClockId, ClockRule, clock_rule, compute_deadline, format_day
from safeguarding.disputes import DisputePolicy
from safeguarding.notification import (
    LABELS,
    SERIOUS_HARM_GUIDANCE,
    AbuseOrNeglect,
    AgeBand,
    HarmType,
    Outcome,
    Route,
)

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

CRITERIA_NOT_MET = closure.DECIDED
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
        return self.due(ClockId.PANEL_NOTIFICATION, aware_on)

    def due(self, clock_id: ClockId, start: date) -> date:
        s = self.settings
        rule = clock_rule(clock_id, s.clocks)
        return compute_deadline(rule, start, s.calendar, s.convention).due

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
        if status is ClockStatus.WAIVED:
            return ClockLine(clock.title, due, "Not notified: the reason is on the record")
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
        note = notified.what if notified else None
        decided = closure.closed_as_not_met(case)
        if decided is not None:
            note = "Closed: the partners' representatives decided the criteria are not met."
        statutory = [
            (str(n), f"The {panel.NOTICE_LABELS[n]}: due {format_day(self.due(n, case.aware_on))}.")
            for n in panel.statutory_notices(case)
            if panel.statutory_notified(case, n) is None
        ]
        return CaseCardView(
            reference=str(case.reference),
            route=route_label(case),
            stage=case.stage.label,
            agency=str(case.facts.get("agency", "")),
            clocks=[self.clock_line(c, today) for c in self.clocks(case, today)],
            today=today.isoformat(),
            can_record_panel=may_record_panel(case),
            can_close_not_met=closure.may_propose(case),
            can_start_rapid_review=rr.can_start(case),
            note=note,
            disputes=disputes.case_card_line(
                case, self.settings.calendar, self.settings.dispute_policy
            ),
            can_disagree=case.is_open or decided is not None,
            notes=record_notes(case, self.settings.calendar),
            can_correct=case.is_open,
            statutory=statutory if case.is_open else [],
        )

    def correction_view(self, case: Case, today: date, notice: str | None = None) -> CorrectionView:
        """The correction form, filled in with the case as it stands."""
        facts = case.facts
        child = facts.get("child") or {}

        def flag(value: object) -> str:
            return "true" if value else "false"

        age = child.get("care_leaver_age")
        return CorrectionView(
            reference=str(case.reference),
            today=today.isoformat(),
            current={
                "route": str(facts.get("route", "")),
                "aware_on": case.aware_on.isoformat(),
                "incident_on": case.incident_on.isoformat() if case.incident_on else "",
                "outcome": str(facts.get("outcome", "")),
                "abuse": str(facts.get("abuse_or_neglect", "")),
                "harm_types": ",".join(facts.get("harm_types", [])),
                "age_band": str(child.get("age_band", "")),
                "looked_after": flag(child.get("looked_after")),
                "cp_plan": flag(child.get("child_protection_plan")),
                "eotas": flag(child.get("educated_otherwise")),
                "child_perpetrator": flag(child.get("child_perpetrator")),
                "care_leaver": flag(child.get("care_leaver")),
                "care_leaver_age": "" if age is None else str(age),
                "outside_england": flag(facts.get("harmed_outside_england")),
            },
            routes=[(r.value, r.label) for r in Route],
            choices={
                key: [(v.value, LABELS[v]) for v in enum]
                for key, enum in (
                    ("outcome", list(Outcome)),
                    ("abuse", list(AbuseOrNeglect)),
                    ("harm_types", list(HarmType)),
                    ("age_band", list(AgeBand)),
                )
            },
            guidance=SERIOUS_HARM_GUIDANCE,
            can_record_why_not=may_record_panel(case),
            notice=notice,
        )


def may_record_panel(case: Case) -> bool:
    """Any open case where the serious-case definition may apply, until it is settled."""
    return case.is_open and rr.may_be_serious(case) and not panel.panel_settled(case)


def closure_view(case: Case, number: int, required: int) -> ClosureView:
    """The representatives' card about one proposal to close the case."""
    proposal = next(p for p in closure.proposals_of(case) if p.number == number)
    decided = None
    if proposal.decided:
        decided = "Decided: the criteria are not met, and the case is closed."
    elif proposal.challenged_by is not None:
        decided = f"Challenged by {proposal.challenged_by.name}: the case stays open."
    elif case.stage is not Stage.NOTIFIED:
        decided = f"The case has moved on to '{case.stage.label}': the proposal no longer applies."
    return ClosureView(
        reference=str(case.reference),
        number=number,
        proposed_by=proposal.proposed_by.name,
        reason=proposal.reason or "(no longer held: erased under the retention policy)",
        confirmed_by=list(proposal.confirmations.values()),
        required=required,
        decided=decided,
    )


def record_notes(case: Case, calendar: WorkingDayCalendar) -> list[str]:
    """What the card says about the record beyond the clocks: who corrected what (never the
    reason, which may describe the child), a pending proposal, the Panel's 'why not'."""
    notes: list[str] = []
    for event in case.events:
        if event.kind != CORRECTED:
            continue
        on = format_day(calendar.local_date(event.at))
        route = corrections.route_change(event)
        if route is not None:
            before = _route_label(route[0])
            notes.append(
                f"Reclassified by {event.actor.name} on {on}: {before} → {_route_label(route[1])}."
            )
        moved = corrections.aware_change(event)
        if moved is not None:
            notes.append(
                f"Awareness date corrected by {event.actor.name} on {on}, from "
                f"{format_day(moved[0])} to {format_day(moved[1])}: every deadline now counts "
                "from the corrected date."
            )
        elif route is None:
            notes.append(f"Facts corrected by {event.actor.name} on {on}.")
    if panel.panel_waiver(case) is not None:
        notes.append("The Panel was not notified: the Hub's reason is on the record.")
    pending = closure.pending_proposal(case)
    if pending is not None:
        notes.append(
            f"Criteria not met: proposed by {pending.proposed_by.name}, waiting for the partners' "
            f"representatives ({len(pending.confirmations)} confirmed so far)."
        )
    return notes


def _route_label(value: str | None) -> str:
    try:
        return Route(value or "").label
    except ValueError:
        return "not recorded"


def route_label(case: Case) -> str:
    """The route advised when the case was notified, as people read it."""
    try:
        return Route(case.facts.get("route", "")).label
    except ValueError:
        return "Not recorded"


def details_view(case: Case, stored: Mapping[str, str]) -> DetailsView:
    """What identifies the child and what happened: for a personal chat only."""
    facts = case.facts
    child = facts.get("child", {})
    return DetailsView(
        reference=str(case.reference),
        pairs=identity_pairs(stored),
        facts=[
            ("Incident", format_day(case.incident_on) if case.incident_on else "Not recorded"),
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


def identity_pairs(stored: Mapping[str, str]) -> list[tuple[str, str]]:
    """Who the child is, as far as was given: the details card shows the summary on its own."""
    pairs = [("Initials", stored.get("initials") or "Not given")]
    if stored.get("full_name"):
        pairs.append(("Full name", stored["full_name"]))
    return pairs


def detail_pairs(stored: Mapping[str, str]) -> list[tuple[str, str]]:
    return [*identity_pairs(stored), ("Summary", stored.get("summary") or "Not given")]
