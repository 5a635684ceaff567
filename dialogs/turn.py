"""What a dialog needs to know about the turn it runs in, without depending on ``bot_app``.

The Teams edge translates every activity into ``bot_app.core.turn.Turn`` and leaves it in
the turn state under :data:`TURN_KEY`; a dialog reads it through :func:`turn_of`, typed by
the :class:`DialogTurn` protocol, so ``dialogs/`` never imports the application above it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol, cast

from botbuilder.core import TurnContext

from safeguarding.roles import Person

TURN_KEY = "cspr.turn"


class DialogTurn(Protocol):
    @property
    def actor(self) -> Person: ...

    @property
    def now(self) -> datetime: ...

    @property
    def today(self) -> date: ...

    @property
    def text(self) -> str: ...

    @property
    def activity_id(self) -> str: ...

    @property
    def is_personal(self) -> bool: ...


def turn_of(context: TurnContext) -> DialogTurn:
    """The translated turn the edge left on this context."""
    turn = context.turn_state.get(TURN_KEY)
    if turn is None:
        raise RuntimeError("no translated turn on this context")
    return cast(DialogTurn, turn)
