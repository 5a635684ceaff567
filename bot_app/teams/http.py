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

from bot_app.core.service_urls import service_url_allowed
from bot_app.observability import new_correlation_id
from bot_app.teams.auth import admit
from bot_app.teams.components import COMPONENTS
from bot_app.teams.wire import from_wire
from storage.db import ping
from storage.outbox import outbox_health

log = logging.getLogger(__name__)

# Teams caps a message at 100 KB, and an activity nests a card a few dozen levels at most.
MAX_BODY_BYTES = 256 * 1024
MAX_JSON_DEPTH = 64


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def nesting_depth(raw: bytes) -> int:
    """How deeply ``[`` and ``{`` nest in a JSON text, outside strings: checked before parsing,
    since a hostile body of 100,000 ``[`` exhausts the parser's recursion (a 500, not a 400)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot be too deep: skip the scan (the common case, at C speed)
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _parse_activity(body: object) -> Activity | None:
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return None
    try:
        activity = from_wire(body)
    except Exception:  # msrest raises several types for ill-typed fields
        return None
    return activity if activity.type else None


async def messages(request: web.Request) -> web.Response:
    components = request.app[COMPONENTS]
    if request.content_type != "application/json":
        return _problem(415, "Expected an activity as application/json.")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        log.warning("rejected a body of %d bytes", request.content_length)
        return _problem(413, "The body is too large for an activity.")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        log.warning("rejected a body over the size limit")
        return _problem(413, "The body is too large for an activity.")
    if nesting_depth(raw) > MAX_JSON_DEPTH:
        log.warning("rejected a body nested deeper than %d levels", MAX_JSON_DEPTH)
        return _problem(400, "The body is nested too deeply to be an activity.")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        log.warning("rejected a request whose body is not JSON")
        return _problem(400, "The body is not valid JSON.")
    activity = _parse_activity(body)
    if activity is None:
        log.warning("rejected a body that is not a Bot Framework activity")
        return _problem(400, "The body is not a Bot Framework activity.")
    if not service_url_allowed(
        activity.service_url or "", hosts=components.settings.allowed_service_hosts()
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
        # Messages waiting, failing (retrying), parked and given up, for alerting.
        body["outbox"] = await outbox_health(components.engine)
    return web.json_response(body, status=200 if database_ok else 503)


async def readyz(request: web.Request) -> web.Response:
    """Readiness: send traffic here only when the database answers and the outbox can be read
    (a load balancer takes a worker out while it cannot do its job; /healthz says it lives)."""
    components = request.app[COMPONENTS]
    database_ok = await ping(components.engine)
    outbox = await outbox_health(components.engine) if database_ok else None
    ready = database_ok and outbox is not None
    body = {"status": "ready" if ready else "not ready", "database": database_ok}
    return web.json_response(body, status=200 if ready else 503)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
