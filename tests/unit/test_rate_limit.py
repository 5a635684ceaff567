"""Pacing under Teams' published rate limits: per conversation 7/1 s, 8/2 s, 60/30 s,
1,800/hour; 50 requests per second per tenant; and the pause a 429 imposes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot_app.teams.rate_limit import RateLimiter

T0 = datetime(2027, 1, 4, 9, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def send(limiter: RateLimiter, conversation: str, seconds: float, tenant: str = "t") -> float:
    """Send if allowed; returns the wait the limiter asked for (0: sent)."""
    wait = limiter.delay(conversation, tenant, at(seconds))
    if wait == 0:
        limiter.record(conversation, tenant, at(seconds))
    return wait


def test_seven_messages_fit_in_one_second_and_the_eighth_waits_for_the_first_to_age() -> None:
    limiter = RateLimiter()
    assert [send(limiter, "c", 0.1 * i) for i in range(7)] == [0] * 7

    assert send(limiter, "c", 0.7) == pytest.approx(0.3)
    assert send(limiter, "c", 1.0) == 0


def test_no_more_than_eight_in_two_seconds() -> None:
    limiter = RateLimiter()
    for i in range(7):
        send(limiter, "c", 0.1 * i)
    assert send(limiter, "c", 1.0) == 0  # the 8th, once the first second has passed

    assert send(limiter, "c", 1.1) == pytest.approx(0.9), "9 in 2 s would break 8/2 s"
    assert send(limiter, "c", 2.0) == 0


def test_no_more_than_sixty_in_thirty_seconds_nor_1800_in_an_hour() -> None:
    limiter = RateLimiter()
    sent = [s for s in range(0, 120, 1) if send(limiter, "c", s / 4) == 0]
    assert len([s for s in sent if s / 4 < 30]) == 60

    hourly = RateLimiter()
    times = [i * 1.0 for i in range(1800)]  # one a second: inside every shorter limit
    assert all(send(hourly, "c", t) == 0 for t in times)
    assert send(hourly, "c", 1800.0) == pytest.approx(1800.0)


def test_conversations_are_paced_separately_but_share_the_tenant_limit() -> None:
    limiter = RateLimiter()
    waits = [send(limiter, f"c{i}", 0.01 * i) for i in range(51)]

    assert waits[:50] == [0] * 50, "50 conversations, one message each, in the same second"
    assert waits[50] > 0, "the 51st request in that second exceeds 50 per tenant"
    assert send(limiter, "c0", 0.6, tenant="another tenant") == 0


def test_a_429_pauses_that_conversation_until_retry_after() -> None:
    limiter = RateLimiter()
    limiter.block("c", at(5))

    assert limiter.delay("c", "t", at(1)) == pytest.approx(4)
    assert limiter.delay("other", "t", at(1)) == 0
    assert limiter.delay("c", "t", at(5)) == 0


def test_idle_conversations_are_forgotten() -> None:
    limiter = RateLimiter()
    send(limiter, "c", 0)
    limiter.block("c", at(2))

    limiter.sweep(at(3601))

    assert limiter.tracked == 0
    assert limiter.delay("c", "t", at(3601)) == 0
