"""botbuilder state in our database: dialogs survive a restart, e-tags are enforced, and
what users type into a dialog is encrypted at rest.

Every test runs on SQLite and PostgreSQL (see tests/conftest.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from botbuilder.core import MessageFactory, StoreItem, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    DialogSet,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, TextPrompt
from cryptography.fernet import Fernet
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.teams.state import FastConversationState
from safeguarding.errors import ConcurrencyConflict
from storage.bot_state import SqlStorage, StateConflict, StateUnreadable, storage_key
from storage.details import FernetCipher
from storage.models import BOT_STATE_KEY_LENGTH, BotStateRow

Sessions = async_sessionmaker[AsyncSession]
Bot = Callable[[TurnContext], Awaitable[None]]

CIPHER = FernetCipher([Fernet.generate_key()])
CANARY = "Zephyrine Quibbleworth was found unresponsive"


def sql_storage(sessions: Sessions, *, cipher: FernetCipher = CIPHER, **options: Any) -> SqlStorage:
    """The storage on the engine the test's sessions use (the same database and pool)."""
    return SqlStorage(sessions.kw["bind"], cipher=cipher, **options)


def notification_bot(storage: SqlStorage) -> Bot:
    """A two-question waterfall, wired the way the real dialogs are."""
    conversation_state = FastConversationState(storage)
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
    before_restart = TestAdapter(notification_bot(sql_storage(session_factory)))
    assert await say(before_restart, "I need to notify a serious incident") == ["What happened?"]
    del before_restart  # the process "restarts": no storage object or state survives

    after_restart = TestAdapter(notification_bot(sql_storage(session_factory)))
    assert await say(after_restart, "Head injury to a baby") == ["Which agency are you from?"]

    # Step 2's answer and step 1's saved value both come back from the database.
    another_restart = TestAdapter(notification_bot(sql_storage(session_factory)))
    assert await say(another_restart, "Health visiting") == [
        "Noted: Head injury to a baby, from Health visiting."
    ]
    assert await say(another_restart, "Hello again") == ["What happened?"]


async def test_a_turn_saves_the_state_only_when_it_changed(session_factory: Sessions) -> None:
    """Each save is a write in the database and a new e-tag: a turn that only looks (or sets
    what was already there) must not make one, a turn that changes anything must."""
    conversation_state = FastConversationState(sql_storage(session_factory))
    answer = conversation_state.create_property("answer")

    async def on_turn(turn_context: TurnContext) -> None:
        text = turn_context.activity.text
        if text != "look":
            await answer.set(turn_context, {"agency": text, "steps": [1, 2]})
        else:
            await answer.get(turn_context)
        await conversation_state.save_changes(turn_context)

    adapter = TestAdapter(on_turn)

    async def etag_after(text: str) -> str:
        await adapter.receive_activity(text)
        async with session_factory() as session:
            (etag,) = (await session.execute(select(BotStateRow.etag))).scalars()
        return str(etag)

    first = await etag_after("Police")
    assert await etag_after("look") == first
    assert await etag_after("Police") == first
    changed = await etag_after("Health")
    assert changed != first
    assert await etag_after("look") == changed


async def test_a_saved_dialog_stack_comes_back_as_botbuilder_objects(
    session_factory: Sessions,
) -> None:
    storage = sql_storage(session_factory)
    await TestAdapter(notification_bot(storage)).receive_activity("hello")

    (key,) = await stored_keys(session_factory)
    state = as_dict((await sql_storage(session_factory).read([key]))[key])

    stack = state["DialogState"].dialog_stack
    # botbuilder keeps the innermost dialog first: the prompt, then the waterfall it serves.
    assert [instance.id for instance in stack] == ["text", "notify"]
    assert stack[0].state["options"].prompt.text == "What happened?"
    assert stack[1].state["stepIndex"] == 0
    assert state["e_tag"]


async def test_each_write_gets_a_new_etag_returned_by_the_next_read(
    session_factory: Sessions,
) -> None:
    storage = sql_storage(session_factory)
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


async def test_states_read_ahead_are_handed_out_once_and_forgotten_after_the_turn(
    session_factory: Sessions,
) -> None:
    storage = sql_storage(session_factory)
    await storage.write({"conversation": {"form": "notify"}, "person": {"welcomed": True}})

    async with storage.reading_ahead(["conversation", "person", "nobody"]):
        # Another turn saves the conversation after this one read ahead.
        await storage.write({"conversation": {"form": "report"}})
        read_ahead = await storage.read(["conversation"])
        assert await storage.read(["nobody"]) == {}
        read_again = await storage.read(["conversation"])  # the second read asks the database
        person = await storage.read(["person"])
    after_the_turn = await storage.read(["person"])

    assert as_dict(read_ahead["conversation"])["form"] == "notify"
    assert as_dict(read_again["conversation"])["form"] == "report"
    assert as_dict(person["person"])["welcomed"] is True
    assert as_dict(after_the_turn["person"])["welcomed"] is True
    # What was read ahead carries the e-tag it was read with: saving it now is refused, never
    # written over the other turn's save.
    with pytest.raises(StateConflict):
        await storage.write({"conversation": read_ahead["conversation"]})


