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

Only the handler modules see HTTP: this one wires the routes and sets the security headers,
the pages are in ``page_handlers.py``, signing in and out in ``signin_handlers.py``, and what
they share (the dashboard, who is asking) in ``handler_context.py``. They read the session,
the query and the moment, call the services, and draw the answer. Every answer under ``/tab``
carries the security headers: a Content-Security-Policy that allows only this service's
files and framing by Teams alone, and no caching of case pages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aiohttp import web

from bot_app.dashboard.handler_context import DASHBOARD, Dashboard
from bot_app.dashboard.page_handlers import (
    board,
    board_csv,
    board_print,
    case,
    config,
    evidence,
    overview,
)
from bot_app.dashboard.signin_handlers import dev_login, dev_login_form, signout, teams_signin

STATIC: Final = Path(__file__).parent / "static"

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
