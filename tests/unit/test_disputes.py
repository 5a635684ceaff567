"""Differences of opinion as the case's events tell them: the ladder, its refusals, its timers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from safeguarding import disputes as d
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import SYSTEM, Actor, Case, Stage
from safeguarding.case_clocks import case_clocks
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.disputes import DisputePolicy, DisputeStage, TimerKind, Topic
from safeguarding.errors import IllegalTransition, InvalidInput
from safeguarding.policy import Forbidden
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role

ENGLAND = WorkingDayCalendar()
POLICY = DisputePolicy()
HUB = Actor(id="hub-1", name="Hana Hub")
LEAD = Actor(id="lead-1", name="Amira Lead")
ISO = Actor(id="iso-1", name="Ruth Scrutiny")
PARTNER = Actor(id="partner-1", name="Helen Partner")
SKIP = "A child's safety plan needs the partners now."
AT = datetime(2026, 11, 26, 10, tzinfo=UTC)  # Thursday


def person(object_id: str, *roles: Role) -> Person:
    return Person(object_id=object_id, name=object_id, roles=frozenset(roles))


def _case() -> Case:
    return Case.open(
        reference=CaseReference("NL", 2026, 1),
        aware_on=date(2026, 11, 23),
        incident_on=date(2026, 11, 20),
        actor=HUB,
        at=AT - timedelta(days=3),
        facts={"route": "serious"},
    )


def _raised(case: Case | None = None) -> Case:
    case = case or _case()
    d.raise_dispute(
        case,
        actor=LEAD,
        topic=Topic.CRITERIA,
        position="The criteria are met.",
        reasons="Serious harm is likely to be long-term.",
        at=AT,
    )
    return case


def test_raising_records_the_narrative_in_why_only_and_starts_stage_one() -> None:
    case = _raised()

    event = case.events[-1]
    assert event.kind == d.RAISED
    assert "Serious harm" in (event.why or "")
    assert "Serious harm" not in event.what
    assert "Serious harm" not in str(dict(event.data))
    dispute = d.find_dispute(case, 1)
    assert (dispute.stage, dispute.topic, dispute.raised_by) == (
        DisputeStage.LIAISON,
        Topic.CRITERIA,
        LEAD,
    )
    assert dispute.target(ENGLAND, POLICY) == date(2026, 12, 3), "5 working days after raising"


def test_the_ladder_climbs_to_mediation_and_the_outcome_is_recorded() -> None:
    case = _raised()
    d.respond(case, 1, actor=HUB, text="We read it differently.", at=AT + timedelta(hours=1))
    d.escalate(case, 1, actor=HUB, text="No agreement.", at=AT + timedelta(days=7))
    d.respond(case, 1, actor=PARTNER, text="We agree with the Hub.", at=AT + timedelta(days=8))
    second = d.escalate(case, 1, actor=LEAD, text="Still none.", at=AT + timedelta(days=14))
    assert second.stage is DisputeStage.MEDIATION
    assert second.target(ENGLAND, POLICY) == date(2026, 12, 17)

    done = d.resolve(case, 1, actor=ISO, text="A local CSPR.", at=AT + timedelta(days=16))

    assert not done.is_open
    assert [e.kind for e in done.history] == [
        d.RAISED,
        d.RESPONDED,
        d.ESCALATED,
        d.RESPONDED,
        d.ESCALATED,
        d.RESOLVED,
    ]
    assert [e.text for e in done.history][-1] == "A local CSPR."
    assert d.open_disputes(case) == []


def test_stage_two_is_refused_until_stage_one_has_had_a_response() -> None:
    case = _raised()
    before = len(case.events)

    with pytest.raises(d.NotTried, match=r"stage 1 .* has not been tried") as refused:
        d.escalate(case, 1, actor=LEAD, text="No reply yet.", at=AT + timedelta(hours=1))

    assert "give the reason for going to stage 2 without one" in refused.value.user_message
    assert "Nothing was changed" in refused.value.user_message
    assert len(case.events) == before
    d.respond(case, 1, actor=HUB, text="We disagree.", at=AT + timedelta(hours=2))
    tried = d.escalate(case, 1, actor=LEAD, text="No agreement.", at=AT + timedelta(hours=3))
    assert tried.stage is DisputeStage.PARTNERS
    assert not tried.stages[0].skipped


def test_the_raisers_own_response_does_not_count_as_trying_stage_one() -> None:
    case = _raised()
    d.respond(case, 1, actor=LEAD, text="More detail from us.", at=AT + timedelta(hours=1))

    assert not d.find_dispute(case, 1).tried
    with pytest.raises(d.NotTried):
        d.escalate(case, 1, actor=LEAD, text="Nobody answered.", at=AT + timedelta(hours=2))


def test_stage_one_may_be_skipped_with_a_reason_which_is_recorded() -> None:
    case = _raised()

    with pytest.raises(d.NotTried):  # a blank reason is no reason
        d.escalate(case, 1, actor=LEAD, text="Urgent.", at=AT, skip_reason="   ")
    escalated = d.escalate(case, 1, actor=LEAD, text="Urgent.", at=AT, skip_reason=SKIP)

    event = case.events[-1]
    assert escalated.stage is DisputeStage.PARTNERS
    assert SKIP in (event.why or "")
    assert "Urgent." in (event.why or "")
    assert "not tried first; the reason is recorded" in event.what
    assert SKIP not in event.what, "the reason is narrative: in the why only"
    assert escalated.stages[0].skipped


def test_each_stage_target_counts_from_the_day_that_stage_began() -> None:
    case = _raised()  # Thursday 26 November: stage 1's target is Thursday 3 December
    d.respond(case, 1, actor=HUB, text="We disagree.", at=AT + timedelta(hours=1))
    tuesday = datetime(2026, 12, 1, 15, tzinfo=UTC)

    second = d.escalate(case, 1, actor=HUB, text="No agreement.", at=tuesday)

    first_span, second_span = second.stages
    assert d.stage_target(first_span.stage, first_span.started_at, ENGLAND, POLICY) == date(
        2026, 12, 3
    )
    assert second.target(ENGLAND, POLICY) == date(2026, 12, 8), "5 working days after Tuesday"
    assert (first_span.ended_at, second_span.started_at) == (tuesday, tuesday)
    longer = DisputePolicy(stage_days=(5, 10, 5))
    assert second.target(ENGLAND, longer) == date(2026, 12, 15), "stage 2's own length"


def test_a_repeated_press_is_found_with_who_and_when() -> None:
    case = _raised()
    d.respond(case, 1, actor=HUB, text="We  disagree.", at=AT, activity="press-1")
    dispute = d.find_dispute(case, 1)

    found = dispute.recorded_by("press-1")
    assert found is not None
    assert (found.kind, found.actor, found.at) == (d.RESPONDED, HUB, AT)
    assert dispute.same_response(HUB, " We disagree. ") == found
    assert dispute.same_response(HUB, "Something else.") is None
    assert dispute.same_response(LEAD, "We disagree.") is None
    assert dispute.recorded_by("press-2") is None


def test_escalating_past_stage_three_is_refused_and_nothing_changes() -> None:
    case = _raised()
    d.escalate(case, 1, actor=HUB, text="a", at=AT + timedelta(days=1), skip_reason=SKIP)
    d.escalate(case, 1, actor=HUB, text="b", at=AT + timedelta(days=2), skip_reason=SKIP)
    before = len(case.events)

    with pytest.raises(IllegalTransition, match="no further stage"):
        d.escalate(case, 1, actor=HUB, text="c", at=AT + timedelta(days=3))
    assert len(case.events) == before


@pytest.mark.parametrize("outcome", ["", "   \n  "])
def test_resolving_without_an_outcome_is_refused(outcome: str) -> None:
    case = _raised()
    with pytest.raises(InvalidInput, match="agreed outcome"):
        d.resolve(case, 1, actor=HUB, text=outcome, at=AT + timedelta(hours=1))
    assert d.find_dispute(case, 1).is_open


def test_refusals_never_echo_what_was_typed() -> None:
    case = _raised()
    typed = "Zephyrine " * 300
    with pytest.raises(InvalidInput) as refused:
        d.respond(case, 1, actor=HUB, text=typed, at=AT + timedelta(hours=1))
    assert "Zephyrine" not in refused.value.user_message


def test_raising_on_a_closed_case_is_refused() -> None:
    case = _case()
    case.move_to(Stage.CLOSED, actor=HUB, at=AT)
    with pytest.raises(IllegalTransition, match="is closed"):
        _raised(case)
    assert d.disputes_of(case) == []


def test_a_resolved_dispute_cannot_change() -> None:
    case = _raised()
    d.resolve(case, 1, actor=HUB, text="Agreed.", at=AT + timedelta(hours=1))
    with pytest.raises(IllegalTransition, match="already resolved"):
        d.respond(case, 1, actor=HUB, text="More.", at=AT + timedelta(hours=2))


def test_parties_widen_as_it_climbs_and_only_the_scrutiny_officer_records_a_mediation() -> None:
    case = _raised()
    partner = person("partner-1", Role.PARTNER)
    member = person("member-1", Role.CSPRG_MEMBER)
    iso = person("iso-1", Role.SCRUTINY_OFFICER)
    raiser = Person(object_id=LEAD.id, name=LEAD.name)
    other_lead = person("lead-2", Role.AGENCY_LEAD)
    hub = person("hub-1", Role.HUB_OFFICER)

    first = d.find_dispute(case, 1)
    assert [first.is_party(p) for p in (raiser, member, hub, partner, iso, other_lead)] == [
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    with pytest.raises(Forbidden, match="not a party"):
        first.require_party(partner)

    d.escalate(case, 1, actor=HUB, text="a", at=AT + timedelta(days=1), skip_reason=SKIP)
    assert d.find_dispute(case, 1).is_party(partner)
    assert not d.find_dispute(case, 1).is_party(iso)

    third = d.escalate(case, 1, actor=HUB, text="b", at=AT + timedelta(days=2), skip_reason=SKIP)
    assert third.is_party(iso)
    assert third.may_resolve(iso)
    assert not third.may_resolve(hub)
    assert not third.is_party(other_lead)


def test_a_dispute_never_changes_the_statutory_clocks() -> None:
    case = _case()
    today = date(2026, 12, 20)

    def clocks() -> list[object]:
        return list(case_clocks(case, today=today, calendar=ENGLAND, table=STATUTORY_CLOCKS))

    before = clocks()
    _raised(case)
    d.escalate(case, 1, actor=HUB, text="a", at=AT + timedelta(days=7), skip_reason=SKIP)
    d.escalate(case, 1, actor=SYSTEM, text="auto", at=AT + timedelta(days=14), skip_reason=SKIP)
    d.resolve(case, 1, actor=ISO, text="Agreed.", at=AT + timedelta(days=16))

    assert clocks() == before


def test_the_case_card_line_has_the_stage_and_target_and_no_narrative() -> None:
    case = _raised()
    d.escalate(
        case, 1, actor=HUB, text="No agreement.", at=AT + timedelta(days=7), skip_reason=SKIP
    )

    line = d.case_card_line(case, ENGLAND, POLICY)

    assert line is not None
    assert line.startswith(
        "1 open difference of opinion (stage 2, target Thursday 10 December 2026)"
    )
    assert "agreement" not in line
    assert "criteria" not in line.lower()


def test_an_erased_narrative_reads_as_none() -> None:
    case = _raised()
    stored = case.events[-1]
    erased = Case(
        reference=case.reference,
        stage=case.stage,
        version=1,
        aware_on=case.aware_on,
        incident_on=case.incident_on,
        opened_at=case.opened_at,
        facts=case.facts,
        events=(*case.events[:-1], type(stored)(**{**stored.__dict__, "why": None})),
    )
    assert d.find_dispute(erased, 1).history[0].text is None


# -- timers ---------------------------------------------------------------------------------


def _times(case: Case) -> list[tuple[str, datetime]]:
    plan = d.plan_timers(d.find_dispute(case, 1), policy=POLICY, calendar=ENGLAND)
    return [(t.key.kind, t.send_at) for t in plan]


def test_a_stage_is_announced_reminded_at_nine_and_prompted_the_day_after_its_target() -> None:
    assert _times(_raised()) == [
        ("announce", AT),
        ("before_2", datetime(2026, 12, 1, 9, tzinfo=UTC)),
        ("target", datetime(2026, 12, 3, 9, tzinfo=UTC)),
        ("passed", datetime(2026, 12, 4, 9, tzinfo=UTC)),
    ]


def test_after_downtime_past_the_target_only_the_prompt_goes_out_late() -> None:
    plan = d.plan_timers(d.find_dispute(_raised(), 1), policy=POLICY, calendar=ENGLAND)
    announce = {t.key for t in plan if t.kind is TimerKind.ANNOUNCE}
    on_the_day = d.select_timers(
        plan,
        now=datetime(2026, 12, 3, 15, tzinfo=UTC),
        stored=announce,
        late_after=POLICY.late_after,
    )
    assert [(t.key.kind, late) for t, late in on_the_day.send] == [("target", True)]
    assert [t.key.kind for t in on_the_day.skip] == ["before_2"]

    selection = d.select_timers(
        plan,
        now=datetime(2026, 12, 7, 12, tzinfo=UTC),
        stored=announce,
        late_after=POLICY.late_after,
    )

    assert [(t.key.kind, late) for t, late in selection.send] == [("passed", True)]
    assert [t.key.kind for t in selection.skip] == ["before_2", "target"]
    again = d.select_timers(
        plan,
        now=datetime(2026, 12, 7, 12, 1, tzinfo=UTC),
        stored=announce | {t.key for t, _ in selection.send} | {t.key for t in selection.skip},
        late_after=POLICY.late_after,
    )
    assert again.send == ()
    assert again.skip == ()


def test_a_resolved_dispute_has_no_timers_and_an_escalation_starts_new_ones() -> None:
    case = _raised()
    d.respond(case, 1, actor=HUB, text="No.", at=datetime(2026, 12, 4, 10, tzinfo=UTC))
    d.escalate(case, 1, actor=HUB, text="a", at=datetime(2026, 12, 4, 11, tzinfo=UTC))
    kinds = {
        (t.key.dispute_key, t.key.kind)
        for t in d.plan_timers(d.find_dispute(case, 1), policy=POLICY, calendar=ENGLAND)
    }
    assert ("1/2", "announce") in kinds
    assert all(key == "1/2" for key, _ in kinds)
    d.resolve(case, 1, actor=HUB, text="Agreed.", at=datetime(2026, 12, 5, tzinfo=UTC))
    assert d.plan_timers(d.find_dispute(case, 1), policy=POLICY, calendar=ENGLAND) == []


@pytest.mark.parametrize(
    "kwargs",
    [{"stage_days": (5, 0, 5)}, {"stage_days": (5, 5)}, {"days_before": (2, 2)}],
)
def test_impossible_dispute_policies_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        DisputePolicy(**kwargs)  # type: ignore[arg-type]


def test_a_referral_waits_until_a_dispute_is_opened_from_it() -> None:
    case = _case()
    referral = case.record(
        d.REFERRED, actor=SYSTEM, at=AT, what="The CSPR Group vote was tied.", data={}
    )
    assert d.pending_referrals(case) == [referral]

    d.raise_dispute(
        case,
        actor=HUB,
        topic=Topic.REVIEW_TYPE,
        position=referral.what,
        reasons="Tied vote.",
        at=AT,
        referral_seq=referral.seq,
    )

    assert d.pending_referrals(case) == []
    assert d.opened_from_referral(case, referral.seq) == d.find_dispute(case, 1)


def test_event_data_reads_back_what_it_wrote() -> None:
    raised = d.RaisedData(2, Topic.PROCESS, token="t", referral=7)
    step = d.StepData(2, 3, activity="press-1")

    assert d.RaisedData.from_data(raised.to_data()) == raised
    assert d.StepData.from_data(step.to_data()) == step
    assert d.ReferredData.from_data({"topic": "criteria", "round": 1}).topic is Topic.CRITERIA
    assert d.ReferredData.from_data({"origin": "rapid_review"}).topic is None


def test_an_event_without_a_dispute_number_is_not_read_as_a_dispute() -> None:
    with pytest.raises(ValueError, match="not a dispute event"):
        d.StepData.from_data({"number": True, "stage": 1})
