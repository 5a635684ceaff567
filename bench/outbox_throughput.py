"""How fast one outbox sender delivers: ``python -m bench.outbox_throughput [options]``.

Queues ``--messages`` messages over ``--conversations`` conversations, then runs the sender
against the local fake Bot Connector (real HTTP, real database) until all are delivered, and
prints messages per second. Teams' rate limits are lifted (``--paced`` keeps them), so what is
measured is the sender's own cost: claims, one transaction per outcome, the HTTP call.

Not a test - the numbers depend on the machine - but a regression in the storage or sending
path shows up here first. The speed goals live here, never in timed tests.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot_app.teams.outbox_report import SenderConfig
from bot_app.teams.outbox_sender import OutboxSender
from bot_app.teams.proactive import HttpConnector, NoTokens
from bot_app.teams.rate_limit import RateLimiter, Window
from safeguarding.roles import Person, Role
from storage.db import create_engine, migrate, session_factory
from storage.outbox import ConversationTarget, OutboxRepository, OutgoingMessage
from storage.uow import UnitOfWork
from tests.harness.fake_connector import FakeConnector

START = datetime(2027, 1, 4, 9, tzinfo=UTC)


class _Nobody:
    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return []


async def run(messages: int, conversations: int, database_url: str, *, paced: bool) -> None:
    await migrate(database_url)
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    with FakeConnector() as fake:
        async with UnitOfWork(sessions) as uow:
            outbox = OutboxRepository(uow.session)
            for i in range(messages):
                target = ConversationTarget(
                    f"19:bench-{i % conversations}@thread.tacv2", fake.url, "tenant", "28:bench"
                )
                await outbox.enqueue(
                    OutgoingMessage(
                        key=f"bench-{i}",
                        target=target,
                        activity={"type": "message", "text": f"message {i}"},
                        summary="bench",
                    ),
                    now=START,
                )
            await uow.commit()
        unlimited = RateLimiter(per_conversation=[Window(10**9, 1)], per_tenant=[Window(10**9, 1)])
        connector = HttpConnector(tokens=NoTokens(), timeout_seconds=30)
        sender = OutboxSender(
            sessions,
            connector,
            people=_Nobody(),
            service_url_allowed=lambda _url: True,
            config=SenderConfig(batch_size=100, concurrency=16),
            limiter=None if paced else unlimited,
        )
        now, passes = START, 0
        started = time.perf_counter()
        while len(fake.sent_activities) < messages:
            await sender.run_once(now)
            passes += 1
            if paced:
                now += timedelta(seconds=1)  # simulated time: pacing waits are not slept
        elapsed = time.perf_counter() - started
        await connector.close()
    await engine.dispose()
    print(
        f"{messages} messages to {conversations} conversations in {elapsed:.2f} s "
        f"({messages / elapsed:.0f} messages/s, {passes} passes, {database_url.split(':')[0]})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox_throughput")
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--paced", action="store_true", help="keep Teams' rate limits")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(run(args.messages, args.conversations, url, paced=args.paced))


if __name__ == "__main__":
    main()
