"""Tests of the test harness itself: each proves a harness check can fail, or that the fake
speaks the wire format the bot's SDK really uses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsActivityHandler, teams_get_channel_id, teams_get_team_info
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationParameters
from botbuilder.schema.teams import TeamsChannelData
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from botframework.connector.models import ErrorResponseException
from yarl import URL

from tests.harness.activities import (
    BOT_ID,
    BOT_NAME,
    TENANT_ID,
    Teams,
    chat_id,
    make_user,
    personal_conversation_id,
    thread_id,
)
from tests.harness.cards import (
    ADAPTIVE_CARD_CONTENT_TYPE,
    TEAMS_MAX_CARD_BYTES,
    adaptive_cards_in,
    assert_valid_card,
    card_in_invoke_response,
    validate_card,
)
from tests.harness.fake_connector import FakeConnector
from tests.harness.plugin import assert_connector_clean

ALICE = make_user("Alice Hub-Officer")
BOB = make_user("Bob Practitioner")
TEAM = thread_id("CSPR Group")
CHANNEL = thread_id("CSPR Group / Reviews")

VALID_CARD: dict[str, Any] = {
    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
    "type": "AdaptiveCard",
    "version": "1.5",
    "msteams": {"width": "Full"},
    "refresh": {
        "action": {"type": "Action.Execute", "verb": "refresh", "data": {"case": "C-1"}},
        "userIds": [ALICE.id],
    },
    "body": [
        {"type": "TextBlock", "text": "Rapid review due", "weight": "Bolder", "wrap": True},
        {"type": "Input.Text", "id": "reason", "label": "Reason", "isRequired": True},
    ],
    "actions": [{"type": "Action.Execute", "title": "Record", "verb": "record", "data": {}}],
}


def channel_data(activity: Activity) -> TeamsChannelData:
    """``channelData`` as the SDK's ``TeamsActivityHandler`` deserialises it."""
    return TeamsChannelData().deserialize(activity.channel_data)


def card_message(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "content": card}],
    }


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def sdk_client(connector: FakeConnector) -> AsyncIterator[ConnectorClient]:
    """The connector client the SDK builds for a turn when no app id is configured."""
    async with ConnectorClient(MicrosoftAppCredentials("", ""), base_url=connector.url) as client:
        yield client


def activities_url(connector: FakeConnector, conversation_id: str, *rest: str) -> URL:
    """Percent-encoded as msrest does it, and sent as is (``encoded=True``: yarl would
    otherwise decode ':' ';' '=' '@' back before sending)."""
    tail = "".join(f"/{quote(part, safe='')}" for part in rest)
    return URL(
        f"{connector.url}v3/conversations/{quote(conversation_id, safe='')}/activities{tail}",
        encoded=True,
    )


# -- the fake over plain HTTP --------------------------------------------------------------


