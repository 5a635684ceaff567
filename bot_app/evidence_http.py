"""Evidence bundles over HTTP: ``GET /evidence/{reference}.json|.html?token=...``.

The ``export`` command hands a Hub officer or an administrator two links carrying a token
signed with ``EXPORT_SIGNING_KEY``, bound to them and to the case, valid for 15 minutes. A
download checks the signature, the expiry and the case, then checks the person's role *again*
(it may have been revoked since), logs the download in the case's access log and answers.
Refusals are short and plain; the log says why.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.html_pages import SECURITY_HEADERS, html_response, page, refusal_page, table
from bot_app.identity import Directory
from bot_app.security import (
    EXPORT_LINK_LIFETIME,
    sign_export_token,
)
from bot_app.signed_links import admit_download
from cards.evidence import ExportView
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Case
from safeguarding.case_clocks import case_clocks
from safeguarding.clocks import ClockRule
from safeguarding.evidence import BundleContext, evidence_bundle
from safeguarding.policy import Action
from safeguarding.retention import hold_state
from safeguarding.roles import Person
from safeguarding.trail import verify_chain
from storage.access_log import AccessLogRepository
from storage.repositories import TrailRepository
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvidenceService:
    """What the export command and the download route share, built by the composition root."""

    sessions: async_sessionmaker[AsyncSession]
    directory: Directory
    partnership: str
    calendar: WorkingDayCalendar
    clocks: tuple[ClockRule, ...]
    convention: CountingConvention
    signing_key: bytes
    public_base_url: str
    now: Callable[[], datetime]

    def links(self, reference: str, person: Person) -> ExportView:
        """The two download links for ``person``, and when they stop working."""
        now = self.now()
        expires_at = now + EXPORT_LINK_LIFETIME
        token = sign_export_token(
            self.signing_key,
            reference=reference,
            person_id=person.object_id,
            expires_at=expires_at,
        )
        base = f"{self.public_base_url.rstrip('/')}/evidence/{quote(reference)}"
        local = expires_at.astimezone(self.calendar.timezone)
        return ExportView(
            reference=reference,
            html_url=f"{base}.html?token={token}",
            json_url=f"{base}.json?token={token}",
            expires=f"{local:%H:%M} on {local.day} {local:%B %Y}",
        )

    async def bundle(
        self, session: AsyncSession, case: Case, person: Person, at: datetime
    ) -> dict[str, Any]:
        reference = str(case.reference)
        stored = await TrailRepository(session).trail(reference)
        links = stored.links if stored is not None else []
        report = verify_chain(
            reference, links, last_changed_at=stored.last_changed_at if stored else None
        )
        return evidence_bundle(
            case,
            trail=links,
            report=report,
            clocks=case_clocks(
                case,
                today=self.calendar.local_date(at),
                calendar=self.calendar,
                table=self.clocks,
                convention=self.convention,
            ),
            hold=hold_state(case.events),
            access=await AccessLogRepository(session).for_case(reference),
            context=BundleContext(
                generated_at=at,
                generated_by_id=person.object_id,
                generated_by_name=person.name,
                partnership=self.partnership,
            ),
        )


EVIDENCE = web.AppKey("evidence", EvidenceService)


def add_evidence_routes(app: web.Application, service: EvidenceService) -> None:
    app[EVIDENCE] = service
    app.router.add_get(r"/evidence/{reference:[A-Za-z0-9-]+}.{format:json|html}", download)


async def download(request: web.Request) -> web.Response:
    service = request.app[EVIDENCE]
    as_json = request.match_info["format"] == "json"
    now = service.now()
    admitted = await admit_download(
        request,
        what="evidence",
        signing_key=service.signing_key,
        scope="",
        now=now,
        directory=service.directory,
        action=Action.EXPORT_EVIDENCE,
        refuse=lambda status, message: _refusal(as_json, status, message),
        expired=lambda _reference, refused: str(refused),
        role_lost="You no longer hold a role that may export evidence.",
    )
    if isinstance(admitted, web.Response):
        return admitted
    reference, person = admitted.reference, admitted.person
    async with UnitOfWork(service.sessions) as uow:
        case = await uow.cases.find(reference)
        if case is None:
            return _refusal(as_json, 404, "There is no such case.")
        bundle = await service.bundle(uow.session, case, person, now)
        await AccessLogRepository(uow.session).record(
            str(reference),
            person.object_id,
            f"downloaded the evidence bundle ({'JSON' if as_json else 'printable'})",
            now,
        )
        await uow.commit()
    log.info("evidence bundle of %s downloaded by %s", reference, person.object_id)
    if as_json:
        return web.json_response(
            bundle,
            dumps=lambda value: json.dumps(value, indent=2, ensure_ascii=False),
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": f'attachment; filename="{reference}-evidence.json"',
            },
        )
    return html_response(render_html(bundle, service.calendar.timezone))


def _refusal(as_json: bool, status: int, message: str) -> web.Response:
    if as_json:
        return web.json_response({"error": message}, status=status, headers=SECURITY_HEADERS)
    return refusal_page("Evidence bundle unavailable", message, status=status)


# -- the printable version -----------------------------------------------------------------


def render_html(bundle: dict[str, Any], zone: ZoneInfo) -> str:
    """The bundle as a printable page; every value is escaped, times are shown locally."""

    def when(iso: str | None) -> str:
        if not iso:
            return ""
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(zone)
        return f"{moment:%a} {moment.day} {moment:%b %Y %H:%M}"

    case, trail, meta = bundle["case"], bundle["trail"], bundle["bundle"]
    status = (
        f'<p class="ok">{html.escape(trail["summary"])}</p>'
        if trail["intact"]
        else f'<p class="bad">{html.escape(trail["summary"])}</p>'
        + "<ul>"
        + "".join(
            f"<li>Entry {p['entry']}: {html.escape(p['problem'])}</li>" for p in trail["problems"]
        )
        + "</ul>"
    )
    hold = bundle["legal_hold"]
    sections = [
        f"<h1>Evidence bundle: {html.escape(case['reference'])}</h1>",
        f'<p class="small">{html.escape(meta["partnership"])} · generated '
        f"{when(meta['generated_at'])} by {html.escape(meta['generated_by']['name'])} · "
        f"times shown in {zone.key}</p>",
        "<h2>Case</h2>",
        table(
            ["", ""],
            [
                ("Stage", case["stage_label"]),
                ("Partners aware on", case["aware_on"]),
                ("Incident on", case["incident_on"] or "not recorded"),
                ("Opened", when(case["opened_at"])),
                ("Closed", when(case["closed_at"]) or "open"),
                ("Legal hold", hold["reason"] if hold["held"] else "none"),
            ],
            "",
        ),
        "<h2>Integrity of the trail</h2>",
        status,
        f'<p class="small">Last fingerprint: <code>{html.escape(trail["head"])}</code></p>',
        "<h2>Deadlines</h2>",
        table(
            ["Clock", "Started", "Due", "Status", "Met on", "Rule"],
            [
                (
                    d["title"],
                    d["started_on"],
                    d["due_on"],
                    d["status"].replace("_", " "),
                    d["met_on"] or "",
                    d["rule"],
                )
                for d in bundle["deadlines"]
            ],
            "No statutory clock has started for this case.",
        ),
        "<h2>Evidence trail</h2>",
        table(
            ["#", "When", "Who", "What", "Why"],
            [
                (str(e["seq"]), when(e["at"]), e["actor"]["name"], e["what"], e["why"] or "")
                for e in bundle["events"]
            ],
            "The trail is empty.",
        ),
        "<h2>Who viewed the case's details</h2>",
        table(
            ["When", "Who", "What"],
            [(when(a["at"]), a["person"]["name"], a["what"]) for a in bundle["access_log"]],
            "No one has viewed the details.",
        ),
        f'<p class="small">{html.escape(meta["not_included"])}</p>',
    ]
    return page(f"Evidence bundle {case['reference']}", "".join(sections))
