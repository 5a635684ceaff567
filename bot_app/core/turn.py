"""One inbound activity as the features see it: who acts, where, when - no Teams types.

The edge (``bot_app/teams/translate.py``) builds a :class:`Turn` from the activity; handlers,
services and dialogs read it and never the activity itself, so nothing above the edge
depends on botbuilder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from safeguarding.roles import Person
from storage.outbox import ConversationTarget


@dataclass(frozen=True)
class Where:
    """The conversation an activity came from, as far as Teams said.

    ``channel_id``, ``team_id`` and the names are set for channel conversations only;
    ``target`` is how to post back there later (the conversation reference).
    """

    conversation_type: str  # "personal", "channel" or "groupChat"
    target: ConversationTarget
    channel_id: str = ""
    team_id: str | None = None
    team_name: str | None = None
    channel_name: str | None = None


@dataclass(frozen=True)
class Turn:
    """Who is acting (roles from the directory, never from the card), where, and when."""

    actor: Person
    teams_user_id: str  # the "29:..." id, for refresh.userIds and mentions
    where: Where
    activity_id: str  # Teams redelivers with the same id: a natural idempotency key
    now: datetime
    today: date
    text: str = ""  # the message text without mentions or HTML

    @property
    def conversation_type(self) -> str:
        return self.where.conversation_type

    @property
    def is_personal(self) -> bool:
        return self.where.conversation_type == "personal"

    @property
    def in_channel(self) -> bool:
        return self.where.conversation_type == "channel"
