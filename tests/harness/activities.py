"""Builders for inbound activities shaped exactly as Microsoft Teams posts them to a bot.

End-to-end tests post these dicts (as JSON) to the bot's ``/api/messages`` endpoint. They
follow captured Teams payloads (Microsoft's "Conversation events" and "Messages in bot
conversations" pages, msteams-docs) rather than what the SDK's own ``Activity`` model would
serialise, because the bot must cope with what Teams really sends: camelCase keys, a
``clientInfo`` entity, a ``text/html`` copy of every typed message, ``<at>`` mentions in channel
and group-chat text, ``tenantId`` on the conversation and ``tenant.id`` in ``channelData``, and
``f:``-prefixed ids on events and invokes.

Identities are derived from names (uuid5 / sha256), so the same name gives the same user, the
same personal conversation and the same ids in every test run, and a test can compute the ids
the bot will see without keeping state around.
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "BOT_ID",
    "BOT_NAME",
    "LOCALE",
    "TENANT_ID",
    "TIMEZONE",
    "Teams",
    "TeamsUser",
    "chat_id",
    "make_user",
    "new_message_id",
    "personal_conversation_id",
    "thread_id",
]

#: The partnership's Entra tenant in tests (a fixed GUID: uuid5 of a local URL).
TENANT_ID = "1d13d456-40e6-5ba2-8aeb-b8076636d8f1"
#: The bot's Teams id as it appears in ``recipient.id``: "28:" + the Microsoft App ID. With no
#: app id configured (local mode) there is no real one, so tests use a placeholder.
BOT_ID = "28:bot-local"
#: The bot's display name; channel and group-chat messages start with ``<at>BOT_NAME</at>``.
BOT_NAME = "CSPR Assistant"
LOCALE = "en-GB"
TIMEZONE = "Europe/London"

_NAMESPACE = uuid.UUID("6f0b5c1e-6a3c-4a53-9a4f-0c2d1b9e7a10")
_EMAIL_DOMAIN = "cspr.example"  # RFC 2606 reserved: never a real mailbox

ConversationScope = Literal["personal", "team", "groupChat"]


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class TeamsUser:
    """A Teams user as the bot sees them.

    ``id`` is the Teams user id (``29:...``, ``activity.from.id``: unique per bot, used for
    ``refresh.userIds`` and to address members); ``aad_object_id`` is the stable Entra object id
    (``activity.from.aadObjectId``) the bot should key people on.
    """

    name: str
    aad_object_id: str
    id: str
    email: str

    def account(self) -> dict[str, Any]:
        """The ``from`` / ``ChannelAccount`` shape Teams puts on activities."""
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}

    def member(self, tenant_id: str = TENANT_ID) -> dict[str, Any]:
        """The ``TeamsChannelAccount`` JSON the connector's members endpoints return."""
        given, _, surname = self.name.partition(" ")
        return {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "givenName": given,
            "surname": surname or None,
            "email": self.email,
            "userPrincipalName": self.email,
            "tenantId": tenant_id,
            "userRole": "user",
        }


def make_user(name: str) -> TeamsUser:
    """A user whose ids are derived from ``name``, so they are the same in every run."""
    slug = ".".join(part for part in name.lower().replace("'", "").split() if part) or "user"
    return TeamsUser(
        name=name,
        aad_object_id=str(uuid.uuid5(_NAMESPACE, f"aad:{name}")),
        # Real Teams user ids are "29:" + ~80 url-safe base64 characters.
        id="29:1" + _b64(_digest("teams-user", name) + _digest("teams-user-2", name))[:63],
        email=f"{slug}@{_EMAIL_DOMAIN}",
    )


def personal_conversation_id(user_id: str) -> str:
    """The id of the one-to-one chat between the bot and ``user_id`` (a ``29:`` id).

    Teams keeps exactly one personal conversation per user and bot, and answers a proactive
    ``POST /v3/conversations`` with that same id; the fake connector uses this function too so
    both sides agree.
    """
    return "a:1" + _b64(_digest("personal", user_id) + _digest("personal-2", user_id))[:70]


def thread_id(name: str) -> str:
    """A team or channel id as Teams forms them: ``19:<32 hex>@thread.tacv2``.

    A team's id is the id of its General channel, so ``thread_id("Team")`` serves as both.
    """
    return f"19:{_digest('thread', name).hex()[:32]}@thread.tacv2"


def chat_id(name: str) -> str:
    """A group chat id as Teams forms them: ``19:<32 hex>@thread.v2``."""
    return f"19:{_digest('chat', name).hex()[:32]}@thread.v2"


