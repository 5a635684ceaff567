"""Answers to ``adaptiveCard/action`` invokes, as plain dicts.

botbuilder 4.17's ``AdaptiveCardInvokeResponse`` cannot carry a text value and its own error
replies fail to serialise (teams-platform.md, defects 1-2), so the bot answers with the
documented Universal Actions shapes directly.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse

from cards.base import CARD_CONTENT_TYPE, Card


def card_response(card: Card) -> InvokeResponse:
    """Replace the card for the person who pressed the button."""
    return InvokeResponse(
        status=HTTPStatus.OK, body={"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": card}
    )


def message_response(text: str) -> InvokeResponse:
    """Show a short toast and leave the card as it is."""
    return InvokeResponse(
        status=HTTPStatus.OK,
        body={
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": text,
        },
    )


def error_response(code: str, message: str, *, status: int = 400) -> InvokeResponse:
    """A Universal Actions error: Teams shows ``message`` on the card, never a stack trace."""
    body: dict[str, Any] = {
        "statusCode": status,
        "type": "application/vnd.microsoft.error",
        "value": {"code": code, "message": message},
    }
    return InvokeResponse(status=HTTPStatus.OK, body=body)
