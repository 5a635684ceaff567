"""A case's clocks: which are running, met, late or overdue - derived, never stored.

Each clock's start and its completion are read from the case's events (see ``milestones``),
so correcting a date, recording a step or closing the case changes the clocks, and the
reminders derived from them, with no clean-up anywhere else.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol

from safeguarding import milestones as m
from safeguarding import panel
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Case, CaseEvent
from safeguarding.clocks import ClockId, ClockRule, Deadline, clock_rule, compute_deadline
from safeguarding.rapid_review import may_be_serious


class ClockStatus(StrEnum):
    RUNNING = "running"  # started, not yet met, not yet past due
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met_late"
    STOPPED = "stopped"  # the case closed before the clock was met
    WAIVED = "waived"  # not needed: the Hub recorded why (the Panel was not notified)

    @property
    def is_open(self) -> bool:
        """Open clocks are the ones that still need someone to act (and get reminders)."""
        return self in {ClockStatus.RUNNING, ClockStatus.DUE_TODAY, ClockStatus.OVERDUE}


@dataclass(frozen=True)
class CaseClock:
    rule: ClockRule
    deadline: Deadline
    status: ClockStatus
    met_on: date | None = None
    subject: str | None = None  # e.g. the agency, for per-agency clocks

    @property
    def key(self) -> str:
        """Stable identity of this clock within its case (for reminder keys)."""
        return f"{self.rule.id}:{self.subject}" if self.subject else str(self.rule.id)

    @property
    def title(self) -> str:
        return f"{self.rule.title} ({self.subject})" if self.subject else self.rule.title


class _ClockFactory(Protocol):
    def __call__(
        self, clock_id: ClockId, start: date, met_on: date | None, subject: str | None = None
    ) -> CaseClock: ...


def _day(event: CaseEvent, key: str) -> date:
    """The date the event's data gives; an event recorded without it (or with an unreadable
    one) counts as on the day it was recorded, so an older trail still reads."""
    given = event.data.get(key)
    try:
        return date.fromisoformat(str(given)) if given not in (None, "") else event.at.date()
    except ValueError:
        return event.at.date()


def _last(events: Sequence[CaseEvent], kind: str) -> CaseEvent | None:
    return next((e for e in reversed(events) if e.kind == kind), None)


def case_clocks(
    case: Case,
    *,
    today: date,
    calendar: WorkingDayCalendar,
    table: Sequence[ClockRule],
    convention: CountingConvention = CountingConvention.EXCLUDE_START,
) -> list[CaseClock]:
    """Every clock this case has started, in process order, with its status today."""
    events = case.events
    closed_on = calendar.local_date(case.closed_at) if case.closed_at else None

    def clock(
        clock_id: ClockId, start: date, met_on: date | None, subject: str | None = None
    ) -> CaseClock:
        rule = clock_rule(clock_id, table)
        deadline = compute_deadline(rule, start, calendar, convention)
        return CaseClock(
            rule=rule,
            deadline=deadline,
            status=_status(deadline.due, met_on, today, closed_on),
            met_on=met_on,
            subject=subject,
        )

    clocks: list[CaseClock] = []
    # Whatever route the case was notified on: a reclassification, or a recommendation of a
    # CSPR, brings the Panel's clocks back, counted from the (corrected) awareness date.
    if may_be_serious(case):
        notified = _last(events, m.PANEL_NOTIFIED)
        panel_clock = clock(
            ClockId.PANEL_NOTIFICATION,
            case.aware_on,
            _day(notified, "notified_on") if notified else None,
        )
        if notified is None and panel.panel_waiver(case) is not None:
            panel_clock = dataclasses.replace(panel_clock, status=ClockStatus.WAIVED)
        clocks.append(panel_clock)
        sent = _last(events, m.RAPID_REVIEW_SENT)
        clocks.append(
            clock(ClockId.RAPID_REVIEW, case.aware_on, _day(sent, "sent_on") if sent else None)
        )
    # The death of a care leaver or of a looked-after child: the Secretary of State and Ofsted.
    for notice in panel.statutory_notices(case):
        done = panel.statutory_notified(case, notice)
        clocks.append(clock(notice, case.aware_on, done.notified_on if done else None))
    clocks.extend(_agency_clocks(events, clock))
    sent = _last(events, m.RAPID_REVIEW_SENT)
    if sent is not None:
        decided = _last(events, m.PANEL_DECIDED)
        clocks.append(
            clock(
                ClockId.PANEL_RESPONSE,
                _day(sent, "sent_on"),
                _day(decided, "decided_on") if decided else None,
            )
        )
    started = _last(events, m.REVIEW_STARTED)
    if started is not None:
        completed = _last(events, m.REVIEW_COMPLETED)
        # One review, one clock: a joint review with a Domestic Homicide Review or a
        # Safeguarding Adults Review keeps this timetable (``safeguarding/reviews.py``).
        review = _REVIEW_CLOCKS.get(str(started.data.get("kind")), ClockId.LOCAL_REVIEW)
        clocks.append(
            clock(
                review,
                _day(started, "decided_on"),
                _day(completed, "completed_on") if completed else None,
            )
        )
    planned = _last(events, m.PUBLICATION_PLANNED)
    if planned is not None:
        clocks.append(
            clock(ClockId.REPORT_COPY, _day(planned, "publish_on"), _copies_sent_on(events))
        )
    return clocks


_REVIEW_CLOCKS = {
    "local": ClockId.LOCAL_REVIEW,
    "national": ClockId.NATIONAL_REVIEW,
    "learning": ClockId.LEARNING_REVIEW,
}


def _copies_sent_on(events: Sequence[CaseEvent]) -> date | None:
    """The day the last of the Panel, the Secretary of State and Ofsted got the final report.

    The copy rule is met only once all three have it. A copy recorded without a recipient
    (before copies were recorded one by one) stands for all three.
    """
    sent: dict[str, date] = {}
    for event in events:
        if event.kind != m.REPORT_COPIED:
            continue
        recipient = event.data.get("recipient")
        for who in [str(recipient)] if recipient else list(m.COPY_RECIPIENTS):
            sent.setdefault(who, _day(event, "sent_on"))
    if not all(who in sent for who in m.COPY_RECIPIENTS):
        return None
    return max(sent[who] for who in m.COPY_RECIPIENTS)


def _agency_clocks(events: Sequence[CaseEvent], clock: _ClockFactory) -> list[CaseClock]:
    requested: dict[str, date] = {}
    submitted: dict[str, date] = {}
    for event in events:
        if event.kind == m.AGENCY_REQUESTED:
            requested[str(event.data["agency"])] = _day(event, "requested_on")
        elif event.kind == m.AGENCY_SUBMITTED:
            # The first submission meets the clock; later ones replace the draft only.
            submitted.setdefault(str(event.data["agency"]), _day(event, "submitted_on"))
    return [
        clock(ClockId.AGENCY_REPORTS, start, submitted.get(agency), agency)
        for agency, start in requested.items()
    ]


def _status(due: date, met_on: date | None, today: date, closed_on: date | None) -> ClockStatus:
    if met_on is not None:
        return ClockStatus.MET if met_on <= due else ClockStatus.MET_LATE
    if closed_on is not None:
        return ClockStatus.STOPPED
    if today < due:
        return ClockStatus.RUNNING
    return ClockStatus.DUE_TODAY if today == due else ClockStatus.OVERDUE
