"""Cases for the dashboard tests, stored as the journeys would leave them, and a browser-like
client: sign in (development sign-in in local mode), then GET pages as that person.

Today is Thursday 26 November 2026 (``FIXED_NOW``). The cases:

* NL-2026-0001: notified by Tom Reed (practitioner, the hospital trust), owned by Priya
  Shah; aware Friday 20 November, so the Panel notification is due Friday 27 November -
  1 working day left: amber. A reason on its trail, and the child's details.
* NL-2026-0002: notified by Amira Khan (the school); aware Monday 2 November: the Panel
  notification was due Monday 9 November - red.
* NL-2026-0003: notified by Amira Khan; aware Thursday 1 October, Panel notified on time
  (5 October), the rapid review sent late (30 October, due 22 October), the Panel's answer
  overdue (due 20 November). A CSPR Group vote closed; an action plan of two actions agreed
  on 2 November (the school's, Amira's; the hospital trust's, Tom's).
* NL-2026-0004: closed in July: Panel notified on time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import unescape
from typing import Any

from aiohttp.test_utils import TestClient

from bot_app.keys import cipher, data_keys, trail_keys
from bot_app.settings import Settings
from safeguarding import milestones as m
from safeguarding.action_plans import PlanOwner, add_action, plan_of
from safeguarding.case import Actor, Case, Stage
from safeguarding.rapid_review import VOTE_CLOSED, VOTE_OPENED
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork
from tests.e2e.seed import HUB, MEMBER, PRACTITIONER, demo_user

LEAD = demo_user("Amira Khan")  # agency safeguarding lead, Riverside Primary School
TRUST = "Northern Lincolnshire and Goole NHS Foundation Trust"
SCHOOL = "Riverside Primary School"
REASON = "The family moved between two councils in 2025"
CHILD_INITIALS = "ZQ"
CHILD_NAME = "Zebedee Quill"
ACTION_TEXT = "Review the school's referral threshold with the council"


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _case(number: int, aware_on: date, *, notifier: Any, agency: str, **facts: Any) -> Case:
    hub = Actor(id=HUB.aad_object_id, name=HUB.name)
    case = Case.open(
        reference=CaseReference(prefix="NL", year=2026, number=number),
        aware_on=aware_on,
        incident_on=aware_on,
        actor=Actor(id=notifier.aad_object_id, name=notifier.name),
        at=_at(aware_on),
        facts={
            "route": "serious",
            "agency": agency,
            "notifier_object_id": notifier.aad_object_id,
            "notifier_name": notifier.name,
            **facts,
        },
        today=aware_on,
    )
    case.record("note", actor=hub, at=_at(aware_on, 10), what="Hub received the notification.")
    return case


def dashboard_cases() -> list[Case]:
    hub = Actor(id=HUB.aad_object_id, name=HUB.name)
    member = Actor(id=MEMBER.aad_object_id, name=MEMBER.name)

    first = _case(
        1,
        date(2026, 11, 20),
        notifier=PRACTITIONER,
        agency=TRUST,
        owner_object_id=HUB.aad_object_id,
    )
    first.record(
        "note",
        actor=hub,
        at=_at(date(2026, 11, 23)),
        what="Other local authorities asked for information.",
        why=REASON,
    )

    second = _case(2, date(2026, 11, 2), notifier=LEAD, agency=SCHOOL)

    third = _case(3, date(2026, 10, 1), notifier=LEAD, agency=SCHOOL)
    third.record(
        m.PANEL_NOTIFIED,
        actor=hub,
        at=_at(date(2026, 10, 5)),
        what="Panel notified on Monday 5 October 2026.",
        data={"notified_on": "2026-10-05", "notified_by": HUB.name},
    )
    third.move_to(Stage.PANEL_NOTIFIED, actor=hub, at=_at(date(2026, 10, 5), 11))
    third.move_to(Stage.RAPID_REVIEW, actor=hub, at=_at(date(2026, 10, 6)))
    third.move_to(Stage.RECOMMENDATION, actor=hub, at=_at(date(2026, 10, 20)))
    third.record(
        VOTE_OPENED,
        actor=hub,
        at=_at(date(2026, 10, 20), 10),
        what="CSPR Group vote opened (round 1), closing Friday 23 October 2026.",
        data={
            "round": 1,
            "seats": [{"seat": member.id, "name": member.name}],
            "closes_on": "2026-10-23",
        },
    )
    third.record(
        VOTE_CLOSED,
        actor=hub,
        at=_at(date(2026, 10, 23)),
        what="CSPR Group vote closed (round 1): Local CSPR.",
        data={
            "round": 1,
            "recommendation": "local_cspr",
            "reason": "",
            "counts": {"local_cspr": 1},
            "ballots": [
                {
                    "seat": member.id,
                    "member": member.name,
                    "voter": member.name,
                    "choice": "local_cspr",
                    "criteria": [],
                }
            ],
        },
    )
    third.move_to(Stage.PARTNERS_DECISION, actor=hub, at=_at(date(2026, 10, 26)))
    third.record(
        m.RAPID_REVIEW_SENT,
        actor=hub,
        at=_at(date(2026, 10, 30)),
        what="Rapid review sent to the Panel on Friday 30 October 2026.",
        data={"sent_on": "2026-10-30"},
    )
    third.move_to(Stage.WITH_PANEL, actor=hub, at=_at(date(2026, 10, 30), 11))
    for agency, owner, due in (
        (SCHOOL, LEAD, date(2026, 12, 18)),
        (TRUST, PRACTITIONER, date(2027, 1, 15)),
    ):
        add_action(
            third,
            description=ACTION_TEXT,
            agency=agency,
            owner=Person(object_id=owner.aad_object_id, name=owner.name, agency=agency),
            due_on=due,
            national=False,
            actor=hub,
            at=_at(date(2026, 11, 2)),
            today=date(2026, 11, 2),
            default_owner=PlanOwner.CSPRG,
        )

    fourth = _case(4, date(2026, 7, 1), notifier=LEAD, agency=SCHOOL, route="serious")
    fourth.record(
        m.PANEL_NOTIFIED,
        actor=hub,
        at=_at(date(2026, 7, 3)),
        what="Panel notified on Friday 3 July 2026.",
        data={"notified_on": "2026-07-03", "notified_by": HUB.name},
    )
    fourth.move_to(Stage.PANEL_NOTIFIED, actor=hub, at=_at(date(2026, 7, 3), 11))
    fourth.record(
        m.RAPID_REVIEW_SENT,
        actor=hub,
        at=_at(date(2026, 7, 20)),
        what="Rapid review sent to the Panel on Monday 20 July 2026.",
        data={"sent_on": "2026-07-20"},
    )
    fourth.move_to(Stage.RAPID_REVIEW, actor=hub, at=_at(date(2026, 7, 21)))
    fourth.move_to(Stage.RECOMMENDATION, actor=hub, at=_at(date(2026, 7, 22)))
    fourth.move_to(Stage.PARTNERS_DECISION, actor=hub, at=_at(date(2026, 7, 23)))
    fourth.move_to(Stage.CLOSED, actor=hub, at=_at(date(2026, 7, 24)))
    return [first, second, third, fourth]


async def store_dashboard_cases(settings: Settings) -> list[str]:
    cases = dashboard_cases()
    engine = create_engine(settings.database_url)
    try:
        keys = data_keys(settings)
        unit = UnitOfWork(
            session_factory(engine), cipher=cipher(keys), trail=trail_keys(settings, keys)
        )
        async with unit as uow:
            for case in cases:
                await uow.cases.add(case)
            await uow.action_plans.save(
                plan_of(cases[2]), now=_at(date(2026, 11, 2)), first_follow_up=lambda _a: None
            )
            await uow.details.put(
                "NL-2026-0001",
                {"initials": CHILD_INITIALS, "full_name": CHILD_NAME, "summary": "Found at home."},
                at=_at(date(2026, 11, 20)),
            )
            await uow.commit()
    finally:
        await engine.dispose()
    return [str(c.reference) for c in cases]


@dataclass
class Page:
    status: int
    text: str
    headers: dict[str, str]


class Browser:
    """One person's browser on the dashboard: a cookie of their own."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.cookie = ""

    async def sign_in_as(self, object_id: str) -> Page:
        response = await self.client.post(
            "/tab/dev-login", data={"person": object_id}, allow_redirects=False
        )
        self.cookie = _cookie(response.headers.getall("Set-Cookie", []))
        return Page(response.status, await response.text(), dict(response.headers))

    async def get(self, path: str) -> Page:
        headers = {"Cookie": f"cspr_tab={self.cookie}"} if self.cookie else {}
        response = await self.client.get(path, headers=headers, allow_redirects=False)
        return Page(response.status, await response.text(), dict(response.headers))


def _cookie(set_cookies: list[str]) -> str:
    for line in set_cookies:
        found = re.match(r"cspr_tab=([^;]*)", line)
        if found:
            return found.group(1)
    return ""


def visible_text(html: str) -> str:
    """The page's text, as a person reads it (tags dropped, entities kept as written)."""
    inline = re.sub(r"</?(strong|span|a|em|code)\b[^>]*>", "", html)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline)))
