"""Shared pieces for card builders.

Builders are pure: a view model in, a card dict out. They use adaptive-cards-py's typed
elements so a misspelt property fails at build time, then serialise to the plain dict that
Teams expects. Teams renders schema 1.5 at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import (
    ActionExecute,
    AdaptiveCard,
    Fact,
    FactSet,
    TextBlock,
)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
TEAMS_CARD_VERSION = "1.5"

Card = dict[str, Any]


def finish(body: Sequence[Any], actions: Sequence[Any] = (), *, fallback: str) -> Card:
    """Wrap elements as a full-width 1.5 card; ``fallback`` is what notifications show."""
    card = AdaptiveCard(
        version=TEAMS_CARD_VERSION,
        body=list(body),
        actions=list(actions) or None,
        fallback_text=fallback,
        msteams=types.MSTeams(width=types.MSTeamsCardWidth.FULL),
    )
    return card.model_dump(mode="json", by_alias=True, exclude_none=True)


def heading(text: str) -> TextBlock:
    return TextBlock(
        text=text,
        size=types.FontSize.LARGE,
        weight=types.FontWeight.BOLDER,
        wrap=True,
        style=types.TextBlockStyle.HEADING,
    )


def subheading(text: str) -> TextBlock:
    return TextBlock(
        text=text,
        weight=types.FontWeight.BOLDER,
        wrap=True,
        spacing=types.Spacing.MEDIUM,
    )


def paragraph(text: str, *, subtle: bool = False, small: bool = False) -> TextBlock:
    return TextBlock(
        text=text,
        wrap=True,
        is_subtle=subtle or None,
        size=types.FontSize.SMALL if small else None,
    )


def facts(pairs: Sequence[tuple[str, str]]) -> FactSet:
    return FactSet(facts=[Fact(title=title, value=value) for title, value in pairs])


def execute(title: str, verb: str, data: dict[str, Any] | None = None) -> ActionExecute:
    """An ``Action.Execute`` (Universal Actions): the bot can answer it with a new card."""
    return ActionExecute(title=title, verb=verb, data=data or {})
