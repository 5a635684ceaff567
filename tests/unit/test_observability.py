"""Log lines an operator can search: JSON with the turn's identifiers, and nothing else."""

from __future__ import annotations

import json
import logging

from bot_app.observability import ContextFilter, JsonFormatter, begin_turn, case_reference


def formatted(message: str, *args: object) -> dict[str, object]:
    record = logging.LogRecord("bot_app.test", logging.INFO, __file__, 1, message, args, None)
    ContextFilter().filter(record)
    line = JsonFormatter().format(record)
    assert "\n" not in line, "one line per entry"
    entry: dict[str, object] = json.loads(line)
    return entry


def test_a_turns_lines_carry_its_correlation_id_activity_id_and_case() -> None:
    correlation = begin_turn("activity-42")
    case_reference.set("NL-2026-0007")
    entry = formatted("vote recorded on %s", "NL-2026-0007")
    assert entry["message"] == "vote recorded on NL-2026-0007"
    assert entry["correlation_id"] == correlation
    assert entry["activity_id"] == "activity-42"
    assert entry["case"] == "NL-2026-0007"
    assert entry["level"] == "INFO"


def test_a_new_turn_forgets_the_last_turns_case() -> None:
    begin_turn("first")
    case_reference.set("NL-2026-0001")
    second = begin_turn("second")
    entry = formatted("help shown")
    assert entry["correlation_id"] == second
    assert "case" not in entry
