"""``python -m bot_app``: migrate the database, then serve until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot_app.bootstrap import build_app
from bot_app.settings import Settings
from storage.db import migrate

log = logging.getLogger("bot_app")


def main() -> None:
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    asyncio.run(migrate(settings.database_url))
    mode = (
        "Bot Framework authentication ON"
        if settings.auth_enabled
        else ("local mode: no app id, no authentication (Agents Playground / Emulator)")
    )
    log.info("starting: %s", mode)
    # run_app installs SIGINT/SIGTERM handlers and shuts down gracefully (cleanup_ctx runs);
    # it calls ``print`` once the socket is listening.
    web.run_app(
        build_app(settings),
        host=settings.host,
        port=settings.port,
        print=lambda _banner: log.info(
            "listening on http://%s:%d/api/messages", settings.host, settings.port
        ),
    )
    log.info("stopped cleanly")


if __name__ == "__main__":
    main()
