"""Reading what people type, whatever the Teams client wrapped around it."""

from __future__ import annotations

import html
import re

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
