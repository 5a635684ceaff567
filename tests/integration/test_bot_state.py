"""botbuilder state in our database: dialogs survive a restart, and e-tags are enforced.

Every test runs on SQLite and PostgreSQL (see tests/conftest.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from botbuilder.core import ConversationState, MessageFactory, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, TextPrompt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from safeguarding.errors import ConcurrencyConflict
from storage.bot_state import SqlStorage, StateConflict, storage_key
from storage.models import BOT_STATE_KEY_LENGTH, BotStateRow

Sessions = async_sessionmaker[AsyncSession]
Bot = Callable[[TurnContext], Awaitable[None]]


def notification_bot(storage: SqlStorage) -> Bot:
    """A two-question waterfall, wired the way the real dialogs are (ConversationState)."""
    conversation_state = ConversationState(storage)
    dialogs = DialogSet(conversation_state.create_property("DialogState"))
    dialogs.add(TextPrompt("text"))

    async def ask_what_happened(step: WaterfallStepContext) -> DialogTurnResult:
        prompt = MessageFactory.text("What happened?")
        return await step.prompt("text", PromptOptions(prompt=prompt))

    async def ask_which_agency(step: WaterfallStepContext) -> DialogTurnResult:
        step.values["what"] = step.result
        prompt = MessageFactory.text("Which agency are you from?")
        return await step.prompt("text", PromptOptions(prompt=prompt))

    async def summarise(step: WaterfallStepContext) -> DialogTurnResult:
        await step.context.send_activity(f"Noted: {step.values['what']}, from {step.result}.")
        return await step.end_dialog()

    dialogs.add(WaterfallDialog("notify", [ask_what_happened, ask_which_agency, summarise]))

    async def on_turn(turn_context: TurnContext) -> None:
        dialog_context = await dialogs.create_context(turn_context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog("notify")
        await conversation_state.save_changes(turn_context)

    return on_turn


def as_dict(item: object) -> dict[str, Any]:
    assert isinstance(item, dict)
    return item


async def say(adapter: TestAdapter, text: str) -> list[str]:
    """Send one message through the adapter and return what the bot replied."""
    adapter.activity_buffer.clear()
    await adapter.receive_activity(text)
    return [activity.text for activity in adapter.activity_buffer]


async def test_a_dialog_continues_where_it_left_off_after_a_restart(
    session_factory: Sessions,
) -> None:
    before_restart = TestAdapter(notification_bot(SqlStorage(session_factory)))
    assert await say(before_restart, "I need to notify a serious incident") == ["What happened?"]
    del before_restart  # the process "restarts": no storage object or state survives

    after_restart = TestAdapter(notification_bot(SqlStorage(session_factory)))
    assert await say(after_restart, "Head injury to a baby") == ["Which agency are you from?"]

    # Step 2's answer and step 1's saved value both come back from the database.
    another_restart = TestAdapter(notification_bot(SqlStorage(session_factory)))
    assert await say(another_restart, "Health visiting") == [
        "Noted: Head injury to a baby, from Health visiting."
    ]
    assert await say(another_restart, "Hello again") == ["What happened?"]


async def test_a_saved_dialog_stack_comes_back_as_botbuilder_objects(
    session_factory: Sessions,
) -> None:
    storage = SqlStorage(session_factory)
    await TestAdapter(notification_bot(storage)).receive_activity("hello")

    (key,) = await stored_keys(session_factory)
    state = as_dict((await SqlStorage(session_factory).read([key]))[key])

    stack = state["DialogState"].dialog_stack
    # botbuilder keeps the innermost dialog first: the prompt, then the waterfall it serves.
    assert [instance.id for instance in stack] == ["text", "notify"]
    assert stack[0].state["options"].prompt.text == "What happened?"
    assert stack[1].state["stepIndex"] == 0
    assert state["e_tag"]


async def test_each_write_gets_a_new_etag_returned_by_the_next_read(
    session_factory: Sessions,
) -> None:
    storage = SqlStorage(session_factory)
    item: dict[str, object] = {"count": 1}
    await storage.write({"k": item})
    first = as_dict((await storage.read(["k"]))["k"])
    # write() also put the new e-tag on the item it wrote, so a second save in the same turn
    # is checked against the version that turn itself stored.
    assert first["e_tag"] == item["e_tag"]
    first_etag = first["e_tag"]

    first["count"] = 2
    await storage.write({"k": first})
    second = as_dict((await storage.read(["k"]))["k"])
    assert second["count"] == 2
    assert second["e_tag"] != first_etag
    assert second["e_tag"] == first["e_tag"]


async def test_a_write_with_a_stale_etag_fails_and_changes_nothing(
    session_factory: Sessions,
) -> None:
    storage = SqlStorage(session_factory)
    await storage.write({"k": {"answer": "original"}})
    mine = as_dict((await storage.read(["k"]))["k"])
    theirs = as_dict((await storage.read(["k"]))["k"])
    theirs["answer"] = "theirs"
    await storage.write({"k": theirs})

    mine["answer"] = "mine"
    with pytest.raises(StateConflict) as conflict:
        await storage.write({"k": mine})

    assert isinstance(conflict.value, ConcurrencyConflict)
    assert "please send your last message again" in conflict.value.user_message
    assert "'k'" in str(conflict.value)
    assert as_dict((await storage.read(["k"]))["k"])["answer"] == "theirs"


async def test_a_batch_with_one_stale_item_writes_none_of_them(session_factory: Sessions) -> None:
    storage = SqlStorage(session_factory)
    await storage.write({"a": {"n": 1}, "b": {"n": 1}})
    fresh = as_dict((await storage.read(["a"]))["a"])
    fresh["n"] = 2
    with pytest.raises(StateConflict):
        await storage.write({"a": fresh, "b": {"n": 2, "e_tag": "stale"}})
    stored = await storage.read(["a", "b"])
    assert {key: as_dict(item)["n"] for key, item in stored.items()} == {"a": 1, "b": 1}


async def test_two_writers_with_the_same_etag_cannot_both_win(session_factory: Sessions) -> None:
    await SqlStorage(session_factory).write({"k": {"writer": "nobody"}})
    etag = as_dict((await SqlStorage(session_factory).read(["k"]))["k"])["e_tag"]

    async def write_as(writer: str) -> str:
        try:
            await SqlStorage(session_factory).write({"k": {"writer": writer, "e_tag": etag}})
        except StateConflict:
            return "refused"
        return writer

    outcomes = await asyncio.gather(*(write_as(f"writer {n}") for n in range(5)))

    winners = [outcome for outcome in outcomes if outcome != "refused"]
    assert len(winners) == 1
    stored = as_dict((await SqlStorage(session_factory).read(["k"]))["k"])
    assert stored["writer"] == winners[0]


async def test_a_conditional_write_to_a_deleted_key_fails(session_factory: Sessions) -> None:
    storage = SqlStorage(session_factory)
    await storage.write({"k": {"n": 1}})
    item = (await storage.read(["k"]))["k"]
    await storage.delete(["k"])
    with pytest.raises(StateConflict):
        await storage.write({"k": item})
    assert await storage.read(["k"]) == {}


async def test_no_etag_or_a_star_overwrites_unconditionally(session_factory: Sessions) -> None:
    storage = SqlStorage(session_factory)
    await storage.write({"k": {"n": 1}})
    await storage.write({"k": {"n": 2}})
    await storage.write({"k": {"n": 3, "e_tag": "*"}})
    assert as_dict((await storage.read(["k"]))["k"])["n"] == 3


async def test_an_empty_etag_is_a_mistake_not_a_wildcard(session_factory: Sessions) -> None:
    with pytest.raises(ValueError, match="empty e-tag"):
        await SqlStorage(session_factory).write({"k": {"n": 1, "e_tag": ""}})


async def test_store_items_round_trip_with_their_etag(session_factory: Sessions) -> None:
    storage = SqlStorage(session_factory)
    await storage.write({"item": StoreItem(topic="reminders", count=3)})
    item: Any = (await storage.read(["item"]))["item"]
    assert isinstance(item, StoreItem)
    assert (item.topic, item.count) == ("reminders", 3)
    assert item.e_tag
    item.count = 4
    await storage.write({"item": item})
    assert (await storage.read(["item"]))["item"].count == 4  # type: ignore[attr-defined]
    stale = StoreItem(topic="reminders", count=99, e_tag="not-the-current-one")
    with pytest.raises(StateConflict):
        await storage.write({"item": stale})


async def test_data_from_users_cannot_name_a_class_to_instantiate(
    session_factory: Sessions,
) -> None:
    # A card payload kept verbatim in a dialog's state, crafted to call a function on decode.
    crafted = {"py/reduce": [{"py/function": "builtins.print"}, {"py/tuple": ["pwned"]}]}
    storage = SqlStorage(session_factory)
    await storage.write({"k": {"submitted": crafted, "note": "py/object"}})
    stored = as_dict((await storage.read(["k"]))["k"])
    assert stored["submitted"] == {}
    assert stored["note"] == "py/object"


async def test_reading_missing_keys_returns_nothing_for_them(session_factory: Sessions) -> None:
    storage = SqlStorage(session_factory)
    await storage.write({"present": {"n": 1}})
    found = await storage.read(["present", "absent"])
    assert list(found) == ["present"]
    assert await storage.read([]) == {}


async def test_deleting_removes_the_keys_and_ignores_missing_ones(
    session_factory: Sessions,
) -> None:
    storage = SqlStorage(session_factory)
    await storage.write({"a": {"n": 1}, "b": {"n": 2}})
    await storage.delete(["a", "never-existed"])
    assert list(await storage.read(["a", "b"])) == ["b"]


async def test_keys_longer_than_the_column_are_stored_under_a_stable_hash(
    session_factory: Sessions,
) -> None:
    long_key = "msteams/conversations/" + "19:" + "x" * 2000 + "@thread.tacv2"
    similar = long_key[:-1] + "3"
    storage = SqlStorage(session_factory)
    await storage.write({long_key: {"who": "long"}, similar: {"who": "similar"}})

    assert len(storage_key(long_key)) == BOT_STATE_KEY_LENGTH
    assert storage_key(long_key) == storage_key(long_key)
    assert storage_key(long_key) != storage_key(similar)
    found = await SqlStorage(session_factory).read([long_key, similar])
    assert {key: as_dict(item)["who"] for key, item in found.items()} == {
        long_key: "long",
        similar: "similar",
    }
    await storage.delete([long_key])
    assert list(await storage.read([long_key, similar])) == [similar]


async def test_each_write_records_when_it_happened(session_factory: Sessions) -> None:
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    await SqlStorage(session_factory, clock=lambda: moment).write({"k": {"n": 1}})
    async with session_factory() as session:
        updated_at = (await session.execute(select(BotStateRow.updated_at))).scalar_one()
    assert updated_at == moment


async def stored_keys(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return list((await session.execute(select(BotStateRow.key))).scalars())
