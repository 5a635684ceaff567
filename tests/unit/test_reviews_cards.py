"""The review's cards are valid for Teams; what a reader sees depends on their role, and
what may reach a channel carries only the reference, the stage and the deadline."""

from __future__ import annotations

import json
from datetime import date

from bot_app.cases.status_views import review_lines
from bot_app.cases.views import CaseSettings, CaseViews
from bot_app.reviews.views import ReviewViews
from safeguarding import reviews as rv
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Stage
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.reviews import Milestone, ProcessKind, ProcessStatus
from safeguarding.roles import Person, Role
from tests.harness.cards import assert_valid_card
from tests.unit.test_reviews import (
    HUB,
    PARTNER,
    completed_local,
    review_case,
)

VIEWS = ReviewViews(
    CaseViews(
        CaseSettings(
            reference_prefix="NL",
            calendar=WorkingDayCalendar(),
            clocks=STATUTORY_CLOCKS,
            convention=CountingConvention.EXCLUDE_START,
            hub_contact="hub@example.org",
        )
    )
)
HUB_OFFICER = Person("hub-1", "Hana Hub", roles=frozenset({Role.HUB_OFFICER}))
GRACE = Person("partner-1", "Grace Okafor", roles=frozenset({Role.PARTNER}))
NOTIFIER = Person("prac-1", "Pat Practitioner", roles=frozenset({Role.PRACTITIONER}))
PEOPLE = [("olu-1", "Olu Reviewer"), ("hub-1", "Hana Hub")]
CONTACT = "DS Rowe, Major Crimes"


def text_of(card: object) -> str:
    return json.dumps(card, ensure_ascii=False)


def with_process() -> object:
    case = completed_local()
    rv.record_process(
        case,
        ProcessKind.CRIMINAL,
        lead_agency="Humberside Police",
        contact=CONTACT,
        status=ProcessStatus.ONGOING,
        actor=HUB,
        at=case.events[-1].at,
    )
    return case


def test_the_hub_gets_every_form_and_the_family_and_contacts_in_its_personal_card() -> None:
    case = with_process()
    card = VIEWS.card(case, HUB_OFFICER, date(2027, 3, 2), people=PEOPLE)  # type: ignore[arg-type]
    assert_valid_card(card)
    shown = text_of(card)
    for form in (
        "Set the review's lead",
        "Plan the publication date",
        "Record the final report sent",
        "Confirm the report's content",
        "Record a process",
    ):
        assert form in shown
    assert CONTACT in shown
    assert "their views are in the report's chapter 3" in shown
    assert "Olu Reviewer" in shown, "owners are chosen from the directory"


def test_a_notifier_sees_the_track_but_no_forms_contacts_or_family_views() -> None:
    case = with_process()
    shown = text_of(VIEWS.card(case, NOTIFIER, date(2027, 3, 2)))  # type: ignore[arg-type]
    assert "Final report agreed" in shown
    assert "Plan the publication date" not in shown
    assert CONTACT not in shown
    assert "chapter 3" not in shown


def test_the_channel_notice_and_the_status_lines_carry_no_names_or_narrative() -> None:
    case = with_process()
    notice = VIEWS.notice(case, date(2027, 3, 2))  # type: ignore[arg-type]
    assert_valid_card(notice)
    lines = text_of(review_lines(case, date(2027, 3, 2)))  # type: ignore[arg-type]
    for shown in (text_of(notice), lines):
        assert CONTACT not in shown
        assert "Hana Hub" not in shown
        assert "chapter 3" not in shown
    assert "Wednesday 2 June 2027" in text_of(notice)
    assert "6 of 6 done" in lines
    assert "Criminal investigation (ongoing)" in lines


def test_a_learning_review_card_is_valid_and_offers_no_publication() -> None:
    case = review_case("learning", Stage.LEARNING_REVIEW)
    card = VIEWS.card(case, HUB_OFFICER, date(2026, 12, 3), people=PEOPLE)
    assert_valid_card(card)
    shown = text_of(card)
    assert "Practitioners' learning event held" in shown
    assert "Plan the publication date" not in shown
    assert "Tuesday 2 March 2027" in shown


def test_a_national_review_card_lets_a_partner_respond_once_it_is_published() -> None:
    case = review_case("national", Stage.NATIONAL_REVIEW)
    hub_card = text_of(VIEWS.card(case, HUB_OFFICER, date(2026, 12, 3), people=PEOPLE))
    assert "Record: national review complete" in hub_card
    assert "The Child Safeguarding Practice Review Panel leads this review" in hub_card
    day = date(2027, 5, 28)
    rv.publish(
        case, published_on=day, today=day, rules=VIEWS.rules, actor=HUB, at=case.events[-1].at
    )
    card = VIEWS.card(case, GRACE, day)
    assert_valid_card(card)
    shown = text_of(card)
    assert "Record the partners' response" in shown
    assert "Tuesday 28 May 2030" in shown
    rv.record_response(
        case, responded_on=day, summary="Accepted.", today=day, actor=PARTNER, at=case.events[-1].at
    )
    assert "Record the partners' response" not in text_of(VIEWS.card(case, GRACE, day))


def test_a_warning_card_offers_to_record_the_date_anyway() -> None:
    case = completed_local()
    card = VIEWS.card(
        case,
        HUB_OFFICER,
        date(2027, 3, 2),
        people=PEOPLE,
        warning="Publishing on Monday 8 March 2027 breaks the 7-working-day rule.",
        confirm_publish_on=date(2027, 3, 8),
    )
    assert_valid_card(card)
    shown = text_of(card)
    assert "Record this date anyway" in shown
    assert '"confirm": "true"' in shown
    assert rv.review_of(case).milestone(Milestone.FINAL).done_on == date(2027, 3, 1)  # type: ignore[union-attr]
