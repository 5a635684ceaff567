"""The project itself, as ``make run`` starts it but on a throwaway SQLite file and without the
background loops: ``python -m bench.serve_project PORT DATABASE_URL``."""

from __future__ import annotations

import asyncio
import logging
import sys

from aiohttp import web

from bot_app.bootstrap import build_app
from bot_app.settings import Settings
from storage.db import migrate


def main() -> None:
    port, url = int(sys.argv[1]), sys.argv[2]
    logging.basicConfig(level=logging.WARNING)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=url, scheduler_enabled=False, log_level="WARNING"
    )
    asyncio.run(migrate(url))
    app = build_app(settings)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
