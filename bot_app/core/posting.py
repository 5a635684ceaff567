"""Proactive messages for every journey: post a card to a channel or a person, or update one.

Each helper only *queues* the message in the outbox, in the caller's unit of work, so it is
committed with the state change that caused it (or not at all) and delivered by the outbox
sender, with retries, pacing and alerts (``bot_app/teams/outbox_sender.py``)::

    async def service(command, uow, *, now):
        ...change the case...
        await post_to_hub(uow, card, key=f"hub-card:{ref}", case_reference=ref,
                          people=people, now=now)

* ``key`` makes the call idempotent: the same key is never queued twice (a helper returns
  False, or the keys already queued). Use what the message is about, e.g.
  ``f"hub-card:{reference}"``; updates need keys of their own, e.g. ``f"hub-card:{ref}:v{n}"``.
* ``post_to_channel`` resolves the channel purpose **when queuing**: the channel registered
  for it now (an agency without one falls back to the Hub), or :class:`NoChannel`.
* ``post_to_person`` resolves the person **when sending**: their personal chat with the bot,
  created if they never wrote to it.
* ``post_to_hub`` posts to the Hub channel, or, when none is registered, to every Hub
  officer personally (``{key}:person:{object id}``).
* ``update_message`` edits a message queued earlier (by its key) in place: tracker cards.
* ``card_activity`` builds the activity JSON from an Adaptive Card, for direct outbox use.

Channel posts must carry only a case reference, stage and deadline - never a child's name,
date of birth, address or narrative (domain.md).

People come from the :class:`People` protocol (the directory): Hub officers for the fallback,
agency safeguarding leads for agency reminders.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot_app.core.people import People
from bot_app.core.turn import Turn
from cards.base import CARD_CONTENT_TYPE, Card
from safeguarding.errors import DomainError
from safeguarding.reminders import ChannelPurpose
from safeguarding.roles import Person, Role
from storage.channels import RegisteredChannel
from storage.outbox import (
    ConversationTarget,
    MessageUpdate,
    OutgoingMessage,
    PersonTarget,
)
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class NoChannel(DomainError):
    """No channel is registered for a purpose (nor the Hub, for an agency)."""


def card_activity(card: Card, *, summary: str) -> dict[str, Any]:
    """A message activity carrying one Adaptive Card; ``summary`` is its notification text."""
    return {
        "type": "message",
        "summary": summary,
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "content": card}],
    }


async def post_to_channel(
    uow: UnitOfWork,
    purpose: ChannelPurpose,
    card: Card,
    key: str,
    case_reference: str | None,
    *,
    now: datetime,
    agency: str = "",
    summary: str = "",
) -> bool:
    """Queue ``card`` for the channel registered for ``purpose`` (and ``agency``).

    Returns False when ``key`` was queued before. Raises :class:`NoChannel` when there is no
    channel to post to.
    """
    channel = await uow.channels.resolve(purpose, agency)
    if channel is None:
        raise NoChannel(
            f"No {purpose.label} channel is registered yet. An administrator can mention me "
            f"with **register {purpose.value}** in the channel to use."
        )
    return await _enqueue(uow, channel.target, card, key, case_reference, now=now, summary=summary)


async def post_to_person(
    uow: UnitOfWork,
    object_id: str,
    card: Card,
    key: str,
    case_reference: str | None,
    *,
    now: datetime,
    summary: str = "",
) -> bool:
    """Queue ``card`` for a person's personal chat (found or created when it is sent)."""
    return await _enqueue(
        uow, PersonTarget(object_id), card, key, case_reference, now=now, summary=summary
    )


async def post_to_actor(
    uow: UnitOfWork,
    turn: Turn,
    card: Card,
    *,
    key: str,
    case_reference: str | None = None,
) -> None:
    """Queue ``card`` for the person acting in this turn, in their personal chat.

    ``key`` names what it is about; the activity id is added, so a redelivered activity is
    queued once and a later request queues again.
    """
    await post_to_person(
        uow,
        turn.actor.object_id,
        card,
        f"{key}:{turn.activity_id}",
        case_reference,
        now=turn.now,
    )


async def post_to_hub(
    uow: UnitOfWork,
    card: Card,
    key: str,
    case_reference: str | None,
    *,
    people: People,
    now: datetime,
    summary: str = "",
    is_alert: bool = False,
) -> list[str]:
    """Queue ``card`` for the Hub channel, or for each Hub officer when there is none.

    Returns the keys of the Hub's copies (queued now or earlier); empty when there is
    neither a Hub channel nor a Hub officer in the directory (logged as an error).
    """
    hub = await uow.channels.for_purpose(ChannelPurpose.HUB)
    if hub is not None:
        await _enqueue(
            uow, hub.target, card, key, case_reference, now=now, summary=summary, alert=is_alert
        )
        return [key]
    return await post_to_people(
        uow,
        await people.people_with(uow, Role.HUB_OFFICER),
        card,
        key,
        case_reference,
        now=now,
        summary=summary,
        is_alert=is_alert,
    )


async def post_to_people(
    uow: UnitOfWork,
    people: list[Person],
    card: Card,
    key: str,
    case_reference: str | None,
    *,
    now: datetime,
    summary: str = "",
    is_alert: bool = False,
) -> list[str]:
    """Queue ``card`` for each person's personal chat, as ``{key}:person:{object id}``."""
    keys = []
    for person in people:
        person_key = f"{key}:person:{person.object_id}"
        await _enqueue(
            uow,
            PersonTarget(person.object_id),
            card,
            person_key,
            case_reference,
            now=now,
            summary=summary,
            alert=is_alert,
        )
        keys.append(person_key)
    if not keys:
        log.error("nobody to send %r to: no Hub channel and no Hub officer in the directory", key)
    return keys


async def update_message(
    uow: UnitOfWork,
    original_key: str,
    card: Card,
    key: str,
    *,
    now: datetime,
    case_reference: str | None = None,
    summary: str = "",
) -> bool:
    """Queue an in-place edit of the message queued as ``original_key`` (sent once the
    original has been; superseded if a newer edit is queued first)."""
    return await uow.outbox.enqueue_update(
        MessageUpdate(
            key=key,
            original_key=original_key,
            activity=card_activity(card, summary=summary or _summary(case_reference)),
            summary=summary or _summary(case_reference),
            case_reference=case_reference,
        ),
        now=now,
    )


async def channel_for(
    uow: UnitOfWork, purpose: ChannelPurpose, agency: str = ""
) -> RegisteredChannel | None:
    """The channel a post for ``purpose`` would go to now (agencies fall back to the Hub)."""
    return await uow.channels.resolve(purpose, agency)


async def _enqueue(
    uow: UnitOfWork,
    target: ConversationTarget | PersonTarget,
    card: Card,
    key: str,
    case_reference: str | None,
    *,
    now: datetime,
    summary: str,
    alert: bool = False,
) -> bool:
    text = summary or _summary(case_reference)
    return await uow.outbox.enqueue(
        OutgoingMessage(
            key=key,
            target=target,
            activity=card_activity(card, summary=text),
            summary=text,
            case_reference=case_reference,
            is_alert=alert,
        ),
        now=now,
    )


def _summary(case_reference: str | None) -> str:
    return f"About case {case_reference}" if case_reference else "A message from the assistant"
