"""``python -m storage.migrate [URL]``: bring a database up to the latest schema.

For operators and deployment scripts (run it before starting new bot workers). Without a URL
it uses ``DATABASE_URL``, or the local SQLite file ``var/cspr.db`` (its folder is created).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from storage.db import database_url_from_env, migrate


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m storage.migrate",
        description="Apply the database migrations of the CSPR assistant.",
    )
    parser.add_argument(
        "url",
        nargs="?",
        help="SQLAlchemy URL, e.g. postgresql+asyncpg://user@host/db "
        "(default: $DATABASE_URL, else sqlite+aiosqlite:///var/cspr.db)",
    )
    args = parser.parse_args(argv)
    url = args.url or database_url_from_env()
    # Never print a password, even to the operator's own terminal (it ends up in CI logs).
    shown = make_url(url).render_as_string(hide_password=True)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(migrate(url))
    except (SQLAlchemyError, OSError) as exc:
        print(f"Could not migrate {shown}: {exc}", file=sys.stderr)
        return 1
    print(f"Database {shown} is up to date.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
