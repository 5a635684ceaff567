"""Building the outbox sender: proactive messages over the Bot Connector's REST API."""

from __future__ import annotations

from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.core.people import People
from bot_app.core.service_urls import service_url_allowed
from bot_app.settings import Settings
from bot_app.teams.adapter import Edge
from bot_app.teams.outbox_report import Endpoint, SenderConfig
from bot_app.teams.outbox_sender import OutboxSender
from bot_app.teams.proactive import AdapterTokens, HttpConnector
from storage.details import Cipher


def build_sender(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    edge: Edge,
    *,
    people: People,
    cipher: Cipher | None = None,
) -> tuple[OutboxSender, HttpConnector]:
    """The sender and the connector it posts through (closed when the app stops)."""
    connector = HttpConnector(
        tokens=AdapterTokens(edge.adapter, settings.microsoft_app_id),
        timeout_seconds=settings.outbox_send_timeout_seconds,
        session=edge.adapter.session,
    )
    sender = OutboxSender(
        sessions,
        connector,
        people=people,
        cipher=cipher,
        service_url_allowed=partial(service_url_allowed, hosts=settings.allowed_service_hosts()),
        config=SenderConfig(
            max_attempts=settings.outbox_max_attempts,
            backoff_seconds=settings.outbox_backoff_seconds,
            backoff_max_seconds=settings.outbox_backoff_max_seconds,
            lease_seconds=settings.outbox_lease_seconds,
            batch_size=settings.outbox_batch_size,
            concurrency=settings.outbox_concurrency,
        ),
        endpoint=Endpoint(
            service_url=settings.teams_service_url,
            tenant_id=settings.microsoft_app_tenant_id,
            bot_id=f"28:{settings.microsoft_app_id}" if settings.microsoft_app_id else "",
        ),
    )
    return sender, connector
