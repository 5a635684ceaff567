"""Running the command-line tools as an operator would: a real process on a real database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def run_module(
    module: str, *arguments: str, database_url: str = "", **environment: str
) -> subprocess.CompletedProcess[str]:
    """``python -m module arguments...`` (on ``database_url``), without blocking the loop."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **environment}
    if database_url:
        env["DATABASE_URL"] = database_url
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", module, *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
