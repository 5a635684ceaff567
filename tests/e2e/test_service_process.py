"""`python -m bot_app` as an operator runs it: migrates, serves, stops cleanly on a signal."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


# How many ports to try before giving up. One retry is already rare: it takes another process
# (an xdist worker, a test's client socket, anything on the machine) binding the port in the
# moment between choosing it and the service binding it.
PORT_ATTEMPTS = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceExited(AssertionError):
    """The service stopped before logging what the test waited for."""

    def __init__(self, needle: str, log: str) -> None:
        super().__init__(f"the service exited before logging {needle!r}:\n{log}")
        self.log = log


def _wait_for_line(process: subprocess.Popen[str], needle: str) -> list[str]:
    """Read the service's log until ``needle`` appears (or the process exits)."""
    seen: list[str] = []
    assert process.stderr is not None
    for line in process.stderr:
        seen.append(line)
        if needle in line:
            return seen
    raise ServiceExited(needle, "".join(seen))


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait()
    if process.stderr is not None:
        process.stderr.close()


def _start_listening_service(
    folder: Path, env: dict[str, str]
) -> tuple[subprocess.Popen[str], int, Path]:
    """Start ``python -m bot_app`` on a free port and wait until it listens.

    The port is chosen here and bound by the service a moment later, and ``PORT=0`` is
    refused by the settings, so another process can take the port in between; the service
    then exits with "address already in use". That attempt is thrown away (process and
    database) and the service started afresh on another port.

    Returns the process, its port and its SQLite database file.
    """
    for attempt in range(1, PORT_ATTEMPTS + 1):
        port = _free_port()
        workdir = folder / f"attempt-{attempt}"
        database = workdir / "var" / "cspr.db"
        workdir.mkdir()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot_app"],
            cwd=workdir,
            env={
                **env,
                "PORT": str(port),
                "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
                "PYTHONPATH": str(ROOT),
            },
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        try:
            _wait_for_line(process, "listening on")
        except ServiceExited as exited:
            _stop(process)
            if "address already in use" not in exited.log or attempt == PORT_ATTEMPTS:
                raise
            continue
        except BaseException:
            _stop(process)
            raise
        return process, port, database
    raise AssertionError("unreachable: the last attempt returns or raises")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_service_migrates_serves_health_and_stops_cleanly_on_a_signal(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MICROSOFT_APP")},
        "PYTHONUNBUFFERED": "1",
    }
    process, port, database = _start_listening_service(tmp_path, env)
    try:
        assert database.exists(), "the database was created and migrated before serving"
        url = f"http://127.0.0.1:{port}/healthz?token=SIGNED-SECRET-TOKEN"
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert json.load(response)["database"] == "reachable"

        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
        assert process.stderr is not None
        rest = process.stderr.read()
        assert "stopped cleanly" in rest
        assert "Traceback" not in rest
        assert '"GET /healthz" 200' in rest, "requests are in the access log"
        assert "SIGNED-SECRET-TOKEN" not in rest, "query strings (signed tokens) are not"
    finally:
        _stop(process)


def test_unsafe_production_settings_are_refused_at_start_without_a_traceback(
    tmp_path: Path,
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MICROSOFT_APP")},
        "MICROSOFT_APP_ID": "00000000-0000-0000-0000-000000000001",
        "MICROSOFT_APP_PASSWORD": "not-a-real-secret",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cspr.db'}",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot_app"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert "refusing to start" in result.stderr
    assert "ALLOWED_TENANT_IDS" in result.stderr
    assert "Traceback" not in result.stderr
    assert "not-a-real-secret" not in result.stderr
