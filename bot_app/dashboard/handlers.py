"""The dashboard's routes: the Teams tab, its sign-in, the Board and the exports.

    GET  /tab                          open cases (filters: ?stage=&agency=&owner=)
    GET  /tab/cases/{reference}        a case (?details=1: the child's details, if allowed)
    GET  /tab/cases/{reference}/evidence   -> the signed evidence bundle link
    GET  /tab/board                    the Board's charts; /tab/board.csv, /tab/board/print
    POST /tab/auth/teams               a Teams SSO token -> a session cookie
    GET|POST /tab/dev-login            development sign-in, local mode only
    POST /tab/signout
    GET  /tab/config                   the channel tab's configuration page
    GET  /tab/static/...               the stylesheet, the scripts, the Teams client library

This is the only file that sees HTTP: it reads the session, the query and the moment, calls
the services, and draws the answer. Without a session a page answers 401 with the sign-in
page (which gets a Teams token and comes back). Every answer under ``/tab`` carries the
security headers: a Content-Security-Policy that allows only this service's files and
framing by Teams alone, and no caching of case pages.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from bot_app.core.signed_links import Directory
from bot_app.core.transactions import Transactions
from bot_app.dashboard import pages, services
from bot_app.dashboard.action_plans import ActionPlans
from bot_app.dashboard.sessions import (
    COOKIE_NAME,
    InvalidSession,
    Via,
    read_session,
    sign_session,
)
from bot_app.dashboard.tokens import TeamsTokens, TokenRefused
from bot_app.dashboard.views import Filters
from safeguarding.case import Stage
from safeguarding.roles import Person, role_label
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

STATIC: Final = Path(__file__).parent / "static"
MAX_FILTER_CHARS: Final = 200

# Teams shows a tab in an iframe on these origins (and the new Microsoft 365 domains).
FRAME_ANCESTORS: Final = (
    "https://teams.microsoft.com https://*.teams.microsoft.com https://*.office.com "
    "https://*.cloud.microsoft"
)
CONTENT_POLICY: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' https://res.cdn.office.net; form-action 'self'; base-uri 'none'; "
    f"frame-ancestors 'self' {FRAME_ANCESTORS}"
)
HEADERS: Final = {
    "Content-Security-Policy": CONTENT_POLICY,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # Case references are in the URLs: never tell another site which page linked to it.
    "Referrer-Policy": "same-origin",
}


@dataclass(frozen=True)
class Dashboard:
    """What the routes need, built by the composition root.

    ``local``: no app credentials and listening on this machine only (``make run``): the
    development sign-in works and cookies are not ``Secure`` (plain http://localhost).
    """

    tx: Transactions
    directory: Directory
    settings: services.DashboardSettings
    tokens: TeamsTokens
    plans: ActionPlans
    session_key: bytes
    session_lifetime: timedelta
    local: bool
    now: Callable[[], datetime]


DASHBOARD = web.AppKey("dashboard", Dashboard)


def add_dashboard_routes(app: web.Application, dashboard: Dashboard) -> None:
    app[DASHBOARD] = dashboard
    app.on_response_prepare.append(_security_headers)
    add = app.router
    add.add_get("/tab", overview)
    add.add_get("/tab/", overview)
    add.add_get(r"/tab/cases/{reference:[A-Za-z0-9-]{1,40}}", case)
    add.add_get(r"/tab/cases/{reference:[A-Za-z0-9-]{1,40}}/evidence", evidence)
    add.add_get("/tab/board", board)
    add.add_get("/tab/board.csv", board_csv)
    add.add_get("/tab/board/print", board_print)
    add.add_post("/tab/auth/teams", teams_signin)
    add.add_get("/tab/dev-login", dev_login_form)
    add.add_post("/tab/dev-login", dev_login)
    add.add_post("/tab/signout", signout)
    add.add_get("/tab/config", config)
    add.add_static("/tab/static", STATIC, append_version=False)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path == "/tab" or request.path.startswith("/tab/"):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)


# -- who is asking -------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    person: Person
    via: Via


async def _viewer(request: web.Request) -> Viewer | None:
    d = request.app[DASHBOARD]
    try:
        session = read_session(d.session_key, request.cookies.get(COOKIE_NAME), now=d.now())
    except InvalidSession:
        return None
    if session.via == "development" and not d.local:
        log.warning("refused a development session outside local mode")
        return None
    person = await d.directory.resolve(session.person_id, "")
    return Viewer(person, session.via)


Page = Callable[[web.Request, Viewer], Awaitable[web.StreamResponse]]


def _signed_in(handler: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def wrapper(request: web.Request) -> web.StreamResponse:
        viewer = await _viewer(request)
        if viewer is None:
            d = request.app[DASHBOARD]
            page = pages.signin_page(
                d.settings.partnership, local=d.local, next_path=request.path_qs
            )
            return web.Response(text=page, status=401, content_type="text/html")
        return await handler(request, viewer)

    return wrapper


def _chrome(request: web.Request, viewer: Viewer) -> pages.Chrome:
    d = request.app[DASHBOARD]
    return pages.Chrome(d.settings.partnership, viewer.person, viewer.via == "development")


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html")


def _message(
    request: web.Request, viewer: Viewer | None, status: int, title: str, text: str
) -> web.Response:
    d = request.app[DASHBOARD]
    person = viewer.person if viewer else None
    return _html(pages.message_page(d.settings.partnership, person, title, text), status)


# -- pages ---------------------------------------------------------------------------------


@_signed_in
async def overview(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    d = request.app[DASHBOARD]
    query = {k: request.query.get(k, "").strip() for k in ("stage", "agency", "owner")}
    if any(len(v) > MAX_FILTER_CHARS for v in query.values()) or (
        query["stage"] and query["stage"] not in {s.value for s in Stage}
    ):
        log.info(
            "refused a dashboard filter from %s: not a choice offered", viewer.person.object_id
        )
        return _message(
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
    return _html(pages.overview_page(_chrome(request, viewer), ov))


NOT_FOUND: Final = (
    "I can't find that case among the cases you have access to. Check the reference, or ask "
    "the Hub if you need it."
)


@_signed_in
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
        return _message(request, viewer, 404, "Case not found", NOT_FOUND)
    today = d.settings.calendar.local_date(now)
    return _html(pages.case_page(_chrome(request, viewer), page, today))


@_signed_in
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
        return _message(
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


@_signed_in
async def board(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    figures = await _board(request, viewer)
    if figures is None:
        log.info("Board report refused to %s: not their role", viewer.person.object_id)
        return _message(request, viewer, 403, "Board report", BOARD_REFUSED)
    return _html(pages.board_page(_chrome(request, viewer), figures))


@_signed_in
async def board_print(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    figures = await _board(request, viewer)
    if figures is None:
        return _message(request, viewer, 403, "Board report", BOARD_REFUSED)
    return _html(pages.printable_board(request.app[DASHBOARD].settings.partnership, figures))


@_signed_in
async def board_csv(request: web.Request, viewer: Viewer) -> web.StreamResponse:
    figures = await _board(request, viewer)
    if figures is None:
        return _message(request, viewer, 403, "Board report", BOARD_REFUSED)
    day = figures.today.isoformat()
    log.info("Board report CSV downloaded by %s", viewer.person.object_id)
    return web.Response(
        text=services.board_csv(figures),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="board-report-{day}.csv"'},
    )


async def config(request: web.Request) -> web.StreamResponse:
    return _html(pages.config_page(request.app[DASHBOARD].settings.partnership))


# -- signing in and out --------------------------------------------------------------------


def _same_origin(request: web.Request) -> bool:
    """A POST from a page of this service (or a client that sends no Origin): the session
    cookie is SameSite=None for the Teams iframe, so another site's form must not ride it."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.host


def _start_session(
    request: web.Request, response: web.StreamResponse, person_id: str, via: Via
) -> None:
    d = request.app[DASHBOARD]
    value = sign_session(
        d.session_key, person_id, via=via, now=d.now(), lifetime=d.session_lifetime
    )
    secure = not d.local
    # Written by hand: Python 3.11's http.cookies refuses the Partitioned attribute. In the
    # Teams iframe the tab is a third party: only SameSite=None reaches it, browsers accept
    # that only with Secure, and Partitioned (CHIPS) keeps it working where third-party
    # cookies are blocked. Locally (http://localhost, first-party) it is SameSite=Lax.
    attributes = [
        f"{COOKIE_NAME}={value}",
        "Path=/tab",
        f"Max-Age={int(d.session_lifetime.total_seconds())}",
        "HttpOnly",
        *(["Secure", "SameSite=None", "Partitioned"] if secure else ["SameSite=Lax"]),
    ]
    response.headers.add("Set-Cookie", "; ".join(attributes))


async def teams_signin(request: web.Request) -> web.StreamResponse:
    d = request.app[DASHBOARD]
    if not _same_origin(request):
        return web.json_response({"error": "Forbidden."}, status=403)
    token = ""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = header[len("Bearer ") :].strip()
    elif request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            token = body["token"]
    if not token or len(token) > 16_384:
        return web.json_response({"error": "Unauthorized."}, status=401)
    try:
        identity = await d.tokens.validate(token, now=d.now())
    except TokenRefused as refused:
        log.warning("refused a tab sign-in: %s", refused.reason)
        message = {
            403: "This organisation is not allowed to use this dashboard.",
            503: "Sign-in is temporarily unavailable; try again later.",
        }.get(refused.status, "Unauthorized.")
        return web.json_response({"error": message}, status=refused.status)
    person = await d.directory.resolve(identity.object_id, identity.name)
    log.info("tab sign-in by %s", person.object_id)
    response = web.json_response({"name": person.name})
    _start_session(request, response, person.object_id, "teams")
    return response


DEV_REFUSED: Final = (
    "The development sign-in is only available in local mode. Open the dashboard from the "
    "app in Microsoft Teams."
)


async def dev_login_form(request: web.Request) -> web.StreamResponse:
    d = request.app[DASHBOARD]
    if not d.local:
        log.warning("refused the development sign-in page: not local mode")
        return _message(request, None, 403, "Sign-in refused", DEV_REFUSED)

    async def everyone(uow: UnitOfWork) -> list[tuple[str, str]]:
        return [
            (
                e.object_id,
                f"{e.name}: {', '.join(sorted(role_label(r) for r in e.roles)) or 'no role'}",
            )
            for e in await uow.people.everyone()
            if e.active
        ]

    people = await d.tx.read(everyone)
    return _html(pages.dev_login_page(d.settings.partnership, people))


async def dev_login(request: web.Request) -> web.StreamResponse:
    d = request.app[DASHBOARD]
    if not d.local:
        log.warning("refused a development sign-in: not local mode")
        return _message(request, None, 403, "Sign-in refused", DEV_REFUSED)
    if not _same_origin(request):
        return _message(request, None, 403, "Sign-in refused", "Sign in from this page.")
    form = await request.post()
    person_id = str(form.get("person", ""))[:64]

    async def known(uow: UnitOfWork) -> bool:
        entry = await uow.people.person(person_id) if person_id else None
        return entry is not None and entry.active

    if not await d.tx.read(known):
        return _message(
            request, None, 400, "Sign-in refused", "Choose a person from the directory's list."
        )
    log.info("development sign-in as %s", person_id)
    response = web.HTTPSeeOther("/tab")
    _start_session(request, response, person_id, "development")
    raise response


async def signout(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        return _message(request, None, 403, "Sign-out refused", "Sign out from this page.")
    response = web.HTTPSeeOther("/tab")
    response.del_cookie(COOKIE_NAME, path="/tab")
    raise response
