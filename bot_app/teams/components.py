"""The long-lived objects of one running service, as the composition root built them."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from sqlalchemy.ext.asyncio import AsyncEngine

from bot_app.core.routing import Router
from bot_app.settings import Settings


@dataclass(frozen=True)
class Components:
    settings: Settings
    engine: AsyncEngine
    adapter: CloudAdapter
    bot: Bot
    router: Router  # every command and verb the bot answers (the manifest lists some)


COMPONENTS = web.AppKey("components", Components)
