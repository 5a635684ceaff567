"""The outbound path to the Bot Connector: one client per service URL, one keep-alive session.

botbuilder 4.17's ``CloudAdapterBase.process_activity`` asks the request's connector factory
for a new ``ConnectorClient`` and the authentication for a new ``UserTokenClient`` on every
turn. Each construction builds msrest's configuration, retry policy and a requests-based
pipeline (a few milliseconds of CPU), gets fresh credentials - so a fresh MSAL application
whose token cache is empty - and sends the reply through ``requests`` in a thread pool, on a
new TCP connection. Under load that, not the bot, is most of the cost of a turn.

Here the SDK's public surface stays as it is - the adapter, ``TurnContext.send_activity``,
``ConnectorClient.conversations`` - and only what sits behind it changes:

* :class:`PooledAuthentication` wraps the configured ``BotFrameworkAuthentication`` and hands
  out connector factories that keep one ``ConnectorClient`` per (app id, service URL,
  audience) for the life of the process, and a user token client built only if it is used;
* each pooled client's msrest pipeline sends over one shared ``aiohttp`` session (keep-alive,
  no thread) and adds the bearer token from :func:`bearer_token`, which keeps the token in
  memory until shortly before it expires. Fetching a new one is the only blocking call (MSAL),
  made in a worker thread once an hour or so, never per turn.

Authentication of inbound requests, credentials and audiences stay the SDK's own.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
)
from botframework.connector.auth.authenticate_request_result import AuthenticateRequestResult
from botframework.connector.auth.connector_factory import ConnectorFactory
from botframework.connector.auth.user_token_client import UserTokenClient
from msrest.pipeline import AsyncHTTPPolicy, AsyncPipeline, Request, Response
from msrest.pipeline.aiohttp import AsyncHTTPSender
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http import ClientRequest
from msrest.universal_http.aiohttp import AioHttpClientResponse

log = logging.getLogger(__name__)

# A reply that takes longer than this is abandoned (Teams gives the bot 15 s for an invoke).
REPLY_TIMEOUT_SECONDS = 30.0
# A token is renewed this long before it expires, and at the latest after an hour when its
# expiry cannot be read (Entra ID issues app tokens valid for 60-90 minutes).
TOKEN_RENEW_BEFORE_SECONDS = 300.0
TOKEN_FALLBACK_LIFETIME_SECONDS = 3600.0


class SharedSession:
    """One ``aiohttp.ClientSession`` for every call to the Bot Connector from this process.

    Made on first use (a session belongs to the running event loop) and made again if it was
    closed, so a late reply during shutdown still goes out.
    """

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=REPLY_TIMEOUT_SECONDS)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


# -- tokens ---------------------------------------------------------------------------------


class _CachedToken:
    """The current bearer token of one credentials object, renewed before it expires."""

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> str:
        if self._token is not None and time.monotonic() < self._renew_at:
            return self._token
        async with self._lock:
            if self._token is None or time.monotonic() >= self._renew_at:
                # MSAL's client-credentials call is synchronous HTTP: a thread, once an hour.
                token: str = await asyncio.to_thread(self._credentials.get_access_token)
                self._token = token
                self._renew_at = time.monotonic() + _lifetime(token) - TOKEN_RENEW_BEFORE_SECONDS
            return self._token


_tokens: weakref.WeakKeyDictionary[Any, _CachedToken] = weakref.WeakKeyDictionary()


def needs_token(credentials: Any) -> bool:
    """What the SDK's ``AppCredentials._should_set_token`` decides: no app id, no token."""
    app_id = getattr(credentials, "microsoft_app_id", None)
    return bool(app_id) and app_id != AuthenticationConstants.ANONYMOUS_SKILL_APP_ID


async def bearer_token(credentials: Any) -> str | None:
    """The bearer token for ``credentials`` (None in local mode), from memory when fresh."""
    if not needs_token(credentials):
        return None
    cached = _tokens.get(credentials)
    if cached is None:
        cached = _tokens[credentials] = _CachedToken(credentials)
    return await cached.get()


