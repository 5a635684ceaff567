"""Building the Bot Framework side once: the adapter, dialog state and the handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import quote

from botbuilder.core import ConversationState, TurnContext, UserState
from botbuilder.dialogs import DialogSet
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from botframework.connector.aio import ConnectorClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot_app.admin.identity import Directory
from bot_app.core.answers import Reply
from bot_app.core.routing import Router
from bot_app.core.turn import Turn
from bot_app.settings import Settings
from bot_app.teams.auth import channel_auth_configuration
from bot_app.teams.bot import BotDeps, SafeguardingBot
from bot_app.teams.connector import (
    ConnectorPool,
    PooledAuthentication,
    SharedSession,
    bearer_token,
)
from bot_app.teams.proactive import call_connector
from bot_app.teams.state import FastConversationState, FastUserState
from bot_app.teams.turn_errors import make_on_turn_error
from bot_app.teams.wire import to_wire
from safeguarding.calendar import WorkingDayCalendar
from storage.bot_state import SqlStorage
from storage.details import Cipher

# What the SDK answers without the Bot Connector: the invoke response, a pause, a trace.
_OFF_THE_WIRE = frozenset({ActivityTypes.invoke_response, "delay", ActivityTypes.trace})


class TeamsAdapter(CloudAdapter):
    """botbuilder's ``CloudAdapter`` on pooled connector clients (connector.py), whose replies
    and in-place updates are written by ``wire.py`` rather than msrest.

    ``send_activities`` and ``update_activity`` make the same REST calls the SDK's
    ``ConnectorClient.conversations`` would, with the turn's client's service URL and
    credentials, but serialise the activity in one pass (msrest walked every element of every
    card: the largest cost of a turn) and post it over ``session``, the one keep-alive session
    every call to the Bot Connector uses - replies here, proactive messages in
    ``proactive.HttpConnector`` - closed when the app stops. Anything off the wire is the SDK's.
    """

    def __init__(self, authentication: PooledAuthentication) -> None:
        super().__init__(authentication)
        self.session = authentication.pool.session

    async def send_activities(
        self, context: TurnContext, activities: list[Activity]
    ) -> list[ResourceResponse]:
        responses: list[ResourceResponse] = []
        for activity in activities:
            if activity.type in _OFF_THE_WIRE or activity.conversation is None:
                responses += await super().send_activities(context, [activity])
                continue
            activity.id = None
            reply_to = activity.reply_to_id
            path = f"/activities/{quote(reply_to, safe='')}" if reply_to else "/activities"
            answer = await self._call(context, "POST", activity, path)
            responses.append(ResourceResponse(id=str(answer.get("id") or "")))
        return responses

    async def update_activity(
        self, context: TurnContext, activity: Activity
    ) -> ResourceResponse | None:
        path = f"/activities/{quote(activity.id or '', safe='')}"
        answer = await self._call(context, "PUT", activity, path)
        return ResourceResponse(id=answer["id"]) if answer.get("id") else None

    async def _call(
        self, context: TurnContext, method: str, activity: Activity, path: str
    ) -> dict[str, object]:
        client: ConnectorClient | None = context.turn_state.get(self.BOT_CONNECTOR_CLIENT_KEY)
        if client is None:
            raise RuntimeError("no connector client in this turn")
        base = client.config.base_url.rstrip("/")
        conversation = quote(activity.conversation.id, safe="")
        return await call_connector(
            self.session.get(),
            method,
            f"{base}/v3/conversations/{conversation}{path}",
            to_wire(activity),
            token=await bearer_token(client.config.credentials),
        )


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


def dialog_state(engine: AsyncEngine, cipher: Cipher) -> DialogState:
    storage = SqlStorage(engine, cipher=cipher)
    conversation_state = FastConversationState(storage)
    return DialogState(
        storage=storage,
        conversation_state=conversation_state,
        user_state=FastUserState(storage),
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
            state_store=state.storage,
            welcome=welcome,
            now=now,
            observers=observers,
            unrecognised=unrecognised,
        )
    )
    return Edge(adapter=adapter, bot=bot)
