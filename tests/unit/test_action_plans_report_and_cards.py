"""The Board report's rows and files, and the action plan cards, valid and privacy-safe."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from cards.action_plan import (
    ActionLine,
    ActionsView,
    BoardLinksView,
    FollowUpView,
    ListedAction,
    PlanView,
    actions_card,
    agency_line_card,
    board_report_card,
    follow_up_card,
    plan_card,
)
from safeguarding.action_plans import ActionStatus, PlanAction
from safeguarding.board_report import ClockState, board_report, to_csv, to_markdown
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.case_clocks import case_clocks
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.milestones import AGENCY_REQUESTED, AGENCY_SUBMITTED
from safeguarding.reference import CaseReference
from tests.harness.cards import assert_valid_card

HUB = Actor(id="hub-1", name="Hana Hub")
TODAY = date(2026, 12, 1)
CALENDAR = WorkingDayCalendar()


def case(number: int, *, closed: bool = False) -> Case:
    opened = datetime(2026, 11, 2, 9, tzinfo=UTC)
    made = Case.open(
        reference=CaseReference("NL", 2026, number),
        aware_on=date(2026, 11, 2),
        incident_on=None,
        actor=HUB,
        at=opened,
        facts={"route": "serious", "child": {"name": "Zebedee Quill"}},
    )
    for agency, submitted in (("School", "2026-11-05"), ("Police", None)):
        made.record(
            AGENCY_REQUESTED,
            actor=HUB,
            at=opened,
            what="Asked.",
            data={"agency": agency, "requested_on": "2026-11-02"},
        )
        if submitted:
            made.record(
                AGENCY_SUBMITTED,
                actor=HUB,
                at=opened,
                what="Sent.",
                data={"agency": agency, "submitted_on": submitted},
            )
    if closed:
        made.move_to(Stage.CLOSED, actor=HUB, at=opened)
    return made


def action(reference: str, number: int, due_on: date) -> PlanAction:
    at = datetime(2026, 11, 20, tzinfo=UTC)
    return PlanAction(
        reference,
        number,
        '=HYPERLINK("x")',
        "Police",
        HUB,
        due_on,
        ActionStatus.OPEN,
        False,
        HUB,
        at,
        at,
    )


def test_each_case_shows_its_stage_the_worst_of_its_clocks_and_its_open_actions() -> None:
    cases = [case(2, closed=True), case(1)]
    report = board_report(
        cases,
        clocks_of={
            str(c.reference): case_clocks(c, today=TODAY, calendar=CALENDAR, table=STATUTORY_CLOCKS)
            for c in cases
        },
        open_actions=[
            action("NL-2026-0001", 1, date(2026, 11, 27)),
            action("NL-2026-0001", 2, date(2026, 11, 30)),
            action("NL-2026-0001", 3, date(2026, 12, 30)),
        ],
        table=STATUTORY_CLOCKS,
        today=TODAY,
    )

    first, closed = report.rows
    assert (first.reference, first.stage, first.closed) == (
        "NL-2026-0001",
        "Notified to the Hub",
        False,
    )
    assert closed.reference == "NL-2026-0002"
    assert closed.closed
    # One agency met its report clock, the other is overdue: the Board sees "overdue".
    assert first.clocks[STATUTORY_CLOCKS[1].id] is ClockState.OVERDUE
    assert (first.open_actions, first.oldest_overdue) == (3, date(2026, 11, 27))
    assert (closed.open_actions, closed.oldest_overdue) == (0, None)

    rows = list(csv.reader(io.StringIO(to_csv(report))))
    assert rows[0][0] == "Reference"
    assert rows[1][-2:] == ["3", "2026-11-27"]
    markdown = to_markdown(report, partnership="North Lincolnshire")
    for text in (to_csv(report), markdown):
        assert "Zebedee" not in text
        assert "HYPERLINK" not in text  # descriptions never reach the report


def test_a_spreadsheet_never_runs_a_cell_as_a_formula() -> None:
    from safeguarding.board_report import _safe

    assert _safe(["=1+1", "+x", "-y", "@z", "NL-2026-0001"]) == [
        "'=1+1",
        "'+x",
        "'-y",
        "'@z",
        "NL-2026-0001",
    ]


def test_every_action_plan_card_is_a_valid_adaptive_card() -> None:
    line = ActionLine(
        1,
        "Reissue the pathway",
        "Police",
        "Olu Ade",
        "Friday 18 December 2026",
        "Open",
        1,
        overdue=True,
        national=True,
        evidence="Audit",
        can_update=True,
        can_close=True,
    )
    other = ActionLine(
        2,
        "Train staff",
        "Health",
        "Tom Reed",
        "Friday 8 January 2027",
        "Done",
        3,
        evidence="Done",
        is_open=False,
    )
    plan = PlanView(
        "NL-2026-0001",
        "Action plan",
        "CSPR Group",
        "csprg",
        [("CSPR Group", "csprg"), ("SPLIG", "splig")],
        None,
        None,
        [line, other],
        can_manage=True,
        can_sign_off=True,
        notice="Action 1 added by Hana Hub.",
    )
    listed = ListedAction("NL-2026-0001", 1, "Reissue", "Police", "Olu Ade", "Friday", "Open", True)
    cards = [
        plan_card(plan),
        actions_card(ActionsView("Your actions", "None.", [listed], ["actions agency"])),
        actions_card(ActionsView("Your actions", "You have no open actions.", [])),
        follow_up_card(
            FollowUpView(
                "NL-2026-0001",
                1,
                "Action overdue",
                "Reissue",
                "Police",
                "Friday 18 December 2026",
                "Open",
                "Sent late",
            )
        ),
        agency_line_card("NL-2026-0001", 1, "Friday 18 December 2026"),
        board_report_card(
            BoardLinksView(
                "https://x/md",
                "https://x/html",
                "https://x/csv",
                "10:15 on Tuesday 1 December 2026",
                3,
                1,
                2,
            )
        ),
    ]
    for card in cards:
        assert_valid_card(card)


def test_an_agencys_channel_sees_the_reference_number_and_due_date_only() -> None:
    card = agency_line_card("NL-2026-0001", 2, "Friday 18 December 2026")
    assert [block["text"] for block in card["body"]] == [
        "NL-2026-0001 · action 2 · due Friday 18 December 2026"
    ]
