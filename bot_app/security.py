"""The bot's security edge: settings that must hold, who may talk to it, signed links.

* **Start-up checks**: with an app id (a real deployment) the bot refuses to start until the
  tenant allow-list, the encryption keys and an HTTPS public URL are configured, naming each
  missing setting - a half-secured bot holding children's data is worse than none. In any
  mode it refuses a network-facing ``HOST`` without an app id (anyone who can reach the port
  could act as anyone) unless explicitly allowed, keys that are short or not random, and
  service URL wildcards broader than one domain (SECURITY.md).
* **Admission** of every activity is the Teams edge's (``bot_app/teams/auth.py``).
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
from typing import Final
from urllib.parse import urlsplit

from bot_app.core.service_urls import LOOPBACK_HOSTS, too_broad
from bot_app.settings import Settings

log = logging.getLogger(__name__)

EXPORT_LINK_LIFETIME: Final = timedelta(minutes=15)
_EXPORT_CONTEXT: Final = b"cspr-evidence-export/1."


MIN_KEY_BYTES: Final = 32


class ConfigurationError(Exception):
    """The settings are not safe to run with; the message names every setting to fix."""


def check_settings(settings: Settings) -> None:
    """Refuse to start with settings that would leave the data or the bot exposed."""
    problems: list[str] = []
    if (
        not settings.auth_enabled
        and settings.host not in LOOPBACK_HOSTS
        and not settings.allow_unauthenticated_network
    ):
        problems.append(
            f"HOST={settings.host} without MICROSOFT_APP_ID would let anyone on the network "
            "act as anyone: set MICROSOFT_APP_ID, or HOST=127.0.0.1 (or, for a throwaway demo "
            "only, ALLOW_UNAUTHENTICATED_NETWORK=true)."
        )
    signing_key = settings.export_signing_key.get_secret_value()
    if signing_key and len(signing_key.encode("utf-8")) < MIN_KEY_BYTES:
        problems.append(
            f"EXPORT_SIGNING_KEY must be at least {MIN_KEY_BYTES} bytes (generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )
    weak = _weak_data_keys(settings.data_encryption_keys.get_secret_value())
    if weak:
        problems.append(
            f"DATA_ENCRYPTION_KEYS: key {', '.join(map(str, weak))} is not random (a "
            "placeholder or a repeated pattern): generate one with: python -m bot_app.keys "
            "generate"
        )
    broad = [h for h in settings.service_url_hosts if too_broad(h)]
    if broad:
        problems.append(
            f"SERVICE_URL_HOSTS {', '.join(broad)} is broader than one domain: name the "
            "Bot Connector hosts, e.g. smba.trafficmanager.net."
        )
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


# A random 32-byte key has about 30 distinct byte values; fewer than this is a placeholder
# ("AAAA...", a word repeated), not a key. A random key falls below it with probability < 1e-9.
_MIN_DISTINCT_KEY_BYTES: Final = 16


def _weak_data_keys(configured: str) -> list[int]:
    """The positions of Fernet keys that decode to a pattern rather than random bytes.

    Malformed keys are left to ``bot_app.keys.data_keys``, which names them by position.
    """
    weak = []
    keys = [k.strip() for k in configured.split(",") if k.strip()]
    for position, key in enumerate(keys, start=1):
        try:
            raw = base64.urlsafe_b64decode(key.encode("ascii"))
        except (ValueError, binascii.Error):
            continue
        if len(raw) == 32 and len(set(raw)) < _MIN_DISTINCT_KEY_BYTES:
            weak.append(position)
    return weak


# Loggers that write what the application stores, verbatim, at DEBUG: aiosqlite logs every
# statement's parameters, so a case's narrative would reach the log. They are held at WARNING
# (explicitly, so that a DEBUG root logger does not reach them).
_VERBATIM_LOGGERS: Final = ("aiosqlite",)


def protect_logs() -> None:
    """Keep child data out of the log whatever the log level (see ``_VERBATIM_LOGGERS``)."""
    for name in _VERBATIM_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


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
