"""Building the Bot Framework side once: the adapter, dialog state and the handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from botbuilder.core import ConversationState, UserState
from botbuilder.dialogs import DialogSet
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.admin.identity import Directory
from bot_app.core.answers import Reply
from bot_app.core.routing import Router
from bot_app.core.turn import Turn
from bot_app.settings import Settings
from bot_app.teams.auth import channel_auth_configuration
from bot_app.teams.bot import BotDeps, SafeguardingBot
from bot_app.teams.connector import ConnectorPool, PooledAuthentication, SharedSession
from bot_app.teams.turn_errors import make_on_turn_error
from safeguarding.calendar import WorkingDayCalendar
from storage.bot_state import SqlStorage
from storage.details import Cipher


class TeamsAdapter(CloudAdapter):
    """botbuilder's ``CloudAdapter``, unchanged, on pooled connector clients (connector.py).

    ``session`` is the one keep-alive session every call to the Bot Connector goes over -
    replies here, proactive messages in ``proactive.HttpConnector`` - closed when the app stops.
    """

    def __init__(self, authentication: PooledAuthentication) -> None:
        super().__init__(authentication)
        self.session = authentication.pool.session


def build_adapter(settings: Settings) -> TeamsAdapter:
    """CloudAdapter with the app's credentials; with no app id, no token is checked."""
    configuration = SimpleNamespace(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password.get_secret_value(),
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id,
        **channel_auth_configuration(settings),
    )
    inner = ConfigurationBotFrameworkAuthentication(configuration)
    return TeamsAdapter(PooledAuthentication(inner, ConnectorPool(SharedSession())))


@dataclass
class DialogState:
    """Where dialogs keep their place: the conversation's state in the database, encrypted."""

    storage: SqlStorage
    conversation_state: ConversationState
    user_state: UserState
    dialogs: DialogSet


def dialog_state(sessions: async_sessionmaker[AsyncSession], cipher: Cipher) -> DialogState:
    storage = SqlStorage(sessions, cipher=cipher)
    conversation_state = ConversationState(storage)
    return DialogState(
        storage=storage,
        conversation_state=conversation_state,
        user_state=UserState(storage),
        dialogs=DialogSet(conversation_state.create_property("DialogState")),
    )


@dataclass(frozen=True)
class Edge:
    adapter: TeamsAdapter
    bot: SafeguardingBot


def build_edge(
    settings: Settings,
    state: DialogState,
    *,
    router: Router,
    directory: Directory,
    calendar: WorkingDayCalendar,
    welcome: Callable[[Turn], Reply],
    now: Callable[[], datetime],
    observers: tuple[Callable[[Turn], Awaitable[None]], ...],
    unrecognised: Callable[[Turn, str], Reply] | None = None,
) -> Edge:
    adapter = build_adapter(settings)
    adapter.on_turn_error = make_on_turn_error(state.conversation_state, state.storage)
    bot = SafeguardingBot(
        BotDeps(
            router=router,
            directory=directory,
            calendar=calendar,
            conversation_state=state.conversation_state,
            user_state=state.user_state,
            dialogs=state.dialogs,
            welcome=welcome,
            now=now,
            observers=observers,
            unrecognised=unrecognised,
        )
    )
    return Edge(adapter=adapter, bot=bot)