async def test_posted_activity_is_recorded_and_gets_an_id(
    connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    conversation = personal_conversation_id(ALICE.id)
    async with http.post(
        activities_url(connector, conversation), json={"type": "message", "text": "Hello"}
    ) as response:
        assert response.status == 201
        answer = await response.json()

    assert answer["id"]
    [sent] = connector.sent_activities
    assert (sent.method, sent.operation, sent.conversation_id) == ("POST", "send", conversation)
    assert sent.activity_id == answer["id"]
    assert sent.reply_to_id is None
    assert connector.texts() == ["Hello"]
    assert connector.activities_to(conversation) == [{"type": "message", "text": "Hello"}]


async def test_reply_records_the_replied_to_activity(
    connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    conversation = personal_conversation_id(ALICE.id)
    url = activities_url(connector, conversation, "1712345678901")
    async with http.post(url, json={"type": "message", "text": "Noted"}) as response:
        assert response.status == 201

    [reply] = connector.sent_activities
    assert reply.operation == "reply"
    assert reply.reply_to_id == "1712345678901"
    assert reply.activity_id not in (None, "1712345678901")


@pytest.mark.parametrize(
    "conversation_id",
    [
        personal_conversation_id(ALICE.id),
        f"{CHANNEL};messageid=1712345678901",
        "19:a=b;c@thread.v2",
        "a:1Xy_z-9==",
    ],
)
async def test_conversation_ids_with_special_characters_round_trip(
    connector: FakeConnector, http: aiohttp.ClientSession, conversation_id: str
) -> None:
    async with http.put(
        activities_url(connector, conversation_id, "1:a=b;c"),
        json={"type": "message", "text": "edited"},
    ) as response:
        assert response.status == 200
        assert await response.json() == {"id": "1:a=b;c"}

    [update] = connector.updates
    assert update.conversation_id == conversation_id
    assert update.activity_id == "1:a=b;c"
    assert quote(conversation_id, safe="") in update.path  # as on the wire; decoded per segment


async def test_fail_next_answers_429_once_then_succeeds(
    connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    connector.fail_next(1, 429, headers={"Retry-After": "1"})
    url = activities_url(connector, personal_conversation_id(ALICE.id))
    statuses = []
    for _ in range(2):
        async with http.post(url, json={"type": "message", "text": "Hi"}) as response:
            statuses.append(response.status)
            if response.status == 429:
                assert response.headers["Retry-After"] == "1"
                assert (await response.json())["error"]["code"] == "Throttled"

    assert statuses == [429, 201]
    assert [(r.status, r.fault) for r in connector.requests] == [(429, "fail"), (201, None)]
    assert connector.texts() == ["Hi"]  # the refused attempt delivered nothing
    assert connector.pending_faults == 0


async def test_fail_next_only_hits_matching_requests(
    connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    connector.fail_next(1, 500, match=lambda request: request.operation == "update")
    conversation = personal_conversation_id(ALICE.id)
    async with http.post(activities_url(connector, conversation), json={"type": "typing"}) as r:
        assert r.status == 201
    async with http.put(
        activities_url(connector, conversation, "1"), json={"type": "message"}
    ) as r:
        assert r.status == 500
    assert connector.updates == []


async def test_hung_request_is_seen_pending_and_still_delivered_after_client_gives_up(
    connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    connector.hang_next(1, 0.5)
    url = activities_url(connector, personal_conversation_id(ALICE.id))
    with pytest.raises(TimeoutError):
        async with http.post(
            url,
            json={"type": "message", "text": "slow"},
            timeout=aiohttp.ClientTimeout(total=0.05),
        ):
            pass
    [pending] = connector.requests
    assert pending.status is None

    await connector.wait_for(lambda: connector.texts() == ["slow"], timeout=5)
    [done] = connector.requests
    assert done.status == 201
    assert done.delayed_seconds >= 0.4


async def test_reset_releases_a_hung_request_at_once(
    connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    connector.hang_next(1, 60)
    url = activities_url(connector, personal_conversation_id(ALICE.id))

    async def post() -> int:
        async with http.post(url, json={"type": "message", "text": "stuck"}) as response:
            return response.status

    task = asyncio.create_task(post())
    await connector.wait_for(lambda: len(connector.requests) == 1)
    connector.reset()
    assert await asyncio.wait_for(task, timeout=5) == 503
    assert connector.requests == []


async def test_unknown_endpoint_answers_404_json_and_is_recorded(
    connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{connector.url}v3/teams/{quote(TEAM, safe='')}") as response:
        assert response.status == 404
        assert "error" in await response.json()
    [request] = connector.requests
    assert (request.operation, request.status) == ("unknown", 404)


async def test_oversized_message_is_refused_with_413(
    connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    url = activities_url(connector, personal_conversation_id(ALICE.id))
    async with http.post(url, json={"type": "message", "text": "x" * 110_000}) as response:
        assert response.status == 413
    assert connector.sent_activities == []


async def test_invalid_card_sent_to_the_fake_is_reported_with_its_name(
    connector: FakeConnector, http: aiohttp.ClientSession
) -> None:
    bad = {"type": "AdaptiveCard", "version": "1.6", "body": [{"type": "TextBlock"}]}
    good = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "A"}]}
    conversation = personal_conversation_id(ALICE.id)
    async with http.post(activities_url(connector, conversation), json=card_message(good)):
        pass
    async with http.put(activities_url(connector, conversation, "1"), json=card_message(bad)):
        pass

    errors = connector.take_card_errors()  # taken, so the fixture's own check passes
    assert len(errors) == 2
    assert all("request #" in e and "update" in e for e in errors)
    assert connector.cards() == [good, bad]
    assert connector.last_card() == bad
    assert connector.cards(include_updates=False) == [good]


async def test_connector_fixture_check_fails_on_an_invalid_card(
    http: aiohttp.ClientSession,
) -> None:
    bad = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Bogus"}]}
    with FakeConnector() as fake:
        assert_connector_clean(fake)  # nothing sent yet
        async with http.post(activities_url(fake, "a:1"), json=card_message(bad)) as response:
            assert response.status == 201  # Teams accepts it and shows an empty bubble
        with pytest.raises(AssertionError, match="unknown element or action type 'Bogus'"):
            assert_connector_clean(fake)
        assert fake.card_errors == []  # reported once, not again in the next test


def test_last_card_fails_clearly_when_no_card_was_sent(connector: FakeConnector) -> None:
    with pytest.raises(AssertionError, match="no Adaptive Card was sent"):
        connector.last_card()


async def test_path_prefix_mimics_regional_service_urls(http: aiohttp.ClientSession) -> None:
    with FakeConnector(path_prefix="uk") as fake:
        assert fake.url.endswith("/uk/")
        async with http.post(
            activities_url(fake, "a:1"), json={"type": "message", "text": "x"}
        ) as response:
            assert response.status == 201
        async with http.post(
            URL(fake.url.removesuffix("uk/") + "v3/conversations/a%3A1/activities", encoded=True),
            json={"type": "message"},
        ) as response:
            assert response.status == 404
        assert fake.texts() == ["x"]


# -- the fake through the SDK's own connector client ---------------------------------------


async def test_sdk_connector_client_sends_replies_updates_and_deletes(
    connector: FakeConnector, sdk_client: ConnectorClient
) -> None:
    conversation = personal_conversation_id(ALICE.id)
    sent = await sdk_client.conversations.send_to_conversation(
        conversation, Activity(type=ActivityTypes.message, text="Hello from the SDK")
    )
    reply = await sdk_client.conversations.reply_to_activity(
        conversation,
        sent.id,
        Activity(type=ActivityTypes.message, text="reply", reply_to_id=sent.id),
    )
    updated = await sdk_client.conversations.update_activity(
        conversation,
        sent.id,
        Activity(
            type=ActivityTypes.message,
            id=sent.id,
            attachments=[{"contentType": ADAPTIVE_CARD_CONTENT_TYPE, "content": VALID_CARD}],
        ),
    )
    await sdk_client.conversations.delete_activity(conversation, reply.id)

    assert updated.id == sent.id
    assert [r.operation for r in connector.requests] == ["send", "reply", "update", "delete"]
    assert connector.texts(conversation) == ["Hello from the SDK", "reply"]
    assert connector.sent_activities[1].reply_to_id == sent.id
    assert connector.deletes[0].activity_id == reply.id
    assert connector.last_card(conversation) == VALID_CARD
    assert connector.requests[0].authorization is None  # no app id: no token (local mode)
    assert connector.requests[0].body["type"] == "message"  # camelCase JSON, as on the wire


async def test_sdk_sees_a_429_with_its_retry_after(
    connector: FakeConnector, sdk_client: ConnectorClient
) -> None:
    connector.fail_next(1, 429, headers={"Retry-After": "2"})
    with pytest.raises(ErrorResponseException) as raised:
        await sdk_client.conversations.send_to_conversation(
            "a:1", Activity(type=ActivityTypes.message, text="throttled")
        )
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "2"
    assert raised.value.error.error.code == "Throttled"


async def test_sdk_creates_the_users_personal_conversation_proactively(
    connector: FakeConnector, sdk_client: ConnectorClient
) -> None:
    connector.add_member(personal_conversation_id(ALICE.id), ALICE)
    result = await sdk_client.conversations.create_conversation(
        ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=BOT_ID, name=BOT_NAME),
            members=[ChannelAccount(id=ALICE.aad_object_id)],  # Teams accepts the Entra id
            tenant_id=TENANT_ID,
            channel_data={"tenant": {"id": TENANT_ID}},
            activity=Activity(type=ActivityTypes.message, text="Reminder: review due"),
        )
    )
    assert result.id == personal_conversation_id(ALICE.id)  # the same chat as inbound
    assert result.activity_id
    [created] = connector.sent_activities
    assert created.operation == "create_conversation"
    assert created.conversation_id == result.id
    assert connector.texts(result.id) == ["Reminder: review due"]


async def test_create_conversation_without_tenant_is_refused(
    connector: FakeConnector, sdk_client: ConnectorClient
) -> None:
    with pytest.raises(ErrorResponseException):
        await sdk_client.conversations.create_conversation(
            ConversationParameters(members=[ChannelAccount(id=ALICE.id)])
        )


async def test_sdk_reads_members_and_pages(
    connector: FakeConnector, sdk_client: ConnectorClient
) -> None:
    connector.add_members(TEAM, [ALICE, BOB])
    member = await sdk_client.conversations.get_conversation_member(TEAM, ALICE.id)
    assert (member.id, member.name, member.aad_object_id) == (
        ALICE.id,
        ALICE.name,
        ALICE.aad_object_id,
    )

    page = await sdk_client.conversations.get_teams_conversation_paged_members(TEAM, 1)
    assert [m.id for m in page.members] == [ALICE.id]
    rest = await sdk_client.conversations.get_teams_conversation_paged_members(
        TEAM, 1, page.continuation_token
    )
    assert [m.id for m in rest.members] == [BOB.id]
    assert rest.continuation_token is None

    with pytest.raises(ErrorResponseException) as unknown_member:
        await sdk_client.conversations.get_conversation_member(TEAM, make_user("Eve").id)
    assert unknown_member.value.error.error.code == "MemberNotFoundInConversation"
    with pytest.raises(ErrorResponseException) as unknown_conversation:
        await sdk_client.conversations.get_conversation_member("19:nobody@thread.v2", ALICE.id)
    assert unknown_conversation.value.error.error.code == "ConversationNotFound"


# -- cards ---------------------------------------------------------------------------------


def test_valid_card_passes() -> None:
    assert validate_card(VALID_CARD) == []
    assert_valid_card(VALID_CARD)


def test_invalid_card_is_reported_with_every_problem() -> None:
    errors = validate_card(
        {"type": "AdaptiveCard", "version": "1.6", "body": [{"type": "TextBlock"}]}
    )
    assert any("1.6" in e for e in errors)
    assert any("$.body[0]" in e and "'text' is a required property" in e for e in errors)
    with pytest.raises(AssertionError, match="required property"):
        assert_valid_card(
            {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]}
        )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"body": [{"type": "Chart", "text": "x"}]}, "unknown element or action type 'Chart'"),
        ({"actions": [{"type": "Action.Execute", "title": "Go"}]}, "needs a non-empty 'verb'"),
        (
            {
                "refresh": {
                    "action": {"type": "Action.Execute", "verb": "r"},
                    "userIds": [ALICE.id] * 61,
                }
            },
            "at most 60",
        ),
        (
            {
                "refresh": {
                    "action": {"type": "Action.Execute", "verb": "r"},
                    "userIds": [ALICE.aad_object_id],
                }
            },
            "not a Teams user id",
        ),
        (
            {"body": [{"type": "TextBlock", "text": "x" * TEAMS_MAX_CARD_BYTES}]},
            "Teams allows at most 28 KB",
        ),
        (
            {
                "body": [
                    {
                        "type": "Media",
                        "sources": [{"url": "https://x.example/v.mp4", "mimeType": "video/mp4"}],
                    }
                ]
            },
            "Media",
        ),
        ({"body": [{"type": "Image", "url": "http://x.example/a.png"}]}, "HTTPS"),
        (
            {"body": [{"type": "Input.Text", "id": "a"}, {"type": "Input.Date", "id": "a"}]},
            "used 2 times",
        ),
        ({"body": [{"type": "TextBlock", "text": "x", "size": "huge"}]}, "'huge' is not one of"),
        ({"msteams": {"width": "Wide"}}, "only 'Full'"),
        ({"version": None}, "version: missing"),
        ({"type": "HeroCard"}, "must be 'AdaptiveCard'"),
    ],
)
def test_teams_rules_beyond_the_schema_are_enforced(change: dict[str, Any], expected: str) -> None:
    card = {"type": "AdaptiveCard", "version": "1.5", "body": []} | change
    card = {key: value for key, value in card.items() if value is not None}
    errors = validate_card(card)
    assert any(expected in e for e in errors), errors


