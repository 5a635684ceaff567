"""Typed chat commands: what a person asked for, independent of how Teams delivered it.

The Teams handler turns message text into one of these at the edge, so the rest of the bot
never parses strings or sees botbuilder types.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Clock:
    """``clock <date>``: every statutory deadline from an awareness date."""

    date_text: str


@dataclass(frozen=True)
class Unknown:
    text: str


Command = Help | Clock | Unknown

_TAGS = re.compile(r"<[^>]+>")
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)


def clean_text(text: str | None) -> str:
    """Message text without bot mentions, HTML or stray whitespace.

    Channel messages arrive as ``<at>CSPR Assistant</at>&nbsp;help``, sometimes with the
    client's HTML around them.
    """
    if not text:
        return ""
    without_mentions = _MENTION.sub(" ", text)
    plain = html.unescape(_TAGS.sub(" ", without_mentions)).replace("\xa0", " ")
    return " ".join(plain.split())


def parse_command(text: str | None) -> Command:
    cleaned = clean_text(text)
    word, _, rest = cleaned.partition(" ")
    verb = word.lower().rstrip("?!.")
    if verb in {"help", "hi", "hello", "menu", "start", "?"} or not verb:
        return Help()
    if verb in {"clock", "clocks"}:
        return Clock(rest.strip())
    return Unknown(cleaned)
