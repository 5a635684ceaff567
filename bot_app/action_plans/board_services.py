"""The Board report: every case as of today, and the short-lived links that download it.

Apart from the plan's changes (``services.py``, ``action_services.py``) because it reads every
case and changes none; the links are checked by ``http.py``, which serves the downloads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from urllib.parse import quote

from bot_app.security import EXPORT_LINK_LIFETIME, sign_export_token
from safeguarding.board_report import BoardReport, board_report
from safeguarding.case import Case
from safeguarding.case_clocks import CaseClock
from safeguarding.clocks import ClockRule
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.uow import UnitOfWork

# The token's scope: a Board report link is for the report, never for a case.
BOARD_REPORT_SCOPE: Final = "board-report"


@dataclass(frozen=True)
class BoardSettings:
    partnership: str
    table: tuple[ClockRule, ...]
    clocks: Callable[[Case, date], Sequence[CaseClock]]
    signing_key: bytes
    public_base_url: str


@dataclass(frozen=True)
class BoardLinks:
    markdown_url: str
    html_url: str
    csv_url: str
    expires_at: datetime
    report: BoardReport


async def build_board_report(
    uow: UnitOfWork, *, today: date, settings: BoardSettings
) -> BoardReport:
    """Every case, as of ``today``."""
    cases = []
    for reference in await uow.trail.references():
        case = await uow.cases.find(CaseReference.parse(reference))
        if case is not None:
            cases.append(case)
    return board_report(
        cases,
        clocks_of={str(c.reference): settings.clocks(c, today) for c in cases},
        open_actions=await uow.action_plans.open_actions(),
        table=settings.table,
        today=today,
    )


async def issue_board_links(
    person: Person, uow: UnitOfWork, *, now: datetime, today: date, settings: BoardSettings
) -> BoardLinks:
    """Three links bound to the person, working for 15 minutes from ``now``."""
    expires_at = now + EXPORT_LINK_LIFETIME
    token = sign_export_token(
        settings.signing_key,
        reference=BOARD_REPORT_SCOPE,
        person_id=person.object_id,
        expires_at=expires_at,
    )
    base = f"{settings.public_base_url.rstrip('/')}/board-report"
    query = f"?token={quote(token)}"
    return BoardLinks(
        markdown_url=f"{base}.md{query}",
        html_url=f"{base}.html{query}",
        csv_url=f"{base}.csv{query}",
        expires_at=expires_at,
        report=await build_board_report(uow, today=today, settings=settings),
    )
