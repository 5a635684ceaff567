"""The case aggregate: the process rules and the evidence trail, with no I/O at all."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from safeguarding.case import (
    STAGE_LABELS,
    SYSTEM,
    TRANSITIONS,
    Actor,
    Case,
    CaseEvent,
    Stage,
    next_stages,
)
from safeguarding.errors import IllegalTransition, InvalidInput
from safeguarding.reference import CaseReference

REF = CaseReference("NL", 2026, 1)
HUB = Actor(id="7d3c1f0e-0000-4000-8000-000000000001", name="Hub officer")
NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _shortest_routes() -> dict[Stage, tuple[Stage, ...]]:
    """A shortest route from notification to every stage (breadth-first over the table)."""
    routes: dict[Stage, tuple[Stage, ...]] = {Stage.NOTIFIED: ()}
    frontier = [Stage.NOTIFIED]
    while frontier:
        here = frontier.pop(0)
        for following in next_stages(here):
            if following not in routes:
                routes[following] = (*routes[here], following)
                frontier.append(following)
    return routes


# Builds a case at any stage the way the process would have got it there.
ROUTE = _shortest_routes()


def opened(
    *,
    aware_on: date = date(2026, 3, 2),
    incident_on: date | None = date(2026, 2, 27),
    at: datetime = NOON,
    facts: dict[str, object] | None = None,
    today: date | None = None,
) -> Case:
    return Case.open(
        reference=REF,
        aware_on=aware_on,
        incident_on=incident_on,
        actor=HUB,
        at=at,
        facts=facts,
        today=today,
    )


def case_at(stage: Stage) -> Case:
    case = opened()
    for step, next_stage in enumerate(ROUTE[stage], start=1):
        case.move_to(next_stage, actor=HUB, at=NOON + timedelta(hours=step))
    assert case.stage is stage
    return case


# -- the transition table ------------------------------------------------------------------


def test_every_stage_is_reachable_from_notification() -> None:
    assert set(ROUTE) == set(Stage)


def test_every_stage_except_closed_can_move_on_and_closed_is_final() -> None:
    assert TRANSITIONS[Stage.CLOSED] == frozenset()
    for stage in Stage:
        if stage is not Stage.CLOSED:
            assert TRANSITIONS[stage], f"{stage} is a dead end"


def test_every_open_case_can_eventually_be_closed() -> None:
    for start in Stage:
        seen, frontier = {start}, [start]
        while frontier:
            for following in TRANSITIONS[frontier.pop()]:
                if following not in seen:
                    seen.add(following)
                    frontier.append(following)
        assert Stage.CLOSED in seen, f"a case at {start} could never close"


def test_every_stage_has_a_plain_english_label() -> None:
    assert set(STAGE_LABELS) == set(Stage)
    assert Stage.RAPID_REVIEW.label == "Rapid review"
    assert Stage.RECOMMENDATION.label == "CSPR Group recommendation"


@pytest.mark.parametrize(
    ("source", "target"),
    list(itertools.product(Stage, Stage)),
    ids=lambda stage: stage.value,
)
def test_a_case_moves_only_where_the_transition_table_allows(source: Stage, target: Stage) -> None:
    case = case_at(source)
    at = NOON + timedelta(days=30)
    if target in TRANSITIONS[source]:
        event = case.move_to(target, actor=HUB, at=at, why="as agreed")
        assert case.stage is target
        assert event.kind == "stage.changed"
        assert event.data == {"from": source.value, "to": target.value}
        assert event.why == "as agreed"
    else:
        events_before = case.events
        with pytest.raises(IllegalTransition):
            case.move_to(target, actor=HUB, at=at)
        assert case.stage is source
        assert case.events == events_before


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (Stage.NOTIFIED, Stage.PANEL_NOTIFIED),
        (Stage.NOTIFIED, Stage.RAPID_REVIEW),
        (Stage.NOTIFIED, Stage.CLOSED),
        (Stage.PARTNERS_DECISION, Stage.RECOMMENDATION),
        (Stage.WITH_PANEL, Stage.NATIONAL_REVIEW),
        (Stage.LOCAL_REVIEW, Stage.PUBLISHED),
        (Stage.PUBLISHED, Stage.ACTION_PLAN),
        (Stage.ACTION_PLAN, Stage.CLOSED),
    ],
)
def test_the_process_routes_from_the_domain_are_allowed(source: Stage, target: Stage) -> None:
    assert target in TRANSITIONS[source]


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (Stage.PANEL_NOTIFIED, Stage.CLOSED),  # the Panel expects a rapid review
        (Stage.RAPID_REVIEW, Stage.PARTNERS_DECISION),  # the CSPR Group must vote first
        (Stage.LOCAL_REVIEW, Stage.CLOSED),  # a CSPR is published
        (Stage.CLOSED, Stage.NOTIFIED),  # closed is final
    ],
)
def test_shortcuts_the_process_forbids_are_refused(source: Stage, target: Stage) -> None:
    assert target not in TRANSITIONS[source]


def test_a_refused_move_says_where_the_case_is_and_where_it_can_go() -> None:
    case = case_at(Stage.RAPID_REVIEW)
    with pytest.raises(IllegalTransition) as refused:
        case.move_to(Stage.CLOSED, actor=HUB, at=NOON + timedelta(days=1))
    assert refused.value.user_message == (
        "Case NL-2026-0001 is at 'Rapid review' and cannot move to 'Closed'. "
        "From here it can move to: CSPR Group recommendation."
    )


def test_a_refused_move_lists_every_allowed_stage_in_process_order() -> None:
    case = case_at(Stage.NOTIFIED)
    with pytest.raises(
        IllegalTransition, match="can move to: Panel notified, Rapid review, Closed"
    ):
        case.move_to(Stage.PUBLISHED, actor=HUB, at=NOON)


def test_a_closed_case_says_it_stays_closed() -> None:
    case = case_at(Stage.CLOSED)
    with pytest.raises(IllegalTransition, match="a closed case stays closed"):
        case.move_to(Stage.RAPID_REVIEW, actor=HUB, at=NOON + timedelta(days=1))


def test_closing_a_case_records_when_it_closed() -> None:
    case = opened()
    assert case.is_open
    assert case.closed_at is None
    closing = NOON + timedelta(days=3)
    case.move_to(Stage.CLOSED, actor=HUB, at=closing, why="criteria not met")
    assert not case.is_open
    assert case.closed_at == closing


# -- opening a case ------------------------------------------------------------------------


def test_opening_a_case_records_who_opened_it_and_when_the_partners_became_aware() -> None:
    case = opened(facts={"death": False, "serious_harm": True})
    assert case.stage is Stage.NOTIFIED
    assert case.version == 0
    assert case.facts == {"death": False, "serious_harm": True}
    (event,) = case.events
    assert (event.seq, event.kind, event.actor, event.at) == (1, "case.opened", HUB, NOON)
    assert event.data == {"aware_on": "2026-03-02", "incident_on": "2026-02-27"}
    assert "NL-2026-0001" in event.what
    assert case.pending_events == case.events


def test_awareness_before_the_incident_is_refused() -> None:
    with pytest.raises(InvalidInput, match="before the incident"):
        opened(aware_on=date(2026, 2, 26), incident_on=date(2026, 2, 27))


def test_awareness_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidInput, match="in the future"):
        opened(aware_on=date(2026, 3, 3))


def test_an_incident_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidInput, match="incident date 4 March 2026 is in the future"):
        opened(aware_on=date(2026, 3, 2), incident_on=date(2026, 3, 4))


def test_an_unknown_incident_date_is_allowed() -> None:
    assert opened(incident_on=None).incident_on is None


def test_today_is_the_day_in_england_not_in_utc() -> None:
    # 00:30 BST on 1 June is still 31 May in UTC; a practitioner aware "today" is not early.
    just_after_midnight_in_london = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    case = opened(aware_on=date(2026, 6, 1), incident_on=None, at=just_after_midnight_in_london)
    assert case.aware_on == date(2026, 6, 1)


def test_a_partnership_elsewhere_passes_its_own_today() -> None:
    with pytest.raises(InvalidInput, match="in the future"):
        opened(aware_on=date(2026, 3, 2), today=date(2026, 3, 1))


def test_a_time_without_a_time_zone_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no time zone"):
        opened(at=datetime(2026, 3, 2, 12, 0))


def test_times_are_kept_in_utc_whatever_zone_they_arrive_in() -> None:
    bst = timezone(timedelta(hours=1))
    case = opened(at=datetime(2026, 3, 2, 13, 0, tzinfo=bst))
    assert case.opened_at == NOON
    assert case.opened_at.tzinfo is UTC
    assert case.events[0].at == NOON


# -- the evidence trail --------------------------------------------------------------------


def test_events_are_appended_with_a_sequence_that_increases_by_one() -> None:
    case = opened()
    case.record("note.added", actor=HUB, at=NOON, what="Chased the police report.")
    case.move_to(Stage.PANEL_NOTIFIED, actor=HUB, at=NOON + timedelta(hours=1))
    case.record("note.added", actor=SYSTEM, at=NOON + timedelta(days=1), what="Reminder sent.")
    assert [e.seq for e in case.events] == [1, 2, 3, 4]
    assert [e.kind for e in case.events] == [
        "case.opened",
        "note.added",
        "stage.changed",
        "note.added",
    ]


def test_the_events_view_cannot_change_the_trail() -> None:
    case = opened()
    events = case.events
    assert isinstance(events, tuple)
    with pytest.raises(TypeError):
        events[0].data["aware_on"] = "2020-01-01"  # type: ignore[index]
    assert case.events[0].data["aware_on"] == "2026-03-02"


def test_an_event_keeps_its_own_copy_of_the_data_it_was_given() -> None:
    case = opened()
    data = {"agencies": ["police"]}
    event = case.record("note.added", actor=HUB, at=NOON, what="Agencies asked.", data=data)
    data["agencies"].append("health")
    assert event.data == {"agencies": ["police"]}


def test_an_event_observed_before_the_last_one_is_dated_at_it_and_keeps_the_observed_time() -> None:
    case = opened()
    earlier = NOON - timedelta(seconds=1)
    event = case.record("note.added", actor=HUB, at=earlier, what="Retried vote.")
    assert [e.seq for e in case.events] == [1, 2]
    assert event.at == case.events[0].at
    assert event.data["observed_at"] == earlier.isoformat()


def test_event_data_must_be_json() -> None:
    case = opened()
    with pytest.raises(TypeError, match=r"data.when is a date"):
        case.record("note.added", actor=HUB, at=NOON, what="x", data={"when": date(2026, 1, 1)})
    with pytest.raises(TypeError, match="non-string key"):
        case.record("note.added", actor=HUB, at=NOON, what="x", data={"n": {1: "one"}})
    with pytest.raises(TypeError, match="JSON cannot store"):
        opened(facts={"ratio": float("nan")})


def test_an_event_must_be_attributed_to_someone() -> None:
    with pytest.raises(InvalidInput, match="who made it"):
        Actor(id="", name="Someone")


def test_an_event_refuses_a_naive_time() -> None:
    with pytest.raises(InvalidInput, match="no time zone"):
        CaseEvent(seq=1, at=datetime(2026, 1, 1), actor=HUB, kind="x", what="y")


def test_saving_marks_pending_events_as_stored_and_advances_the_version() -> None:
    case = opened()
    case.mark_saved(version=1)
    assert case.pending_events == ()
    event = case.move_to(Stage.RAPID_REVIEW, actor=HUB, at=NOON + timedelta(hours=1))
    assert case.pending_events == (event,)
    case.mark_saved(version=2)
    assert (case.version, case.pending_events) == (2, ())


def test_a_rebuilt_case_counts_its_events_as_stored() -> None:
    original = opened()
    rebuilt = Case(
        reference=original.reference,
        stage=original.stage,
        version=1,
        aware_on=original.aware_on,
        incident_on=original.incident_on,
        opened_at=original.opened_at,
        facts=original.facts,
        events=original.events,
    )
    assert rebuilt.events == original.events
    assert rebuilt.pending_events == ()


def test_a_rebuilt_case_refuses_a_trail_with_a_gap() -> None:
    first = opened().events[0]
    gap = CaseEvent(seq=3, at=NOON, actor=HUB, kind="note.added", what="?")
    with pytest.raises(ValueError, match="out of sequence"):
        Case(
            reference=REF,
            stage=Stage.NOTIFIED,
            version=1,
            aware_on=date(2026, 3, 2),
            incident_on=None,
            opened_at=NOON,
            facts={},
            events=[first, gap],
        )


# -- facts ---------------------------------------------------------------------------------


def test_facts_change_only_through_a_recorded_update() -> None:
    case = opened(facts={"serious_harm": True})
    case.facts["serious_harm"] = False  # a copy: changes nothing
    assert case.facts == {"serious_harm": True}
    event = case.update_facts(
        {"serious_harm": True, "death": True}, actor=HUB, at=NOON, why="coroner confirmed"
    )
    assert event is not None
    assert case.facts == {"serious_harm": True, "death": True}
    assert event.kind == "facts.updated"
    assert event.data == {"changes": {"death": {"from": None, "to": True}}}


def test_updating_facts_to_what_they_already_are_records_nothing() -> None:
    case = opened(facts={"serious_harm": True})
    assert case.update_facts({"serious_harm": True}, actor=HUB, at=NOON) is None
    assert len(case.events) == 1
