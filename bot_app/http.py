"""The HTTP surface: ``POST /api/messages`` (Bot Framework) and ``GET /healthz``.

``/api/messages`` does not use ``CloudAdapter.process``: in botbuilder 4.17 that method
re-serialises invoke bodies the bot already turned into dicts and answers 500
(teams-platform.md, defect 1), which breaks every Universal Action. This handler calls
``process_activity`` itself and serialises only msrest models.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web
from botbuilder.schema import Activity
from msrest.serialization import Model

from bot_app.components import COMPONENTS
from bot_app.security import admit
from bot_app.turn_errors import new_correlation_id
from storage.db import ping
from storage.outbox import outbox_health

log = logging.getLogger(__name__)


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _parse_activity(body: object) -> Activity | None:
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return None
    try:
        activity = Activity().deserialize(body)
    except Exception:  # msrest raises several types for ill-typed fields
        return None
    return activity if activity.type else None


async def messages(request: web.Request) -> web.Response:
    components = request.app[COMPONENTS]
    if request.content_type != "application/json":
        return _problem(415, "Expected an activity as application/json.")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        log.warning("rejected a request whose body is not JSON")
        return _problem(400, "The body is not valid JSON.")
    activity = _parse_activity(body)
    if activity is None:
        log.warning("rejected a body that is not a Bot Framework activity")
        return _problem(400, "The body is not a Bot Framework activity.")
    if not activity.service_url or not components.settings.service_url_allowed(
        activity.service_url
    ):
        log.warning("rejected an activity with a service URL outside the allow-list")
        return _problem(400, "The activity's serviceUrl is not allowed.")

    # Token first (401), then the tenant allow-list (403): nothing is processed before both.
    admitted = await admit(
        components.adapter,
        components.settings,
        activity,
        body,
        request.headers.get("Authorization"),
    )
    if isinstance(admitted, web.Response):
        return admitted
    try:
        invoke_response = await components.adapter.process_activity(
            admitted, activity, components.bot.on_turn
        )
    except PermissionError:
        log.warning("rejected an activity without a valid Bot Framework token")
        return _problem(401, "Unauthorized.")
    except Exception:
        correlation_id = new_correlation_id()
        log.exception("could not process activity [%s]", correlation_id)
        return _problem(500, f"Internal error (reference {correlation_id}).")

    if invoke_response is None:
        return web.Response(status=200)
    body_out = invoke_response.body
    if isinstance(body_out, Model):
        body_out = body_out.serialize()
    if body_out is None:
        return web.Response(status=invoke_response.status)
    return web.json_response(body_out, status=invoke_response.status)


async def healthz(request: web.Request) -> web.Response:
    components = request.app[COMPONENTS]
    database_ok = await ping(components.engine)
    body: dict[str, object] = {
        "status": "ok" if database_ok else "degraded",
        "database": "reachable" if database_ok else "unreachable",
    }
    if database_ok:
        # Issue 5: messages waiting, failing (retrying), parked and given up, for alerting.
        body["outbox"] = await outbox_health(components.engine)
    return web.json_response(body, status=200 if database_ok else 503)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
