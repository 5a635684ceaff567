"""Answers to ``adaptiveCard/action`` invokes, as plain dicts.

botbuilder 4.17's ``AdaptiveCardInvokeResponse`` cannot carry a text value and its own error
replies fail to serialise (teams-platform.md, defects 1-2), so the bot answers with the
documented Universal Actions shapes directly.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse

from bot_app.core.answers import CardAnswer, ShowCard, Toast
from cards.base import CARD_CONTENT_TYPE


def invoke_response(answer: CardAnswer) -> InvokeResponse:
    """The Universal Actions response for a handler's answer."""
    if isinstance(answer, ShowCard):
        body: dict[str, Any] = {
            "statusCode": 200,
            "type": CARD_CONTENT_TYPE,
            "value": answer.card,
        }
        return InvokeResponse(status=HTTPStatus.OK, body=body)
    if isinstance(answer, Toast):
        body = {
            "statusCode": 200,
            "type": "application/vnd.microsoft.activity.message",
            "value": answer.text,
        }
        return InvokeResponse(status=HTTPStatus.OK, body=body)
    return error_response(answer.code, answer.message)


def error_response(code: str, message: str, *, status: int = 400) -> InvokeResponse:
    """A Universal Actions error: Teams shows ``message`` on the card, never a stack trace."""
    body: dict[str, Any] = {
        "statusCode": status,
        "type": "application/vnd.microsoft.error",
        "value": {"code": code, "message": message},
    }
    return InvokeResponse(status=HTTPStatus.OK, body=body)