async def test_a_write_with_a_stale_etag_fails_and_changes_nothing(
    session_factory: Sessions,
) -> None:
    storage = sql_storage(session_factory)
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
    storage = sql_storage(session_factory)
    await storage.write({"a": {"n": 1}, "b": {"n": 1}})
    fresh = as_dict((await storage.read(["a"]))["a"])
    fresh["n"] = 2
    with pytest.raises(StateConflict):
        await storage.write({"a": fresh, "b": {"n": 2, "e_tag": "stale"}})
    stored = await storage.read(["a", "b"])
    assert {key: as_dict(item)["n"] for key, item in stored.items()} == {"a": 1, "b": 1}


async def test_two_writers_with_the_same_etag_cannot_both_win(session_factory: Sessions) -> None:
    await sql_storage(session_factory).write({"k": {"writer": "nobody"}})
    etag = as_dict((await sql_storage(session_factory).read(["k"]))["k"])["e_tag"]

    async def write_as(writer: str) -> str:
        try:
            await sql_storage(session_factory).write({"k": {"writer": writer, "e_tag": etag}})
        except StateConflict:
            return "refused"
        return writer

    outcomes = await asyncio.gather(*(write_as(f"writer {n}") for n in range(5)))

    winners = [outcome for outcome in outcomes if outcome != "refused"]
    assert len(winners) == 1
    stored = as_dict((await sql_storage(session_factory).read(["k"]))["k"])
    assert stored["writer"] == winners[0]


async def test_a_conditional_write_to_a_deleted_key_fails(session_factory: Sessions) -> None:
    storage = sql_storage(session_factory)
    await storage.write({"k": {"n": 1}})
    item = (await storage.read(["k"]))["k"]
    await storage.delete(["k"])
    with pytest.raises(StateConflict):
        await storage.write({"k": item})
    assert await storage.read(["k"]) == {}


async def test_no_etag_or_a_star_overwrites_unconditionally(session_factory: Sessions) -> None:
    storage = sql_storage(session_factory)
    await storage.write({"k": {"n": 1}})
    await storage.write({"k": {"n": 2}})
    await storage.write({"k": {"n": 3, "e_tag": "*"}})
    assert as_dict((await storage.read(["k"]))["k"])["n"] == 3


async def test_an_empty_etag_is_a_mistake_not_a_wildcard(session_factory: Sessions) -> None:
    with pytest.raises(ValueError, match="empty e-tag"):
        await sql_storage(session_factory).write({"k": {"n": 1, "e_tag": ""}})


async def test_store_items_round_trip_with_their_etag(session_factory: Sessions) -> None:
    storage = sql_storage(session_factory)
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
    storage = sql_storage(session_factory)
    await storage.write({"k": {"submitted": crafted, "note": "py/object"}})
    stored = as_dict((await storage.read(["k"]))["k"])
    assert stored["submitted"] == {}
    assert stored["note"] == "py/object"


async def test_reading_missing_keys_returns_nothing_for_them(session_factory: Sessions) -> None:
    storage = sql_storage(session_factory)
    await storage.write({"present": {"n": 1}})
    found = await storage.read(["present", "absent"])
    assert list(found) == ["present"]
    assert await storage.read([]) == {}


async def test_deleting_removes_the_keys_and_ignores_missing_ones(
    session_factory: Sessions,
) -> None:
    storage = sql_storage(session_factory)
    await storage.write({"a": {"n": 1}, "b": {"n": 2}})
    await storage.delete(["a", "never-existed"])
    assert list(await storage.read(["a", "b"])) == ["b"]


async def test_keys_longer_than_the_column_are_stored_under_a_stable_hash(
    session_factory: Sessions,
) -> None:
    long_key = "msteams/conversations/" + "19:" + "x" * 2000 + "@thread.tacv2"
    similar = long_key[:-1] + "3"
    storage = sql_storage(session_factory)
    await storage.write({long_key: {"who": "long"}, similar: {"who": "similar"}})

    assert len(storage_key(long_key)) == BOT_STATE_KEY_LENGTH
    assert storage_key(long_key) == storage_key(long_key)
    assert storage_key(long_key) != storage_key(similar)
    found = await sql_storage(session_factory).read([long_key, similar])
    assert {key: as_dict(item)["who"] for key, item in found.items()} == {
        long_key: "long",
        similar: "similar",
    }
    await storage.delete([long_key])
    assert list(await storage.read([long_key, similar])) == [similar]


