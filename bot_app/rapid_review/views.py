"""How the rapid review looks on cards: the start card, the tracker, what a lead is told.

Pure: everything a view needs (the case, the round's ballots, the Teams ids for the vote
card's refresh) is read by the caller and passed in, so the same case reads the same on every
copy of a card. The vote card, the voting pack and the partners' card are in
``vote_views.py``. The tracker shows the case card's own clock lines (``CaseViews``), so a
deadline reads the same wherever it appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from bot_app.cases.views import CaseViews
from bot_app.rapid_review.vote_views import VoteViews
from cards.base import Card, personal_form_start_card
from cards.case import hub_card
from cards.rapid_review import AgencyLine, StartView, TrackerView, start_card
from safeguarding import panel
from safeguarding import rapid_review as rr
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Case, Stage
from safeguarding.case_clocks import CaseClock, case_clocks
from safeguarding.clocks import ClockId, ClockRule, clock_rule, compute_deadline, format_day
from storage.channels import agency_key


@dataclass(frozen=True)
class RapidReviewSettings:
    reference_prefix: str
    calendar: WorkingDayCalendar
    clocks: tuple[ClockRule, ...]
    convention: CountingConvention
    default_agencies: Sequence[str]
    vote_rule: rr.VoteRule
    vote_working_days: int
    partner_confirmations: int  # 0: every partner in the directory
    vote_reminders: rr.VoteReminders = field(default_factory=rr.VoteReminders)


class RapidReviewViews(VoteViews):
    """The rapid review's cards, from the partnership's calendar, clocks and vote rule."""

    def __init__(self, settings: RapidReviewSettings, cases: CaseViews) -> None:
        self.settings = settings
        self._cases = cases

    # -- dates ----------------------------------------------------------------------------

    def today(self, now: datetime) -> date:
        """The partnership's calendar date of ``now`` (the clocks count local days)."""
        return self.settings.calendar.local_date(now)

    def agency_due(self, requested_on: date) -> date:
        """When an agency's report is due if it was asked on ``requested_on``."""
        s = self.settings
        rule = clock_rule(ClockId.AGENCY_REPORTS, s.clocks)
        return compute_deadline(rule, requested_on, s.calendar, s.convention).due

    def when(self, moment: datetime) -> str:
        """A moment in the partnership's time: "07:41 on Thursday 26 November 2026"."""
        local = moment.astimezone(self.settings.calendar.timezone)
        return f"{local:%H:%M} on {format_day(local.date())}"

    def time_today(self, moment: datetime) -> str:
        """The time of a moment today, in the partnership's time: "10:12"."""
        return f"{moment.astimezone(self.settings.calendar.timezone):%H:%M}"

    def vote_closes_on(self, opened_on: date) -> date:
        return self.settings.calendar.add_working_days(opened_on, self.settings.vote_working_days)

    def clocks(self, case: Case, today: date) -> list[CaseClock]:
        s = self.settings
        return case_clocks(
            case, today=today, calendar=s.calendar, table=s.clocks, convention=s.convention
        )

    def rapid_review_due(self, case: Case, today: date) -> date | None:
        """The rapid review's own deadline (15 working days from awareness)."""
        return next(
            (c.deadline.due for c in self.clocks(case, today) if c.rule.id is ClockId.RAPID_REVIEW),
            None,
        )

    # -- cards ----------------------------------------------------------------------------

    def hub_card(self, case: Case, today: date) -> Card:
        """The case card, for a stale or repeated press on a start button."""
        return hub_card(self._cases.card_view(case, today))

    def start_card(
        self,
        case: Case,
        agencies: Sequence[str],
        today: date,
        *,
        chosen: Sequence[str] | None = None,
        error: str | None = None,
    ) -> Card:
        """The agencies to ask: the notifying agency ticked, or what was chosen before."""
        if chosen is None:
            notifying = agency_key(str(case.facts.get("agency", "")))
            preselected = [a for a in agencies if agency_key(a) == notifying]
        else:
            preselected = [a for a in chosen if a in agencies]
        return start_card(
            StartView(
                reference=str(case.reference),
                agencies=agencies,
                preselected=preselected,
                due=format_day(self.agency_due(today)),
                error=error,
            )
        )

    def tracker(self, case: Case, today: date, *, voted: int) -> TrackerView:
        """The tracker; ``voted`` is how many ballots the open round has (0 when none is open)."""
        state = rr.state_of(case)
        clocks = self.clocks(case, today)
        lines = [
            self._cases.clock_line(c, today)
            for c in clocks
            if c.rule.id in {ClockId.RAPID_REVIEW, ClockId.PANEL_RESPONSE}
        ]
        agencies = []
        for clock in clocks:
            if clock.rule.id is not ClockId.AGENCY_REPORTS or clock.subject is None:
                continue
            line = self._cases.clock_line(clock, today)
            status = state.agencies.get(clock.subject)
            extra = ""
            if status is not None and status.nil_return:
                extra += " (nil return)"
            if status is not None and status.versions > 1:
                extra += f" (version {status.versions})"
            agencies.append(AgencyLine(clock.subject, line.due, line.state + extra, line.alarming))
        return TrackerView(
            reference=str(case.reference),
            stage=case.stage.label,
            clocks=lines,
            agencies=agencies,
            vote=_vote_line(case, state.round, voted),
            partners=_partners_line(case, state),
            panel=_panel_line(state),
            today=today.isoformat(),
            can_open_vote=case.stage is Stage.RAPID_REVIEW
            or (case.stage is Stage.RECOMMENDATION and not state.vote_open),
            can_close_vote=state.vote_open,
            can_chase=state.round is not None
            and state.vote_open
            and voted < len(state.round.seats),
            close_refers=state.round is not None
            and voted < self.settings.vote_rule.needed(len(state.round.seats)),
            can_record_sent=state.confirmed is not None
            and state.sent_on is None
            and case.stage is Stage.PARTNERS_DECISION,
            can_record_decision=rr.awaiting_panel(case),
            note=_panel_first(case, state),
        )


