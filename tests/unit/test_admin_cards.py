"""Administration and evidence cards render in Teams; the printable bundle escapes everything."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot_app.evidence.http import render_html
from cards.admin import (
    VERB_RETENTION_RUN,
    VERB_REVOKE,
    DecisionView,
    PersonView,
    RetentionView,
    RoleView,
    WhoisView,
    retention_card,
    whois_card,
)
from cards.evidence import ExportView, export_card
from safeguarding.case import Actor, Case
from safeguarding.evidence import AccessRecord, BundleContext, evidence_bundle
from safeguarding.reference import CaseReference
from safeguarding.retention import HoldState
from safeguarding.trail import TrailKeys, chain, verify_chain
from tests.harness.cards import assert_valid_card

SAM = PersonView(
    object_id="0b8f",
    name="Sam Hughes",
    email="sam.hughes@example.org",
    agency="Humberside Police",
    roles=[RoleView("csprg_member", "CSPR Group core member", "from the directory file")],
)


def test_the_whois_card_offers_revoke_buttons_only_to_administrators() -> None:
    for can_manage in (True, False):
        card = whois_card(WhoisView(query="sam", people=[SAM], can_manage=can_manage))
        assert_valid_card(card)
        assert "sam.hughes@example.org" in str(card)
        assert (VERB_REVOKE in str(card)) is can_manage


def test_the_whois_card_says_when_nobody_matches() -> None:
    card = whois_card(WhoisView(query="zed", people=[], can_manage=True))

    assert_valid_card(card)
    assert "No one in the directory matches" in str(card)


def test_the_retention_card_offers_to_run_only_when_something_is_due() -> None:
    decisions = [DecisionView("NL-2019-0001", "Anonymise", "closed 1 May 2019; due since …")]

    due = retention_card(RetentionView("seven years", decisions, due=1, can_run=True))
    nothing = retention_card(RetentionView("seven years", [], due=0, can_run=True))

    assert_valid_card(due)
    assert_valid_card(nothing)
    assert VERB_RETENTION_RUN in str(due)
    assert VERB_RETENTION_RUN not in str(nothing)


def test_the_export_card_holds_both_links() -> None:
    card = export_card(
        ExportView(
            reference="NL-2026-0001",
            html_url="https://cspr.example.org/evidence/NL-2026-0001.html?token=t",
            json_url="https://cspr.example.org/evidence/NL-2026-0001.json?token=t",
            expires="10:15 on 26 November 2026",
        )
    )

    assert_valid_card(card)
    assert "NL-2026-0001.html?token=t" in str(card)
    assert "NL-2026-0001.json?token=t" in str(card)


def test_the_printable_bundle_escapes_whatever_the_trail_contains() -> None:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    actor = Actor(id="x", name="<b>Mallory</b>")
    case = Case.open(
        reference=CaseReference.parse("NL-2026-0001"),
        aware_on=date(2026, 11, 2),
        incident_on=None,
        actor=actor,
        at=at,
    )
    case.record("note", actor=actor, at=at, what="<script>alert(1)</script>", why="a & b")
    keys = TrailKeys((b"k" * 32,))
    links = chain(case.events, reference="NL-2026-0001", keys=keys)
    bundle = evidence_bundle(
        case,
        trail=links,
        report=verify_chain("NL-2026-0001", links, keys=keys),
        clocks=[],
        hold=HoldState(reason=None),
        access=[AccessRecord(at=at, person_id="x", person_name="<i>Eve</i>", what="viewed")],
        context=BundleContext(
            generated_at=at, generated_by_id="x", generated_by_name="Hub", partnership="P"
        ),
    )

    page = render_html(bundle, ZoneInfo("Europe/London"))

    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Mallory</b>" not in page
    assert "a &amp; b" in page
    assert "Mon 2 Nov 2026 09:00" in page
