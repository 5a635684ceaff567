"""The outbox, reminders, channels and conversation references in a real database.

Every test runs on SQLite and PostgreSQL (see tests/conftest.py). The claims are what keeps
two workers from sending the same message: they are tested with concurrent sessions.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.teams.outbox_sender import OutboxSender
from bot_app.teams.proactive import HttpConnector, NoTokens
from safeguarding.reminders import ChannelPurpose, ReminderKey
from safeguarding.roles import Person, Role
from storage.channels import ChannelRepository, RegisteredChannel
from storage.conversations import ConversationRepository
from storage.details import FernetCipher
from storage.outbox import (
    ConversationTarget,
    MessageUpdate,
    OutboxRepository,
    OutboxRow,
    OutboxStatus,
    OutgoingMessage,
    PersonTarget,
)
from storage.reminders import Acknowledgement, ReminderRepository, ReminderStatus
from storage.uow import UnitOfWork

Sessions = async_sessionmaker[AsyncSession]

CIPHER = FernetCipher([Fernet.generate_key()])

NOW = datetime(2027, 1, 4, 9, tzinfo=UTC)
LEASE = timedelta(minutes=5)
HUB_CHANNEL = ConversationTarget(
    "19:hub@thread.tacv2", "https://smba.example/uk/", "tenant", "28:bot"
)


class Nobody:
    """A directory in which nobody holds any role."""

    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return []


def message(key: str, target: ConversationTarget | PersonTarget = HUB_CHANNEL) -> OutgoingMessage:
    return OutgoingMessage(
        key=key,
        target=target,
        activity={"type": "message", "text": key},
        summary=f"about {key}",
        case_reference="NL-2027-0001",
    )


async def enqueue(sessions: Sessions, *keys: str) -> list[bool]:
    async with UnitOfWork(sessions) as uow:
        outbox = OutboxRepository(uow.session, cipher=CIPHER)
        added = [await outbox.enqueue(message(key), now=NOW) for key in keys]
        await uow.commit()
    return added


async def claim(sessions: Sessions, now: datetime = NOW, limit: int = 50):  # type: ignore[no-untyped-def]
    async with UnitOfWork(sessions) as uow:
        claimed = await OutboxRepository(uow.session, cipher=CIPHER).claim(
            now=now, lease=LEASE, limit=limit
        )
        await uow.commit()
    return claimed


async def test_a_queued_activity_is_sealed_at_rest_and_opened_only_to_send_it(
    session_factory: Sessions,
) -> None:
    card = OutgoingMessage(
        key="details:NL-2027-0001:hub-1:1",
        target=PersonTarget("hub-1"),
        activity={"type": "message", "text": "Zebedee Quillfeather, 17 Canary Wharf Lane"},
        summary="About case NL-2027-0001",
        case_reference="NL-2027-0001",
    )
    async with UnitOfWork(session_factory, cipher=CIPHER) as uow:
        await uow.outbox.enqueue(card, now=NOW)
        await uow.commit()
    async with session_factory() as session:
        (stored,) = (await session.execute(select(OutboxRow.activity))).scalars().all()

    (claimed,) = await claim(session_factory)

    assert isinstance(stored, str)
    assert "Quillfeather" not in stored
    assert claimed.activity == card.activity


async def test_a_key_is_queued_once_however_often_it_is_enqueued(session_factory: Sessions) -> None:
    assert await enqueue(session_factory, "hub-card:NL-2027-0001") == [True]
    assert await enqueue(session_factory, "hub-card:NL-2027-0001") == [False]

    claimed = await claim(session_factory)
    assert [c.key for c in claimed] == ["hub-card:NL-2027-0001"]
    assert claimed[0].target == HUB_CHANNEL
    assert claimed[0].attempts == 1


async def test_two_workers_claiming_at_once_take_disjoint_rows(session_factory: Sessions) -> None:
    keys = [f"m{i:02d}" for i in range(30)]
    await enqueue(session_factory, *keys)

    first, second = await asyncio.gather(
        claim(session_factory, limit=20), claim(session_factory, limit=20)
    )

    a, b = {c.key for c in first}, {c.key for c in second}
    assert not a & b, "no row is claimed twice"
    assert a | b == set(keys)


async def test_a_row_whose_worker_died_is_claimed_again_once_the_lease_expires(
    session_factory: Sessions,
) -> None:
    await enqueue(session_factory, "m1")
    dead = await claim(session_factory)

    assert await claim(session_factory, NOW + LEASE - timedelta(seconds=1)) == []
    again = await claim(session_factory, NOW + LEASE + timedelta(seconds=1))
    assert [(c.key, c.attempts) for c in again] == [("m1", 2)]

    async with UnitOfWork(session_factory) as uow:
        outbox = OutboxRepository(uow.session, cipher=CIPHER)
        late = await outbox.mark_sent(
            dead[0], activity_id="1", conversation_id="c", service_url="u", now=NOW
        )
        current = await outbox.mark_sent(
            again[0], activity_id="2", conversation_id="c", service_url="u", now=NOW
        )
        await uow.commit()
        record = await outbox.get("m1")
    assert (late, current) == (False, True), "the stale claim cannot record anything"
    assert record is not None
    assert (record.status, record.activity_id) == (OutboxStatus.SENT, "2")


async def test_released_rows_wait_and_do_not_count_an_attempt(session_factory: Sessions) -> None:
    await enqueue(session_factory, "m1")
    [first] = await claim(session_factory)
    async with UnitOfWork(session_factory) as uow:
        await OutboxRepository(uow.session, cipher=CIPHER).release(
            first, at=NOW + timedelta(seconds=3), now=NOW
        )
        await uow.commit()

    assert await claim(session_factory, NOW + timedelta(seconds=2)) == []
    [second] = await claim(session_factory, NOW + timedelta(seconds=3))
    assert second.attempts == 1


async def test_a_newer_update_supersedes_older_ones_not_yet_sent(session_factory: Sessions) -> None:
    await enqueue(session_factory, "card")
    async with UnitOfWork(session_factory) as uow:
        outbox = OutboxRepository(uow.session, cipher=CIPHER)
        for version in (1, 2, 3):
            await outbox.enqueue_update(
                MessageUpdate(
                    key=f"card:v{version}",
                    original_key="card",
                    activity={"type": "message", "text": f"v{version}"},
                    summary="update",
                ),
                now=NOW,
            )
        await uow.commit()
        records = await outbox.find(["card:v1", "card:v2", "card:v3"])

    assert [r.status for r in records] == [
        OutboxStatus.SUPERSEDED,
        OutboxStatus.SUPERSEDED,
        OutboxStatus.PENDING,
    ]


async def test_counts_show_pending_failing_and_parked_rows(session_factory: Sessions) -> None:
    await enqueue(session_factory, "a", "b", "c")
    a, b, _c = await claim(session_factory)
    async with UnitOfWork(session_factory) as uow:
        outbox = OutboxRepository(uow.session, cipher=CIPHER)
        await outbox.retry_at(a, at=NOW + timedelta(seconds=2), error="500", now=NOW)
        await outbox.give_up(b, status=OutboxStatus.PARKED, error="404", now=NOW)
        await uow.commit()
        counts = await outbox.counts()

    assert counts["pending"] == 1
    assert counts["failing"] == 1
    assert counts["parked"] == 1
    assert counts["sending"] == 1


async def test_copies_of_a_post_are_found_by_key_without_wildcards(
    session_factory: Sessions,
) -> None:
    async with UnitOfWork(session_factory) as uow:
        outbox = OutboxRepository(uow.session, cipher=CIPHER)
        for key in ["reminder:a_b", "reminder:a_b:person:p1", "reminder:aXb:person:p2"]:
            await outbox.enqueue(message(key), now=NOW)
        await uow.commit()
        copies = await outbox.copies_of("reminder:a_b")

    assert copies == ["reminder:a_b", "reminder:a_b:person:p1"]


async def test_a_reminder_is_recorded_once_and_done_is_final(session_factory: Sessions) -> None:
    key = ReminderKey("NL-2027-0001", "panel_notification", "due", date(2027, 1, 4))
    async with UnitOfWork(session_factory) as uow:
        reminders = ReminderRepository(uow.session)
        first, again = [
            await reminders.record(
                key,
                send_at=NOW,
                status=ReminderStatus.SENT,
                late=False,
                clock_title="Notify the Panel",
                outbox_key="reminder:x",
                now=NOW,
            )
            for _ in range(2)
        ]
        assert first is not None
        assert again is None
        acks = [
            await reminders.acknowledge(first, state=state, by=who, by_name=who, at=NOW)
            for state, who in [
                (Acknowledgement.ON_IT, "alex"),
                (Acknowledgement.ON_IT, "sam"),
                (Acknowledgement.DONE, "sam"),
                (Acknowledgement.ON_IT, "alex"),
            ]
        ]
        await uow.commit()
        stored = await reminders.get(first)
        acknowledged = await reminders.acknowledged_clocks("NL-2027-0001")

    assert acks == [True, False, True, False]
    assert stored is not None
    assert (stored.acknowledged, stored.acknowledged_by) == (Acknowledgement.DONE, "sam")
    assert acknowledged == {("panel_notification", date(2027, 1, 4))}


async def test_many_skipped_reminders_are_stored_at_once_and_one_sent_before_stays_sent(
    session_factory: Sessions,
) -> None:
    """A case first seen months late skips every reminder it missed: all are stored (more
    than one statement holds), and one already sent is not turned into "skipped"."""
    days = [date(2027, 1, 4) + timedelta(days=i) for i in range(200)]
    keys = [ReminderKey("NL-2027-0002", "local_review", "overdue", day) for day in days]
    async with UnitOfWork(session_factory) as uow:
        reminders = ReminderRepository(uow.session)
        sent = await reminders.record(
            keys[7],
            send_at=NOW,
            status=ReminderStatus.SENT,
            late=False,
            clock_title="Local review",
            outbox_key="reminder:sent",
            now=NOW,
        )
        await reminders.record_skipped([(key, NOW, "Local review") for key in keys], now=NOW)
        await uow.commit()
        stored = await reminders.keys_for("NL-2027-0002")
        kept = await reminders.get(sent or 0)

    assert stored == set(keys)
    assert kept is not None
    assert kept.status is ReminderStatus.SENT


def registered(purpose: ChannelPurpose, channel_id: str, agency: str = "") -> RegisteredChannel:
    return RegisteredChannel(
        purpose=purpose,
        agency=agency,
        channel_id=channel_id,
        team_id="team",
        team_name="Safeguarding",
        channel_name=None,
        target=ConversationTarget(channel_id, "https://smba.example/uk/", "tenant", "28:bot"),
        registered_by="admin",
        registered_by_name="Ada Admin",
        registered_at=NOW,
    )


async def test_one_channel_per_purpose_and_agencies_fall_back_to_the_hub(
    session_factory: Sessions,
) -> None:
    async with UnitOfWork(session_factory) as uow:
        channels = ChannelRepository(uow.session)
        assert await channels.register(registered(ChannelPurpose.HUB, "19:old")) is None
        replaced = await channels.register(registered(ChannelPurpose.HUB, "19:hub"))
        await channels.register(registered(ChannelPurpose.AGENCY, "19:police", "Humberside Police"))
        await uow.commit()

        assert replaced is not None
        assert replaced.channel_id == "19:old"
        police = await channels.resolve(ChannelPurpose.AGENCY, "humberside  police")
        school = await channels.resolve(ChannelPurpose.AGENCY, "Riverside School")
        partners = await channels.resolve(ChannelPurpose.PARTNERS)
        assert police is not None
        assert police.channel_id == "19:police"
        assert school is not None
        assert school.channel_id == "19:hub"
        assert partners is None

        removed = await channels.unregister("19:police", ChannelPurpose.AGENCY, "Someone Else")
        assert removed == []
        removed = await channels.unregister("19:police")
        assert [c.label for c in removed] == ["Agency: Humberside Police"]


async def test_a_channel_keeps_its_team_name_when_later_activities_omit_it(
    session_factory: Sessions,
) -> None:
    async with UnitOfWork(session_factory) as uow:
        conversations = ConversationRepository(uow.session)
        for name in ["Safeguarding Hub", None]:
            await conversations.remember_channel(
                channel_id="19:hub",
                target=HUB_CHANNEL,
                team_id="19:team",
                team_name=name,
                channel_name=None,
                at=NOW,
            )
        await uow.commit()
        known = await conversations.channel("19:hub")

    assert known is not None
    assert known.team_name == "Safeguarding Hub"


async def test_the_sender_knows_when_the_next_message_is_due(session_factory: Sessions) -> None:
    sender = OutboxSender(
        session_factory,
        HttpConnector(tokens=NoTokens(), timeout_seconds=1),
        people=Nobody(),
        service_url_allowed=lambda _url: True,
        cipher=CIPHER,
    )
    assert await sender.next_due() is None

    await enqueue(session_factory, "later")

    assert await sender.next_due() == NOW
