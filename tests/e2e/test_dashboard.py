"""The case dashboard through real HTTP: who sees what, the filters, a case, the Board's charts
and the exports. Local mode (no app credentials): people sign in on the development page.

The cases are described in ``tests/e2e/dashboard_support.py``; today is Thursday 26
November 2026.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import BotUnderTest
from tests.e2e.dashboard_support import (
    ACTION_TEXT,
    CHILD_INITIALS,
    CHILD_NAME,
    LEAD,
    REASON,
    SCHOOL,
    Browser,
    Page,
    store_dashboard_cases,
    visible_text,
)
from tests.e2e.seed import HUB, PARTNER, PRACTITIONER

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
async def bot(make_bot: Callable[..., Any]) -> BotUnderTest:
    started: BotUnderTest = await make_bot()
    await store_dashboard_cases(started.settings)
    return started


async def signed_in(bot: BotUnderTest, object_id: str) -> Browser:
    browser = Browser(bot.client)
    page = await browser.sign_in_as(object_id)
    assert (page.status, page.headers["Location"]) == (303, "/tab")
    return browser


def references(page: Page) -> list[str]:
    """The cases listed on the overview, in the order shown."""
    return re.findall(r'<th scope="row"><a href="/tab/cases/([A-Z0-9-]+)">', page.text)


async def test_without_a_session_the_tab_signs_in_through_teams_and_shows_no_case(
    bot: BotUnderTest,
) -> None:
    page = await Browser(bot.client).get("/tab")
    csv_export = await Browser(bot.client).get("/tab/board.csv")

    assert page.status == 401
    assert "Signing you in with your Microsoft Teams account" in page.text
    assert "/tab/static/tab.js" in page.text
    assert "NL-2026-" not in page.text
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://teams.microsoft.com https://*.teams.microsoft.com" in (
        policy
    )
    assert "https://*.office.com https://*.cloud.microsoft" in policy
    assert "script-src 'self';" in policy
    assert "X-Frame-Options" not in page.headers
    assert page.headers["Cache-Control"] == "no-store"
    assert csv_export.status == 401
    assert "NL-2026-" not in csv_export.text


async def test_the_hub_sees_every_open_case_most_urgent_first_without_the_childs_details(
    bot: BotUnderTest,
) -> None:
    hub = await signed_in(bot, HUB.aad_object_id)

    page = await hub.get("/tab")

    text = visible_text(page.text)
    assert page.status == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert references(page) == ["NL-2026-0002", "NL-2026-0003", "NL-2026-0001"]
    assert "NL-2026-0004" not in text, "a closed case is not open"
    assert "2 overdue" in text
    assert "1 due within 3 working days" in text
    assert "Notify the Panel: due Friday 27 November 2026. 1 working day left Due soon" in text
    assert "Overdue by 13 working days" in text
    assert "Signed in as Priya Shah" in text
    assert "development sign-in" in text
    assert CHILD_INITIALS not in text
    assert CHILD_NAME not in text


async def test_a_practitioner_sees_only_the_case_they_notified_and_never_the_childs_details(
    bot: BotUnderTest,
) -> None:
    tom = await signed_in(bot, PRACTITIONER.aad_object_id)

    overview = await tom.get("/tab")
    own = await tom.get("/tab/cases/NL-2026-0001?details=1")
    others = await tom.get("/tab/cases/NL-2026-0002")
    missing = await tom.get("/tab/cases/NL-2026-0099")
    board = await tom.get("/tab/board")
    evidence = await tom.get("/tab/cases/NL-2026-0001/evidence")

    assert references(overview) == ["NL-2026-0001"]
    assert own.status == 200
    own_text = visible_text(own.text)
    assert "Case NL-2026-0001" in own_text
    assert "Notify the Panel" in own_text
    assert "Other local authorities asked for information." in own_text
    assert REASON not in own_text, "reasons are for the Hub, the CSPR Group and the partners"
    assert CHILD_INITIALS not in own_text
    assert CHILD_NAME not in own_text
    assert "Show the child's details" not in own_text
    assert "CSPR Group votes" not in own_text
    # A case that is not theirs and one that does not exist get the same answer.
    assert (others.status, missing.status) == (404, 404)
    assert "I can't find that case among the cases you have access to" in visible_text(others.text)
    assert others.text == missing.text.replace("NL-2026-0099", "NL-2026-0002")
    assert board.status == 403
    assert "for the Hub and the safeguarding partners" in board.text
    assert evidence.status == 404


async def test_an_agency_lead_sees_the_cases_their_agency_notified(bot: BotUnderTest) -> None:
    amira = await signed_in(bot, LEAD.aad_object_id)

    page = await amira.get("/tab")

    assert references(page) == ["NL-2026-0002", "NL-2026-0003"]


async def test_filters_narrow_the_cases_by_stage_agency_and_owner(bot: BotUnderTest) -> None:
    hub = await signed_in(bot, HUB.aad_object_id)

    by_agency = await hub.get(f"/tab?agency={SCHOOL.replace(' ', '+')}")
    by_owner = await hub.get("/tab?owner=Priya+Shah")
    by_stage = await hub.get("/tab?stage=notified")
    none_left = await hub.get("/tab?stage=notified&owner=Not+named&agency=Nobody")
    unknown = await hub.get("/tab?stage=somewhere")

    assert references(by_agency) == ["NL-2026-0002", "NL-2026-0003"]
    assert f'<option value="{SCHOOL}" selected>' in by_agency.text
    assert "Open cases (2 of 3)" in by_agency.text
    assert references(by_owner) == ["NL-2026-0001"]
    assert references(by_stage) == ["NL-2026-0002", "NL-2026-0001"]
    assert references(none_left) == []
    assert "No open case matches these filters." in none_left.text
    assert unknown.status == 400
    assert "That filter is not one of the choices offered" in unknown.text


async def test_the_hub_reads_a_case_with_its_timeline_votes_and_action_plan(
    bot: BotUnderTest,
) -> None:
    hub = await signed_in(bot, HUB.aad_object_id)

    page = await hub.get("/tab/cases/NL-2026-0003")

    text = visible_text(page.text)
    assert "Case NL-2026-0003" in text
    assert "Panel notified on Monday 5 October 2026." in text
    assert "Monday 5 October 2026, 10:00 Priya Shah" in text  # local time: BST
    assert "Round 1 Closed: Local child safeguarding practice review" in text
    assert "Sam Hughes: Local child safeguarding practice review" in text
    assert "Not yet signed off at the Board." in text
    assert ACTION_TEXT in text
    assert "Friday 18 December 2026" in text
    assert "Evidence bundle" in text


async def test_the_childs_details_show_only_when_asked_and_the_viewing_is_logged(
    bot: BotUnderTest,
) -> None:
    hub = await signed_in(bot, HUB.aad_object_id)

    before = await hub.get("/tab/cases/NL-2026-0001")
    shown = await hub.get("/tab/cases/NL-2026-0001?details=1")
    link = await hub.get("/tab/cases/NL-2026-0001/evidence")
    bundle = await hub.get(link.headers["Location"])

    assert REASON in visible_text(before.text)
    assert CHILD_INITIALS not in visible_text(before.text)
    assert "Show the child's details" in before.text
    assert f"Initials {CHILD_INITIALS}" in visible_text(shown.text)
    assert CHILD_NAME in shown.text
    assert link.status == 303
    assert link.headers["Location"].startswith("/evidence/NL-2026-0001.html?token=")
    assert bundle.status == 200
    assert "Evidence bundle: NL-2026-0001" in bundle.text
    assert "details (dashboard)" in bundle.text, "the case's access log records the viewing"
    assert CHILD_NAME not in bundle.text


async def test_the_board_charts_are_valid_svg_with_titles_and_their_figures_in_tables(
    bot: BotUnderTest,
) -> None:
    grace = await signed_in(bot, PARTNER.aad_object_id)

    page = await grace.get("/tab/board")

    assert page.status == 200
    charts = [ET.fromstring(svg) for svg in re.findall(r"<svg .*?</svg>", page.text, re.S)]
    titles = {}
    for chart in charts:
        assert chart.tag == f"{SVG}svg"
        assert chart.get("role") == "img"
        title, desc = chart.find(f"{SVG}title"), chart.find(f"{SVG}desc")
        assert title is not None
        assert desc is not None
        assert title.text
        assert desc.text
        assert chart.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        titles[title.text] = desc.text
    assert set(titles) == {
        "Clocks met and missed per quarter",
        "Time from awareness to the Panel, per case",
        "Open actions by agency and age",
    }
    text = visible_text(page.text)
    assert "Jul to Sep 2026 2 0" in text
    assert "Oct to Dec 2026 1 4" in text
    assert "NL-2026-0004 Wednesday 1 July 2026 2 13" in text
    assert "NL-2026-0002 Monday 2 November 2026 18 so far (not yet) 18 so far (not yet)" in text
    assert "Riverside Primary School 1 0 0 0 1" in text
    assert "Oct to Dec 2026: 1 met, 4 missed" in titles["Clocks met and missed per quarter"]


async def test_the_board_report_downloads_as_csv_and_prints_without_the_childs_details(
    bot: BotUnderTest,
) -> None:
    hub = await signed_in(bot, HUB.aad_object_id)

    exported = await hub.get("/tab/board.csv")
    printable = await hub.get("/tab/board/print")

    assert exported.status == 200
    assert exported.headers["Content-Type"].startswith("text/csv")
    assert 'filename="board-report-2026-11-26.csv"' in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.text)))
    head = rows[0]
    by_case = {row[0]: dict(zip(head, row, strict=True)) for row in rows[1:]}
    assert head[:2] == ["Reference", "Stage"]
    assert head[-2:] == ["Open actions", "Oldest overdue action due"]
    assert list(by_case) == [f"NL-2026-000{n}" for n in (1, 2, 3, 4)], "open cases first"
    assert by_case["NL-2026-0004"]["Stage"] == "Closed"
    assert by_case["NL-2026-0004"]["Notify the Panel"] == "met"
    assert by_case["NL-2026-0002"]["Notify the Panel"] == "overdue"
    assert by_case["NL-2026-0003"]["Rapid review to the Panel"] == "missed"
    assert by_case["NL-2026-0003"]["Open actions"] == "2"
    assert printable.status == 200
    printed = visible_text(printable.text)
    assert "Board report: North Lincolnshire Safeguarding Children Partnership" in printed
    assert "Every case: its stage, how each clock stands, and its open actions" in printed
    for document in (exported.text, printable.text):
        assert CHILD_INITIALS not in document
        assert CHILD_NAME not in document


async def test_signing_out_ends_the_session_and_a_post_from_another_site_is_refused(
    bot: BotUnderTest,
) -> None:
    hub = await signed_in(bot, HUB.aad_object_id)
    cookie = {"Cookie": f"cspr_tab={hub.cookie}"}

    forged = await bot.client.post(
        "/tab/dev-login",
        data={"person": HUB.aad_object_id},
        headers={"Origin": "https://attacker.example"},
        allow_redirects=False,
    )
    out = await bot.client.post("/tab/signout", headers=cookie, allow_redirects=False)
    unknown = await bot.client.post(
        "/tab/dev-login", data={"person": "not-a-person"}, allow_redirects=False
    )

    assert forged.status == 403
    assert "Set-Cookie" not in forged.headers
    assert out.status == 303
    assert 'cspr_tab=""' in out.headers["Set-Cookie"] or "Max-Age=0" in out.headers["Set-Cookie"]
    assert unknown.status == 400
    assert "Choose a person from the directory" in await unknown.text()
