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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_line(process: subprocess.Popen[str], needle: str) -> list[str]:
    """Read the service's log until ``needle`` appears (or the process exits)."""
    seen: list[str] = []
    assert process.stderr is not None
    for line in process.stderr:
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"the service exited before logging {needle!r}:\n{''.join(seen)}")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_service_migrates_serves_health_and_stops_cleanly_on_a_signal(
    tmp_path: Path, stop_signal: signal.Signals
) -> None:
    port = _free_port()
    database = tmp_path / "var" / "cspr.db"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MICROSOFT_APP")},
        "PORT": str(port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot_app"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        _wait_for_line(process, "listening on")
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
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


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
