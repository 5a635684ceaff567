"""The composition root: the one place that builds settings, engine, adapter and bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from types import SimpleNamespace

from aiohttp import web
from botbuilder.core import ConversationState, UserState
from botbuilder.dialogs import DialogSet
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)

from bot_app.bot import BotDeps, SafeguardingBot
from bot_app.components import COMPONENTS, Components
from bot_app.features.basics import Basics
from bot_app.http import add_routes
from bot_app.identity import DefaultRolesDirectory
from bot_app.routing import Router
from bot_app.settings import Settings
from bot_app.turn_errors import make_on_turn_error
from storage.bot_state import SqlStorage
from storage.db import create_engine, session_factory


def _utc_now() -> datetime:
    return datetime.now(UTC)


def build_adapter(settings: Settings) -> CloudAdapter:
    """CloudAdapter with the app's credentials; with no app id, no token is checked."""
    configuration = SimpleNamespace(
        APP_ID=settings.microsoft_app_id,
        APP_PASSWORD=settings.microsoft_app_password.get_secret_value(),
        APP_TYPE=settings.microsoft_app_type,
        APP_TENANTID=settings.microsoft_app_tenant_id,
    )
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(configuration))


def build_app(settings: Settings, *, now: Callable[[], datetime] = _utc_now) -> web.Application:
    """The aiohttp application. The database must already be migrated."""
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    storage = SqlStorage(sessions)
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    dialogs = DialogSet(conversation_state.create_property("DialogState"))
    calendar = settings.calendar()
    clocks = settings.clocks()

    router = Router()
    basics = Basics(
        router=router,
        partnership=settings.partnership_name,
        calendar=calendar,
        clocks=clocks,
        convention=settings.counting_convention,
    )
    basics.register(router)

    adapter = build_adapter(settings)
    adapter.on_turn_error = make_on_turn_error(conversation_state, storage)
    bot = SafeguardingBot(
        BotDeps(
            router=router,
            directory=DefaultRolesDirectory(),
            calendar=calendar,
            conversation_state=conversation_state,
            user_state=user_state,
            dialogs=dialogs,
            welcome=basics.welcome,
            now=now,
        )
    )

    app = web.Application()
    app[COMPONENTS] = Components(settings=settings, engine=engine, adapter=adapter, bot=bot)
    add_routes(app)

    async def dispose_engine(_app: web.Application) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    app.cleanup_ctx.append(dispose_engine)
    return app
