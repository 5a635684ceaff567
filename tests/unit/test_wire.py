"""Activities read and written without msrest must read and write exactly as msrest does:
the bot's replies, cards included, reach Teams byte-for-byte the same in meaning, and an odd
activity is accepted or refused as the SDK would."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import botbuilder.schema as schema
import pytest
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, Attachment, ChannelAccount, ConversationAccount
from hypothesis import given
from hypothesis import strategies as st
from msrest.serialization import Deserializer, Serializer

from bot_app.teams.wire import from_wire, to_wire
from tests.harness.activities import Teams, make_user

MODELS = {k: v for k, v in vars(schema).items() if isinstance(v, type)}


def msrest_body(activity: Activity) -> Any:
    return Serializer(MODELS).body(activity, "Activity")


def msrest_read(body: dict[str, Any]) -> Activity:
    return Deserializer(MODELS)("Activity", body)


def _teams_activities() -> list[dict[str, Any]]:
    teams = Teams("https://smba.example.test/amer/")
    user = make_user("Ada Example")
    return [
        teams.personal_message(user, "help"),
        teams.personal_submit(user, {"verb": "x", "answer": "yes"}),
        teams.channel_message(user, "status NL-2026-0001", team_id="19:t", channel_id="19:c"),
        teams.group_message(user, "hello", chat_id="19:g"),
        teams.card_action(user, "vote.cast", {"choice": "cspr", "reason": "why"}, reply_to_id="1"),
        teams.members_added([user]),
        teams.installation_update(user),
    ]


@pytest.mark.parametrize("body", _teams_activities(), ids=lambda b: str(b.get("type")))
def test_every_activity_teams_sends_reads_as_msrest_reads_it(body: dict[str, Any]) -> None:
    body = {**body, "timestamp": "2026-11-26T10:00:00.1234567Z", "localTimezone": "Europe/London"}
    assert msrest_body(from_wire(body)) == msrest_body(msrest_read(body))


def test_a_reply_with_a_card_is_written_as_msrest_writes_it() -> None:
    inbound = from_wire(_teams_activities()[0])
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "£"}]}
    reply = MessageFactory.attachment(
        Attachment(content_type="application/vnd.microsoft.card.adaptive", content=card)
    )
    reply = TurnContext.apply_conversation_reference(
        reply, TurnContext.get_conversation_reference(inbound)
    )
    reply.timestamp = datetime(2026, 11, 26, 10, 0, 1, 5000, tzinfo=UTC)
    assert json.loads(to_wire(reply)) == msrest_body(reply)


def test_an_update_of_a_text_reply_is_written_as_msrest_writes_it() -> None:
    update = MessageFactory.text("Cancelled at 10:12")
    update.id = "1:abc"
    update.conversation = ConversationAccount(id="a:1", conversation_type="personal")
    update.from_property = ChannelAccount(id="28:bot", name="Bot")
    assert json.loads(to_wire(update)) == msrest_body(update)


@pytest.mark.parametrize(
    "odd",
    [
        {"type": "message", "text": 5},  # msrest makes it "5"
        {"type": "message", "timestamp": "not a date"},
        {"type": "message", "timestamp": "2026-11-26T10:00:00"},  # no offset
        {"type": "message", "from": "someone"},
        {"type": "message", "attachments": {"a": 1}},
        {"type": "message", "membersAdded": [{"id": 1}]},
    ],
)
def test_an_odd_activity_is_read_or_refused_exactly_as_msrest_does(odd: dict[str, Any]) -> None:
    try:
        expected = msrest_body(msrest_read(odd))
    except Exception as error:
        with pytest.raises(type(error)):
            from_wire(odd)
        return
    assert msrest_body(from_wire(odd)) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=8,
)
fields = st.sampled_from(
    [
        "type",
        "id",
        "text",
        "from",
        "conversation",
        "value",
        "attachments",
        "entities",
        "timestamp",
        "replyToId",
        "channelData",
        "membersAdded",
        "name",
        "locale",
    ]
)


@given(st.dictionaries(fields, json_values, max_size=6))
def test_any_body_is_read_or_refused_as_msrest_does(body: dict[str, Any]) -> None:
    try:
        expected = msrest_body(msrest_read(body))
    except Exception as error:
        with pytest.raises(type(error)):
            from_wire(body)
        return
    assert msrest_body(from_wire(body)) == expected