def start_report_card(reference: str) -> Card:
    """Posted to a lead's personal chat when they ask for the report anywhere else."""
    return personal_form_start_card(
        f"Rapid review report: case {reference}",
        "Reports belong in our personal chat.",
        f"report {reference}",
        fallback=f"Write the rapid review report for case {reference}",
    )


def report_received(
    reference: str, agency: str, *, nil_return: bool, version: int, late_due: date | None
) -> str:
    """The lead's thanks once the report is stored; ``late_due`` when it came in late."""
    late = f" It was due on {format_day(late_due)}, so it is recorded as late." if late_due else ""
    again = " It replaces your earlier version." if version > 1 else ""
    kind = "nil return" if nil_return else "report"
    return (
        f"Thank you: {agency}'s {kind} for case {reference} has been sent to the Hub."
        f"{again}{late} You can send a new version with **report {reference}**."
    )


def _vote_line(case: Case, current: rr.Round | None, voted: int) -> str:
    if current is None:
        return "Not open yet"
    name = rr.vote_name(case, current.number)
    if not current.closed:
        line = f"open until {format_day(current.closes_on)}: {voted} of {len(current.seats)} voted"
    elif current.recommendation:
        line = f"{current.recommendation.label} ({current.reason})"
    else:
        line = f"no recommendation ({current.reason})"
    return line[0].upper() + line[1:] if name == "Vote" else f"{name}: {line}"


def _partners_line(case: Case, state: rr.RapidReviewState) -> str:
    if state.confirmed:
        return f"Confirmed: {state.confirmed.label}"
    if state.confirmations:
        return f"Confirmed by {', '.join(state.confirmations.values())}"
    if case.stage is Stage.PARTNERS_DECISION:
        return "Waiting for the partners"
    return "Waiting for the CSPR Group"


def _panel_first(case: Case, state: rr.RapidReviewState) -> str | None:
    """Why the rapid review can't go yet: the Panel notification is missing."""
    if state.confirmed is None or state.sent_on is not None or panel.panel_settled(case):
        return None
    if not rr.may_be_serious(case):
        return None
    return (
        "Before the rapid review goes to the Panel, record the Panel notification (or why the "
        "Panel was not notified) on the case card."
    )


def _panel_line(state: rr.RapidReviewState) -> str:
    if state.panel_decision == rr.PanelDecision.OTHER.value:
        return (
            "Answered 'Other' (the note is on the case record): follow it up and record the "
            "Panel's decision when it is final"
        )
    if state.panel_decision:
        return f"Decided: {rr.PanelDecision(state.panel_decision).label}"
    if state.sent_on:
        return f"Sent on {format_day(state.sent_on)}"
    return "Not sent yet"
