"""Talking to the Bot Connector without being asked: posting, updating, opening personal chats.

The outbox sender calls the connector's REST API (``/v3/conversations/...``) itself, over one
shared aiohttp session, rather than through ``CloudAdapter.continue_conversation``. Three
reasons, all from the installed botbuilder 4.17.1 / msrest 0.7.1:

* msrest's requests transport retries every 5xx and read timeout of a PUT three times with
  blocking back-off sleeps in a worker thread, invisible to the caller: the outbox owns the
  retry policy (backoff, ``Retry-After``, attempt budget), and must see every failure;
* a timed-out call in that thread pool cannot be cancelled, and the 429's ``Retry-After`` and
  status have to be dug out of ``ErrorResponseException``;
* ``CloudAdapter`` builds new connector and token clients for every proactive turn
  (teams-platform.md, defect 6).

It shares the adapter's keep-alive session (``connector.py``) when the composition root
passes it, so replies and proactive messages use one pool of connections.

Authentication stays the SDK's: the bearer token comes from the credentials that the
adapter's own ``BotFrameworkAuthentication`` builds for the configured app id (defect 5: they
must be built for exactly that id). In local mode (no app id) no token is sent, as the SDK
would do; a personal chat is then created with the bot id seen on inbound activities, or the
placeholder ``28:local-bot``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
from botbuilder.integration.aiohttp import CloudAdapter

from bot_app.teams.connector import SharedSession, bearer_token
from storage.outbox import ConversationTarget

LOCAL_BOT_ID = "28:local-bot"


class DeliveryError(Exception):
    """The connector did not accept a call; ``status`` is None for timeouts and network errors."""

    def __init__(self, status: int | None, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """Throttling (429), server trouble (5xx, 408, 412 as Microsoft's rate-limit page
        advises), timeouts and network errors are worth another try; any other answer - 403
        (app removed, user blocked the bot), 404 (channel deleted), 400, 413 - will not change."""
        return self.status is None or self.status in (408, 412, 429) or self.status >= 500

    @property
    def gone(self) -> bool:
        """Teams says the conversation is not there for us any more."""
        return self.status in (403, 404)


class Connector(Protocol):
    """The three calls the outbox needs (a fake or a recording one in benchmarks)."""

    async def send(self, target: ConversationTarget, activity: Mapping[str, Any]) -> str | None:
        """Post a new message; returns its activity id."""
        ...

    async def update(
        self, target: ConversationTarget, activity_id: str, activity: Mapping[str, Any]
    ) -> None: ...

    async def create_personal(self, endpoint: ConversationTarget, member_id: str) -> str:
        """Open (or find) the bot's one-to-one chat with a person; returns its id."""
        ...


class TokenSource(Protocol):
    async def token(self, service_url: str) -> str | None: ...


class NoTokens:
    """Local mode: no app id, so nothing to authenticate with."""

    async def token(self, service_url: str) -> str | None:
        return None


class AdapterTokens:
    """Bearer tokens from the adapter's own credential factory, for the configured app id.

    The credentials are the pooled connector client's (``connector.py``), and the token is
    kept in memory until shortly before it expires: no thread, no MSAL call per message.
    """

    def __init__(self, adapter: CloudAdapter, app_id: str) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._credentials: Any = None

    async def token(self, service_url: str) -> str | None:
        if not self._app_id:
            return None
        if self._credentials is None:
            factory = self._adapter.bot_framework_authentication.create_connector_factory(
                self._adapter.create_claims_identity(self._app_id)
            )
            client = await factory.create(service_url, None)
            self._credentials = client.config.credentials
        return await bearer_token(self._credentials)


class HttpConnector:
    """The Bot Connector REST API over one aiohttp session, with a timeout per call."""

    def __init__(
        self,
        *,
        tokens: TokenSource,
        timeout_seconds: float,
        session: SharedSession | None = None,
    ) -> None:
        self._tokens = tokens
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        # The adapter's session when given, so replies and proactive messages share one pool
        # of keep-alive connections.
        self._session = session or SharedSession()

    async def close(self) -> None:
        await self._session.close()

    async def send(self, target: ConversationTarget, activity: Mapping[str, Any]) -> str | None:
        body = _addressed(activity, target)
        url = f"{_conversation_url(target)}/activities"
        answer = await self._call("POST", url, target.service_url, body)
        return _str(answer.get("id"))

    async def update(
        self, target: ConversationTarget, activity_id: str, activity: Mapping[str, Any]
    ) -> None:
        body = {**_addressed(activity, target), "id": activity_id}
        url = f"{_conversation_url(target)}/activities/{quote(activity_id, safe='')}"
        await self._call("PUT", url, target.service_url, body)

    async def create_personal(self, endpoint: ConversationTarget, member_id: str) -> str:
        body = {
            "isGroup": False,
            "bot": {"id": endpoint.bot_id or LOCAL_BOT_ID},
            "members": [{"id": member_id}],
            "tenantId": endpoint.tenant_id,
            "channelData": {"tenant": {"id": endpoint.tenant_id}},
        }
        answer = await self._call(
            "POST", f"{_base(endpoint.service_url)}v3/conversations", endpoint.service_url, body
        )
        conversation_id = _str(answer.get("id"))
        if not conversation_id:
            raise DeliveryError(502, "the connector created a conversation without an id")
        return conversation_id

    async def _call(
        self, method: str, url: str, service_url: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        try:
            token = await self._tokens.token(service_url)
        except Exception as exc:  # MSAL and the credential factory raise several types
            raise DeliveryError(
                None, f"could not get a Bot Framework token: {type(exc).__name__}"
            ) from exc
        return await call_connector(
            self._session.get(), method, url, json.dumps(body), token=token, limits=self._timeout
        )


async def call_connector(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    body: str,
    *,
    token: str | None,
    limits: aiohttp.ClientTimeout | None = None,
) -> dict[str, Any]:
    """One call to the Bot Connector with a JSON ``body``: its JSON answer, or
    :class:`DeliveryError` saying what went wrong (the status, ``Retry-After``) - the same for
    a reply in a turn and a proactive message."""
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        async with session.request(
            method, url, data=body.encode(), headers=headers, timeout=limits
        ) as response:
            text = await response.text()
            if response.status >= 300:
                raise DeliveryError(
                    response.status,
                    f"{method} answered {response.status}: {text[:300]}",
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                )
            try:
                answer = json.loads(text) if text else {}
            except ValueError:
                answer = {}
            return answer if isinstance(answer, dict) else {}
    except TimeoutError as exc:
        limit = (limits or session.timeout).total
        raise DeliveryError(
            None, f"{method} timed out after {limit} s (it may have been delivered)"
        ) from exc
    except aiohttp.ClientError as exc:
        raise DeliveryError(None, f"{method} failed: {type(exc).__name__}: {exc}") from exc


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _base(service_url: str) -> str:
    return service_url if service_url.endswith("/") else f"{service_url}/"


def _conversation_url(target: ConversationTarget) -> str:
    # Conversation ids hold ':' '@' ';' '=': encoded as one path segment, as msrest does.
    return f"{_base(target.service_url)}v3/conversations/{quote(target.conversation_id, safe='')}"


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _addressed(activity: Mapping[str, Any], target: ConversationTarget) -> dict[str, Any]:
    body = dict(activity)
    body.setdefault("type", "message")
    body["conversation"] = {"id": target.conversation_id}
    if target.bot_id:
        body["from"] = {"id": target.bot_id}
    return body
