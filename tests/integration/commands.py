"""Running the command-line tools as an operator would, on a real database.

``run_module`` calls the tool's ``main(argv)`` - what ``python -m module`` runs - inside this
test process, with the operator's environment, and returns what a process would have: the exit
code, standard output and standard error (a traceback there, as a crash would print it). A new
Python process per call spent most of its time importing botbuilder and the project again,
seconds per command. ``run_process`` keeps one real ``python -m`` check of the entry point.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import io
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def run_module(
    module: str, *arguments: str, database_url: str = "", **environment: str
) -> subprocess.CompletedProcess[str]:
    """``python -m module arguments...`` (on ``database_url``), in this process."""
    if database_url:
        environment = {**environment, "DATABASE_URL": database_url}
    main = importlib.import_module(module).main
    out, err = io.StringIO(), io.StringIO()

    def call() -> int:
        try:
            return int(main(list(arguments)) or 0)
        except SystemExit as exit_:  # argparse refusing the arguments, or sys.exit()
            code = exit_.code
            return code if isinstance(code, int) else (0 if code is None else 1)
        except Exception:
            traceback.print_exc(file=err)
            return 1

    with contextlib.ExitStack() as scope:
        scope.enter_context(_environment(environment))
        scope.enter_context(contextlib.redirect_stdout(out))
        scope.enter_context(contextlib.redirect_stderr(err))
        # main() runs its own event loop (asyncio.run), so it needs a thread of its own.
        code = await asyncio.to_thread(call)
    return subprocess.CompletedProcess([module, *arguments], code, out.getvalue(), err.getvalue())


async def run_process(module: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """A real ``python -m module arguments...``, without blocking the loop."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", module, *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
