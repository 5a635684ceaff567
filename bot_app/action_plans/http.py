"""The Board report over HTTP: ``GET /board-report.md|.html|.csv?token=...``.

``board report`` hands a Hub officer or a safeguarding partner three links carrying a token
signed with ``EXPORT_SIGNING_KEY``, bound to them and to the report (never to a case),
valid for 15 minutes. A download checks the signature and the expiry, then the person's role
*again* (it may have been revoked since), and builds the report as of that moment. It holds
references, stages, clock states and counts only: no child's details.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot_app.action_plans import board_services
from bot_app.core.html_pages import SECURITY_HEADERS, html_response, page, refusal_page, table
from bot_app.core.signed_links import Directory
from bot_app.core.transactions import Transactions
from bot_app.security import InvalidExportToken, read_export_token
from safeguarding import board_report as report
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.clocks import format_day
from safeguarding.policy import Action, can

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BoardDownloads:
    """What the route needs, built by the composition root (``now``: the app's clock)."""

    tx: Transactions
    directory: Directory
    settings: board_services.BoardSettings
    calendar: WorkingDayCalendar
    now: Callable[[], datetime]


BOARD_REPORT = web.AppKey("board_report", BoardDownloads)


def add_board_report_routes(app: web.Application, downloads: BoardDownloads) -> None:
    app[BOARD_REPORT] = downloads
    app.router.add_get(r"/board-report.{format:md|html|csv}", download)


async def download(request: web.Request) -> web.Response:
    downloads = request.app[BOARD_REPORT]
    kind = request.match_info["format"]
    now = downloads.now()
    try:
        person_id = read_export_token(
            downloads.settings.signing_key,
            request.query.get("token", ""),
            reference=board_services.BOARD_REPORT_SCOPE,
            now=now,
        )
    except InvalidExportToken as refused:
        log.warning("refused a Board report download: %s", refused)
        message = (
            "This link has expired (links last 15 minutes). Ask for a new one with board report."
            if "expired" in str(refused)
            else "This download link is not valid."
        )
        return refusal_page("Board report unavailable", message, status=403)
    person = await downloads.directory.resolve(person_id, "")
    if not can(person, Action.VIEW_BOARD_REPORT):
        log.warning("refused a Board report download: %s lacks the role", person_id)
        return refusal_page(
            "Board report unavailable",
            "You no longer hold a role that may see the Board report.",
            status=403,
        )
    today = downloads.calendar.local_date(now)
    built = await downloads.tx.read(
        lambda uow: board_services.build_board_report(uow, today=today, settings=downloads.settings)
    )
    log.info("Board report (%s) downloaded by %s", kind, person_id)
    filename = f"board-report-{today.isoformat()}"
    if kind == "csv":
        return web.Response(
            text=report.to_csv(built),
            content_type="text/csv",
            charset="utf-8",
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": f'attachment; filename="{filename}.csv"',
            },
        )
    if kind == "md":
        return web.Response(
            text=report.to_markdown(built, partnership=downloads.settings.partnership),
            content_type="text/markdown",
            charset="utf-8",
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": f'attachment; filename="{filename}.md"',
            },
        )
    counts = built.counts()
    summary = ", ".join(f"{counts[state]} {state.value}" for state in list(report.ClockState)[:4])
    return html_response(
        page(
            "Board report",
            "<h1>Board report</h1>"
            f'<p class="small">{html.escape(downloads.settings.partnership)} · as of '
            f"{html.escape(format_day(today))} · case references, stages, clocks and open actions "
            "only: no child's details.</p>"
            f"<p>Clocks: {html.escape(summary)}.</p>"
            + table(report.headers(built), report.cells(built), "There are no cases yet."),
        )
    )
