"""The loops every worker runs beside the web app: the reminder scheduler and the outbox
sender, started and stopped with the app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot_app.channels.observer import ConversationObserver
from bot_app.reminders.scheduled import ReminderScheduler
from bot_app.teams.outbox_sender import OutboxSender
from bot_app.teams.proactive import HttpConnector

SHUTDOWN_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class BackgroundWork:
    """The scheduler and the outbox sender of one worker, and what they share with the app.

    Tests reach them through ``app[REMINDERS]`` to call ``tick(now)`` and ``run_once(now)``
    themselves (with ``SCHEDULER_ENABLED=false`` so no loop runs behind their back).
    """

    scheduler: ReminderScheduler
    sender: OutboxSender
    connector: HttpConnector
    observer: ConversationObserver
    enabled: bool
    interval_seconds: float
    poll_seconds: float

    def lifecycle(
        self, clock: Callable[[], datetime]
    ) -> Callable[[web.Application], AsyncIterator[None]]:
        """An aiohttp ``cleanup_ctx``: both loops start with the app and stop with it."""

        async def run(_app: web.Application) -> AsyncIterator[None]:
            stop = asyncio.Event()
            tasks = []
            if self.enabled:
                tasks = [
                    asyncio.create_task(
                        self.scheduler.run_forever(
                            clock, interval_seconds=self.interval_seconds, stop=stop
                        ),
                        name="reminder-scheduler",
                    ),
                    asyncio.create_task(
                        self.sender.run_forever(clock, poll_seconds=self.poll_seconds, stop=stop),
                        name="outbox-sender",
                    ),
                ]
            try:
                yield
            finally:
                stop.set()
                # A send in flight may take up to its timeout: after a grace period it is
                # cancelled, and its row is taken over when its lease expires.
                if tasks:
                    _done, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
                    for task in pending:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                await self.connector.close()

        return run


REMINDERS = web.AppKey("reminders", BackgroundWork)
