"""The dashboard's pages: the open cases, a case (and its evidence bundle), the Board with
its exports, and the channel tab's configuration page.

Each reads the query and the moment, calls the services and draws the page. The services
decide what the viewer may see: a case that is not theirs is answered as not found, so the
tab never confirms that a reference exists.
"""

from __future__ import annotations

import logging
from typing import Final

from aiohttp import web

from bot_app.dashboard import pages, services
from bot_app.dashboard.board_pages import board_page, printable_board
from bot_app.dashboard.case_page import case_page
from bot_app.dashboard.handler_context import (
    DASHBOARD,
    Viewer,
    chrome,
    html_response,
    message_response,
    signed_in,
)
from bot_app.dashboard.overview_page import overview_page
from bot_app.dashboard.views import Filters
from safeguarding.case import Stage
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_FILTER_CHARS: Final = 200


@signed_in
async def overview(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    d = request.app[DASHBOARD]
    query = {k: request.query.get(k, "").strip() for k in ("stage", "agency", "owner")}
    if any(len(v) > MAX_FILTER_CHARS for v in query.values()) or (
        query["stage"] and query["stage"] not in {s.value for s in Stage}
    ):
        log.info(
            "refused a dashboard filter from %s: not a choice offered", viewer.person.object_id
        )
        return message_response(
            request,
            viewer,
            400,
            "Filter not recognised",
            "That filter is not one of the choices offered. Choose again from the lists.",
        )
    filters = Filters(**query)
    now = d.now()
    ov = await d.tx.read(
        lambda uow: services.overview(viewer.person, filters, uow, now=now, settings=d.settings)
    )
    return html_response(overview_page(chrome(request, viewer), ov))


NOT_FOUND: Final = (
    "I can't find that case among the cases you have access to. Check the reference, or ask "
    "the Hub if you need it."
)


@signed_in
async def case(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    d = request.app[DASHBOARD]
    now = d.now()
    command = services.ShowCase(
        viewer=viewer.person,
        reference=request.match_info["reference"],
        with_details=request.query.get("details") == "1",
    )

    async def work(uow: UnitOfWork) -> services.CasePage | None:
        return await services.case_page(command, uow, now=now, settings=d.settings, plans=d.plans)

    # Showing the details writes the access log, so that view commits; the rest only reads.
    page = await (d.tx.run(work) if command.with_details else d.tx.read(work))
    if page is None:
        log.info("case page refused to %s: not found or not theirs", viewer.person.object_id)
        return message_response(request, viewer, 404, "Case not found", NOT_FOUND)
    today = d.settings.calendar.local_date(now)
    return html_response(case_page(chrome(request, viewer), page, today))


@signed_in
async def evidence(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    d = request.app[DASHBOARD]
    now = d.now()
    reference = request.match_info["reference"]
    link = await d.tx.read(
        lambda uow: services.evidence_link(
            viewer.person, reference, uow, now=now, settings=d.settings
        )
    )
    if link is None:
        log.info("evidence link refused to %s", viewer.person.object_id)
        return message_response(
            request,
            viewer,
            404,
            "Evidence bundle unavailable",
            "The evidence bundle is for the Hub and administrators, of a case they can see.",
        )
    raise web.HTTPSeeOther(link)


BOARD_REFUSED: Final = (
    "The Board report covers every case, so it is for the Hub and the safeguarding partners."
)


async def _board(request: web.Request, viewer: Viewer) -> services.Board | None:
    d = request.app[DASHBOARD]
    now = d.now()
    return await d.tx.read(
        lambda uow: services.board(viewer.person, uow, now=now, settings=d.settings, plans=d.plans)
    )


@signed_in
async def board(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    figures = await _board(request, viewer)
    if figures is None:
        log.info("Board report refused to %s: not their role", viewer.person.object_id)
        return message_response(request, viewer, 403, "Board report", BOARD_REFUSED)
    return html_response(board_page(chrome(request, viewer), figures))


@signed_in
async def board_print(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    figures = await _board(request, viewer)
    if figures is None:
        return message_response(request, viewer, 403, "Board report", BOARD_REFUSED)
    return html_response(printable_board(request.app[DASHBOARD].settings.partnership, figures))


@signed_in
async def board_csv(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    figures = await _board(request, viewer)
    if figures is None:
        return message_response(request, viewer, 403, "Board report", BOARD_REFUSED)
    day = figures.today.isoformat()
    log.info("Board report CSV downloaded by %s", viewer.person.object_id)
    return web.Response(
        text=services.board_csv(figures),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="board-report-{day}.csv"'},
    )


async def config(request: web.Request) -> web.StreamResponse:
    return html_response(pages.config_page(request.app[DASHBOARD].settings.partnership))
