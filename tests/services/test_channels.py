"""Registering channels and remembering conversations, without Teams: the services, the
handlers and the observer on a real SQLite database."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot_app.channels import services
from bot_app.channels.handlers import ChannelHandlers, RegisterArgs, UnregisterArgs
from bot_app.channels.observer import ConversationObserver
from bot_app.core.answers import Text
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn, Where
from safeguarding.errors import InvalidInput
from safeguarding.reminders import ChannelPurpose
from safeguarding.roles import Person, Role
from storage import db
from storage.outbox import ConversationTarget

NOW = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
ADA = Person(object_id="ada-oid", name="Ada Admin", roles=frozenset({Role.ADMIN}))
SERVICE_URL = "https://smba.example/uk/"
HUB_CHANNEL = "19:hub@thread.tacv2"
POLICE_CHANNEL = "19:police@thread.tacv2"


@pytest.fixture
def tx(transactions: Transactions) -> Transactions:
    return transactions


def target(conversation_id: str) -> ConversationTarget:
    return ConversationTarget(conversation_id, SERVICE_URL, "tenant-1", "28:bot")


def channel_turn(channel_id: str, *, team_name: str | None = "Safeguarding Hub") -> Turn:
    return Turn(
        actor=ADA,
        teams_user_id="29:ada",
        where=Where(
            conversation_type="channel",
            target=target(f"{channel_id};messageid=1700000000000"),
            channel_id=channel_id,
            team_id="19:team@thread.tacv2",
            team_name=team_name,
            channel_name="Reminders",
        ),
        activity_id="activity-1",
        now=NOW,
        today=date(2027, 1, 4),
    )


def personal_turn() -> Turn:
    return Turn(
        actor=ADA,
        teams_user_id="29:ada",
        where=Where(conversation_type="personal", target=target("a:personal-ada")),
        activity_id="activity-2",
        now=NOW,
        today=date(2027, 1, 4),
    )


def register_hub(channel_id: str) -> services.RegisterChannel:
    return services.RegisterChannel(
        purpose=ChannelPurpose.HUB,
        agency="",
        channel_id=channel_id,
        target=target(f"{channel_id};messageid=1"),
        team_id="19:team@thread.tacv2",
        team_name="Safeguarding Hub",
        channel_name=None,
        by_object_id=ADA.object_id,
        by_name=ADA.name,
    )


async def test_a_registered_channel_is_posted_to_as_a_new_thread_and_named_as_teams_named_it(
    tx: Transactions,
) -> None:
    await ConversationObserver(tx)(channel_turn(HUB_CHANNEL))

    done = await tx.run(
        lambda uow: services.register_channel(register_hub(HUB_CHANNEL), uow, now=NOW)
    )

    assert done.replaced is None
    hub = await tx.read(lambda uow: uow.channels.for_purpose(ChannelPurpose.HUB))
    assert hub is not None
    assert hub.target.conversation_id == HUB_CHANNEL, "no thread suffix: posts start threads"
    assert hub.where == "channel Reminders in team Safeguarding Hub"
    assert hub.registered_by_name == "Ada Admin"


async def test_registering_the_hub_elsewhere_says_which_channel_it_replaces(
    tx: Transactions,
) -> None:
    await tx.run(lambda uow: services.register_channel(register_hub(POLICE_CHANNEL), uow, now=NOW))
    moved = await tx.run(
        lambda uow: services.register_channel(register_hub(HUB_CHANNEL), uow, now=NOW)
    )
    again = await tx.run(
        lambda uow: services.register_channel(register_hub(HUB_CHANNEL), uow, now=NOW)
    )

    assert moved.replaced is not None
    assert moved.replaced.channel_id == POLICE_CHANNEL
    assert again.replaced is None, "registering the same channel again replaces nothing"


async def test_unregistering_removes_only_what_was_registered_in_this_channel(
    tx: Transactions,
) -> None:
    await tx.run(lambda uow: services.register_channel(register_hub(HUB_CHANNEL), uow, now=NOW))
    command = services.UnregisterChannel(channel_id=HUB_CHANNEL, purpose=None)

    first = await tx.run(lambda uow: services.unregister_channel(command, uow, now=NOW))
    second = await tx.run(lambda uow: services.unregister_channel(command, uow, now=NOW))

    assert [c.purpose for c in first.removed] == [ChannelPurpose.HUB]
    assert second.removed == ()
    assert await tx.read(services.registered_channels) == []


def test_purposes_are_read_with_an_example_when_the_words_do_not_fit() -> None:
    assert RegisterArgs.parse("agency  Humberside   Police", prefix="NL", usage="").agency == (
        "Humberside Police"
    )
    assert UnregisterArgs.parse("", prefix="NL", usage="").purpose is None
    with pytest.raises(InvalidInput, match="register hub"):
        RegisterArgs.parse("kitchen", prefix="NL", usage="")
    with pytest.raises(InvalidInput, match="Which agency"):
        RegisterArgs.parse("agency", prefix="NL", usage="")
    with pytest.raises(InvalidInput, match="takes nothing after it"):
        RegisterArgs.parse("hub please", prefix="NL", usage="")


async def test_registering_in_a_personal_chat_says_where_to_do_it_and_changes_nothing(
    tx: Transactions,
) -> None:
    handlers = ChannelHandlers(tx=tx)
    args = RegisterArgs.parse("hub", prefix="NL", usage="")

    reply = await handlers.register_channel(personal_turn(), args)

    assert reply == (
        Text(
            "This is a personal chat, and only a team channel can be registered. Go to the "
            "channel you want me to post in, mention me and say **register hub** there."
        ),
    )
    assert await tx.read(services.registered_channels) == []


async def test_the_register_command_answers_after_recording_the_channel(tx: Transactions) -> None:
    handlers = ChannelHandlers(tx=tx)
    turn = channel_turn(HUB_CHANNEL)

    [answer] = await handlers.register_channel(turn, RegisterArgs.parse("hub", prefix="", usage=""))

    assert isinstance(answer, Text)
    assert answer.text.startswith("Done: this is now the **Hub** channel (channel Reminders")
    assert len(await tx.read(services.registered_channels)) == 1


async def test_the_observer_remembers_a_personal_chat_by_entra_object_id(
    tx: Transactions,
) -> None:
    await ConversationObserver(tx)(personal_turn())

    chat = await tx.read(lambda uow: uow.conversations.personal(ADA.object_id))
    assert chat == target("a:personal-ada")


async def test_the_observer_never_fails_a_turn(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'unmigrated.db'}")
    try:
        observer = ConversationObserver(Transactions(db.session_factory(engine)))
        await observer(channel_turn(HUB_CHANNEL))  # no tables: logged, not raised
    finally:
        await engine.dispose()
