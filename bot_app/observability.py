"""Logs an operator can search: one JSON object per line, with the turn's identifiers.

Every line carries the correlation id of the turn (or scheduler tick) it belongs to, the
Teams activity id and, once known, the case reference - never a child's identifiers, which
no log call is given (tests/harness/canary.py checks every record). The identifiers travel
in context variables, so code deep in a service logs them without passing them down.
"""

from __future__ import annotations

import json
import logging
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Final

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="")
activity_id: ContextVar[str] = ContextVar("activity_id", default="")
case_reference: ContextVar[str] = ContextVar("case_reference", default="")

_CONTEXT: Final = (
    ("correlation_id", correlation_id),
    ("activity_id", activity_id),
    ("case", case_reference),
)


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:8].upper()


def begin_turn(activity: str) -> str:
    """Start a turn's log context; returns its correlation id (quoted to users on errors)."""
    correlation = new_correlation_id()
    correlation_id.set(correlation)
    activity_id.set(activity)
    case_reference.set("")
    return correlation


class ContextFilter(logging.Filter):
    """Adds the turn's identifiers to every record, for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in _CONTEXT:
            setattr(record, name, variable.get())
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, _variable in _CONTEXT:
            value = getattr(record, name, "")
            if value:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s %(case)s]: %(message)s"


def configure_logging(level: str, *, as_json: bool) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