def test_the_faster_schema_check_reports_exactly_what_jsonschema_reports() -> None:
    """The card validator tries first the ``anyOf`` branch that last matched (cards.py); a
    card that breaks that branch must get jsonschema's own errors, word for word."""
    from jsonschema import Draft6Validator

    from tests.harness.cards import _package_validator, _schema_errors

    fast = _package_validator()
    plain = Draft6Validator(fast.schema)
    # Remembers each element's branch (``msteams`` is checked apart from the schema).
    schema_card = {key: value for key, value in VALID_CARD.items() if key != "msteams"}
    assert _schema_errors(fast, schema_card, label="") == []
    broken = [
        {"body": [{"type": "TextBlock", "text": "x", "size": "huge"}]},
        {"body": [{"type": "Input.Text", "id": "a", "maxLength": "ten"}]},
        {"body": [{"type": "Container", "items": [{"type": "TextBlock"}]}]},
        {"body": [{"type": "Chart", "text": "x"}]},
        {"actions": [{"type": "Action.Execute", "verb": "v", "data": 3}]},
        {"body": [{"type": "TextBlock", "text": "x", "colour": "Good"}]},
    ]
    for change in broken:
        card = {"type": "AdaptiveCard", "version": "1.5", "body": []} | change
        expected = _schema_errors(plain, card, label="")
        assert expected, change
        assert _schema_errors(fast, card, label="") == expected


