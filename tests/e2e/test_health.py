"""Readiness for a load balancer: /readyz says whether this worker can do its job now."""

from __future__ import annotations

import pytest

from bot_app.teams.components import COMPONENTS
from storage.db import create_engine
from tests.e2e.conftest import BotUnderTest

# The Teams edge behaves the same on either database (the journeys run on both).
pytestmark = pytest.mark.sqlite_only


async def test_a_worker_with_its_database_is_ready(bot: BotUnderTest) -> None:
    response = await bot.client.get("/readyz")

    assert response.status == 200
    assert (await response.json())["status"] == "ready"


async def test_a_worker_that_cannot_reach_its_database_is_not_ready(
    make_bot,  # type: ignore[no-untyped-def]
) -> None:
    bot: BotUnderTest = await make_bot()
    broken = create_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")
    object.__setattr__(bot.client.app[COMPONENTS], "engine", broken)
    try:
        ready = await bot.client.get("/readyz")
        alive = await bot.client.get("/healthz")
    finally:
        await broken.dispose()

    assert ready.status == 503
    assert (await ready.json())["status"] == "not ready"
    assert alive.status == 503, "and /healthz names the database as the problem"
