"""A card as an attachment of a message the bot sends."""

from __future__ import annotations

from typing import Any, Self

from botbuilder.schema import Attachment

from cards.base import CARD_CONTENT_TYPE, Card


class _SentCard(dict[str, Any]):
    """A card built for one message and not changed after it.

    botbuilder deep-copies every activity it sends (``TurnContext.send_activities``), which
    walks every element of the card: about a twentieth of a turn's CPU for a form's card. The
    copy of a card nobody changes can be the card itself.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return self


def card_attachment(card: Card) -> Attachment:
    return Attachment(content_type=CARD_CONTENT_TYPE, content=_SentCard(card))
