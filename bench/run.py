"""The benchmark suite: ``make bench`` (a table) or ``python -m bench.run --json``.

In one run, on this machine, with the same Teams-shaped load through the local fake Bot
Connector (``tests/harness/fake_connector.py``, card validation off so it costs every server
the same):

* turns: the project (``help``; ``notify``, a dialog turn that begins the notification
  form; a card action, the help card's Action.Execute button), a minimal botbuilder echo, a
  minimal Agents SDK echo and a bare aiohttp echo (the references, kept in ``bench/``), at 1
  and 20 conversations in flight. Each server runs in its own process; the load comes from
  this one. The project runs on SQLite, and with ``--postgres URL`` on PostgreSQL too;
* the reminder sweep (``bench/sweep.py``) at 1k / 10k / 100k open cases with 0 and 100 due;
* deadline arithmetic and case clocks for 100k cases;
* resident memory of the sweep's process holding 100k open cases.

Not part of ``make test``: the numbers depend on the machine. Results: ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from cards.help import VERB_CLOCK
from tests.harness.activities import Teams, TeamsUser, make_user
from tests.harness.fake_connector import FakeConnector

ROOT = Path(__file__).resolve().parent.parent


class _Connector(FakeConnector):
    """The fake connector without Adaptive Card validation (it would charge card senders)."""

    def _validate_cards(self, info: Any, seq: int) -> None:
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not start")


# What one person sends: a message, or a press of a card's Action.Execute button.
Load = Callable[[Teams, TeamsUser], dict[str, Any]]


def message(text: str) -> Load:
    return lambda teams, user: teams.personal_message(user, text)


def card_action(verb: str) -> Load:
    return lambda teams, user: teams.card_action(user, verb, reply_to_id="bench-card")


def _cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) the process ``pid`` has used so far, where ``/proc`` says."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(
    port: int,
    teams: Teams,
    load: Load,
    *,
    conversations: int,
    turns: int,
    fake: FakeConnector,
    pid: int,
) -> dict[str, float | None]:
    """``turns`` activities over ``conversations`` conversations, each conversation one at a
    time (as a person types or presses), all conversations at once.

    Besides the rates, the server's own CPU time per turn: what a turn costs the server
    itself, apart from the load generator and the fake connector sharing the machine.
    """
    users = [make_user(f"Bench User {i}") for i in range(conversations)]
    url = f"http://127.0.0.1:{port}/api/messages"
    latencies: list[float] = []
    errors = 0
    async with aiohttp.ClientSession() as http:
        for user in users:  # warm-up: first contact (welcome, directory, references)
            async with http.post(url, json=load(teams, user)) as response:
                await response.read()
        fake.clear()
        per_user = max(1, turns // conversations)

        async def converse(user: Any) -> None:
            nonlocal errors
            for _ in range(per_user):
                started = time.perf_counter()
                async with http.post(url, json=load(teams, user)) as response:
                    await response.read()
                    if response.status >= 300:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        cpu_before = _cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(converse(user) for user in users))
        elapsed = time.perf_counter() - started
        cpu_after = _cpu_seconds(pid)
    replies = len(fake.sent_activities)
    fake.clear()
    latencies.sort()
    return {
        "turns": len(latencies),
        "turns_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
        "server_cpu_ms_per_turn": (
            None
            if cpu_before is None or cpu_after is None
            else round((cpu_after - cpu_before) * 1000 / len(latencies), 2)
        ),
        "errors": errors,
        "replies": replies,
    }


# Which database a project server runs on; None for the references, which have none.
SQLITE, POSTGRESQL = "SQLite", "PostgreSQL"


def _servers(
    agents_python: str | None, postgres: str | None
) -> list[tuple[str, list[str], Load, str | None]]:
    python = sys.executable
    servers: list[tuple[str, list[str], Load, str | None]] = [
        ("aiohttp echo", [python, "-m", "bench.echo_aiohttp"], message("hello"), None),
        ("botbuilder echo", [python, "-m", "bench.echo_botbuilder"], message("hello"), None),
    ]
    if agents_python:
        servers.append(
            ("Agents SDK echo", [agents_python, "-m", "bench.echo_agents"], message("hello"), None)
        )
    project = [python, "-m", "bench.serve_project"]
    for database in (SQLITE, POSTGRESQL) if postgres else (SQLITE,):
        on = "" if database == SQLITE else f" on {database}"
        servers += [
            (f"project{on}: help", project, message("help"), database),
            (f"project{on}: dialog (notify)", project, message("notify"), database),
            # A card action (adaptiveCard/action invoke, answered in the invoke response):
            # the help card's "Show deadlines", pressed by 20 people at once.
            (f"project{on}: card action", project, card_action(VERB_CLOCK), database),
        ]
    return servers


async def _fresh_postgres(server_url: str, name: str) -> str:
    """An empty database ``name`` on the PostgreSQL server of ``server_url``; its URL."""
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def _database_url(database: str, postgres: str | None, folder: Path, run: str) -> str:
    if database == POSTGRESQL and postgres:
        return await _fresh_postgres(postgres, run)
    return f"sqlite+aiosqlite:///{folder / f'{run}.db'}"


async def turns(args: argparse.Namespace, folder: Path) -> list[dict[str, Any]]:
    results = []
    with _Connector() as fake:
        teams = Teams(service_url=fake.url)
        servers = _servers(args.agents_python, args.postgres)
        for index, (name, command, load, database) in enumerate(servers):
            if args.only and not any(part in name for part in args.only):
                continue
            for conversations in (1, 20):
                port = _free_port()
                extra = []
                if database:
                    run = f"bench_{index}_{conversations}"
                    extra = [await _database_url(database, args.postgres, folder, run)]
                env = {**os.environ, "PYTHONPATH": str(ROOT)}
                process = subprocess.Popen(  # noqa: ASYNC220 - started once, waited on below
                    [*command, str(port), *extra],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,  # the Agents SDK logs a warning per turn
                    stderr=subprocess.DEVNULL,
                )
                try:
                    await _wait_up(port, process)
                    turns_total = args.turns if conversations > 1 else args.turns // 5
                    measured = await _load(
                        port,
                        teams,
                        load,
                        conversations=conversations,
                        turns=turns_total,
                        fake=fake,
                        pid=process.pid,
                    )
                finally:
                    process.terminate()
                    process.wait(timeout=10)
                results.append({"server": name, "conversations": conversations, **measured})
                print(f"  {name:28} x{conversations:<3} {measured}", file=sys.stderr)
    return results


def sweep(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The sweep, clocks and memory, each size in a fresh process (for its peak memory)."""
    results = []
    for cases in args.sweep_sizes:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        output = subprocess.run(
            [sys.executable, "-m", "bench.sweep", str(cases)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        print(f"  sweep {cases}: {result}", file=sys.stderr)
        results.append(result)
    return results


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for package in ("botbuilder-core", "msrest", "aiohttp", "SQLAlchemy", "aiosqlite"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "-"
    return found


def _table(report: dict[str, Any]) -> str:
    lines = [
        f"machine: {report['machine']}  versions: {report['versions']}",
        "",
        f"{'server':30} {'conv':>4} {'turns/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU ms/turn':>11} {'errors':>6}",
    ]
    for row in report["turns"]:
        lines.append(
            f"{row['server']:30} {row['conversations']:>4} {row['turns_per_s']:>9} "
            f"{row['p50_ms']:>8} {row['p99_ms']:>8} {row['server_cpu_ms_per_turn']!s:>11} "
            f"{row['errors']:>6}"
        )
    lines += [
        "",
        f"{'open cases':>10} {'sweep 0 due ms':>15} {'sweep 100 due ms':>17} "
        f"{'deadlines/s':>12} {'case clocks/s':>14} {'peak RSS MB':>12}",
    ]
    for row in report["sweep"]:
        lines.append(
            f"{row['cases']:>10} {row['sweep_0_due_ms']:>15} {row['sweep_100_due_ms']:>17} "
            f"{row['deadlines_per_s']:>12} {row['case_clocks_per_s']:>14} "
            f"{row['peak_rss_mb']:>12}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--turns", type=int, default=1500, help="turns at 20 conversations")
    parser.add_argument(
        "--only", nargs="*", default=[], help="only the servers whose name contains one of these"
    )
    parser.add_argument("--sweep-sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument(
        "--postgres",
        default="",
        help="a PostgreSQL server's URL (postgresql+asyncpg://...): the project runs on it too, "
        "on a fresh database for each run",
    )
    parser.add_argument(
        "--agents-python",
        default=os.environ.get("AGENTS_PYTHON", ""),
        help="a Python with microsoft-agents-hosting-aiohttp (default: this one, if it has it)",
    )
    args = parser.parse_args()
    if not args.agents_python:
        try:
            import microsoft_agents.hosting.aiohttp  # noqa: F401

            args.agents_python = sys.executable
        except ImportError:
            print("  Agents SDK not installed: its echo is left out", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        report = {
            "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
            "versions": _versions(),
            "turns": asyncio.run(turns(args, Path(folder))),
            "sweep": sweep(args),
        }
    print(json.dumps(report, indent=2) if args.json else _table(report))


if __name__ == "__main__":
    main()
