"""End-to-end fixtures: the real aiohttp app with the real CloudAdapter, on a migrated
database of each backend (a copy of the run's migrated template, see ``tests/conftest.py``),
answering to the fake Bot Connector.

Each test starts its own app on a fresh database, but two things a new app on a new database
spends its time on are done once per process instead:

* compiling SQL: the database comes back under the same URL (``kept_database_url``) and the
  app is given the engine kept for that URL, which compiled each statement once;
* importing the demo directory at start-up: the rows the first start wrote
  (:class:`StartupRows`) are written into each next new database before its app starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import Table, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot_app.admin.directory import directory_source
from bot_app.admin.directory_file import DEMO_DIRECTORY
from bot_app.admin.identity import Directory
from bot_app.bootstrap import build_app
from bot_app.core.posting import People
from bot_app.settings import Settings
from storage.db import create_engine
from storage.models import Base
from tests.harness.activities import Teams
from tests.harness.cards import adaptive_cards_in, assert_valid_card, card_in_invoke_response
from tests.harness.fake_connector import FakeConnector

# Thursday 26 November 2026, 10:00 in London: "today" for every end-to-end test.
FIXED_NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@dataclass
class Reply:
    status: int
    body: Any
    text: str


@dataclass
class BotUnderTest:
    """The running bot as Teams sees it: POST activities, read what it sent back."""

    client: TestClient
    connector: FakeConnector
    teams: Teams
    settings: Settings
    # The last card an invoke answer put in place of the pressed one, per conversation, with
    # how many connector requests there were then (to tell it from cards sent later).
    answered: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    async def send(self, activity: dict[str, Any]) -> Reply:
        """POST an activity as Teams would. A card in an invoke answer never reaches the
        connector, so it is validated here, like every card the connector receives."""
        conversation = str((activity.get("conversation") or {}).get("id") or "")
        response = await self.client.post("/api/messages", json=activity)
        text = await response.text()
        body = await response.json() if response.content_type == "application/json" else None
        card = card_in_invoke_response(body)
        if card is not None:
            assert_valid_card(card)
            self.answered[conversation] = (len(self.connector.requests), card)
        return Reply(status=response.status, body=body, text=text)

    def shown(self, conversation: str) -> dict[str, Any]:
        """The card the conversation shows last: the newest of the cards the bot sent there
        and the card an invoke answer put in place of a pressed one."""
        latest: tuple[int, dict[str, Any]] | None = self.answered.get(conversation)
        for index, request in enumerate(self.connector.requests):
            cards = adaptive_cards_in(request.activity) if request.ok else []
            if (
                cards
                and request.conversation_id == conversation
                and request.operation != "update"
                and (latest is None or index >= latest[0])
            ):
                latest = (index, cards[-1])
        if latest is None:
            raise AssertionError(f"no card in {conversation}")
        return latest[1]

    async def post_raw(self, data: bytes, content_type: str = "application/json") -> Reply:
        response = await self.client.post(
            "/api/messages", data=data, headers={"Content-Type": content_type}
        )
        text = await response.text()
        body = await response.json() if response.content_type == "application/json" else None
        return Reply(status=response.status, body=body, text=text)


# One engine per database URL for the life of the process (see the module docstring).
_ENGINES: dict[str, AsyncEngine] = {}


async def kept_engine(database_url: str) -> AsyncEngine:
    """The process's engine for ``database_url``, with no connection left from a test before
    (whose database has been made afresh since)."""
    engine = _ENGINES.get(database_url)
    if engine is None:
        engine = _ENGINES[database_url] = create_engine(database_url)
    await engine.dispose()
    return engine


@dataclass
class StartupRows:
    """What the app's first start wrote to a new database - the demo directory's import, some
    seventy statements, a tenth of a second - kept to be written straight into the next
    tests' new databases, where the start then finds the directory imported already."""

    tables: list[tuple[Table, list[dict[str, Any]]]]
    sequences: list[tuple[str, int]]  # PostgreSQL: the sequences' values after the start

    @classmethod
    async def read(cls, engine: AsyncEngine) -> StartupRows:
        async with engine.connect() as conn:
            tables = []
            for table in Base.metadata.sorted_tables:
                rows = [dict(row._mapping) for row in await conn.execute(select(table))]
                if rows:
                    tables.append((table, rows))
            sequences: list[tuple[str, int]] = []
            if engine.dialect.name == "postgresql":
                found = await conn.execute(
                    text(
                        "SELECT sequencename, last_value FROM pg_sequences "
                        "WHERE schemaname = 'public' AND last_value IS NOT NULL"
                    )
                )
                sequences = [(name, value) for name, value in found]
        return cls(tables, sequences)

    async def write(self, engine: AsyncEngine) -> None:
        async with engine.begin() as conn:
            for table, rows in self.tables:
                await conn.execute(insert(table), rows)
            for name, value in self.sequences:
                await conn.execute(
                    text("SELECT setval(:name, :value)"), {"name": f'"{name}"', "value": value}
                )


# By database backend: the same start writes the same rows.
_STARTUP_ROWS: dict[str, StartupRows] = {}


def settings_for(database_url: str, **overrides: Any) -> Settings:
    return Settings(_env_file=None, database_url=database_url, **overrides)  # type: ignore[call-arg]


@pytest.fixture
def make_bot(
    kept_database_url: str,
    aiohttp_client: Callable[..., Any],
    connector: FakeConnector,
    teams: Teams,
) -> Callable[..., Any]:
    """Start the bot with optional setting overrides (call it once per test).

    ``directory`` and ``people`` replace the partnership's directory (e.g. to act as an
    administrator); ``now`` is the bot's clock.
    """

    fresh = True  # the database is new until the first start

    async def start(
        *,
        directory: Directory | None = None,
        people: People | None = None,
        now: Callable[[], datetime] = lambda: FIXED_NOW,
        **overrides: Any,
    ) -> BotUnderTest:
        nonlocal fresh
        # Tests drive the reminder scheduler and the outbox sender themselves (tick(now),
        # run_once(now)); background loops would act at FIXED_NOW behind their back.
        overrides.setdefault("scheduler_enabled", False)
        settings = settings_for(kept_database_url, **overrides)
        engine = await kept_engine(settings.database_url)
        # A start that imports the demo directory into a new database writes the same rows
        # every time: from the second test on, they are written here instead.
        demo = fresh and directory_source(settings) == DEMO_DIRECTORY
        known = _STARTUP_ROWS.get(engine.dialect.name) if demo else None
        if known is not None:
            await known.write(engine)
        app = build_app(settings, now=now, directory=directory, people=people, engine=engine)
        client = await aiohttp_client(app)
        # Only a start with no background loops is just a start: a scheduler's first tick
        # (a weekly summary, say) would be copied into every later test's database.
        if demo and known is None and not settings.scheduler_enabled:
            _STARTUP_ROWS[engine.dialect.name] = await StartupRows.read(engine)
        fresh = False
        return BotUnderTest(client=client, connector=connector, teams=teams, settings=settings)

    return start


@pytest.fixture
async def bot(make_bot: Callable[..., Any]) -> BotUnderTest:
    started: BotUnderTest = await make_bot()
    return started
