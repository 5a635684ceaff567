"""What a handler answers, as plain values; the edge turns them into Teams messages.

A command answers with a :data:`Reply` - texts and cards to send in the conversation, or a
dialog to begin. A card button (Universal Action) answers with one :data:`CardAnswer`: the
card that replaces the pressed one, a short toast, or a refusal. Handlers never send
anything themselves, so every reply happens after the unit of work has committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cards.base import Card


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class CardMessage:
    card: Card


@dataclass(frozen=True)
class BeginDialog:
    """Replace whatever dialog the person was in with ``dialog_id`` (started with ``options``)."""

    dialog_id: str
    options: object = None


Said = Text | CardMessage | BeginDialog
Reply = Sequence[Said]


def text(message: str) -> Reply:
    return (Text(message),)


def card(card_: Card) -> Reply:
    return (CardMessage(card_),)


@dataclass(frozen=True)
class ShowCard:
    """Replace the pressed card, for the person who pressed it."""

    card: Card


@dataclass(frozen=True)
class Toast:
    """A short message; the card stays as it is."""

    text: str


@dataclass(frozen=True)
class Refusal:
    """Teams shows ``message`` on the card (never a stack trace)."""

    code: str
    message: str


CardAnswer = ShowCard | Toast | Refusal
