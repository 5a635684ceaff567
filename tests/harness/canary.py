"""Canary checks: a child's identifiers must never reach a channel or a log line.

Seed a case with unmistakable identifiers (the *canaries*: a made-up name, date of birth,
address, a line of narrative), drive journeys through the bot, then::

    def test_...(bot, log_records):
        ...
        assert_no_canaries(bot.connector, log_records, CANARIES)

``log_records`` captures every record created by every logger during the test - at DEBUG
and up, whatever handlers or ``propagate`` flags the loggers have, because it hooks the
record factory rather than a handler. A channel post is any activity the bot sent (posted,
replied, updated, or in a new conversation) to a conversation that is not a personal chat:
Teams personal chat ids start with ``a:``. Import the fixture into a test module with
``from tests.harness.canary import log_records``.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pytest

from tests.harness.fake_connector import ACTIVITY_OPERATIONS, FakeConnector

__all__ = ["assert_no_canaries", "channel_posts", "log_records"]

PERSONAL_PREFIX = "a:"


@pytest.fixture
def log_records() -> Iterator[list[logging.LogRecord]]:
    """Every log record of every logger created during the test (DEBUG and up)."""
    records: list[logging.LogRecord] = []
    previous_factory = logging.getLogRecordFactory()

    def capture(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        records.append(record)
        return record

    root = logging.getLogger()
    previous_level = root.level
    logging.setLogRecordFactory(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        logging.setLogRecordFactory(previous_factory)
        root.setLevel(previous_level)


def channel_posts(connector: FakeConnector) -> list[dict[str, Any]]:
    """Every activity the bot delivered anywhere but a personal chat."""
    return [
        request.activity
        for request in connector.requests
        if request.ok
        and request.operation in ACTIVITY_OPERATIONS
        and request.activity is not None
        and not (request.conversation_id or "").startswith(PERSONAL_PREFIX)
    ]


def _log_text(record: logging.LogRecord) -> str:
    parts = [record.getMessage()]
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.exc_text:
        parts.append(record.exc_text)
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


def assert_no_canaries(
    connector: FakeConnector,
    caplog_records: Iterable[logging.LogRecord],
    canaries: Sequence[str],
) -> None:
    """Fail, saying where, if any canary appears in a channel post or a log line."""
    leaks: list[str] = []
    for activity in channel_posts(connector):
        text = json.dumps(activity, ensure_ascii=False)
        conversation = (activity.get("conversation") or {}).get("id", "a new conversation")
        leaks += [f"channel post to {conversation}: {c!r}" for c in canaries if c in text]
    for record in caplog_records:
        text = _log_text(record)
        leaks += [
            f"log {record.name}:{record.lineno} ({record.levelname}): {c!r}"
            for c in canaries
            if c in text
        ]
    assert not leaks, "child identifiers leaked:\n  " + "\n  ".join(leaks)
