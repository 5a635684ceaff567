"""Case governance on the aggregate: corrections, the Panel's and other notifications, and
"criteria not met" as the representatives' decision. No I/O, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from safeguarding import closure, panel
from safeguarding import disputes as dd
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.case_clocks import ClockStatus, case_clocks
from safeguarding.clocks import STATUTORY_CLOCKS, ClockId
from safeguarding.corrections import ChildCorrection, Correction, correct_case
from safeguarding.errors import IllegalTransition, InvalidInput
from safeguarding.notification import AgeBand, Route
from safeguarding.reference import CaseReference

AT = datetime(2026, 11, 26, 10, tzinfo=UTC)
TODAY = date(2026, 11, 26)
HUB = Actor(id="hub", name="Priya Shah")
SAM = Actor(id="sam", name="Sam Hughes")
FIONA = Actor(id="fiona", name="Fiona Grant")
CALENDAR = WorkingDayCalendar()


def new_case(**facts: object) -> Case:
    return Case.open(
        reference=CaseReference(prefix="NL", year=2026, number=1),
        aware_on=date(2026, 11, 23),
        incident_on=date(2026, 11, 20),
        actor=HUB,
        at=AT,
        facts={"route": "outside", "outcome": "neither", "child": {"age_band": "1_4"}, **facts},
    )


def clocks(case: Case) -> dict[ClockId, tuple[date, ClockStatus]]:
    found = case_clocks(case, today=TODAY, calendar=CALENDAR, table=STATUTORY_CLOCKS)
    return {c.rule.id: (c.deadline.due, c.status) for c in found}


def test_a_reclassified_case_gets_the_panel_clocks_from_the_original_awareness_date() -> None:
    case = new_case()
    assert clocks(case) == {}
    correct_case(case, Correction(route=Route.SERIOUS), reason="Fractures.", actor=HUB, at=AT,
                 today=TODAY)  # fmt: skip
    assert clocks(case)[ClockId.PANEL_NOTIFICATION][0] == date(2026, 11, 30)
    assert case.events[-1].data["changes"] == {"route": {"from": "outside", "to": "serious"}}
    assert case.events[-1].why == "Fractures."


def test_a_corrected_awareness_date_moves_every_deadline_and_keeps_the_old_one() -> None:
    case = new_case(route="serious")
    correct_case(
        case, Correction(aware_on=date(2026, 11, 20)), reason="Police knew.", actor=HUB, at=AT,
        today=TODAY,
    )  # fmt: skip
    assert case.aware_on == date(2026, 11, 20)
    assert clocks(case)[ClockId.PANEL_NOTIFICATION][0] == date(2026, 11, 27)
    assert clocks(case)[ClockId.RAPID_REVIEW][0] == date(2026, 12, 11)
    assert case.events[-1].data["changes"]["aware_on"]["from"] == "2026-11-23"


@pytest.mark.parametrize(
    ("correction", "reason", "message"),
    [
        (Correction(route=Route.SERIOUS), "  ", "reason"),
        (Correction(aware_on=date(2026, 11, 27)), "Typo.", "in the future"),
        (Correction(aware_on=date(2026, 11, 19)), "Typo.", "before the incident"),
        (
            Correction(
                child=ChildCorrection(AgeBand.AGE_5_10, False, False, False, False, True, None)
            ),
            "Typo.",
            "can't be a care leaver",
        ),
    ],
)
def test_a_bad_correction_is_refused_and_changes_nothing(
    correction: Correction, reason: str, message: str
) -> None:
    case = new_case()
    with pytest.raises(InvalidInput, match=message):
        correct_case(case, correction, reason=reason, actor=HUB, at=AT, today=TODAY)
    assert len(case.events) == 1
    assert case.facts["route"] == "outside"


def test_the_panel_notification_is_recorded_once_where_the_definition_may_apply() -> None:
    case = new_case()

    def record(may_apply: bool) -> None:
        panel.record_panel_notification(
            case,
            notified_on=TODAY,
            notified_time="",
            due=date(2026, 11, 30),
            may_apply=may_apply,
            actor=HUB,
            at=AT,
            today=TODAY,
        )

    with pytest.raises(IllegalTransition, match="reclassify the case first"):
        record(False)
    record(True)
    assert case.stage is Stage.PANEL_NOTIFIED
    with pytest.raises(panel.AlreadyRecorded, match="already recorded"):
        record(True)


def test_why_the_panel_was_not_notified_waives_its_clock() -> None:
    case = new_case(route="serious")
    panel.record_panel_not_notified(case, reason="Notified by Leeds.", may_apply=True, actor=HUB,
                                    at=AT)  # fmt: skip
    assert clocks(case)[ClockId.PANEL_NOTIFICATION][1] is ClockStatus.WAIVED
    assert panel.panel_settled(case)


@pytest.mark.parametrize(
    ("child", "notices"),
    [
        (
            {"age_band": "18_24", "care_leaver": True, "care_leaver_age": 20},
            [ClockId.CARE_LEAVER_DEATH],
        ),
        ({"age_band": "11_15", "looked_after": True}, [ClockId.LOOKED_AFTER_DEATH]),
        ({"age_band": "11_15"}, []),
    ],
)  # fmt: skip
def test_deaths_of_care_leavers_and_looked_after_children_get_their_own_clock(
    child: dict[str, object], notices: list[ClockId]
) -> None:
    case = new_case(outcome="died", child=child)
    assert [c for c in clocks(case) if c in set(ClockId)] == notices
    for notice in notices:
        panel.record_statutory_notification(
            case, notice, notified_on=TODAY, due=date(2026, 11, 30), actor=HUB, at=AT, today=TODAY
        )
        assert clocks(case)[notice][1] is ClockStatus.MET
        with pytest.raises(panel.AlreadyRecorded):
            panel.record_statutory_notification(
                case, notice, notified_on=TODAY, due=date(2026, 11, 30), actor=HUB, at=AT,
                today=TODAY,
            )  # fmt: skip


def test_criteria_not_met_needs_the_representatives_not_the_proposer() -> None:
    case = new_case()
    proposal = closure.propose(case, reason="Accidental.", actor=HUB, at=AT)
    with pytest.raises(IllegalTransition, match="already proposed"):
        closure.propose(case, reason="Again.", actor=HUB, at=AT)
    with pytest.raises(closure.OwnProposal):
        closure.confirm(case, proposal.number, seat="hub", required=2, actor=HUB, at=AT)
    assert not closure.confirm(case, 1, seat="sam", required=2, actor=SAM, at=AT)
    assert not closure.confirm(case, 1, seat="sam", required=2, actor=SAM, at=AT)
    assert case.is_open
    assert closure.confirm(case, 1, seat="fiona", required=2, actor=FIONA, at=AT)
    assert case.stage is Stage.CLOSED
    assert closure.closed_as_not_met(case) is not None
    with pytest.raises(closure.ProposalClosed, match="already decided"):
        closure.confirm(case, 1, seat="mark", required=2, actor=SAM, at=AT)


def test_a_challenge_keeps_the_case_open() -> None:
    case = new_case()
    closure.propose(case, reason="Accidental.", actor=HUB, at=AT)
    closure.challenge(case, 1, seat="sam", reason="Bruising pattern.", actor=SAM, at=AT)
    assert case.is_open
    assert closure.may_propose(case)
    with pytest.raises(closure.ProposalClosed, match="challenged by Sam Hughes"):
        closure.confirm(case, 1, seat="fiona", required=1, actor=FIONA, at=AT)


@pytest.mark.parametrize("upheld", [True, False])
def test_a_dispute_on_the_decision_reopens_the_case_only_if_upheld(upheld: bool) -> None:
    case = new_case()
    closure.propose(case, reason="Accidental.", actor=HUB, at=AT)
    closure.confirm(case, 1, seat="sam", required=1, actor=SAM, at=AT)
    dispute = dd.raise_dispute(
        case, actor=SAM, topic=dd.Topic.PROCESS, position="Meets it.", reasons="Harm.", at=AT
    )
    assert dispute.on_decision
    assert dispute.topic is dd.Topic.CRITERIA
    dd.resolve(case, 1, actor=HUB, text="Agreed.", at=AT, upheld=upheld)
    assert case.is_open is upheld
    assert (case.stage is Stage.NOTIFIED) is upheld


def test_a_case_closed_any_other_way_takes_no_dispute() -> None:
    case = new_case()
    case.move_to(Stage.CLOSED, actor=HUB, at=AT)
    with pytest.raises(IllegalTransition, match="is closed"):
        dd.raise_dispute(case, actor=SAM, topic=dd.Topic.CRITERIA, position="p", reasons="r", at=AT)
