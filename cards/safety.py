"""The answer to a message that reads like a child in danger now: 999 first, then notify."""

from __future__ import annotations

from adaptive_cards import types
from adaptive_cards.card import Container, TextBlock

from cards.base import Card, command_button, finish, paragraph

CALL_999 = (
    "If a child is in immediate danger call 999 - then follow your agency's safeguarding procedure."
)
START_NOTIFICATION = "Start a notification"


def urgent_card(*, may_notify: bool) -> Card:
    """999 and the agency's own procedure, first and plainly; then, for those who may notify,
    a button that starts the notification (as if they had typed ``notify``)."""
    body = [
        Container(
            style=types.ContainerStyle.ATTENTION,
            items=[
                TextBlock(
                    text=CALL_999,
                    wrap=True,
                    weight=types.FontWeight.BOLDER,
                    size=types.FontSize.MEDIUM,
                )
            ],
        ),
        paragraph(
            "I can't call for help or send anyone. When the child is safe, tell the "
            "safeguarding partnership about a child's death or serious harm: start a "
            "notification and I'll guide you."
            if may_notify
            else "I can't call for help or send anyone. When the child is safe, tell your "
            "agency's safeguarding lead."
        ),
    ]
    actions = [command_button(START_NOTIFICATION, "notify")] if may_notify else []
    return finish(body, actions, fallback=CALL_999)
