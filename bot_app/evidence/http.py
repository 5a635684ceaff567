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
from zoneinfo import ZoneInfo

from aiohttp import web

from bot_app.core.html_pages import SECURITY_HEADERS, html_response, page, refusal_page, table
from bot_app.core.signed_links import Directory, admit_download
from bot_app.core.transactions import Transactions
from bot_app.evidence import services
from safeguarding.policy import Action

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvidenceDownloads:
    """What the download route needs, built by the composition root.

    ``now`` is the application's clock: a plain GET has no turn, so the request's moment is
    read here, at the edge, and passed down.
    """

    tx: Transactions
    directory: Directory
    settings: services.EvidenceSettings
    now: Callable[[], datetime]


EVIDENCE = web.AppKey("evidence", EvidenceDownloads)


def add_evidence_routes(app: web.Application, downloads: EvidenceDownloads) -> None:
    app[EVIDENCE] = downloads
    app.router.add_get(r"/evidence/{reference:[A-Za-z0-9-]+}.{format:json|html}", download)


async def download(request: web.Request) -> web.Response:
    downloads = request.app[EVIDENCE]
    as_json = request.match_info["format"] == "json"
    now = downloads.now()
    admitted = await admit_download(
        request,
        what="evidence",
        signing_key=downloads.settings.signing_key,
        scope="",
        now=now,
        directory=downloads.directory,
        action=Action.EXPORT_EVIDENCE,
        refuse=lambda status, message: _refusal(as_json, status, message),
        expired=lambda _reference, refused: str(refused),
        role_lost="You no longer hold a role that may export evidence.",
    )
    if isinstance(admitted, web.Response):
        return admitted
    reference, person = admitted.reference, admitted.person
    command = services.DownloadBundle(reference=reference, by=person, printable=not as_json)
    bundle = await downloads.tx.run(
        lambda uow: services.download_bundle(command, uow, now=now, settings=downloads.settings)
    )
    if bundle is None:
        return _refusal(as_json, 404, "There is no such case.")
    log.info("evidence bundle of %s downloaded by %s", reference, person.object_id)
    if as_json:
        return web.json_response(
            bundle.content,
            dumps=lambda value: json.dumps(value, indent=2, ensure_ascii=False),
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": f'attachment; filename="{reference}-evidence.json"',
            },
        )
    return html_response(render_html(bundle.content, downloads.settings.calendar.timezone))


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
        f'<p class="small">Signed checkpoint: <code>{html.escape(trail.get("checkpoint") or "")}'
        "</code></p>",
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
