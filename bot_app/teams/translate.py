"""Activity -> :class:`Turn`: the one place that reads Teams' activity and channel data.

Everything above the edge sees who acts (roles from the directory, never from the card),
where (the conversation, and for channels the team and channel Teams named), and when.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botbuilder.schema import Activity

from bot_app.admin.identity import Directory
from bot_app.core.turn import Turn, Where
from bot_app.observability import begin_turn
from bot_app.teams.text import clean_text
from safeguarding.calendar import WorkingDayCalendar
from storage.conversations import channel_id_of
from storage.outbox import ConversationTarget


async def translate(
    activity: Activity,
    *,
    directory: Directory,
    calendar: WorkingDayCalendar,
    now: datetime,
) -> Turn:
    begin_turn(activity.id or "")
    sender = activity.from_property
    # The Entra object id is the stable identity; without one (some test clients) the Teams
    # id stands in, and such a person only ever gets the default roles.
    object_id = (sender.aad_object_id if sender else None) or f"teams:{sender.id if sender else ''}"
    actor = await directory.resolve(object_id, (sender.name if sender else "") or "")
    return Turn(
        actor=actor,
        teams_user_id=(sender.id if sender else "") or "",
        where=where_of(activity),
        activity_id=activity.id or "",
        now=now,
        today=calendar.local_date(now),
        text=clean_text(activity.text),
    )


def where_of(activity: Activity) -> Where:
    conversation = activity.conversation
    channel_data: Mapping[str, Any] = (
        activity.channel_data if isinstance(activity.channel_data, dict) else {}
    )
    conversation_id = (conversation.id if conversation else None) or ""
    conversation_type = (conversation.conversation_type if conversation else None) or "personal"
    target = ConversationTarget(
        conversation_id=conversation_id,
        service_url=activity.service_url or "",
        tenant_id=(conversation.tenant_id if conversation else None)
        or _dig(channel_data, "tenant", "id")
        or "",
        bot_id=(activity.recipient.id if activity.recipient else None) or "",
    )
    if conversation_type != "channel":
        return Where(conversation_type=conversation_type, target=target)
    channel_id = (
        _dig(channel_data, "channel", "id")
        or _dig(channel_data, "settings", "selectedChannel", "id")
        or channel_id_of(conversation_id)
    )
    team_id = _dig(channel_data, "team", "id")
    return Where(
        conversation_type=conversation_type,
        target=target,
        channel_id=channel_id,
        team_id=team_id,
        team_name=_dig(channel_data, "team", "name"),
        # Teams names no channel for a team's first one: it is the General channel.
        channel_name=_dig(channel_data, "channel", "name")
        or ("General" if team_id and channel_id == team_id else None),
    )


def command_in(activity: Activity) -> str:
    """A button that starts a command (``{"command": "notify"}``) acts as if it were typed."""
    value = activity.value
    command = value.get("command") if isinstance(value, dict) else None
    return command if isinstance(command, str) else ""


def _dig(data: Mapping[str, Any], *path: str) -> str | None:
    node: Any = data
    for part in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node if isinstance(node, str) and node else None
