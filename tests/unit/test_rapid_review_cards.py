"""The rapid review's cards are valid for Teams, and shared cards never show how anyone voted
(nor why) until the vote closes."""

from __future__ import annotations

import json

from cards.case import ClockLine
from cards.rapid_review import (
    AgencyLine,
    PartnersView,
    ReportReviewView,
    ReportStepView,
    StartView,
    TrackerView,
    partners_card,
    report_review_card,
    report_step_card,
    start_card,
    tracker_card,
)
from cards.vote import MyVote, SeatLine, VoteCardView, vote_card
from tests.harness.cards import assert_valid_card

SEATS = [SeatLine("Sam Hughes", voted=True, by="Jo Patel"), SeatLine("Fiona Grant", voted=False)]


def test_the_shared_vote_card_lists_who_voted_and_refreshes_for_the_members() -> None:
    card = vote_card(
        VoteCardView(
            reference="NL-2026-0001",
            round=1,
            closes_on="Tuesday 1 December 2026",
            seats=SEATS,
            user_ids=["29:sam", "29:fiona"],
        )
    )
    assert_valid_card(card)
    assert card["refresh"] == {
        "action": {
            "type": "Action.Execute",
            "verb": "vote.refresh",
            "data": {"reference": "NL-2026-0001", "round": 1},
        },
        "userIds": ["29:sam", "29:fiona"],
    }
    text = json.dumps(card)
    assert "Voted (by Jo Patel)" in text
    assert "Not yet" in text


def test_a_members_own_view_shows_their_vote_and_rationale_to_change() -> None:
    card = vote_card(
        VoteCardView(
            reference="NL-2026-0001",
            round=1,
            closes_on="Tuesday 1 December 2026",
            seats=SEATS,
            mine=MyVote("local_cspr", ["multi_agency"], "Escalation was missed."),
        )
    )
    assert_valid_card(card)
    text = json.dumps(card)
    assert "Escalation was missed." in text
    assert "Change my vote" in text
    assert "refresh" not in card


def test_a_closed_vote_shows_each_choice_but_no_rationale() -> None:
    card = vote_card(
        VoteCardView(
            reference="NL-2026-0001",
            round=1,
            closes_on="Tuesday 1 December 2026",
            seats=[SeatLine("Sam Hughes", voted=True, choice="no_review", criteria=["x"])],
            closed=True,
            outcome="no recommendation (the vote was tied)",
        )
    )
    assert_valid_card(card)
    assert "No review (x)" in json.dumps(card)
    assert "actions" not in card


def test_every_other_rapid_review_card_is_valid() -> None:
    cards = [
        start_card(StartView("NL-2026-0001", ["Police", "School"], ["Police"], "Thu 3 Dec")),
        tracker_card(
            TrackerView(
                reference="NL-2026-0001",
                stage="Rapid review",
                clocks=[ClockLine("Rapid review", "Mon 14 Dec", "5 working days left")],
                agencies=[AgencyLine("Police", "Thu 3 Dec", "Overdue", alarming=True)],
                vote="Round 1 open",
                partners="Waiting",
                panel="Not sent yet",
                today="2026-12-04",
                can_open_vote=True,
                can_close_vote=True,
                can_record_sent=True,
                can_record_decision=True,
            )
        ),
        partners_card(
            PartnersView("NL-2026-0001", 1, "Local CSPR", "2 of 3", [("Sam", "Local")], [], 3)
        ),
        *(
            report_step_card(ReportStepView("NL-2026-0001", "Police", "Thu", step, "t"))
            for step in ("involvement", "actions", "learning")
        ),
        report_review_card(ReportReviewView("NL-2026-0001", "Police", "Thu", "t", [], late=True)),
    ]
    for card in cards:
        assert_valid_card(card)
