"""The rapid review's rules on the case aggregate: no I/O, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from safeguarding import milestones
from safeguarding import rapid_review as rr
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.errors import IllegalTransition, InvalidInput
from safeguarding.reference import CaseReference

AT = datetime(2026, 11, 26, 10, tzinfo=UTC)
HUB = Actor(id="hub", name="Priya Shah")
SEATS = {"sam": "Sam Hughes", "fiona": "Fiona Grant", "mark": "Mark Ellis"}
RULE = rr.VoteRule()
DECIDED = date(2026, 12, 2)  # the partners' decision


def case_at(stage: Stage, route: str = "serious") -> Case:
    case = Case.open(
        reference=CaseReference(prefix="NL", year=2026, number=1),
        aware_on=date(2026, 11, 23),
        incident_on=date(2026, 11, 20),
        actor=HUB,
        at=AT,
        facts={"route": route},
    )
    if stage is not Stage.NOTIFIED:
        case.record(
            milestones.PANEL_NOTIFIED,
            actor=HUB,
            at=AT,
            what="Panel notified.",
            data={"notified_on": "2026-11-26"},
        )
        case.move_to(Stage.PANEL_NOTIFIED, actor=HUB, at=AT)
    return case


def ballot(seat: str, choice: str, *criteria: str) -> rr.Ballot:
    return rr.make_ballot(
        seat=seat,
        voter=Actor(id=seat, name=SEATS.get(seat, seat)),
        choice=choice,
        criteria=criteria,
        rationale="Because of the criteria.",
    )


def voting(case: Case) -> int:
    rr.start(case, ["Police"], requested_on=AT.date(), actor=HUB, at=AT)
    return rr.open_vote(case, SEATS, closes_on=date(2026, 12, 1), actor=HUB, at=AT)


def decided(case: Case, *choices: tuple[str, str]) -> rr.Tally:
    voting(case)
    ballots = [ballot(seat, choice, "multi_agency") for seat, choice in choices]
    return rr.close_vote(case, ballots, rule=RULE, actor=HUB, at=AT, reason="All votes are in.")


def test_a_majority_of_the_votes_cast_carries_the_recommendation() -> None:
    result = rr.tally(
        [
            ballot("sam", "local_cspr", "improvements"),
            ballot("fiona", "local_cspr", "improvements"),
            ballot("mark", "abstain"),
        ],
        seats=3,
        rule=RULE,
    )
    assert result.recommendation is rr.Recommendation.LOCAL_CSPR
    assert result.reason == "2 of 2 for local child safeguarding practice review"


def test_a_tie_or_a_missing_quorum_gives_no_recommendation() -> None:
    tie = rr.tally(
        [
            ballot("sam", "local_cspr", "improvements"),
            ballot("fiona", "no_review"),
            ballot("mark", "abstain"),
        ],
        seats=3,
        rule=RULE,
    )
    assert tie.recommendation is None
    assert tie.reason == "the vote was tied"
    short = rr.tally([ballot("sam", "no_review")], seats=3, rule=RULE)
    assert short.recommendation is None
    assert "only 1 of the 2" in short.reason
    everyone = rr.VoteRule(quorum=0)
    two = [ballot("sam", "no_review"), ballot("fiona", "no_review")]
    assert "only 2 of the 3" in rr.tally(two, seats=3, rule=everyone).reason


def test_the_quorum_and_the_majority_basis_are_configurable() -> None:
    two = [ballot("sam", "no_review"), ballot("fiona", "abstain")]
    quorum_of_two = rr.tally(two, seats=3, rule=rr.VoteRule(quorum=2))
    assert quorum_of_two.recommendation is rr.Recommendation.NO_REVIEW
    of_seats = rr.VoteRule(quorum=2, majority=rr.Majority.OF_SEATS)
    assert rr.tally(two, seats=3, rule=of_seats).recommendation is None


@pytest.mark.parametrize(
    ("choice", "criteria", "rationale", "message"),
    [
        ("maybe", (), "x", "Please choose a recommendation"),
        ("local_cspr", (), "x", "Tick the criteria"),
        ("no_review", (), "   ", "your rationale"),
        ("conflict", (), "", "the conflict you are declaring"),
        ("no_review", ("not_a_criterion",), "x", "not one I know"),
    ],
)
def test_a_ballot_needs_a_choice_and_a_rationale_against_the_criteria(
    choice: str, criteria: tuple[str, ...], rationale: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        rr.make_ballot(seat="sam", voter=HUB, choice=choice, criteria=criteria, rationale=rationale)


def test_the_same_vote_twice_is_recognised() -> None:
    first = ballot("sam", "local_cspr", "improvements", "multi_agency")
    assert first.same_vote(ballot("sam", "local_cspr", "multi_agency", "improvements"))
    assert not first.same_vote(ballot("sam", "learning_review"))


def test_starting_asks_each_agency_and_moves_to_the_rapid_review() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    rr.start(case, ["Police", "School", "Police"], requested_on=AT.date(), actor=HUB, at=AT)
    requested = [e.data["agency"] for e in case.events if e.kind == milestones.AGENCY_REQUESTED]
    assert requested == ["Police", "School"]
    assert case.stage is Stage.RAPID_REVIEW
    with pytest.raises(IllegalTransition, match="already started"):
        rr.start(case, ["Police"], requested_on=AT.date(), actor=HUB, at=AT)


def test_only_a_learning_review_case_starts_before_the_panel_is_notified() -> None:
    assert rr.can_start(case_at(Stage.NOTIFIED, route="llr"))
    with pytest.raises(IllegalTransition, match="once the Panel has been notified"):
        rr.start(case_at(Stage.NOTIFIED), ["Police"], requested_on=AT.date(), actor=HUB, at=AT)


def test_the_first_report_meets_the_clock_and_later_ones_replace_it() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    rr.start(case, ["Police"], requested_on=AT.date(), actor=HUB, at=AT)
    due = date(2026, 12, 3)
    first = rr.record_report(
        case, "Police", submitted_on=date(2026, 12, 4), due=due, nil_return=False, actor=HUB, at=AT
    )
    second = rr.record_report(
        case, "Police", submitted_on=date(2026, 12, 4), due=due, nil_return=True, actor=HUB, at=AT
    )
    assert (first.kind, first.data["late"]) == (milestones.AGENCY_SUBMITTED, True)
    assert (second.kind, second.data["version"]) == (rr.REPORT_REPLACED, 2)
    status = rr.state_of(case).agencies["Police"]
    assert (status.submitted_on, status.late, status.nil_return) == (date(2026, 12, 4), True, True)
    with pytest.raises(InvalidInput, match="was not asked"):
        rr.record_report(
            case, "School", submitted_on=due, due=due, nil_return=True, actor=HUB, at=AT
        )


def test_a_vote_closes_once_and_refuses_cards_from_another_round() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    number = voting(case)
    assert rr.check_vote_open(case, number, date(2026, 12, 1)).seats == SEATS
    with pytest.raises(rr.VoteClosed, match="earlier CSPR Group vote"):
        rr.check_vote_open(case, 2, AT.date())
    with pytest.raises(rr.VoteClosed, match="closed at the end of"):
        rr.check_vote_open(case, number, date(2026, 12, 2))
    rr.close_vote(case, [], rule=RULE, actor=HUB, at=AT, reason="Nobody voted.", refer=True)
    with pytest.raises(rr.VoteClosed, match="has closed"):
        rr.check_vote_open(case, number, AT.date())


def test_a_tied_vote_is_referred_to_the_hub_as_a_difference_of_opinion() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    result = decided(case, ("sam", "local_cspr"), ("fiona", "no_review"), ("mark", "abstain"))
    assert result.recommendation is None
    referred = case.events[-1]
    assert referred.kind == rr.DISPUTE_REFERRED
    assert referred.data == {
        "origin": "rapid_review",
        "about": "csprg_vote",
        "round": 1,
        "topic": "review_type",
    }
    assert case.stage is Stage.RECOMMENDATION
    assert rr.open_vote(case, SEATS, closes_on=date(2026, 12, 3), actor=HUB, at=AT) == 2


def test_a_settled_difference_of_opinion_goes_to_the_partners() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    decided(case, ("sam", "local_cspr"), ("fiona", "no_review"), ("mark", "abstain"))
    rr.settle_recommendation(
        case, rr.Recommendation.LEARNING_REVIEW, why="Agreed at mediation.", actor=HUB, at=AT
    )
    assert case.stage is Stage.PARTNERS_DECISION
    assert rr.state_of(case).recommendation is rr.Recommendation.LEARNING_REVIEW


def test_partners_confirm_once_each_until_enough_have() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    decided(case, ("sam", "local_cspr"), ("fiona", "local_cspr"), ("mark", "abstain"))
    grace, helen = Actor(id="grace", name="Grace"), Actor(id="helen", name="Helen")
    assert not rr.confirm(case, round_number=1, required=2, actor=grace, at=AT, decided_on=DECIDED)
    assert not rr.confirm(case, round_number=1, required=2, actor=grace, at=AT, decided_on=DECIDED)
    assert [e.kind for e in case.events].count(rr.PARTNER_CONFIRMED) == 1
    assert rr.confirm(case, round_number=1, required=2, actor=helen, at=AT, decided_on=DECIDED)
    assert rr.state_of(case).confirmed is rr.Recommendation.LOCAL_CSPR
    with pytest.raises(rr.VoteClosed, match="already been made"):
        rr.confirm(case, round_number=1, required=2, actor=helen, at=AT, decided_on=DECIDED)


def test_partners_cannot_decide_before_the_vote_closes() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    voting(case)
    with pytest.raises(rr.VoteClosed, match="has not made a recommendation"):
        rr.confirm(case, round_number=1, required=1, actor=HUB, at=AT, decided_on=DECIDED)


def test_a_challenge_returns_the_case_to_the_group_with_its_reason() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    decided(case, ("sam", "local_cspr"), ("fiona", "local_cspr"), ("mark", "abstain"))
    with pytest.raises(InvalidInput, match="reason"):
        rr.challenge(case, round_number=1, reason=" ", refer=False, actor=HUB, at=AT)
    rr.challenge(case, round_number=1, reason="Consider the LLR.", refer=False, actor=HUB, at=AT)
    assert case.stage is Stage.RECOMMENDATION
    assert case.events[-1].why == "Consider the LLR."


def test_a_challenge_can_open_a_difference_of_opinion_instead() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    decided(case, ("sam", "local_cspr"), ("fiona", "local_cspr"), ("mark", "abstain"))
    rr.challenge(case, round_number=1, reason="Disagree.", refer=True, actor=HUB, at=AT)
    assert case.events[-1].kind == rr.DISPUTE_REFERRED
    assert case.events[-1].data["about"] == "partners_challenge"


def test_a_learning_review_case_never_notified_goes_straight_to_its_review() -> None:
    case = case_at(Stage.NOTIFIED, route="llr")
    decided(case, ("sam", "learning_review"), ("fiona", "learning_review"), ("mark", "abstain"))
    rr.confirm(case, round_number=1, required=1, actor=HUB, at=AT, decided_on=DECIDED)
    assert case.stage is Stage.LEARNING_REVIEW


@pytest.mark.parametrize(
    ("decision", "stage", "started"),
    [
        (rr.PanelDecision.AGREES, Stage.LOCAL_REVIEW, ["local"]),
        (rr.PanelDecision.NATIONAL_REVIEW, Stage.NATIONAL_REVIEW, ["local", "national"]),
        (rr.PanelDecision.OTHER, Stage.LOCAL_REVIEW, ["local"]),
    ],
)
def test_a_local_cspr_starts_at_the_partners_decision_and_every_panel_answer_has_a_next_step(
    decision: rr.PanelDecision, stage: Stage, started: list[str]
) -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    decided(case, ("sam", "local_cspr"), ("fiona", "local_cspr"), ("mark", "abstain"))
    rr.confirm(case, round_number=1, required=1, actor=HUB, at=AT, decided_on=DECIDED)
    review = [e for e in case.events if e.kind == milestones.REVIEW_STARTED]
    assert [e.data["decided_on"] for e in review] == ["2026-12-02"], "from the partners' day"
    with pytest.raises(IllegalTransition, match="not waiting for the Panel"):
        rr.record_panel_decision(
            case, decision, decided_on=date(2026, 12, 9), note="n", actor=HUB, at=AT
        )
    late = rr.record_sent(
        case, sent_on=date(2026, 12, 15), due=date(2026, 12, 14), actor=HUB, at=AT
    )
    assert late
    assert "late (due Monday 14 December 2026)" in case.events[-2].what
    assert case.stage is Stage.LOCAL_REVIEW, "the local review does not wait for the Panel"
    assert rr.awaiting_panel(case)
    rr.record_panel_decision(
        case, decision, decided_on=date(2026, 12, 16), note="Noted.", actor=HUB, at=AT
    )
    assert case.stage is stage
    kinds = [e.data["kind"] for e in case.events if e.kind == milestones.REVIEW_STARTED]
    assert kinds == started
    assert rr.awaiting_panel(case) is (decision is rr.PanelDecision.OTHER)


@pytest.mark.parametrize(
    ("decision", "stage", "kind"),
    [
        (rr.PanelDecision.AGREES, Stage.CLOSED, None),
        (rr.PanelDecision.NATIONAL_REVIEW, Stage.NATIONAL_REVIEW, "national"),
        (rr.PanelDecision.OTHER, Stage.WITH_PANEL, None),
    ],
)
def test_a_case_with_the_panel_moves_on_its_answer(
    decision: rr.PanelDecision, stage: Stage, kind: str | None
) -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    decided(case, ("sam", "no_review"), ("fiona", "no_review"), ("mark", "abstain"))
    rr.confirm(case, round_number=1, required=1, actor=HUB, at=AT, decided_on=DECIDED)
    rr.record_sent(case, sent_on=date(2026, 12, 3), due=date(2026, 12, 14), actor=HUB, at=AT)
    assert case.stage is Stage.WITH_PANEL
    rr.record_panel_decision(
        case, decision, decided_on=date(2026, 12, 16), note="Noted.", actor=HUB, at=AT
    )
    assert case.stage is stage
    started = [e.data["kind"] for e in case.events if e.kind == milestones.REVIEW_STARTED]
    assert started == ([kind] if kind else [])


def test_an_llr_case_recommended_a_cspr_cannot_be_sent_without_a_panel_notification() -> None:
    case = case_at(Stage.NOTIFIED, route="llr")
    decided(case, ("sam", "local_cspr"), ("fiona", "local_cspr"), ("mark", "abstain"))
    assert rr.may_be_serious(case), "a CSPR is only open to a serious case"
    rr.confirm(case, round_number=1, required=1, actor=HUB, at=AT, decided_on=DECIDED)
    with pytest.raises(rr.PanelNotNotified, match="no Panel notification is recorded"):
        rr.record_sent(case, sent_on=date(2026, 12, 3), due=None, actor=HUB, at=AT)
    assert case.stage is Stage.PARTNERS_DECISION
    case.record(
        milestones.PANEL_NOTIFIED,
        actor=HUB,
        at=AT,
        what="Panel notified.",
        data={"notified_on": "2026-12-03"},
    )
    rr.record_sent(case, sent_on=date(2026, 12, 3), due=None, actor=HUB, at=AT)
    assert case.stage is Stage.LOCAL_REVIEW


# -- a vote that cannot stall the rapid review -------------------------------------------------


def test_the_hub_closes_with_the_quorum_in_and_its_reason_kept_in_the_trail() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    voting(case)
    two = [ballot("sam", "local_cspr", "multi_agency"), ballot("fiona", "local_cspr", "eotas")]

    with pytest.raises(InvalidInput, match="reason for closing"):
        rr.close_vote(case, two, rule=RULE, actor=HUB, at=AT, reason="  ")
    result = rr.close_vote(
        case, two, rule=RULE, actor=HUB, at=AT, reason="Mark Ellis is on leave this week."
    )

    assert result.recommendation is rr.Recommendation.LOCAL_CSPR
    closed = next(e for e in case.events if e.kind == rr.VOTE_CLOSED)
    assert closed.why == "Mark Ellis is on leave this week."
    assert "closed by Priya Shah with 2 of 3 votes in" in closed.what
    assert case.stage is Stage.PARTNERS_DECISION


def test_below_the_quorum_the_vote_can_only_be_closed_and_referred() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    voting(case)
    one = [ballot("sam", "no_review")]

    with pytest.raises(rr.BelowQuorum, match="1 of the 2 votes needed is in"):
        rr.close_vote(case, one, rule=RULE, actor=HUB, at=AT, reason="Deadline close.")
    assert rr.state_of(case).vote_open, "nothing changed"
    result = rr.close_vote(
        case, one, rule=RULE, actor=HUB, at=AT, reason="Two members are away.", refer=True
    )

    assert result.recommendation is None
    referred = case.events[-1]
    assert referred.kind == rr.DISPUTE_REFERRED
    assert referred.why is not None
    assert "Two members are away." in referred.why
    assert case.stage is Stage.RECOMMENDATION


def test_each_vote_has_a_name_people_use_never_a_round_number() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    decided(case, ("sam", "local_cspr"), ("fiona", "no_review"), ("mark", "abstain"))
    assert rr.vote_name(case, 1) == "Vote"
    number = rr.open_vote(case, SEATS, closes_on=date(2026, 12, 3), actor=HUB, at=AT)
    assert rr.vote_name(case, number) == "Second vote after a tie"
    assert "second vote after a tie opened" in case.events[-1].what
    assert all("round" not in e.what.lower() for e in case.events)


def test_opening_the_vote_records_the_reports_still_missing() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    rr.start(case, ["Police", "School"], requested_on=AT.date(), actor=HUB, at=AT)
    rr.record_report(
        case,
        "Police",
        submitted_on=AT.date(),
        due=date(2026, 12, 3),
        nil_return=False,
        actor=HUB,
        at=AT,
    )
    assert rr.missing_reports(case) == ["School"]
    rr.open_vote(case, SEATS, closes_on=date(2026, 12, 1), actor=HUB, at=AT)
    opened = case.events[-1]
    assert opened.data["missing_reports"] == ["School"]
    assert "1 of 2 agency reports not in: School" in opened.what


def test_the_criteria_are_grouped_each_once_with_guidance() -> None:
    grouped = [c for group in rr.CRITERIA_GROUPS for c in group.criteria]
    assert sorted(grouped) == sorted(rr.Criterion)
    assert all(group.guidance for group in rr.CRITERIA_GROUPS)
    national = rr.CRITERIA_GROUPS[-1]
    assert national.label(rr.Criterion.EOTAS) == "a child educated otherwise than at school"


CALENDAR = WorkingDayCalendar()
OPENED = datetime(2026, 11, 26, 10, tzinfo=UTC)  # Thursday
RULES = rr.VoteReminders(after_opening=2, before_due=3)


def reminders(case: Case, today: date, due: date | None = date(2026, 12, 14)) -> tuple[str, ...]:
    return rr.reminders_to_send(case, RULES, today=today, rapid_review_due=due, calendar=CALENDAR)


def test_reminders_fall_due_by_working_day_and_each_is_sent_once() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    rr.start(case, ["Police"], requested_on=OPENED.date(), actor=HUB, at=OPENED)
    number = rr.open_vote(case, SEATS, closes_on=date(2026, 12, 9), actor=HUB, at=OPENED)

    assert reminders(case, date(2026, 11, 27)) == ()
    assert reminders(case, date(2026, 11, 30)) == ("after_opening",), "2 working days: Monday"
    rr.record_chase(
        case,
        round_number=number,
        seats=["mark"],
        by=["after_opening"],
        on=date(2026, 11, 30),
        actor=HUB,
        at=OPENED.replace(day=30),
    )
    assert reminders(case, date(2026, 12, 1)) == ()
    # 3 working days before the rapid review's deadline of Monday 14 December: Wednesday 9th.
    assert reminders(case, date(2026, 12, 8)) == ()
    assert reminders(case, date(2026, 12, 9)) == ("before_due",)
    assert reminders(case, date(2026, 12, 10)) == (), "the vote's last day has passed"


def test_a_reminder_never_fires_on_the_day_the_vote_opened_nor_after_it_closed() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    rr.start(case, ["Police"], requested_on=OPENED.date(), actor=HUB, at=OPENED)
    rr.open_vote(case, SEATS, closes_on=date(2026, 12, 1), actor=HUB, at=OPENED)

    late_opening = date(2026, 11, 27)  # the rapid review is nearly due when the vote opens
    assert reminders(case, OPENED.date(), due=late_opening) == ()
    assert reminders(case, late_opening, due=late_opening) == ("before_due",)
    rr.close_vote(case, [], rule=RULE, actor=HUB, at=OPENED, reason="Closed.", refer=True)
    assert reminders(case, date(2026, 11, 30)) == ()


def test_the_hubs_chase_is_recognised_the_same_day_only() -> None:
    case = case_at(Stage.PANEL_NOTIFIED)
    number = voting(case)
    rr.record_chase(
        case, round_number=number, seats=["mark"], by=["hub"], on=AT.date(), actor=HUB, at=AT
    )
    chased = rr.hub_chased_on(case, number, AT.date())
    assert chased is not None
    assert chased.seats == ("mark",)
    assert "reminded by the Hub: Mark Ellis" in case.events[-1].what
    assert rr.hub_chased_on(case, number, date(2026, 11, 27)) is None