# Message ids in Teams are epoch milliseconds ("1712345678901"); events and invokes carry
# "f:<guid>"-style ids. A process-wide counter keeps every generated id unique.
_message_ids = itertools.count(int(time.time() * 1000))
_event_ids = itertools.count(1)


def new_message_id() -> str:
    """A fresh Teams-style message id (also used by the fake connector for bot messages)."""
    return str(next(_message_ids))


def _new_event_id() -> str:
    return f"f:{uuid.uuid5(_NAMESPACE, f'event:{time.time_ns()}:{next(_event_ids)}')}"


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:  # no tz database on this machine: UTC is a safe stand-in
        return UTC


class Teams:
    """Builds inbound activities for one service URL and tenant.

    ``service_url`` must be the fake connector's ``url``: the bot sends every reply to the
    ``serviceUrl`` of the activity it is answering. ``clock`` lets a test fix the activity
    timestamps (it must return an aware datetime).
    """

    def __init__(
        self,
        service_url: str,
        *,
        tenant_id: str = TENANT_ID,
        bot_id: str = BOT_ID,
        bot_name: str = BOT_NAME,
        locale: str = LOCALE,
        timezone: str = TIMEZONE,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.service_url = service_url
        self.tenant_id = tenant_id
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.locale = locale
        self.timezone = timezone
        self._tz = _zone(timezone)
        self._clock = clock or (lambda: datetime.now(UTC))

    # -- conversations -------------------------------------------------------------------

    def personal_conversation(self, user: TeamsUser) -> dict[str, Any]:
        return {
            "conversationType": "personal",
            "tenantId": self.tenant_id,
            "id": personal_conversation_id(user.id),
        }

    def channel_conversation(self, channel_id: str, *, root_message_id: str) -> dict[str, Any]:
        """A channel thread: Teams appends ``;messageid=<root post id>`` to the channel id."""
        return {
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": self.tenant_id,
            "id": f"{channel_id};messageid={root_message_id}",
        }

    def group_conversation(self, chat_id: str) -> dict[str, Any]:
        return {
            "isGroup": True,
            "conversationType": "groupChat",
            "tenantId": self.tenant_id,
            "id": chat_id,
        }

    def channel_data(
        self, *, team_id: str | None = None, channel_id: str | None = None
    ) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if channel_id is not None and team_id is not None:
            # Deprecated duplicates Teams still sends on channel messages.
            data["teamsChannelId"] = channel_id
            data["teamsTeamId"] = team_id
        if channel_id is not None:
            data["channel"] = {"id": channel_id}
        if team_id is not None:
            data["team"] = {"id": team_id}
        data["tenant"] = {"id": self.tenant_id}
        return data

    # -- messages ------------------------------------------------------------------------

    def personal_message(
        self,
        user: TeamsUser,
        text: str,
        *,
        id: str | None = None,
        reply_to_id: str | None = None,
    ) -> dict[str, Any]:
        """A message the user typed in their one-to-one chat with the bot."""
        activity = self._message(user, id=id)
        activity["conversation"] = self.personal_conversation(user)
        activity["channelData"] = self.channel_data()
        self._set_text(activity, text, mention=False)
        if reply_to_id is not None:
            activity["replyToId"] = reply_to_id
        return activity

    def personal_submit(
        self,
        user: TeamsUser,
        value: Mapping[str, Any],
        *,
        reply_to_id: str | None = None,
        id: str | None = None,
    ) -> dict[str, Any]:
        """An ``Action.Submit`` press: a message with ``value`` (data + inputs) and no text."""
        activity = self._message(user, id=id)
        activity["conversation"] = self.personal_conversation(user)
        activity["channelData"] = {**self.channel_data(), "source": {"name": "message"}}
        if reply_to_id is not None:
            activity["replyToId"] = reply_to_id
            activity["channelData"]["legacy"] = {"replyToId": reply_to_id}
        activity["value"] = dict(value)
        return activity

    def channel_message(
        self,
        user: TeamsUser,
        text: str,
        *,
        team_id: str,
        channel_id: str,
        mention_bot: bool = True,
        thread_root_id: str | None = None,
        id: str | None = None,
    ) -> dict[str, Any]:
        """A post in a team channel. Teams only delivers posts that @mention the bot.

        Without ``thread_root_id`` the message starts a new thread, so the conversation id ends
        in ``;messageid=<this message's id>``; with it, the message is a reply in that thread.
        """
        activity = self._message(user, id=id)
        activity["conversation"] = self.channel_conversation(
            channel_id, root_message_id=thread_root_id or activity["id"]
        )
        activity["channelData"] = self.channel_data(team_id=team_id, channel_id=channel_id)
        self._set_text(activity, text, mention=mention_bot)
        return activity

    def group_message(
        self,
        user: TeamsUser,
        text: str,
        *,
        chat_id: str,
        mention_bot: bool = True,
        id: str | None = None,
    ) -> dict[str, Any]:
        """A message in a group chat; like channels, only @mentions reach the bot."""
        activity = self._message(user, id=id)
        activity["conversation"] = self.group_conversation(chat_id)
        activity["channelData"] = self.channel_data()
        self._set_text(activity, text, mention=mention_bot)
        return activity

    # -- invokes -------------------------------------------------------------------------

    def card_action(
        self,
        user: TeamsUser,
        verb: str,
        data: Mapping[str, Any] | None = None,
        *,
        reply_to_id: str | None = None,
        trigger: str | None = "manual",
        title: str | None = None,
        action_id: str | None = None,
        team_id: str | None = None,
        channel_id: str | None = None,
        chat_id: str | None = None,
        thread_root_id: str | None = None,
        id: str | None = None,
    ) -> dict[str, Any]:
        """An ``Action.Execute`` press (or a refresh): invoke ``adaptiveCard/action``.

        ``data`` is the action's ``data`` with the card's input values already merged in, as
        the client sends it. ``reply_to_id`` is the id of the message carrying the card.
        ``trigger`` is "manual" for a press and "automatic" for a refresh; ``None`` leaves it
        out, as the Agents Playground does. The conversation is the user's personal chat
        unless ``channel_id`` + ``team_id`` or ``chat_id`` is given.
        """
        action: dict[str, Any] = {"type": "Action.Execute"}
        if action_id is not None:
            action["id"] = action_id
        if title is not None:
            action["title"] = title
        action["verb"] = verb
        action["data"] = dict(data or {})
        value: dict[str, Any] = {"action": action}
        if trigger is not None:
            value["trigger"] = trigger

        activity = self._base("invoke", user, id=id or _new_event_id())
        activity["name"] = "adaptiveCard/action"
        if channel_id is not None:
            if team_id is None:
                raise ValueError("a channel card action needs team_id as well as channel_id")
            root = thread_root_id or reply_to_id
            if root is None:
                raise ValueError("a channel card action needs reply_to_id or thread_root_id")
            activity["conversation"] = self.channel_conversation(channel_id, root_message_id=root)
            channel_data = self.channel_data(team_id=team_id, channel_id=channel_id)
        elif chat_id is not None:
            activity["conversation"] = self.group_conversation(chat_id)
            channel_data = self.channel_data()
        else:
            activity["conversation"] = self.personal_conversation(user)
            channel_data = self.channel_data()
        channel_data["source"] = {"name": "message"}
        if reply_to_id is not None:
            activity["replyToId"] = reply_to_id
            channel_data["legacy"] = {"replyToId": reply_to_id}
        activity["channelData"] = channel_data
        activity["value"] = value
        return activity

    # -- conversation events -------------------------------------------------------------

    def members_added(
        self,
        users: Iterable[TeamsUser],
        *,
        bot_included: bool = True,
        scope: ConversationScope = "personal",
        team_id: str | None = None,
        channel_id: str | None = None,
        team_name: str | None = None,
        chat_id: str | None = None,
        added_by: TeamsUser | None = None,
        id: str | None = None,
    ) -> dict[str, Any]:
        """``conversationUpdate`` with ``membersAdded``: the bot installed, or people joining.

        As Teams sends it, added users carry only ``id`` and ``aadObjectId`` (no name); the
        SDK's ``TeamsActivityHandler`` then looks each one up through the connector's
        ``GET .../members/{id}``, so configure them with ``FakeConnector.add_member``.

        In a team, when the bot itself is added the conversation is the channel it was
        installed from (``channel_id``, default the General channel = ``team_id``) and
        ``channelData.settings.selectedChannel`` names it; otherwise it is the team.
        """
        people = list(users)
        actor = added_by or (people[0] if people else None)
        if actor is None:
            raise ValueError("members_added needs at least one user or added_by")
        members: list[dict[str, Any]] = [{"id": self.bot_id}] if bot_included else []
        members += [{"id": u.id, "aadObjectId": u.aad_object_id} for u in people]

        activity = self._base("conversationUpdate", actor, id=id or _new_event_id())
        activity["membersAdded"] = members
        if scope == "personal":
            if len(people) != 1:
                raise ValueError("a personal conversation has exactly one user")
            activity["conversation"] = self.personal_conversation(people[0])
            activity["channelData"] = self.channel_data()
        elif scope == "team":
            if team_id is None:
                raise ValueError("scope='team' needs team_id")
            target = (channel_id or team_id) if bot_included else team_id
            activity["conversation"] = {
                "isGroup": True,
                "conversationType": "channel",
                "tenantId": self.tenant_id,
                "id": target,
            }
            team: dict[str, Any] = {"id": team_id}
            if team_name is not None:
                team["name"] = team_name
            data: dict[str, Any] = {}
            if bot_included:
                data["settings"] = {"selectedChannel": {"id": target}}
            data["team"] = team
            data["eventType"] = "teamMemberAdded"
            data["tenant"] = {"id": self.tenant_id}
            activity["channelData"] = data
        elif scope == "groupChat":
            if chat_id is None:
                raise ValueError("scope='groupChat' needs chat_id")
            activity["conversation"] = self.group_conversation(chat_id)
            activity["channelData"] = self.channel_data()
        else:
            raise ValueError(f"unknown scope {scope!r}")
        return activity

    def installation_update(
        self,
        user: TeamsUser,
        action: Literal["add", "remove", "add-upgrade", "remove-upgrade"] = "add",
        *,
        scope: ConversationScope = "personal",
        team_id: str | None = None,
        channel_id: str | None = None,
        team_name: str | None = None,
        chat_id: str | None = None,
        id: str | None = None,
    ) -> dict[str, Any]:
        """``installationUpdate``: the app installed (``add``) or uninstalled (``remove``).

        Teams sends it alongside the ``conversationUpdate`` for the bot's own arrival.
        """
        activity = self._base("installationUpdate", user, id=id or _new_event_id())
        if scope == "personal":
            activity["conversation"] = self.personal_conversation(user)
            data = self.channel_data()
        elif scope == "team":
            if team_id is None:
                raise ValueError("scope='team' needs team_id")
            target = channel_id or team_id
            activity["conversation"] = {
                "isGroup": True,
                "conversationType": "channel",
                "tenantId": self.tenant_id,
                "id": target,
            }
            team: dict[str, Any] = {"id": team_id}
            if team_name is not None:
                team["name"] = team_name
            data = {
                "settings": {"selectedChannel": {"id": target}},
                "channel": {"id": target},
                "team": team,
                "tenant": {"id": self.tenant_id},
            }
        elif scope == "groupChat":
            if chat_id is None:
                raise ValueError("scope='groupChat' needs chat_id")
            activity["conversation"] = self.group_conversation(chat_id)
            data = self.channel_data()
        else:
            raise ValueError(f"unknown scope {scope!r}")
        data["source"] = {"name": "message"}
        activity["channelData"] = data
        activity["action"] = action
        return activity

    # -- internals -----------------------------------------------------------------------

    def _base(self, activity_type: str, user: TeamsUser, *, id: str) -> dict[str, Any]:
        now = self._clock()
        return {
            "type": activity_type,
            "id": id,
            "timestamp": now.astimezone(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "localTimestamp": now.astimezone(self._tz).isoformat(timespec="milliseconds"),
            "localTimezone": self.timezone,
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": user.account(),
            "recipient": {"id": self.bot_id, "name": self.bot_name},
            "entities": [
                {
                    "locale": self.locale,
                    "country": self.locale.rpartition("-")[2] or "GB",
                    "platform": "Web",
                    "timezone": self.timezone,
                    "type": "clientInfo",
                }
            ],
            "locale": self.locale,
        }

    def _message(self, user: TeamsUser, *, id: str | None) -> dict[str, Any]:
        activity = self._base("message", user, id=id or new_message_id())
        activity["textFormat"] = "plain"
        return activity

    def _set_text(self, activity: dict[str, Any], text: str, *, mention: bool) -> None:
        """Set ``text`` plus the ``text/html`` attachment Teams adds to every typed message."""
        body = html.escape(text, quote=False)
        if mention:
            at = f"<at>{self.bot_name}</at>"
            activity["text"] = f"{at} {text}"
            activity["entities"].insert(
                0,
                {
                    "mentioned": {"id": self.bot_id, "name": self.bot_name},
                    "text": at,
                    "type": "mention",
                },
            )
            body = (
                '<span itemscope="" itemtype="http://schema.skype.com/Mention" itemid="0">'
                f"{html.escape(self.bot_name)}</span>&nbsp;{body}"
            )
        else:
            activity["text"] = text
        activity["attachments"] = [{"contentType": "text/html", "content": f"<p>{body}</p>"}]
