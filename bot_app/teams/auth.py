"""Admission of every activity, in order: a valid Bot Framework token (401 otherwise,
whatever the SDK raised), then the Entra tenant allow-list (403). Nothing is processed, and
nobody is looked up, before both pass.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, CallerIdConstants
from botframework.connector.auth import AuthenticateRequestResult, AuthenticationConstants

from bot_app.settings import Settings

log = logging.getLogger(__name__)


def channel_auth_configuration(settings: Settings) -> dict[str, Any]:
    """Extra ``CloudAdapter`` configuration when the signing keys live somewhere else.

    Naming one endpoint switches botbuilder to its "parameterised" authentication, which
    then needs *every* endpoint spelt out: left empty, the token issuer would be ``None`` and
    an issuer-less token would pass. So all are given the public cloud's values, and only
    the metadata URL (tests, sovereign clouds) differs.
    """
    url = settings.to_bot_from_channel_openid_metadata_url
    if not url:
        return {}
    public = AuthenticationConstants
    return {
        "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": url,
        "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": public.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER,
        "TO_CHANNEL_FROM_BOT_LOGIN_URL": public.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX,
        "TO_CHANNEL_FROM_BOT_OAUTH_SCOPE": public.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE,
        "OAUTH_URL": public.OAUTH_URL,
        "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": public.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL,
        "CALLER_ID": CallerIdConstants.public_azure_channel,
    }


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def admit(
    adapter: CloudAdapter,
    settings: Settings,
    activity: Activity,
    body: dict[str, Any],
    auth_header: str | None,
) -> AuthenticateRequestResult | web.Response:
    """Authenticate the request and check its tenant: the result, or the HTTP refusal.

    botbuilder signals a bad token with ``PermissionError`` only sometimes: a malformed
    header, an unknown signing key or an unparseable token surface as ``AttributeError``,
    ``IndexError``, PyJWT errors or a bare ``Exception``. All of them mean "not
    authenticated" (401); only an unreachable key endpoint is our problem (503). Either way
    the caller sees a one-line JSON error, never a stack trace.
    """
    try:
        result = await adapter.bot_framework_authentication.authenticate_request(
            activity, auth_header
        )
    except requests.RequestException as error:
        log.error("could not fetch the token signing keys: %s", type(error).__name__)
        return _problem(503, "Authentication is temporarily unavailable; try again later.")
    except Exception as error:  # see the docstring: the SDK raises many types for a bad token
        log.warning("rejected a request without a valid token (%s)", type(error).__name__)
        return _problem(401, "Unauthorized.")
    tenant = tenant_of(body)
    if settings.allowed_tenant_ids and tenant not in settings.allowed_tenant_ids:
        log.warning("refused an activity from tenant %r: not in ALLOWED_TENANT_IDS", tenant)
        return _problem(403, "This organisation is not allowed to use this bot.")
    return result


def tenant_of(body: dict[str, Any]) -> str | None:
    """The Entra tenant from ``channelData.tenant.id`` (botbuilder 4.17 maps nothing else)."""
    channel_data = body.get("channelData")
    tenant = channel_data.get("tenant") if isinstance(channel_data, dict) else None
    tenant_id = tenant.get("id") if isinstance(tenant, dict) else None
    return tenant_id.strip().lower() if isinstance(tenant_id, str) else None
