"""Exporting a case's evidence bundle: links in private, downloads checked and logged."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot_app.security import sign_export_token
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.seed import ADMIN, HUB, PRACTITIONER, seed_case
from tests.harness.activities import thread_id

# The export reads the same on either database; the trail's storage runs on both
# (tests/integration/test_trail_storage.py).
pytestmark = pytest.mark.sqlite_only

SIGNING_KEY = "evidence-link-signing-key-for-tests-0123456789"


async def export_links(bot: BotUnderTest, reference: str) -> tuple[str, str]:
    """Ask for the links as the Hub officer; the (html, json) paths of the card's buttons."""
    await bot.send(bot.teams.personal_message(HUB, "hello"))
    await bot.send(bot.teams.personal_message(HUB, f"export {reference}"))
    card = bot.connector.last_card()
    urls = {a["title"]: a["url"] for a in card["actions"]}
    html_url, json_url = urls["Open printable version"], urls["Download JSON"]
    assert html_url.startswith("http://localhost:3978/evidence/")
    return _path(html_url), _path(json_url)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


async def download(bot: BotUnderTest, path: str) -> tuple[int, Any, dict[str, str]]:
    response = await bot.client.get(path)
    body = await response.json() if response.content_type == "application/json" else None
    return response.status, body or await response.text(), dict(response.headers)


async def test_the_hub_downloads_a_bundle_with_the_trail_deadlines_and_access_log(
    bot: BotUnderTest,
) -> None:
    reference = await seed_case(
        bot.settings, why="Two agencies missed the referral", details={"name": "Zebedee Quill"}
    )
    html_path, json_path = await export_links(bot, reference)

    status, page, html_headers = await download(bot, html_path)
    status_json, bundle, headers = await download(bot, json_path)

    assert (status, status_json) == (200, 200)
    assert headers["Cache-Control"] == "no-store"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in html_headers["Content-Security-Policy"]
    assert f"Evidence bundle: {reference}" in page
    assert bundle["case"]["reference"] == reference
    assert [e["seq"] for e in bundle["events"]] == [1, 2]
    assert bundle["events"][1]["why"] == "Two agencies missed the referral"
    assert bundle["events"][1]["actor"]["name"] == "Priya Shah"
    assert bundle["trail"]["intact"] is True
    assert {d["clock"] for d in bundle["deadlines"]} == {"panel_notification", "rapid_review"}
    assert bundle["deadlines"][0]["status"] == "overdue"
    assert [a["person"]["name"] for a in bundle["access_log"]] == ["Priya Shah"]
    assert "downloaded the evidence bundle (printable)" in bundle["access_log"][0]["what"]
    assert bundle["bundle"]["generated_by"]["name"] == "Priya Shah"
    assert "Zebedee" not in json.dumps(bundle), "identifiers never travel in a bundle"
    assert "Zebedee" not in page


async def test_export_is_refused_in_a_channel_and_to_people_without_the_role(
    bot: BotUnderTest,
) -> None:
    reference = await seed_case(bot.settings)
    team, channel = thread_id("Partnership"), thread_id("Hub channel")

    await bot.send(
        bot.teams.channel_message(HUB, f"export {reference}", team_id=team, channel_id=channel)
    )
    in_channel = bot.connector.texts()[-1]
    await bot.send(bot.teams.personal_message(PRACTITIONER, "hello"))
    await bot.send(bot.teams.personal_message(PRACTITIONER, f"export {reference}"))
    practitioner = bot.connector.texts()[-1]
    await bot.send(bot.teams.personal_message(HUB, "hello"))
    await bot.send(bot.teams.personal_message(HUB, "export NL-2026-0042"))
    unknown = bot.connector.texts()[-1]

    assert "in private" in in_channel
    assert "/evidence/" not in json.dumps([a.activity for a in bot.connector.sent_activities])
    assert practitioner.startswith("Sorry, you can't export the evidence bundle")
    assert "can't find case NL-2026-0042" in unknown


async def test_a_link_altered_moved_to_another_case_or_expired_is_refused(
    make_bot: Any,
) -> None:
    bot: BotUnderTest = await make_bot(export_signing_key=SIGNING_KEY)
    reference = await seed_case(bot.settings)
    other = await seed_case(bot.settings, number=2)
    _, json_path = await export_links(bot, reference)
    expired = sign_export_token(
        SIGNING_KEY.encode(),
        reference=reference,
        person_id=HUB.aad_object_id,
        expires_at=FIXED_NOW - timedelta(seconds=1),
    )

    altered = await download(bot, json_path[:-3] + "xyz")
    moved = await download(bot, json_path.replace(reference, other))
    late = await download(bot, f"/evidence/{reference}.json?token={expired}")
    missing = await download(bot, f"/evidence/{reference}.html")

    assert altered[:2] == (403, {"error": "This download link is not valid."})
    assert moved[:2] == (403, {"error": "This download link is for another case."})
    assert late[0] == 403
    assert "has expired" in late[1]["error"]
    assert missing[0] == 403
    assert "not valid" in missing[1]


async def test_a_link_stops_working_once_its_holder_loses_the_role(bot: BotUnderTest) -> None:
    reference = await seed_case(bot.settings)
    _, json_path = await export_links(bot, reference)

    await bot.send(bot.teams.personal_message(ADMIN, "hello"))
    await bot.send(
        bot.teams.personal_message(ADMIN, "revoke priya.shah@example.org hub_officer moved on")
    )
    status, body, _ = await download(bot, json_path)

    assert status == 403
    assert body == {"error": "You no longer hold a role that may export evidence."}
