"""What every dashboard route shares: the dashboard the composition root builds, who is
asking (the signed-in viewer, from the session cookie), and the HTML answers.

A route wrapped in ``signed_in`` runs only for a valid session: without one it answers 401
with the sign-in page, which gets a Teams token and comes back to the same address.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web

from bot_app.core.signed_links import Directory
from bot_app.core.transactions import Transactions
from bot_app.dashboard import pages, services
from bot_app.dashboard.action_plans import ActionPlans
from bot_app.dashboard.sessions import COOKIE_NAME, InvalidSession, Via, read_session
from bot_app.dashboard.tokens import TeamsTokens
from safeguarding.roles import Person

log = logging.getLogger(__name__)


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


def signed_in(handler: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
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


def chrome(request: web.Request, viewer: Viewer) -> pages.Chrome:
    d = request.app[DASHBOARD]
    return pages.Chrome(d.settings.partnership, viewer.person, viewer.via == "development")


def html_response(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html")


def message_response(
    request: web.Request, viewer: Viewer | None, status: int, title: str, text: str
) -> web.Response:
    d = request.app[DASHBOARD]
    person = viewer.person if viewer else None
    return html_response(pages.message_page(d.settings.partnership, person, title, text), status)
