"""Sending replies in the current turn, so features never build botbuilder activities."""

from __future__ import annotations

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Attachment

from cards.base import CARD_CONTENT_TYPE, Card


async def send_card(turn_context: TurnContext, card: Card) -> str | None:
    """Send a card; returns the new message's id (to update it in place later)."""
    attachment = Attachment(content_type=CARD_CONTENT_TYPE, content=card)
    response = await turn_context.send_activity(MessageFactory.attachment(attachment))
    return response.id if response else None


async def send_text(turn_context: TurnContext, text: str) -> str | None:
    response = await turn_context.send_activity(MessageFactory.text(text))
    return response.id if response else None
