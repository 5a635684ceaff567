"""Teams single sign-on for the tab: the token the Teams client hands the page, checked here.

Inside Teams the tab page asks the Teams JavaScript client for a token
(``authentication.getAuthToken``) and posts it to ``/tab/auth/teams``. It is an Entra ID
access token for the app's own API, and it is accepted only if every check passes, in this
order:

1. it is a JWT signed (RS256) by a key that Entra publishes in the JWKS named by the
   OpenID configuration (``TAB_OPENID_METADATA_URL``; tests serve their own);
2. its audience is the configured app: ``api://<host of PUBLIC_BASE_URL>/<app id>`` (what
   the manifest's ``webApplicationInfo.resource`` declares) or the bare app id;
3. its issuer is Entra's for the token's own tenant, v2 (``login.microsoftonline.com/<tid>
   /v2.0``) or v1 (``sts.windows.net/<tid>/``);
4. it is current (``nbf`` and ``exp``, a minute's leeway for clock drift), by the
   application's clock;
5. its tenant is in ``ALLOWED_TENANT_IDS`` - else 403, as for the bot.

Anything else is a 401 (a 503 only when the keys cannot be fetched). The token's ``oid``
names the person; roles come from the directory, never from the token.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
import jwt

log = logging.getLogger(__name__)

ENTRA_OPENID_METADATA: Final = (
    "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
)
LEEWAY_SECONDS: Final = 60
_KEYS_TTL_SECONDS: Final = 24 * 3600
_REFRESH_AT_MOST_EVERY: Final = 60.0  # an unknown kid refetches the keys, but not in a loop


class TokenRefused(Exception):
    """Not signed in: ``status`` 401 (no valid token), 403 (another tenant) or 503."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class TeamsIdentity:
    object_id: str
    tenant_id: str
    name: str


FetchJson = Callable[[str], Awaitable[Any]]


async def fetch_json(url: str) -> Any:
    """GET a JSON document (the OpenID configuration, the JWKS)."""
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url) as response,
    ):
        response.raise_for_status()
        return await response.json(content_type=None)


class SigningKeys:
    """Entra's token signing keys, fetched from the OpenID configuration and kept a day."""

    def __init__(
        self,
        metadata_url: str,
        *,
        fetch: FetchJson = fetch_json,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._metadata_url = metadata_url
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at: float | None = None

    async def key(self, kid: str) -> jwt.PyJWK | None:
        now = self._clock()
        stale = self._fetched_at is None or now - self._fetched_at > _KEYS_TTL_SECONDS
        unknown = kid not in self._keys and (
            self._fetched_at is None or now - self._fetched_at > _REFRESH_AT_MOST_EVERY
        )
        if stale or unknown:
            await self._refresh(now)
        return self._keys.get(kid)

    async def _refresh(self, now: float) -> None:
        try:
            metadata = await self._fetch(self._metadata_url)
            jwks = await self._fetch(str(metadata["jwks_uri"]))
        except (aiohttp.ClientError, TimeoutError, KeyError, TypeError, ValueError) as error:
            log.error("could not fetch the tab's token signing keys: %s", type(error).__name__)
            if not self._keys:
                raise TokenRefused(503, "Sign-in is temporarily unavailable.") from error
            return
        keys: dict[str, jwt.PyJWK] = {}
        for entry in jwks.get("keys", []) if isinstance(jwks, dict) else []:
            if not isinstance(entry, dict) or not entry.get("kid") or entry.get("kty") != "RSA":
                continue
            try:
                keys[str(entry["kid"])] = jwt.PyJWK(entry, algorithm="RS256")
            except jwt.PyJWTError:
                continue
        self._keys = keys
        self._fetched_at = now


@dataclass(frozen=True)
class SsoSettings:
    app_id: str
    public_base_url: str
    allowed_tenants: Collection[str]

    @property
    def audiences(self) -> list[str]:
        parts = urlsplit(self.public_base_url)
        hosts = dict.fromkeys(h for h in (parts.hostname or "", parts.netloc) if h)
        return [self.app_id, *(f"api://{host}/{self.app_id}" for host in hosts)]


class TeamsTokens:
    """Checks a Teams SSO token; see the module docstring for the checks and their order."""

    def __init__(self, settings: SsoSettings, keys: SigningKeys) -> None:
        self._settings = settings
        self._keys = keys

    async def validate(self, token: str, *, now: datetime) -> TeamsIdentity:
        if not self._settings.app_id:
            raise TokenRefused(401, "Teams sign-in is not configured.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenRefused(401, f"not a JWT ({type(error).__name__})") from error
        kid = header.get("kid")
        if header.get("alg") != "RS256" or not isinstance(kid, str):
            raise TokenRefused(401, "not an RS256 token with a key id")
        key = await self._keys.key(kid)
        if key is None:
            raise TokenRefused(401, "signed with a key Entra does not publish")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key.key,
                algorithms=["RS256"],
                audience=self._settings.audiences,
                # Time is checked below against the application's clock.
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
            )
        except jwt.InvalidAudienceError as error:
            raise TokenRefused(401, "for another audience") from error
        except jwt.PyJWTError as error:
            raise TokenRefused(401, f"not genuine ({type(error).__name__})") from error
        tenant = str(claims.get("tid") or "").strip().lower()
        issuers = {
            f"https://login.microsoftonline.com/{tenant}/v2.0",
            f"https://sts.windows.net/{tenant}/",
        }
        if not tenant or claims.get("iss") not in issuers:
            raise TokenRefused(401, "not issued by Entra for its tenant")
        moment = now.timestamp()
        expires, not_before = claims.get("exp"), claims.get("nbf")
        if not isinstance(expires, int | float) or moment > expires + LEEWAY_SECONDS:
            raise TokenRefused(401, "expired")
        if isinstance(not_before, int | float) and moment < not_before - LEEWAY_SECONDS:
            raise TokenRefused(401, "not valid yet")
        allowed = {t.strip().lower() for t in self._settings.allowed_tenants}
        if allowed and tenant not in allowed:
            raise TokenRefused(403, f"tenant {tenant} is not in ALLOWED_TENANT_IDS")
        object_id = claims.get("oid")
        if not isinstance(object_id, str) or not object_id:
            raise TokenRefused(401, "names no user (no oid)")
        return TeamsIdentity(
            object_id=object_id, tenant_id=tenant, name=str(claims.get("name", ""))
        )
