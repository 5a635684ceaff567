"""Reminder planning: which reminders a case's clocks call for, on which days, at what instant,
and what a scheduler tick sends after downtime. Pure: no database, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from safeguarding import milestones as m
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor, Case
from safeguarding.case_clocks import CaseClock, case_clocks
from safeguarding.clocks import STATUTORY_CLOCKS, ClockId
from safeguarding.errors import InvalidInput
from safeguarding.reference import CaseReference
from safeguarding.reminders import (
    CaseSummary,
    ChannelPurpose,
    PlannedReminder,
    ReminderKind,
    ReminderPolicy,
    build_digest,
    digest_day,
    plan_reminders,
    select_due,
    send_instant,
)

ENGLAND = WorkingDayCalendar()
HUB = Actor(id="hub-1", name="Hana Hub")
POLICY = ReminderPolicy()
REF = "NL-2026-0001"


def _case(aware_on: date, *, facts: dict[str, object] | None = None) -> Case:
    return Case.open(
        reference=CaseReference("NL", aware_on.year, 1),
        aware_on=aware_on,
        incident_on=aware_on,
        actor=HUB,
        at=datetime.combine(aware_on, time(12), tzinfo=UTC),
        facts=facts or {},
    )


def _with(case: Case, event: str, on: date, **data: str) -> Case:
    """Record a milestone early in the afternoon (UTC) of ``on``, as the journeys do."""
    case.record(
        event,
        actor=HUB,
        at=datetime.combine(on, time(13), tzinfo=UTC),
        what=f"{event} recorded.",
        data=data,
    )
    return case


def _clocks(case: Case, today: date) -> list[CaseClock]:
    return case_clocks(case, today=today, calendar=ENGLAND, table=STATUTORY_CLOCKS)


def _plan(case: Case, today: date, until: date, **kwargs: object) -> list[PlannedReminder]:
    return plan_reminders(
        REF,
        _clocks(case, today),
        policy=kwargs.pop("policy", POLICY),  # type: ignore[arg-type]
        calendar=ENGLAND,
        until=until,
        **kwargs,  # type: ignore[arg-type]
    )


def _of(plan: list[PlannedReminder], clock: ClockId) -> list[tuple[str, date]]:
    return [(r.key.kind, r.send_on) for r in plan if r.clock.rule.id is clock]


def test_reminders_fall_3_and_1_working_days_before_on_the_day_then_daily_skipping_holidays() -> (
    None
):
    # Aware Wednesday 23 December 2026: the Panel must be notified by Monday 4 January 2027.
    # Christmas, the Boxing Day substitute (Mon 28 Dec) and New Year's Day are not working days.
    plan = _plan(_case(date(2026, 12, 23)), date(2026, 12, 24), until=date(2027, 1, 7))

    assert _of(plan, ClockId.PANEL_NOTIFICATION) == [
        ("before_3", date(2026, 12, 29)),
        ("before_1", date(2026, 12, 31)),
        ("due", date(2027, 1, 4)),
        ("overdue_1", date(2027, 1, 5)),
        ("escalation", date(2027, 1, 6)),
        ("overdue_2", date(2027, 1, 6)),
        ("overdue_3", date(2027, 1, 7)),
    ]
    assert all(ENGLAND.is_working_day(r.send_on) for r in plan)


def test_reminders_go_out_at_nine_in_london_whether_summer_or_winter_time() -> None:
    # Late March 2027: British Summer Time starts on Sunday 28 March, and Easter (Good Friday
    # 26 March, Easter Monday 29 March) moves the deadline to Wednesday 31 March: the reminder
    # 3 working days before it falls on Wednesday 24 March, in winter time.
    spring = _of(
        _plan(_case(date(2027, 3, 22)), date(2027, 3, 22), until=date(2027, 3, 31)),
        ClockId.PANEL_NOTIFICATION,
    )
    assert spring == [
        ("before_3", date(2027, 3, 24)),
        ("before_1", date(2027, 3, 30)),
        ("due", date(2027, 3, 31)),
    ]
    assert send_instant(date(2027, 3, 24), time(9), ENGLAND) == datetime(2027, 3, 24, 9, tzinfo=UTC)
    assert send_instant(date(2027, 3, 30), time(9), ENGLAND) == datetime(2027, 3, 30, 8, tzinfo=UTC)

    # Late October 2027: summer time ends on Sunday 31 October.
    autumn = _plan(_case(date(2027, 10, 25)), date(2027, 10, 25), until=date(2027, 11, 1))
    instants = [
        (r.key.kind, r.send_at) for r in autumn if r.clock.rule.id is ClockId.PANEL_NOTIFICATION
    ]
    assert instants == [
        ("before_3", datetime(2027, 10, 27, 8, tzinfo=UTC)),
        ("before_1", datetime(2027, 10, 29, 8, tzinfo=UTC)),
        ("due", datetime(2027, 11, 1, 9, tzinfo=UTC)),
    ]


def test_a_met_clock_never_reminds() -> None:
    case = _with(
        _case(date(2026, 12, 23)),
        m.PANEL_NOTIFIED,
        date(2026, 12, 24),
        notified_on="2026-12-24",
        notified_by="Hana Hub",
    )

    plan = _plan(case, date(2027, 1, 20), until=date(2027, 1, 20))

    assert _of(plan, ClockId.PANEL_NOTIFICATION) == []
    assert _of(plan, ClockId.RAPID_REVIEW), "the rapid review clock still runs"


def test_an_acknowledged_clock_is_not_escalated_and_a_local_rule_never_is() -> None:
    case = _with(
        _case(date(2026, 12, 23)),
        m.AGENCY_REQUESTED,
        date(2026, 12, 23),
        agency="Humberside Police",
        requested_on="2026-12-23",
    )
    due = date(2027, 1, 4)

    plan = _plan(
        case,
        date(2027, 1, 8),
        until=date(2027, 1, 8),
        acknowledged={("panel_notification", due)},
    )

    kinds = {(r.clock.key, r.key.kind) for r in plan}
    assert ("panel_notification", "escalation") not in kinds
    assert ("rapid_review", "escalation") not in kinds, "not overdue yet"
    assert not any(kind == "escalation" for key, kind in kinds if key.startswith("agency"))
    agency = next(r for r in plan if r.clock.rule.id is ClockId.AGENCY_REPORTS)
    assert agency.purpose is ChannelPurpose.AGENCY
    assert agency.agency == "Humberside Police"


def test_an_escalation_goes_to_the_hub_whatever_channel_the_clock_reminds() -> None:
    case = _with(
        _case(date(2026, 6, 1)),
        m.REVIEW_STARTED,
        date(2026, 6, 2),
        decided_on="2026-06-02",
        kind="local",
    )

    plan = _plan(case, date(2027, 1, 4), until=date(2027, 1, 4))
    review = [r for r in plan if r.clock.rule.id is ClockId.LOCAL_REVIEW]

    assert {r.purpose for r in review if r.kind is not ReminderKind.ESCALATION} == {
        ChannelPurpose.PARTNERS
    }
    assert [r.purpose for r in review if r.kind is ReminderKind.ESCALATION] == [ChannelPurpose.HUB]


def test_a_deadline_on_a_weekend_is_reminded_on_the_last_working_day_before_it() -> None:
    # Six calendar months from Monday 5 January 2026 is Sunday 5 July 2026: the due-day
    # reminder goes out on Friday 3 July, which is also "1 working day before".
    case = _with(
        _case(date(2026, 1, 5)),
        m.REVIEW_STARTED,
        date(2026, 1, 5),
        decided_on="2026-01-05",
        kind="local",
    )

    plan = _plan(case, date(2026, 6, 1), until=date(2026, 7, 6))

    assert _of(plan, ClockId.LOCAL_REVIEW) == [
        ("before_3", date(2026, 7, 1)),
        ("due", date(2026, 7, 3)),
        ("overdue_1", date(2026, 7, 6)),
    ]


def test_a_partnership_sets_its_own_days_channels_and_time() -> None:
    policy = ReminderPolicy(
        days_before=(5,),
        on_due_day=False,
        while_overdue=False,
        send_time=time(8, 30),
        channels={ClockId.PANEL_NOTIFICATION: ChannelPurpose.CSPRG},
    )

    plan = _plan(_case(date(2027, 1, 4)), date(2027, 1, 4), until=date(2027, 2, 1), policy=policy)
    panel = [r for r in plan if r.clock.rule.id is ClockId.PANEL_NOTIFICATION]

    assert [(r.key.kind, r.send_at) for r in panel] == [
        ("before_5", datetime(2027, 1, 4, 8, 30, tzinfo=UTC)),
        ("escalation", datetime(2027, 1, 13, 8, 30, tzinfo=UTC)),
    ]
    assert panel[0].purpose is ChannelPurpose.CSPRG
    assert policy.channel_for(ClockId.RAPID_REVIEW) is ChannelPurpose.HUB, "others keep defaults"


@pytest.mark.parametrize("days", [(0,), (3, 3), (-1,)])
def test_impossible_reminder_days_are_refused(days: tuple[int, ...]) -> None:
    with pytest.raises(InvalidInput):
        ReminderPolicy(days_before=days)


def test_after_downtime_only_the_latest_missed_reminder_is_sent_and_marked_late() -> None:
    case = _case(date(2026, 12, 23))
    now = datetime(2027, 1, 7, 11, 15, tzinfo=UTC)  # down since Christmas
    plan = _plan(case, now.date(), until=now.date())

    selection = select_due(plan, now=now, stored=set(), not_before=case.opened_at)

    sent = {(r.clock.key, r.key.kind): late for r, late in selection.send}
    assert sent == {
        ("panel_notification", "overdue_3"): True,
        ("panel_notification", "escalation"): True,
    }
    skipped = {(r.clock.key, r.key.kind) for r in selection.skip}
    assert ("panel_notification", "due") in skipped
    assert ("panel_notification", "overdue_1") in skipped

    stored = {r.key for r, _ in selection.send} | {r.key for r in selection.skip}
    again = select_due(plan, now=now + timedelta(minutes=1), stored=stored)
    assert (again.send, again.skip) == ((), ()), "re-deriving changes nothing"


def test_a_reminder_sent_on_time_is_not_late_and_future_ones_wait() -> None:
    plan = _plan(_case(date(2026, 12, 23)), date(2026, 12, 29), until=date(2027, 1, 31))

    selection = select_due(plan, now=datetime(2026, 12, 29, 9, 1, tzinfo=UTC), stored=set())

    assert [(r.key.kind, late) for r, late in selection.send] == [("before_3", False)]


def test_reminders_timed_before_the_case_was_recorded_are_not_sent() -> None:
    case = _case(date(2026, 12, 23))
    plan = _plan(case, date(2027, 1, 5), until=date(2027, 1, 5))

    selection = select_due(
        plan,
        now=datetime(2027, 1, 5, 15, tzinfo=UTC),
        stored=set(),
        not_before=datetime(2027, 1, 5, 14, tzinfo=UTC),
    )

    assert (selection.send, selection.skip) == ((), ())


def test_the_digest_moves_off_a_bank_holiday_monday() -> None:
    assert digest_day(date(2027, 3, 31), 0, ENGLAND) == date(2027, 3, 30)  # Easter Monday
    assert digest_day(date(2027, 1, 7), 0, ENGLAND) == date(2027, 1, 4)


def test_the_digest_lists_open_cases_what_is_due_soon_and_what_is_overdue() -> None:
    overdue_case = _case(date(2026, 12, 23))
    soon_case = _case(date(2027, 1, 4))
    today = date(2027, 1, 6)
    digest = build_digest(
        [
            CaseSummary(
                "NL-2026-0001",
                "Notified to the Hub",
                date(2026, 12, 23),
                tuple(_clocks(overdue_case, today)),
            ),
            CaseSummary(
                "NL-2027-0002",
                "Notified to the Hub",
                date(2027, 1, 4),
                tuple(_clocks(soon_case, today)),
            ),
        ],
        today=today,
        calendar=ENGLAND,
    )

    assert [c.case_reference for c in digest.open_cases] == ["NL-2026-0001", "NL-2027-0002"]
    assert [(line.case_reference, line.due_on, line.working_days) for line in digest.overdue] == [
        ("NL-2026-0001", date(2027, 1, 4), 2)
    ]
    assert [(line.case_reference, line.due_on) for line in digest.upcoming] == [
        ("NL-2027-0002", date(2027, 1, 11)),
        ("NL-2026-0001", date(2027, 1, 18)),
    ]
    assert digest.horizon == date(2027, 1, 20)
