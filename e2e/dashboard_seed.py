"""Store the dashboard test's cases in the running bot's database (``make dashboard-e2e``).

The same four cases as the Python tests (``tests/e2e/dashboard_support.py``), written with
the bot's own settings (DATABASE_URL, DATA_ENCRYPTION_KEYS from the environment) once the
bot has migrated the database.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot_app.settings import Settings
from tests.e2e.dashboard_support import store_dashboard_cases

if __name__ == "__main__":
    references = asyncio.run(store_dashboard_cases(Settings()))
    sys.stdout.write(" ".join(references) + "\n")
