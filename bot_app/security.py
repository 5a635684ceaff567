"""The bot's security edge: settings that must hold, who may talk to it, signed links.

* **Start-up checks**: with an app id (a real deployment) the bot refuses to start until the
  tenant allow-list, the encryption keys and an HTTPS public URL are configured, naming each
  missing setting - a half-secured bot holding children's data is worse than none.
* **Admission** of every activity, in order: a valid Bot Framework token (401 otherwise,
  whatever the SDK raised), then the Entra tenant allow-list (403). Nothing is processed, and
  nobody is looked up, before both pass.
* **Export links**: HMAC-signed, expiring tokens bound to one person and one case.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from aiohttp import web
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, CallerIdConstants
from botframework.connector.auth import AuthenticateRequestResult, AuthenticationConstants

from bot_app.settings import Settings

log = logging.getLogger(__name__)

EXPORT_LINK_LIFETIME: Final = timedelta(minutes=15)
_EXPORT_CONTEXT: Final = b"cspr-evidence-export/1."


class ConfigurationError(Exception):
    """The settings are not safe to run with; the message names every setting to fix."""


def check_settings(settings: Settings) -> None:
    """Refuse to start with settings that would leave the data or the bot exposed."""
    problems: list[str] = []
    if settings.microsoft_app_type == "SingleTenant" and settings.auth_enabled:
        if not settings.microsoft_app_password.get_secret_value():
            problems.append("MICROSOFT_APP_PASSWORD is required for a SingleTenant app.")
        if not settings.microsoft_app_tenant_id:
            problems.append("MICROSOFT_APP_TENANT_ID is required for a SingleTenant app.")
    if settings.microsoft_app_type == "UserAssignedMSI":
        if not settings.microsoft_app_id:
            problems.append(
                "MICROSOFT_APP_ID (the identity's client id) is required with a managed identity."
            )
        if not settings.microsoft_app_tenant_id:
            problems.append("MICROSOFT_APP_TENANT_ID is required with a managed identity.")
    scheme = urlsplit(settings.public_base_url).scheme
    if scheme not in {"http", "https"}:
        problems.append("PUBLIC_BASE_URL must be an http(s) URL, e.g. https://cspr.example.org.")
    if settings.auth_enabled:
        if not settings.allowed_tenant_ids:
            problems.append(
                "ALLOWED_TENANT_IDS must list the partnership's Entra tenant id(s) when "
                "MICROSOFT_APP_ID is set; otherwise any organisation that installs the app "
                "could use it."
            )
        if not settings.data_encryption_keys.get_secret_value():
            problems.append(
                "DATA_ENCRYPTION_KEYS must be set when MICROSOFT_APP_ID is set: every worker "
                "needs the same keys (generate one with: python -m bot_app.keys generate)."
            )
        if scheme != "https":
            problems.append(
                "PUBLIC_BASE_URL must be https when MICROSOFT_APP_ID is set: evidence "
                "download links carry a token."
            )
    if problems:
        raise ConfigurationError(
            "The bot cannot start with these settings:\n  - " + "\n  - ".join(problems)
        )


# Loggers that write what the application stores, verbatim, at DEBUG: aiosqlite logs every
# statement's parameters, so a case's narrative would reach the log. They are held at WARNING
# (explicitly, so that a DEBUG root logger does not reach them).
_VERBATIM_LOGGERS: Final = ("aiosqlite",)


def protect_logs() -> None:
    """Keep child data out of the log whatever the log level (see ``_VERBATIM_LOGGERS``)."""
    for name in _VERBATIM_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


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


# -- evidence export links ---------------------------------------------------------------


class InvalidExportToken(Exception):
    """A download link that is forged, altered, for another case, or expired."""


def sign_export_token(key: bytes, *, reference: str, person_id: str, expires_at: datetime) -> str:
    """A token that lets ``person_id`` download case ``reference`` until ``expires_at``."""
    claims = {"r": reference, "p": person_id, "e": int(expires_at.timestamp())}
    payload = _b64(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    return f"{payload}.{_b64(_mac(key, payload))}"


def read_export_token(key: bytes, token: str, *, reference: str, now: datetime) -> str:
    """The person the token was issued to, if it is genuine, for ``reference`` and current."""
    payload, _, signature = token.partition(".")
    try:
        genuine = hmac.compare_digest(_unb64(signature), _mac(key, payload))
        claims = json.loads(_unb64(payload)) if genuine else None
    except (ValueError, binascii.Error):
        genuine, claims = False, None
    if not genuine or not isinstance(claims, dict):
        raise InvalidExportToken("This download link is not valid.")
    if claims.get("r") != reference:
        raise InvalidExportToken("This download link is for another case.")
    expires = claims.get("e")
    if not isinstance(expires, int) or now.timestamp() >= expires:
        raise InvalidExportToken(
            "This download link has expired (links last 15 minutes). Ask for a new one with "
            f"export {reference}."
        )
    person = claims.get("p")
    if not isinstance(person, str) or not person:
        raise InvalidExportToken("This download link is not valid.")
    return person


def _mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, _EXPORT_CONTEXT + payload.encode("ascii"), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
