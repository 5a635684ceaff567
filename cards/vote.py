"""The CSPR Group's vote card: one message, a different view for each member.

The card posted (to the CSPR Group channel, or to each member) shows who has voted - never
how - until the vote closes. It carries ``refresh`` with the members' Teams ids, so Teams asks
the bot for each listed member's own view (their vote, rationale and a way to change it) when
they open it; after every vote the message is updated for everyone, which triggers that
refresh again (teams-platform.md, "Universal Actions"). Rationales appear only in a member's
own view, never in the shared one: they may describe the case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import (
    ActionExecute,
    Container,
    InputChoice,
    InputChoiceSet,
    InputText,
    TextBlock,
)

from cards.base import Card, facts, finish, heading, paragraph, subheading
from safeguarding.rapid_review import (
    CRITERIA_LABELS,
    MAX_RATIONALE_CHARS,
    VoteChoice,
)

VERB_CAST = "vote.cast"
VERB_REFRESH = "vote.refresh"
MAX_REFRESH_USERS = 60  # Teams refreshes automatically for at most 60 listed users


@dataclass(frozen=True)
class SeatLine:
    member: str
    voted: bool
    by: str = ""  # the deputy's name when a deputy voted in the seat
    choice: str = ""  # only once the vote has closed
    criteria: Sequence[str] = ()  # only once the vote has closed


@dataclass(frozen=True)
class MyVote:
    choice: str  # a VoteChoice value
    criteria: Sequence[str]
    rationale: str


@dataclass(frozen=True)
class VoteCardView:
    reference: str
    round: int
    closes_on: str
    seats: Sequence[SeatLine]
    closed: bool = False
    outcome: str = ""  # once closed: the recommendation, or why there is none
    user_ids: Sequence[str] = ()
    can_vote: bool = True  # False for someone without a seat who opened the card
    mine: MyVote | None = None  # the member's own view (an invoke answer, never posted)
    notice: str | None = None  # "Your vote was recorded." / a refusal


def vote_card(view: VoteCardView) -> Card:
    data = {"reference": view.reference, "round": view.round}
    body: list[Any] = [
        heading(f"CSPR Group vote: case {view.reference}"),
        paragraph(
            f"Round {view.round} · "
            + (f"closed · {view.outcome}" if view.closed else f"open until {view.closes_on}"),
            subtle=True,
        ),
    ]
    if view.notice:
        body.append(
            Container(
                style=types.ContainerStyle.EMPHASIS,
                items=[TextBlock(text=view.notice, wrap=True, weight=types.FontWeight.BOLDER)],
            )
        )
    body.append(subheading("How each member voted" if view.closed else "Who has voted"))
    body.append(facts([_seat_fact(line, closed=view.closed) for line in view.seats]))
    actions: list[Any] = []
    if not view.closed and view.can_vote:
        if view.mine is not None:
            body.append(subheading("Your vote"))
            body.append(
                paragraph(f"**{VoteChoice(view.mine.choice).label}**: {view.mine.rationale}")
            )
        body += _inputs(view.mine)
        actions.append(
            ActionExecute(
                title="Change my vote" if view.mine else "Vote",
                verb=VERB_CAST,
                data=data,
                style=types.ActionStyle.POSITIVE,
            )
        )
    if not view.closed:
        body.append(
            paragraph(
                "Only the CSPR Group's core members (or their named deputies, in their seat) can "
                "vote. You can change your vote until the vote closes; how each member voted is "
                "shown when it closes.",
                subtle=True,
                small=True,
            )
        )
    card = finish(body, actions, fallback=f"CSPR Group vote on case {view.reference}")
    if view.user_ids:
        # adaptive-cards-py types Refresh.action as a string, so it is set on the dict.
        card["refresh"] = {
            "action": {"type": "Action.Execute", "verb": VERB_REFRESH, "data": data},
            "userIds": list(view.user_ids)[:MAX_REFRESH_USERS],
        }
    return card


def _seat_fact(line: SeatLine, *, closed: bool) -> tuple[str, str]:
    if closed and line.voted:
        label = VoteChoice(line.choice).label
        detail = f" ({'; '.join(line.criteria)})" if line.criteria else ""
        return line.member, f"{label}{detail}" + (f" - by {line.by}" if line.by else "")
    if line.voted:
        return line.member, "Voted" + (f" (by {line.by})" if line.by else "")
    return line.member, "Did not vote" if closed else "Not yet"


def _inputs(mine: MyVote | None) -> list[Any]:
    return [
        InputChoiceSet(
            id="choice",
            label="Your recommendation",
            choices=[InputChoice(title=c.label, value=c.value) for c in VoteChoice],
            style=types.ChoiceInputStyle.EXPANDED,
            value=mine.choice if mine else None,
            is_required=True,
            error_message="Choose a recommendation, abstain or declare a conflict.",
        ),
        InputChoiceSet(
            id="criteria",
            label="The criteria this case meets (tick all that apply)",
            choices=[
                InputChoice(title=label, value=c.value) for c, label in CRITERIA_LABELS.items()
            ],
            is_multi_select=True,
            style=types.ChoiceInputStyle.EXPANDED,
            value=",".join(mine.criteria) if mine and mine.criteria else None,
        ),
        InputText(
            id="rationale",
            label="Your rationale against the criteria (or the conflict you declare)",
            is_multiline=True,
            max_length=MAX_RATIONALE_CHARS,
            value=mine.rationale if mine else None,
            is_required=True,
            error_message="A rationale is required.",
        ),
    ]
