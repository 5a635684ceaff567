"""When an action's owner is followed up: before, on and after the due day, each once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from safeguarding.action_plans import (
    ActionStatus,
    FollowUpKind,
    FollowUpPolicy,
    PlanAction,
    due_follow_up,
    first_follow_up_at,
    follow_ups,
    next_follow_up_at,
)
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor

ENGLAND = WorkingDayCalendar()
POLICY = FollowUpPolicy()
OWNER = Actor(id="ow-1", name="Olu Owner")
ADDED = datetime(2026, 11, 2, 10, tzinfo=UTC)


def action(due_on: date, status: ActionStatus = ActionStatus.OPEN) -> PlanAction:
    return PlanAction(
        case_reference="NL-2026-0007",
        number=1,
        description="Review the pathway",
        agency="Police",
        owner=OWNER,
        due_on=due_on,
        status=status,
        national=False,
        added_by=OWNER,
        added_at=ADDED,
        updated_at=ADDED,
    )


def nine(day: date) -> datetime:
    """09:00 in London on ``day``, as UTC (GMT in winter)."""
    return datetime.combine(day, time(9), tzinfo=UTC)


def test_five_working_days_before_on_the_day_then_weekly_while_overdue() -> None:
    # Due Friday 18 December 2026; Christmas and Boxing Day (substitute Monday 28) skipped.
    plan = follow_ups(
        date(2026, 12, 18), added_at=ADDED, policy=POLICY, calendar=ENGLAND, until=date(2027, 1, 8)
    )
    assert [(f.kind, f.on) for f in plan] == [
        (FollowUpKind.BEFORE, date(2026, 12, 11)),
        (FollowUpKind.DUE, date(2026, 12, 18)),
        (FollowUpKind.OVERDUE, date(2026, 12, 21)),
        (FollowUpKind.OVERDUE, date(2026, 12, 29)),  # 28th is the Boxing Day substitute
        (FollowUpKind.OVERDUE, date(2027, 1, 5)),
    ]
    assert plan[0].send_at == nine(date(2026, 12, 11))


def test_a_due_day_on_a_weekend_is_followed_up_on_the_friday_before() -> None:
    plan = follow_ups(
        date(2026, 12, 19),
        added_at=ADDED,
        policy=POLICY,
        calendar=ENGLAND,
        until=date(2026, 12, 19),
    )
    assert (FollowUpKind.DUE, date(2026, 12, 18)) in [(f.kind, f.on) for f in plan]


def test_the_partnership_sets_its_own_intervals() -> None:
    policy = FollowUpPolicy(before_working_days=2, overdue_every_days=0, send_time=time(8, 30))
    plan = follow_ups(
        date(2026, 12, 18), added_at=ADDED, policy=policy, calendar=ENGLAND, until=date(2027, 2, 1)
    )
    assert [(f.kind, f.on) for f in plan] == [
        (FollowUpKind.BEFORE, date(2026, 12, 16)),
        (FollowUpKind.DUE, date(2026, 12, 18)),
        (FollowUpKind.OVERDUE, date(2026, 12, 21)),
    ]
    assert plan[0].send_at.time() == time(8, 30)


def test_nothing_is_sent_for_days_before_the_action_was_agreed() -> None:
    late_added = action(date(2026, 11, 5))  # due three days after it was added
    plan = follow_ups(
        late_added.due_on, added_at=ADDED, policy=POLICY, calendar=ENGLAND, until=date(2026, 11, 5)
    )
    assert [f.kind for f in plan] == [FollowUpKind.DUE]


def test_the_latest_due_is_sent_once_and_only_it_after_downtime() -> None:
    due = action(date(2026, 12, 18))
    at_due = nine(date(2026, 12, 18)) + timedelta(minutes=5)

    sent = due_follow_up(due, now=at_due, sent=set(), policy=POLICY, calendar=ENGLAND)
    assert sent is not None
    assert sent.follow_up.kind is FollowUpKind.DUE
    assert not sent.late
    key = sent.follow_up.key("NL-2026-0007", 1)
    assert key == "NL-2026-0007/1/due/2026-12-18"
    assert due_follow_up(due, now=at_due, sent={key}, policy=POLICY, calendar=ENGLAND) is None

    # Down from before the "before" follow-up until after the due day: one, late.
    caught_up = due_follow_up(
        due,
        now=nine(date(2026, 12, 21)) + timedelta(hours=3),
        sent=set(),
        policy=POLICY,
        calendar=ENGLAND,
    )
    assert caught_up is not None
    assert caught_up.follow_up.kind is FollowUpKind.OVERDUE
    assert caught_up.late


def test_done_or_closed_actions_are_never_followed_up() -> None:
    for status in (ActionStatus.DONE, ActionStatus.CLOSED):
        finished = action(date(2026, 12, 18), status)
        assert (
            due_follow_up(
                finished, now=nine(date(2026, 12, 18)), sent=set(), policy=POLICY, calendar=ENGLAND
            )
            is None
        )
        assert (
            next_follow_up_at(
                finished, now=nine(date(2026, 12, 18)), policy=POLICY, calendar=ENGLAND
            )
            is None
        )


def test_the_next_follow_up_is_the_first_after_now_and_goes_on_weekly() -> None:
    due = action(date(2026, 12, 18))
    assert first_follow_up_at(due, policy=POLICY, calendar=ENGLAND) == nine(date(2026, 12, 11))
    assert next_follow_up_at(
        due, now=nine(date(2026, 12, 11)), policy=POLICY, calendar=ENGLAND
    ) == nine(date(2026, 12, 18))
    # Weekly from Tuesday 29 December (after the Boxing Day substitute): Tuesdays.
    assert next_follow_up_at(
        due, now=nine(date(2027, 3, 1)), policy=POLICY, calendar=ENGLAND
    ) == nine(date(2027, 3, 2))
