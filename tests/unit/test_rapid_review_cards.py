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
from cards.vote import (
    MyVote,
    PackReport,
    SeatLine,
    VoteCardView,
    VotingPackView,
    open_anyway_card,
    vote_card,
    voting_pack_card,
)
from tests.harness.cards import assert_valid_card

SEATS = [
    SeatLine("Sam Hughes", voted=True, by="Jo Patel", when="at 07:41 on Friday 27 November 2026"),
    SeatLine("Fiona Grant", voted=False),
]


def test_the_shared_vote_card_lists_who_voted_and_refreshes_for_the_members() -> None:
    card = vote_card(
        VoteCardView(
            reference="NL-2026-0001",
            round=1,
            name="Vote",
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
    assert "Voted at 07:41 on Friday 27 November 2026 (by Jo Patel)" in text
    assert "Not yet" in text
    # Where a client does not refresh cards, a member asks for their own view instead.
    show_mine = [a for a in card["actions"] if a["title"] == "Show my vote"]
    assert [a["verb"] for a in show_mine] == ["vote.refresh"]


def test_a_members_own_view_shows_their_vote_and_rationale_to_change() -> None:
    card = vote_card(
        VoteCardView(
            reference="NL-2026-0001",
            round=1,
            name="Vote",
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
    assert "Show my vote" not in text


def test_a_closed_vote_shows_each_choice_but_no_rationale() -> None:
    card = vote_card(
        VoteCardView(
            reference="NL-2026-0001",
            round=1,
            name="Vote",
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
                vote="Open until Tuesday 1 December 2026: 1 of 3 voted",
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


def test_the_members_receipt_says_what_they_chose_and_when_with_the_criteria_grouped() -> None:
    card = vote_card(
        VoteCardView(
            reference="NL-2026-0001",
            round=2,
            name="Second vote after a tie",
            closes_on="Tuesday 1 December 2026",
            seats=[SeatLine("Sam Hughes", voted=True, when="at 07:41 on Thursday 26 November")],
            mine=MyVote(
                "local_cspr", ["multi_agency", "eotas"], "Escalation was missed.", when="07:41"
            ),
            reports="Agency reports: 2 of 3 in (not in yet: Police).",
        )
    )
    assert_valid_card(card)
    text = json.dumps(card)
    assert "You voted: **Local child safeguarding practice review**, 07:41" in text
    assert "change your vote until the vote closes" in text
    assert "Second vote after a tie" in text
    assert "Round" not in text
    assert "Voted at 07:41" in text
    assert "Open the voting pack" in text
    assert "not in yet: Police" in text
    groups = {i["id"]: i.get("value") for i in card["body"] if i.get("type") == "Input.ChoiceSet"}
    assert groups["criteria"] == "multi_agency"
    assert groups["criteria_national"] == "eotas"
    assert groups["criteria_regard"] is None
    assert "must take into account" in text


def test_the_voting_pack_and_the_open_anyway_step_are_valid_cards() -> None:
    pack = voting_pack_card(
        VotingPackView(
            reference="NL-2026-0001",
            facts=[("Incident", "Friday 20 November 2026")],
            summary="A summary.",
            clocks=[ClockLine("Rapid review", "Mon 14 Dec", "5 working days left")],
            reports=[PackReport("Police", "Submitted Thu 3 Dec", [("Facts", "Seen weekly.")])],
            missing=["School"],
        )
    )
    assert_valid_card(pack)
    assert "Agency reports: 1 of 2 in" in json.dumps(pack)
    warning = open_anyway_card(
        "NL-2026-0001",
        missing=["School", "Council"],
        asked=5,
        open_verb="rapid_review.open_vote",
        back_verb="rapid_review.tracker",
    )
    assert_valid_card(warning)
    assert "2 of 5 agency reports are not in: School, Council. Open the vote anyway?" in (
        json.dumps(warning)
    )


def test_the_tracker_offers_a_chase_and_a_close_with_a_reason_or_a_referral() -> None:
    def tracker(*, refer: bool) -> str:
        card = tracker_card(
            TrackerView(
                reference="NL-2026-0001",
                stage="Recommendation",
                clocks=[],
                agencies=[],
                vote="Open until Tuesday 1 December 2026: 1 of 3 voted",
                partners="Waiting",
                panel="Not sent yet",
                today="2026-12-04",
                can_close_vote=True,
                can_chase=True,
                close_refers=refer,
            )
        )
        assert_valid_card(card)
        return json.dumps(card)

    assert "Chase members who haven't voted" in tracker(refer=False)
    assert "Why close the vote now?" in tracker(refer=False)
    assert "Close and refer to the partners" in tracker(refer=True)
