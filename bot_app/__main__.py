"""``python -m bot_app``: migrate the database, then serve until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import sys

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from pydantic import ValidationError

from bot_app.bootstrap import build_app
from bot_app.observability import configure_logging
from bot_app.security import ConfigurationError
from bot_app.settings import Settings
from storage.db import migrate

log = logging.getLogger("bot_app")


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Access log lines without query strings: evidence links carry a signed token there."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %.3fs',
            request.remote or "-",
            request.method,
            request.path,
            response.status,
            time,
        )


def main() -> int:
    try:
        settings = Settings()
    except ValidationError as error:
        sys.stderr.write(f"The settings are not valid:\n{error}\n")
        return 2
    configure_logging(settings.log_level, as_json=settings.json_logs)
    try:
        app = build_app(settings)
    except ConfigurationError as error:
        log.error("refusing to start: %s", error)
        return 2
    asyncio.run(migrate(settings.database_url))
    mode = (
        "Bot Framework authentication ON"
        if settings.auth_enabled
        else "local mode: no app id, no authentication (Agents Playground / Emulator)"
    )
    log.info("starting: %s", mode)
    if not settings.auth_enabled and settings.allow_unauthenticated_network:
        log.warning(
            "ALLOW_UNAUTHENTICATED_NETWORK is set: anyone who can reach %s:%d can act as anyone. "
            "Never use this with real case data.",
            settings.host,
            settings.port,
        )
    # run_app installs SIGINT/SIGTERM handlers and shuts down gracefully (cleanup_ctx runs);
    # it calls ``print`` once the socket is listening.
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log_class=PathOnlyAccessLogger,
        print=lambda _banner: log.info(
            "listening on http://%s:%d/api/messages", settings.host, settings.port
        ),
    )
    log.info("stopped cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
