"""Cards about channels and delivery: what is registered where, and a message that failed.

The delivery alert goes to the Hub channel; like every channel post it names a case reference
and what the message was about, never details of a child.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adaptive_cards import types
from adaptive_cards.card import TextBlock

from cards.base import Card, facts, finish, heading, paragraph


@dataclass(frozen=True)
class ChannelLine:
    label: str  # "Hub", "Agency: Humberside Police"
    where: str  # "channel General in team Safeguarding Hub"
    registered: str  # "by Ada Admin, 09:00 on Monday 4 January 2027"


def channels_card(lines: Sequence[ChannelLine]) -> Card:
    body: list[object] = [heading("Registered channels")]
    if lines:
        body.append(facts([(line.label, f"{line.where} ({line.registered})") for line in lines]))
    else:
        body.append(paragraph("No channel is registered yet."))
    body.append(
        paragraph(
            "An administrator registers a channel by mentioning me in it: **register hub**, "
            "**register csprg**, **register partners** or **register agency «name»**; "
            "**unregister** undoes it. Agencies without a channel of their own are chased "
            "through the Hub channel.",
            subtle=True,
            small=True,
        )
    )
    return finish(body, fallback=f"{len(lines)} registered channel(s)")


@dataclass(frozen=True)
class DeliveryAlertView:
    summary: str  # what the message was: "NL-2026-0001: Notify the Panel due today (...)"
    destination: str  # "the Hub channel", "a personal chat"
    reason: str
    attempts: int
    gave_up: bool  # True: retries exhausted; False: Teams refused it for good


def delivery_alert_card(view: DeliveryAlertView) -> Card:
    what = (
        f"I tried {view.attempts} times and gave up."
        if view.gave_up
        else "Teams refused it, so I will not try again."
    )
    body = [
        heading("A message could not be delivered"),
        TextBlock(text=view.summary, weight=types.FontWeight.BOLDER, wrap=True),
        facts([("To", view.destination), ("Why", view.reason)]),
        paragraph(what),
        paragraph(
            "If a channel was deleted or the app removed from a team, an administrator can "
            "register the channel again. Please make sure the people concerned are told.",
            subtle=True,
            small=True,
        ),
    ]
    return finish(body, fallback=f"Undelivered: {view.summary}")
