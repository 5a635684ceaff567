"""Telling the Hub that a message could not be delivered, in words an officer can act on.

An alert is itself a message in the outbox, queued in the same transaction as the give-up and
marked as an alert, so an alert that fails is logged and never alerted about: no loop.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot_app.core.people import People
from bot_app.core.posting import post_to_hub, post_to_people
from bot_app.teams.proactive import DeliveryError
from cards.channels import DeliveryAlertView, delivery_alert_card
from safeguarding.reminders import ChannelPurpose
from safeguarding.roles import Role
from storage.outbox import UPDATE, ClaimedMessage, ConversationTarget, PersonTarget
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


async def alert_hub(
    uow: UnitOfWork,
    item: ClaimedMessage,
    target: ConversationTarget | None,
    reason: str,
    *,
    exhausted: bool,
    now: datetime,
    people: People,
) -> None:
    """Tell the Hub where a message was going and why it was not delivered. When the Hub
    channel itself is what failed, the Hub officers are told personally instead."""
    registered = await uow.channels.in_channel(target.conversation_id) if target else []
    if registered:
        destination = " and ".join(f"the {c.label} channel ({c.where})" for c in registered)
    elif isinstance(item.target, PersonTarget):
        destination = "a person's personal chat"
    elif item.operation == UPDATE:
        destination = "an update of a message sent earlier"
    else:
        destination = "a Teams conversation"
    card = delivery_alert_card(
        DeliveryAlertView(
            summary=item.summary,
            destination=destination,
            reason=reason,
            attempts=item.attempts,
            gave_up=exhausted,
        )
    )
    key = f"alert:{item.key}"
    summary = f"Undelivered: {item.summary}"
    if any(c.purpose is ChannelPurpose.HUB for c in registered):
        officers = await people.people_with(uow, Role.HUB_OFFICER)
        keys = await post_to_people(
            uow, officers, card, key, item.case_reference, now=now, summary=summary, is_alert=True
        )
    else:
        keys = await post_to_hub(
            uow,
            card,
            key,
            item.case_reference,
            people=people,
            now=now,
            summary=summary,
            is_alert=True,
        )
    if not keys:
        log.error("nobody could be alerted that outbox %r was not delivered", item.key)


def explain(error: DeliveryError) -> str:
    """Teams' refusal as a sentence for the alert."""
    if error.status == 404:
        return "Teams answered 404: the channel or chat no longer exists."
    if error.status == 403:
        return (
            "Teams answered 403: the app may have been removed from the team, or the person "
            "has blocked it."
        )
    return str(error)[:300]
