"""Signing in to the dashboard and out: a Teams SSO token exchanged for a session cookie,
the development sign-in of local mode, and sign-out.

Every POST here must come from a page of this service: the cookie is SameSite=None for the
Teams iframe, so without that check another site's form could sign someone in or out.
"""

from __future__ import annotations

import logging
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from bot_app.dashboard import pages
from bot_app.dashboard.handler_context import DASHBOARD, html_response, message_response
from bot_app.dashboard.sessions import COOKIE_NAME, Via, sign_session
from bot_app.dashboard.tokens import TokenRefused
from safeguarding.roles import role_label
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


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
        return message_response(request, None, 403, "Sign-in refused", DEV_REFUSED)

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
    return html_response(pages.dev_login_page(d.settings.partnership, people))


async def dev_login(request: web.Request) -> web.StreamResponse:
    d = request.app[DASHBOARD]
    if not d.local:
        log.warning("refused a development sign-in: not local mode")
        return message_response(request, None, 403, "Sign-in refused", DEV_REFUSED)
    if not _same_origin(request):
        return message_response(request, None, 403, "Sign-in refused", "Sign in from this page.")
    form = await request.post()
    person_id = str(form.get("person", ""))[:64]

    async def known(uow: UnitOfWork) -> bool:
        entry = await uow.people.person(person_id) if person_id else None
        return entry is not None and entry.active

    if not await d.tx.read(known):
        return message_response(
            request, None, 400, "Sign-in refused", "Choose a person from the directory's list."
        )
    log.info("development sign-in as %s", person_id)
    response = web.HTTPSeeOther("/tab")
    _start_session(request, response, person_id, "development")
    raise response


async def signout(request: web.Request) -> web.StreamResponse:
    if not _same_origin(request):
        return message_response(request, None, 403, "Sign-out refused", "Sign out from this page.")
    response = web.HTTPSeeOther("/tab")
    response.del_cookie(COOKIE_NAME, path="/tab")
    raise response