async def test_each_write_records_when_it_happened(session_factory: Sessions) -> None:
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    await sql_storage(session_factory, clock=lambda: moment).write({"k": {"n": 1}})
    async with session_factory() as session:
        updated_at = (await session.execute(select(BotStateRow.updated_at))).scalar_one()
    assert updated_at == moment


async def stored_keys(sessions: Sessions) -> list[str]:
    async with sessions() as session:
        return list((await session.execute(select(BotStateRow.key))).scalars())


async def stored_data(sessions: Sessions) -> str:
    """Every stored item as it is in the ``data`` column, as anyone with the database sees it."""
    async with sessions() as session:
        return "\n".join((await session.execute(select(BotStateRow.data))).scalars())


async def store_in_the_clear(sessions: Sessions) -> None:
    """Turn every stored item back into the plaintext JSON that versions before encryption
    wrote (the same jsonpickle document, unencrypted)."""
    async with sessions() as session, session.begin():
        rows = (await session.execute(select(BotStateRow.key, BotStateRow.data))).all()
        for key, data in rows:
            plaintext = CIPHER.decrypt(data).decode("utf-8")
            await session.execute(
                update(BotStateRow).where(BotStateRow.key == key).values(data=plaintext)
            )


async def test_what_a_user_types_into_a_dialog_is_unreadable_in_the_database(
    session_factory: Sessions,
) -> None:
    bot = TestAdapter(notification_bot(sql_storage(session_factory)))
    await say(bot, "I need to notify a serious incident")
    assert await say(bot, CANARY) == ["Which agency are you from?"]

    at_rest = await stored_data(session_factory)
    assert at_rest, "the dialog is in the database"
    assert "Zephyrine" not in at_rest
    assert "Which agency" not in at_rest, "the prompts too"
    restarted = TestAdapter(notification_bot(sql_storage(session_factory)))
    assert await say(restarted, "Health visiting") == [f"Noted: {CANARY}, from Health visiting."]


async def test_a_dialog_stored_in_the_clear_before_the_upgrade_continues_and_is_then_encrypted(
    session_factory: Sessions,
) -> None:
    before_upgrade = TestAdapter(notification_bot(sql_storage(session_factory)))
    await say(before_upgrade, "I need to notify a serious incident")
    await say(before_upgrade, CANARY)
    await store_in_the_clear(session_factory)
    assert "Zephyrine" in await stored_data(session_factory)

    after_upgrade = TestAdapter(notification_bot(sql_storage(session_factory)))
    assert await say(after_upgrade, "Health visiting") == [
        f"Noted: {CANARY}, from Health visiting."
    ]
    assert "Zephyrine" not in await stored_data(session_factory)


async def test_a_stale_etag_is_refused_on_an_item_still_stored_in_the_clear(
    session_factory: Sessions,
) -> None:
    storage = sql_storage(session_factory)
    await storage.write({"k": {"answer": "original"}})
    await store_in_the_clear(session_factory)
    mine = as_dict((await storage.read(["k"]))["k"])
    theirs = as_dict((await storage.read(["k"]))["k"])
    theirs["answer"] = "theirs"
    await storage.write({"k": theirs})

    mine["answer"] = "mine"
    with pytest.raises(StateConflict):
        await storage.write({"k": mine})
    assert as_dict((await storage.read(["k"]))["k"])["answer"] == "theirs"


async def test_state_under_a_key_no_longer_configured_is_refused_not_guessed_at(
    session_factory: Sessions,
) -> None:
    await sql_storage(session_factory).write({"k": {"answer": CANARY}})

    with pytest.raises(StateUnreadable, match="was a key removed"):
        await sql_storage(session_factory, cipher=FernetCipher([Fernet.generate_key()])).read(["k"])


async def test_rotation_moves_state_to_the_new_key_and_encrypts_what_was_in_the_clear(
    session_factory: Sessions,
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    await sql_storage(session_factory, cipher=FernetCipher([old])).write(
        {"encrypted": {"answer": "under the old key"}}
    )
    async with session_factory() as session, session.begin():
        await session.execute(
            BotStateRow.__table__.insert().values(
                key="legacy",
                etag="from-before-encryption",
                data='{"answer": "' + CANARY + '"}',
                updated_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
            )
        )

    assert await sql_storage(session_factory, cipher=FernetCipher([new, old])).rotate_all() == 2

    only_new = await sql_storage(session_factory, cipher=FernetCipher([new])).read(
        ["encrypted", "legacy"]
    )
    assert {key: as_dict(item)["answer"] for key, item in only_new.items()} == {
        "encrypted": "under the old key",
        "legacy": CANARY,
    }
    assert as_dict(only_new["legacy"])["e_tag"] == "from-before-encryption", "e-tags stay"
    assert "Zephyrine" not in await stored_data(session_factory)