def test_cards_are_found_in_activities_and_invoke_responses() -> None:
    activity = card_message(VALID_CARD)
    activity["attachments"].insert(0, {"contentType": "text/html", "content": "<p>x</p>"})
    assert adaptive_cards_in(activity) == [VALID_CARD]
    assert adaptive_cards_in(None) == []
    body = {"statusCode": 200, "type": ADAPTIVE_CARD_CONTENT_TYPE, "value": VALID_CARD}
    assert card_in_invoke_response(body) == VALID_CARD
    toast = {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": "ok"}
    assert card_in_invoke_response(toast) is None


# -- activity builders, as the SDK reads them ----------------------------------------------


def test_users_and_personal_chats_are_stable_per_name(teams: Teams) -> None:
    assert make_user("Alice Hub-Officer") == ALICE
    assert ALICE.id.startswith("29:")
    assert ALICE.id != BOB.id
    first = teams.personal_message(ALICE, "one")
    second = teams.personal_message(ALICE, "two")
    assert (
        first["conversation"]["id"]
        == second["conversation"]["id"]
        == personal_conversation_id(ALICE.id)
    )
    assert first["id"] != second["id"]
    assert teams.personal_message(ALICE, "again", id=first["id"])["id"] == first["id"]


def test_personal_message_has_teams_shape(teams: Teams, connector: FakeConnector) -> None:
    raw = teams.personal_message(ALICE, "start review")
    assert raw["serviceUrl"] == connector.url
    assert raw["channelId"] == "msteams"
    assert raw["from"] == {"id": ALICE.id, "name": ALICE.name, "aadObjectId": ALICE.aad_object_id}
    assert raw["recipient"] == {"id": BOT_ID, "name": BOT_NAME}
    assert raw["conversation"]["conversationType"] == "personal"
    assert raw["conversation"]["tenantId"] == raw["channelData"]["tenant"]["id"] == TENANT_ID
    assert raw["timestamp"].endswith("Z")
    assert raw["entities"][-1]["type"] == "clientInfo"

    activity = Activity().deserialize(raw)
    assert activity.text == "start review"
    assert activity.from_property.aad_object_id == ALICE.aad_object_id
    assert channel_data(activity).tenant.id == TENANT_ID


def test_sdk_does_not_read_the_conversation_tenant_id_teams_sends(teams: Teams) -> None:
    """botbuilder-schema 4.17 maps ``tenant_id`` to "tenantID", Teams sends "tenantId": the
    bot must take the tenant from ``channelData.tenant.id`` (as teams-platform.md says)."""
    activity = Activity().deserialize(teams.personal_message(ALICE, "hi"))
    assert activity.conversation.tenant_id is None
    assert activity.conversation.additional_properties["tenantId"] == TENANT_ID


def test_channel_message_mentions_the_bot_as_teams_does(teams: Teams) -> None:
    raw = teams.channel_message(ALICE, "status C-1", team_id=TEAM, channel_id=CHANNEL)
    assert raw["text"] == f"<at>{BOT_NAME}</at> status C-1"
    assert raw["conversation"]["id"] == f"{CHANNEL};messageid={raw['id']}"
    assert raw["conversation"]["conversationType"] == "channel"

    activity = Activity().deserialize(raw)
    [mention] = activity.get_mentions()
    assert mention.additional_properties["mentioned"] == {"id": BOT_ID, "name": BOT_NAME}
    assert teams_get_team_info(activity).id == TEAM
    assert teams_get_channel_id(activity) == CHANNEL
    assert channel_data(activity).tenant.id == TENANT_ID

    reply = teams.channel_message(
        BOB, "and?", team_id=TEAM, channel_id=CHANNEL, thread_root_id=raw["id"]
    )
    assert reply["conversation"]["id"] == raw["conversation"]["id"]
    quiet = teams.group_message(BOB, "hi", chat_id=chat_id("x"), mention_bot=False)
    assert quiet["text"] == "hi"
    assert [e["type"] for e in quiet["entities"]] == ["clientInfo"]


def test_submit_and_card_action_carry_their_payloads(teams: Teams) -> None:
    submit = Activity().deserialize(teams.personal_submit(ALICE, {"verb": "x"}, reply_to_id="17"))
    assert (submit.type, submit.text, submit.value, submit.reply_to_id) == (
        "message",
        None,
        {"verb": "x"},
        "17",
    )

    raw = teams.card_action(ALICE, "record", {"case": "C-1", "reason": "late"}, reply_to_id="17")
    invoke = Activity().deserialize(raw)
    assert (invoke.type, invoke.name, invoke.reply_to_id) == ("invoke", "adaptiveCard/action", "17")
    assert invoke.value == {
        "action": {
            "type": "Action.Execute",
            "verb": "record",
            "data": {"case": "C-1", "reason": "late"},
        },
        "trigger": "manual",
    }
    playground = teams.card_action(ALICE, "record", trigger=None, title="Record")
    assert "trigger" not in playground["value"]
    assert playground["value"]["action"]["title"] == "Record"
    in_channel = teams.card_action(
        ALICE, "record", reply_to_id="17", team_id=TEAM, channel_id=CHANNEL
    )
    assert in_channel["conversation"]["id"] == f"{CHANNEL};messageid=17"


def test_conversation_events_follow_teams_payloads(teams: Teams) -> None:
    personal = teams.members_added([ALICE])
    assert personal["type"] == "conversationUpdate"
    assert personal["membersAdded"] == [
        {"id": BOT_ID},
        {"id": ALICE.id, "aadObjectId": ALICE.aad_object_id},
    ]

    team = Activity().deserialize(
        teams.members_added([ALICE], scope="team", team_id=TEAM, team_name="CSPR")
    )
    data = channel_data(team)
    assert (data.event_type, data.team.id, data.team.name) == ("teamMemberAdded", TEAM, "CSPR")
    assert team.conversation.id == TEAM

    joined = teams.members_added(
        [BOB], bot_included=False, scope="team", team_id=TEAM, added_by=ALICE
    )
    assert joined["membersAdded"] == [{"id": BOB.id, "aadObjectId": BOB.aad_object_id}]
    assert joined["from"]["id"] == ALICE.id

    install = Activity().deserialize(teams.installation_update(ALICE, "remove"))
    assert (install.type, install.action) == ("installationUpdate", "remove")


# -- a real CloudAdapter turn against the fake ---------------------------------------------


class _Config:
    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


class _EchoBot(TeamsActivityHandler):
    """The smallest Teams bot: echoes text and welcomes added members by name."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        text = TurnContext.remove_recipient_mention(turn_context.activity)
        await turn_context.send_activity(f"echo: {text.strip()}")

    async def on_teams_members_added(  # type: ignore[override]
        self, teams_members_added: list[Any], team_info: Any, turn_context: TurnContext
    ) -> None:
        for member in teams_members_added:
            if member.id != turn_context.activity.recipient.id:
                await turn_context.send_activity(f"welcome {member.name}")


async def test_a_cloud_adapter_turn_replies_through_the_fake(
    connector: FakeConnector, teams: Teams
) -> None:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(_Config()))
    bot = _EchoBot()
    message = teams.channel_message(ALICE, "hello", team_id=TEAM, channel_id=CHANNEL)
    await adapter.process_activity("", Activity().deserialize(message), bot.on_turn)

    # The SDK fetches each added member's details; the roster is the team's.
    connector.add_member(TEAM, BOB)
    joined = teams.members_added([BOB], bot_included=False, scope="team", team_id=TEAM)
    await adapter.process_activity("", Activity().deserialize(joined), bot.on_turn)

    assert connector.texts() == ["echo: hello", f"welcome {BOB.name}"]
    reply = connector.sent_activities[0]
    assert reply.operation == "reply"  # a reply to the user's post, in its thread
    assert reply.conversation_id == message["conversation"]["id"]
    assert reply.reply_to_id == message["id"]
    [lookup] = [r for r in connector.requests if r.operation == "get_member"]
    assert (lookup.conversation_id, lookup.member_id, lookup.status) == (TEAM, BOB.id, 200)
