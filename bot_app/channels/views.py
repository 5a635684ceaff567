"""What the channel commands say: texts, and the card listing what is registered where."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from cards.base import Card
from cards.channels import ChannelLine, channels_card
from cards.reminder import when
from storage.channels import RegisteredChannel


def registered_text(channel: RegisteredChannel, replaced: RegisteredChannel | None) -> str:
    moved = f" It replaces {replaced.where}." if replaced else ""
    return (
        f"Done: this is now the **{channel.label}** channel ({channel.where}). I'll post case "
        f"references, stages and deadlines here - never details about a child.{moved}"
    )


def unregistered_text(removed: Sequence[RegisteredChannel]) -> str:
    if not removed:
        return "Nothing was registered in this channel, so nothing changed."
    names = ", ".join(f"**{c.label}**" for c in removed)
    return (
        f"Done: this channel is no longer the {names} channel. Reminders for it go to the Hub "
        "channel until another channel is registered."
    )


def not_a_channel_text(*, personal: bool, command: str) -> str:
    """Registering makes sense only in a team channel: say where to do it instead."""
    where = "a personal chat" if personal else "a group chat"
    return (
        f"This is {where}, and only a team channel can be registered. Go to the channel "
        f"you want me to post in, mention me and say **{command}** there."
    )


def registered_card(registered: Sequence[RegisteredChannel], zone: tzinfo | None) -> Card:
    lines = [
        ChannelLine(
            label=c.label,
            where=c.where,
            registered=f"by {c.registered_by_name or 'an administrator'}, "
            f"{when(c.registered_at.astimezone(zone))}",
        )
        for c in registered
    ]
    return channels_card(lines)