def _lifetime(token: str) -> float:
    """Seconds until the JWT's ``exp`` (read, not verified: it is our own token)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return max(0.0, float(claims["exp"]) - time.time())
    except (IndexError, KeyError, TypeError, ValueError):
        return TOKEN_FALLBACK_LIFETIME_SECONDS


# -- the msrest pipeline --------------------------------------------------------------------


class _BearerPolicy(AsyncHTTPPolicy):
    """Adds ``Authorization: Bearer`` from the in-memory token (msrest's own policy signs a
    ``requests.Session`` and asks MSAL on every call)."""

    def __init__(self, credentials: Any) -> None:
        super().__init__()
        self._credentials = credentials

    async def send(self, request: Request, **kwargs: Any) -> Response:
        token = await bearer_token(self._credentials)
        if token:
            request.http_request.headers["Authorization"] = f"Bearer {token}"
        assert self.next is not None  # the pipeline links every policy to the next step
        response: Response = await self.next.send(request, **kwargs)
        return response


class _SharedSessionSender(AsyncHTTPSender):
    """msrest's last pipeline step, on the shared aiohttp session: keep-alive, no thread."""

    def __init__(self, session: SharedSession) -> None:
        self._session = session

    async def __aenter__(self) -> _SharedSessionSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        return None  # the session outlives any one client

    def build_context(self) -> None:
        return None

    async def send(self, request: Request, **config: Any) -> Response:
        http: ClientRequest = request.http_request
        answer = await self._session.get().request(
            http.method, http.url, headers=http.headers, data=http.data
        )
        response = AioHttpClientResponse(http, answer)
        await response.load_body()
        answer.release()
        return Response(request, response)


def _pipeline(client: ConnectorClient, session: SharedSession) -> AsyncPipeline:
    config = client.config
    policies: list[Any] = [
        config.user_agent_policy,
        _BearerPolicy(config.credentials),
        RawDeserializer(),
        config.http_logger_policy,
    ]
    return AsyncPipeline(policies, _SharedSessionSender(session))


# -- pooled factories -----------------------------------------------------------------------


class ConnectorPool:
    """Connector clients for the life of the process, one per (app id, service URL, audience)."""

    def __init__(self, session: SharedSession) -> None:
        self.session = session
        self._clients: dict[tuple[str, str, str | None], ConnectorClient] = {}

    def factory(self, app_id: str, inner: ConnectorFactory) -> ConnectorFactory:
        return _PooledFactory(self, app_id, inner)

    async def client(
        self, key: tuple[str, str, str | None], build: Callable[[], Awaitable[ConnectorClient]]
    ) -> ConnectorClient:
        client = self._clients.get(key)
        if client is None:
            client = await build()
            # The SDK's client, with its credentials and user agent; only the transport is ours.
            client.config.pipeline = _pipeline(client, self.session)
            client = self._clients.setdefault(key, client)
        return client

    def __len__(self) -> int:
        return len(self._clients)


class _PooledFactory(ConnectorFactory):
    def __init__(self, pool: ConnectorPool, app_id: str, inner: ConnectorFactory) -> None:
        self._pool = pool
        self._app_id = app_id
        self._inner = inner

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        return await self._pool.client(
            (self._app_id, service_url, audience),
            lambda: self._inner.create(service_url, audience),
        )


class _LazyUserTokenClient(UserTokenClient):
    """The SDK's user token client, built on first use (single sign-on prompts) and kept.

    The bot signs nobody in, so on a normal turn it is never built at all.
    """

    def __init__(self, build: Callable[[], Awaitable[UserTokenClient]]) -> None:
        self._build = build
        self._client: UserTokenClient | None = None

    async def _inner(self) -> UserTokenClient:
        if self._client is None:
            self._client = await self._build()
        return self._client

    async def get_user_token(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._inner()).get_user_token(*args, **kwargs)

    async def get_sign_in_resource(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._inner()).get_sign_in_resource(*args, **kwargs)

    async def sign_out_user(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._inner()).sign_out_user(*args, **kwargs)

    async def get_token_status(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._inner()).get_token_status(*args, **kwargs)

    async def get_aad_tokens(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._inner()).get_aad_tokens(*args, **kwargs)

    async def exchange_token(self, *args: Any, **kwargs: Any) -> Any:
        return await (await self._inner()).exchange_token(*args, **kwargs)


def app_id_of(claims_identity: ClaimsIdentity | None) -> str:
    """The bot's app id in a request's claims, as the SDK reads it (audience, else appid)."""
    if claims_identity is None:
        return ""
    value = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if value is None:
        value = claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return str(value or "")


class PooledAuthentication(BotFrameworkAuthentication):
    """The configured authentication, with pooled connector clients and a lazy token client."""

    def __init__(self, inner: BotFrameworkAuthentication, pool: ConnectorPool) -> None:
        super().__init__()
        self.inner = inner
        self.pool = pool
        self._token_clients: dict[str, _LazyUserTokenClient] = {}

    async def authenticate_request(
        self, activity: Activity, auth_header: str
    ) -> AuthenticateRequestResult:
        result = await self.inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = self.pool.factory(
                app_id_of(result.claims_identity), result.connector_factory
            )
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self.inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self.pool.factory(
            app_id_of(claims_identity), self.inner.create_connector_factory(claims_identity)
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = app_id_of(claims_identity)
        client = self._token_clients.get(app_id)
        if client is None:
            client = self._token_clients[app_id] = _LazyUserTokenClient(
                lambda: self.inner.create_user_token_client(claims_identity)
            )
        return client

    def create_bot_framework_client(self) -> Any:
        return self.inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self.inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.inner.authenticate_channel_request(auth_header)
