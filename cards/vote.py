"""The CSPR Group's vote card: one message, a different view for each member.

The card posted (to the CSPR Group channel, or to each member) shows who has voted and when -
never how - until the vote closes. It carries ``refresh`` with the members' Teams ids, so Teams
asks the bot for each listed member's own view (their vote, rationale and a way to change it)
when they open it; after every vote the message is updated for everyone, which triggers that
refresh again (teams-platform.md, "Universal Actions"). Rationales appear only in a member's
own view, never in the shared one: they may describe the case.

Also here: the voting pack (the case summary and the agency reports, for a personal chat
only) and the Hub's "open the vote anyway?" step when reports are missing.
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

from cards.base import Card, ClockLine, clock_rows, facts, finish, heading, paragraph, subheading
from safeguarding.rapid_review import (
    CRITERIA_GROUPS,
    MAX_RATIONALE_CHARS,
    VoteChoice,
)

VERB_CAST = "vote.cast"
VERB_REFRESH = "vote.refresh"
VERB_PACK = "vote.pack"
VERB_SHOW_TRACKER = "rapid_review.tracker"  # "Wait for the reports": the tracker again
MAX_REFRESH_USERS = 60  # Teams refreshes automatically for at most 60 listed users

# The inputs of each group of criteria, in the order of ``CRITERIA_GROUPS``; the edge joins
# them back into one list (``bot_app/rapid_review/payloads.py``).
CRITERIA_INPUTS = ("criteria", "criteria_regard", "criteria_national")


@dataclass(frozen=True)
class SeatLine:
    member: str
    voted: bool
    by: str = ""  # the deputy's name when a deputy voted in the seat
    choice: str = ""  # only once the vote has closed
    criteria: Sequence[str] = ()  # only once the vote has closed
    when: str = ""  # when the seat's vote was recorded: "07:41 Thu 26 Nov"


@dataclass(frozen=True)
class MyVote:
    choice: str  # a VoteChoice value
    criteria: Sequence[str]
    rationale: str
    when: str = ""  # "07:41 on Thursday 26 November 2026"


@dataclass(frozen=True)
class VoteCardView:
    reference: str
    round: int
    name: str  # "Vote", "Second vote after a tie": what people call it
    closes_on: str
    seats: Sequence[SeatLine]
    closed: bool = False
    outcome: str = ""  # once closed: the recommendation, or why there is none
    reports: str = ""  # "3 of 3 agency reports in" / "2 of 3 agency reports in (missing: X)"
    user_ids: Sequence[str] = ()
    can_vote: bool = True  # False for someone without a seat who opened the card
    mine: MyVote | None = None  # the member's own view (an invoke answer, never posted)
    notice: str | None = None  # the receipt, a reminder, or a refusal


def vote_card(view: VoteCardView) -> Card:
    data = {"reference": view.reference, "round": view.round}
    status = f"closed · {view.outcome}" if view.closed else f"open until {view.closes_on}"
    body: list[Any] = [
        heading(f"CSPR Group vote: case {view.reference}"),
        paragraph(
            f"{view.name} · {status}" if view.name != "Vote" else status[0].upper() + status[1:],
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
    if view.reports and not view.closed:
        body.append(paragraph(view.reports, small=True))
    body.append(subheading("How each member voted" if view.closed else "Who has voted"))
    body.append(facts([_seat_fact(line, closed=view.closed) for line in view.seats]))
    actions: list[Any] = []
    if not view.closed and view.can_vote:
        if view.mine is not None:
            body.append(subheading("Your vote"))
            when = f", {view.mine.when}" if view.mine.when else ""
            body.append(
                paragraph(
                    f"You voted: **{VoteChoice(view.mine.choice).label}**{when}. "
                    f"Your reason: {view.mine.rationale}"
                )
            )
            body.append(
                paragraph(
                    f"You can change your vote until the vote closes ({view.closes_on}).",
                    subtle=True,
                    small=True,
                )
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
    if not view.closed and view.can_vote and view.mine is None:
        # The shared card, as posted: a client that does not refresh cards (or a member past
        # the refresh list) gets the member's own view - their choice and when - on request.
        actions.append(
            ActionExecute(
                title="Show my vote",
                verb=VERB_REFRESH,
                data=data,
                associated_inputs=types.AssociatedInputs.NONE,
            )
        )
    if not view.closed:
        actions.append(
            ActionExecute(
                title="Open the voting pack",
                verb=VERB_PACK,
                data=data,
                associated_inputs=types.AssociatedInputs.NONE,
            )
        )
        body.append(
            paragraph(
                "Only the CSPR Group's core members (or their named deputies, in their seat) can "
                "vote. The voting pack - the case summary and the agency reports - comes to you "
                "in a personal chat. How each member voted is shown when the vote closes.",
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
        when = f" {line.when}" if line.when else ""
        return line.member, f"Voted{when}" + (f" (by {line.by})" if line.by else "")
    return line.member, "Did not vote" if closed else "Not yet"


def _inputs(mine: MyVote | None) -> list[Any]:
    ticked = set(mine.criteria) if mine else set()
    inputs: list[Any] = [
        InputChoiceSet(
            id="choice",
            label="Your recommendation to the safeguarding partners",
            choices=[InputChoice(title=c.label, value=c.value) for c in VoteChoice],
            style=types.ChoiceInputStyle.EXPANDED,
            value=mine.choice if mine else None,
            is_required=True,
            error_message="Choose a recommendation, abstain or declare a conflict.",
        ),
        paragraph(
            "A local review or a national review needs the criteria it meets ticked below; "
            "a Local Learning Review suits a case that does not meet them but shows exceptional "
            "practice or a near miss.",
            subtle=True,
            small=True,
        ),
    ]
    for input_id, group in zip(CRITERIA_INPUTS, CRITERIA_GROUPS, strict=True):
        chosen = [c.value for c in group.criteria if c.value in ticked]
        inputs += [
            subheading(group.title),
            paragraph(group.guidance, subtle=True, small=True),
            InputChoiceSet(
                id=input_id,
                label=f"{group.title} (tick all that apply)",
                choices=[InputChoice(title=group.label(c), value=c.value) for c in group.criteria],
                is_multi_select=True,
                style=types.ChoiceInputStyle.EXPANDED,
                value=",".join(chosen) or None,
            ),
        ]
    inputs.append(
        InputText(
            id="rationale",
            label="Your rationale against the criteria (or the conflict you declare)",
            is_multiline=True,
            max_length=MAX_RATIONALE_CHARS,
            value=mine.rationale if mine else None,
            is_required=True,
            error_message="A rationale is required.",
        )
    )
    return inputs


# -- the voting pack (personal chat only) ------------------------------------------------------


@dataclass(frozen=True)
class PackReport:
    agency: str
    status: str  # "Submitted Friday 4 December 2026 (late)", "Nil return"
    sections: Sequence[tuple[str, str]]  # (heading, text) of the report, decrypted


@dataclass(frozen=True)
class VotingPackView:
    reference: str
    facts: Sequence[tuple[str, str]]  # incident, what happened, nature of harm, ...
    summary: str
    clocks: Sequence[ClockLine]  # the rapid review's deadline and the vote's last day
    reports: Sequence[PackReport]
    missing: Sequence[str]  # agencies whose report is not in


def voting_pack_card(view: VotingPackView) -> Card:
    body: list[Any] = [
        heading(f"Voting pack: case {view.reference}"),
        paragraph(
            "Confidential: for your vote in the CSPR Group, in this personal chat only. Don't "
            "copy it into a channel. Opening it has been recorded in the case's access log.",
            subtle=True,
            small=True,
        ),
        subheading("Deadlines"),
        *clock_rows(view.clocks),
        subheading("The case"),
        *([facts(view.facts)] if view.facts else []),
        paragraph(view.summary or "No summary was given."),
        subheading(
            f"Agency reports: {len(view.reports)} of {len(view.reports) + len(view.missing)} in"
        ),
    ]
    if view.missing:
        body.append(paragraph(f"Not in yet: {', '.join(view.missing)}.", small=True))
    for report in view.reports:
        body.append(subheading(f"{report.agency} · {report.status}"))
        body.append(facts(list(report.sections)))
    return finish(body, fallback=f"Voting pack for case {view.reference}")


# -- the Hub opens the vote with reports missing -----------------------------------------------


def open_anyway_card(
    reference: str, *, missing: Sequence[str], asked: int, open_verb: str, back_verb: str
) -> Card:
    """Asked before the vote opens without every agency's report: open anyway, or wait."""
    data = {"reference": reference}
    count = len(missing)
    return finish(
        [
            heading(f"Open the CSPR Group vote: case {reference}"),
            Container(
                style=types.ContainerStyle.WARNING,
                items=[
                    TextBlock(
                        text=f"{count} of {asked} agency reports {'is' if count == 1 else 'are'} "
                        f"not in: {', '.join(missing)}. Open the vote anyway?",
                        wrap=True,
                        weight=types.FontWeight.BOLDER,
                    )
                ],
            ),
            paragraph(
                "The CSPR Group evaluates the agency reports before it recommends. If you open "
                "the vote now, the members see which reports are missing, and a report that "
                "arrives later is in their voting pack.",
                subtle=True,
                small=True,
            ),
        ],
        [
            ActionExecute(
                title="Open the vote anyway",
                verb=open_verb,
                data={**data, "anyway": "yes"},
                style=types.ActionStyle.POSITIVE,
            ),
            ActionExecute(title="Wait for the reports", verb=back_verb, data=data),
        ],
        fallback=f"Open the CSPR Group vote on case {reference}?",
    )
