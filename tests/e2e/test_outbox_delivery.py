"""The outbox against a misbehaving Teams: throttling, server errors, timeouts, deleted
channels, killed workers and a second running copy of the service.

Every message is delivered exactly once or parked with an alert to the Hub; none is lost.
Time is the sender's argument (``run_once(now)``): backoff and ``Retry-After`` are waited out
by moving the clock, never by sleeping.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot_app.core.posting import post_to_channel, update_message
from bot_app.teams.components import COMPONENTS
from bot_app.teams.proactive import HttpConnector
from cards.base import Card, finish, heading
from safeguarding.reminders import ChannelPurpose
from storage.db import session_factory
from storage.outbox import ConversationTarget, OutboxRepository, OutboxStatus, OutgoingMessage
from storage.uow import UnitOfWork
from tests.e2e.conftest import BotUnderTest
from tests.e2e.reminders_support import (
    HANA,
    HUB_CHANNEL,
    PARTNERS_CHANNEL,
    Clock,
    default_roster,
    open_case,
    register,
    work,
)
from tests.harness.activities import personal_conversation_id
from tests.harness.cards import card_title
from tests.harness.fake_connector import RequestInfo

T0 = datetime(2027, 1, 4, 9, 30, tzinfo=UTC)


def note(text: str) -> Card:
    return finish([heading(text)], fallback=text)


async def start(make_bot: Callable[..., Any], clock: Clock, **settings: Any) -> BotUnderTest:
    roster = default_roster()
    bot: BotUnderTest = await make_bot(directory=roster, people=roster, now=clock, **settings)
    await register(bot, "register hub")
    await register(bot, "register partners", channel_id=PARTNERS_CHANNEL)
    bot.connector.clear()
    return bot


def sessions(bot: BotUnderTest):  # type: ignore[no-untyped-def]
    return session_factory(bot.client.app[COMPONENTS].engine)


async def post(
    bot: BotUnderTest, *keys: str, at: datetime, purpose: ChannelPurpose = ChannelPurpose.HUB
) -> None:
    async with UnitOfWork(sessions(bot)) as uow:
        for key in keys:
            await post_to_channel(uow, purpose, note(key), key, "NL-2027-0001", now=at)
        await uow.commit()


def delivered(bot: BotUnderTest, conversation_id: str = HUB_CHANNEL) -> list[str]:
    """The headings of the cards posted to a conversation, in order."""
    return [card_title(c) for c in bot.connector.cards(conversation_id, include_updates=False)]


def to(conversation_id: str) -> Callable[[RequestInfo], bool]:
    return lambda info: info.conversation_id == conversation_id


async def outbox_status(bot: BotUnderTest, key: str) -> OutboxStatus | None:
    async with UnitOfWork(sessions(bot)) as uow:
        record = await OutboxRepository(uow.session).get(key)
    return record.status if record else None


async def healthz(bot: BotUnderTest) -> dict[str, Any]:
    response = await bot.client.get("/healthz")
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


async def test_a_429_storm_is_delivered_once_each_after_waiting_out_retry_after(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    bot = await start(make_bot, clock)
    keys = [f"message {i}" for i in range(5)]
    await post(bot, *keys, at=T0)
    bot.connector.fail_next(6, 429, headers={"Retry-After": "1"})
    sender = work(bot).sender

    requests_per_pass: list[tuple[int, int]] = []  # (requests made, of which 429)
    for _ in range(400):
        before = len(bot.connector.requests)
        await sender.run_once(clock.now)
        made = bot.connector.requests[before:]
        requests_per_pass.append((len(made), sum(r.status == 429 for r in made)))
        if len(delivered(bot)) == len(keys):
            break
        clock.advance(seconds=0.5)

    assert delivered(bot) == keys, "each once, in the order queued"
    assert bot.connector.pending_faults == 0
    throttled = [i for i, (_, t) in enumerate(requests_per_pass) if t]
    assert len(throttled) == 6
    for i in throttled:
        assert requests_per_pass[i] == (1, 1), "after a 429 the conversation waits"
        assert requests_per_pass[i + 1][0] == 0, "nothing is sent before Retry-After is over"


async def test_a_server_error_is_retried_with_exponential_backoff(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    bot = await start(make_bot, clock)
    await post(bot, "status card", at=T0)
    bot.connector.fail_next(2, 500)
    sender = work(bot).sender

    attempts_at: list[float] = []
    for step in range(40):
        before = len(bot.connector.requests)
        await sender.run_once(clock.now)
        if len(bot.connector.requests) > before:
            attempts_at.append(step * 0.5)
        clock.advance(seconds=0.5)

    assert delivered(bot) == ["status card"]
    assert len(attempts_at) == 3
    first_wait, second_wait = (b - a for a, b in itertools.pairwise(attempts_at))
    assert 2 <= first_wait <= 3, "2 s, plus up to 20% jitter"
    assert 4 <= second_wait <= 5, "then 4 s"
    assert await outbox_status(bot, "status card") is OutboxStatus.SENT


async def test_a_send_that_times_out_is_retried_and_recorded_once(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    bot = await start(make_bot, clock, outbox_send_timeout_seconds=0.2, outbox_lease_seconds=60)
    await post(bot, "slow", at=T0)
    bot.connector.hang_next(1, 30, match=to(HUB_CHANNEL))
    sender = work(bot).sender

    first = await sender.run_once(clock.now)
    second = await sender.run_once(clock.advance(seconds=10))

    assert (first.claimed, second.claimed) == (1, 1)
    assert delivered(bot) == ["slow"], "the stalled request never completed at Teams"
    assert await outbox_status(bot, "slow") is OutboxStatus.SENT


async def test_a_worker_killed_between_claim_and_send_is_taken_over_after_its_lease(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    bot = await start(make_bot, clock)
    await post(bot, "claimed then orphaned", at=T0)
    async with UnitOfWork(sessions(bot)) as uow:  # a worker claims the row, then dies
        await OutboxRepository(uow.session).claim(now=T0, lease=timedelta(minutes=5), limit=10)
        await uow.commit()
    sender = work(bot).sender  # the restarted service

    await sender.run_once(clock.advance(minutes=1))
    assert delivered(bot) == [], "the lease still holds"
    await sender.run_once(clock.advance(minutes=4, seconds=1))
    await sender.run_once(clock.advance(minutes=10))

    assert delivered(bot) == ["claimed then orphaned"]


async def test_a_worker_killed_mid_send_is_taken_over_and_the_message_recorded_once(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    bot = await start(make_bot, clock)
    await post(bot, "interrupted", at=T0)
    bot.connector.hang_next(1, 30, match=to(HUB_CHANNEL))
    sender = work(bot).sender

    killed = asyncio.create_task(sender.run_once(T0))
    await bot.connector.wait_for(lambda: any(r.status is None for r in bot.connector.requests))
    killed.cancel()
    await asyncio.gather(killed, return_exceptions=True)

    await sender.run_once(clock.advance(minutes=5, seconds=1))

    assert delivered(bot) == ["interrupted"]
    assert await outbox_status(bot, "interrupted") is OutboxStatus.SENT


async def test_two_running_copies_of_the_service_deliver_each_message_exactly_once(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    first = await start(make_bot, clock)
    second: BotUnderTest = await make_bot(
        directory=default_roster(), people=default_roster(), now=clock
    )
    for n in range(3):
        await open_case(first, aware_on=datetime(2026, 12, 23).date(), facts={"n": n})
    conversations = [f"19:conversation-{i}@thread.tacv2" for i in range(6)]
    async with UnitOfWork(sessions(first)) as uow:
        outbox = OutboxRepository(uow.session)
        for i in range(36):
            target = ConversationTarget(
                conversations[i % 6], first.connector.url, "tenant", "28:bot-local"
            )
            await outbox.enqueue(
                OutgoingMessage(
                    key=f"bulk {i}",
                    target=target,
                    activity={"type": "message", "text": f"bulk {i}"},
                    summary="bulk",
                ),
                now=T0,
            )
        await uow.commit()

    # Both copies tick at once: each reminder is derived twice but queued once.
    due_day = datetime(2027, 1, 4, 9, tzinfo=UTC)
    await asyncio.gather(work(first).scheduler.tick(due_day), work(second).scheduler.tick(due_day))
    for _ in range(20):
        await asyncio.gather(
            work(first).sender.run_once(clock.now), work(second).sender.run_once(clock.now)
        )
        clock.advance(seconds=1)

    texts = first.connector.texts()
    assert sorted(texts) == sorted(f"bulk {i}" for i in range(36))
    reminders = [t for t in delivered(first) if t.startswith("Due today")]
    assert len(reminders) == 3, "three cases, one reminder each"
    assert (await healthz(first))["outbox"]["pending"] == 0


async def test_a_deleted_channel_is_parked_not_retried_and_the_hub_is_told(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    bot = await start(make_bot, clock)
    await post(bot, "for the partners", at=T0, purpose=ChannelPurpose.PARTNERS)
    bot.connector.fail_next(1, 404, match=to(PARTNERS_CHANNEL))
    sender = work(bot).sender

    for _ in range(5):
        await sender.run_once(clock.advance(minutes=1))

    assert len([r for r in bot.connector.requests if r.conversation_id == PARTNERS_CHANNEL]) == 1
    assert await outbox_status(bot, "for the partners") is OutboxStatus.PARKED
    [alert] = bot.connector.cards(HUB_CHANNEL)
    text = str(alert)
    assert "A message could not be delivered" in text
    assert "Safeguarding partners channel" in text
    assert "no longer exists" in text
    health = await healthz(bot)
    assert health["outbox"]["parked"] == 1
    assert health["outbox"]["pending"] == 0


async def test_when_the_hub_channel_is_gone_hub_officers_are_told_and_alerts_never_loop(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    bot = await start(make_bot, clock)
    await post(bot, "for the hub", at=T0)
    bot.connector.fail_next(1, 403, match=to(HUB_CHANNEL))
    hana_chat = personal_conversation_id(HANA.aad_object_id)
    bot.connector.fail_next(1, 403, match=to(hana_chat))  # and Hana blocked the bot
    sender = work(bot).sender

    for _ in range(5):
        await sender.run_once(clock.advance(minutes=1))

    sends = [r for r in bot.connector.requests if r.operation == "send"]
    assert [r.conversation_id for r in sends] == [HUB_CHANNEL, hana_chat]
    assert await outbox_status(bot, "for the hub") is OutboxStatus.PARKED
    assert (await healthz(bot))["outbox"]["parked"] == 2, "the alert was parked, not alerted"


async def test_a_message_that_keeps_failing_is_given_up_after_the_set_attempts_with_an_alert(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    bot = await start(make_bot, clock, outbox_max_attempts=3)
    await post(bot, "doomed", at=T0, purpose=ChannelPurpose.PARTNERS)
    bot.connector.fail_next(10, 503, match=to(PARTNERS_CHANNEL))
    sender = work(bot).sender

    for _ in range(10):
        await sender.run_once(clock.advance(seconds=10))

    assert len([r for r in bot.connector.requests if r.conversation_id == PARTNERS_CHANNEL]) == 3
    assert await outbox_status(bot, "doomed") is OutboxStatus.FAILED
    [alert] = bot.connector.cards(HUB_CHANNEL)
    assert "I tried 3 times and gave up" in str(alert)
    assert (await healthz(bot))["outbox"]["failed"] == 1


async def test_a_tracker_card_is_updated_in_place_by_its_outbox_key(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    bot = await start(make_bot, clock)
    await post(bot, "tracker v1", at=T0)
    async with UnitOfWork(sessions(bot)) as uow:
        for version in (2, 3):
            await update_message(
                uow, "tracker v1", note(f"tracker v{version}"), f"tracker:v{version}", now=T0
            )
        await uow.commit()
    sender = work(bot).sender

    await sender.run_once(T0)  # the original goes; the update waits for its activity id
    await sender.run_once(clock.advance(seconds=6))

    [posted] = [r for r in bot.connector.sent_activities if r.conversation_id == HUB_CHANNEL]
    [update] = bot.connector.updates
    assert (update.conversation_id, update.activity_id) == (HUB_CHANNEL, posted.activity_id)
    assert card_title(update.activity["attachments"][0]["content"]) == "tracker v3"
    assert await outbox_status(bot, "tracker:v2") is OutboxStatus.SUPERSEDED


async def test_a_burst_to_one_channel_is_paced_under_the_teams_rate_limits(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    bot = await start(make_bot, clock)
    await post(bot, *(f"burst {i}" for i in range(10)), at=T0)
    sender = work(bot).sender

    per_second = []
    for _ in range(3):
        before = len(delivered(bot))
        await sender.run_once(clock.now)
        per_second.append(len(delivered(bot)) - before)
        clock.advance(seconds=1)

    assert per_second == [7, 1, 2], "7 per second, and no more than 8 in any 2 seconds"
    assert delivered(bot) == [f"burst {i}" for i in range(10)]


async def test_every_call_to_the_connector_carries_the_apps_bearer_token(
    connector: Any,
) -> None:
    class Tokens:
        async def token(self, service_url: str) -> str | None:
            return "token-for-" + service_url.split(":")[0]

    client = HttpConnector(tokens=Tokens(), timeout_seconds=5)
    target = ConversationTarget(HUB_CHANNEL, connector.url, "tenant", "28:bot")
    try:
        activity_id = await client.send(target, {"type": "message", "text": "hello"})
        await client.update(target, activity_id or "", {"type": "message", "text": "edited"})
        chat = await client.create_personal(target, HANA.aad_object_id)
    finally:
        await client.close()

    assert chat == personal_conversation_id(HANA.aad_object_id)
    assert [r.authorization for r in connector.requests] == ["Bearer token-for-http"] * 3


async def test_the_background_sender_started_with_the_app_delivers_what_is_queued(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(T0)
    bot = await start(make_bot, clock, scheduler_enabled=True, outbox_poll_seconds=0.05)

    await post(bot, "queued by another journey", at=T0)

    await bot.connector.wait_for(lambda: "queued by another journey" in delivered(bot))
    assert delivered(bot).count("queued by another journey") == 1
