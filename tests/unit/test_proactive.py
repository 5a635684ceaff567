"""Reading the connector's answers: which failures are worth another try, and Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot_app.teams.proactive import DeliveryError, parse_retry_after


@pytest.mark.parametrize(
    ("status", "retryable", "gone"),
    [
        (429, True, False),
        (500, True, False),
        (502, True, False),
        (503, True, False),
        (408, True, False),
        (412, True, False),
        (None, True, False),  # a timeout or a dropped connection
        (403, False, True),  # the app was removed, or the person blocked the bot
        (404, False, True),  # the channel or chat was deleted
        (400, False, False),
        (413, False, False),
    ],
)
def test_only_transient_failures_are_retried(
    status: int | None, retryable: bool, gone: bool
) -> None:
    error = DeliveryError(status, "answer")

    assert (error.retryable, error.gone) == (retryable, gone)


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    now = datetime(2027, 1, 4, 9, 0, 0, tzinfo=UTC)

    assert parse_retry_after("2") == 2
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("Mon, 04 Jan 2027 09:00:30 GMT", now=now) == 30
    assert parse_retry_after("Mon, 04 Jan 2027 08:59:00 GMT", now=now) == 0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
