"""Cards for differences of opinion: raising one, the parties' card, and channel notices.

Two kinds of card, kept apart on purpose (domain.md, "Information governance"):

* ``notice_card`` may be posted in a channel: the case reference, the dispute's number, its
  topic, stage and target date - never the position, the reasons or any answer;
* ``dispute_card`` goes only to the parties, in personal chat: the history with its
  narrative, and the Respond / Resolve / Escalate buttons (``Action.Execute``) for the
  current stage. Each button carries the stage it was drawn for, so a press on an older card
  is refused rather than applied to a stage the person never saw.

Raising is one card too (``raise_form_card``): its buttons are ``Action.Execute``, answered
with the same card at its next step, and it ends as a summary with no buttons
(``raised_card``). The card carries its token, so a second Raise finds the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from adaptive_cards import types
from adaptive_cards.card import (
    ActionExecute,
    ActionShowCard,
    Container,
    InputChoice,
    InputChoiceSet,
    InputText,
    InputToggle,
    TextBlock,
)

from cards.base import (
    Card,
    error_block,
    execute,
    facts,
    finish,
    heading,
    paragraph,
    personal_start_card,
    show_card,
)
from safeguarding.disputes import MAX_POSITION_CHARS, MAX_TEXT_CHARS, Topic

VERB_START: Final = "dispute.start"  # the case card's "Disagree" button
VERB_RAISE: Final = "dispute.raise"  # the raise card's Next, Back, Cancel and Raise it
VERB_OPEN: Final = "dispute.open"  # a notice's "Open in personal chat"
VERB_RESPOND: Final = "dispute.respond"
VERB_ESCALATE: Final = "dispute.escalate"
VERB_RESOLVE: Final = "dispute.resolve"
VERB_FROM_REFERRAL: Final = "dispute.from_referral"

POSITIVE: Final = types.ActionStyle.POSITIVE
NEVER_A_PAUSE: Final = (
    "A difference of opinion does not pause any statutory clock, and must never delay action "
    "to keep a child safe."
)


# -- raising: one card that moves through its steps -----------------------------------------

RAISE_STEPS: Final = ("topic", "position", "review")


@dataclass(frozen=True)
class RaiseFormView:
    """One step of the raise card. ``draft`` holds every answer so far: the card carries them
    in its buttons' data, so the bot keeps no state between steps."""

    reference: str
    token: str
    step: str  # "topic", "position" or "review"
    draft: dict[str, str]
    stage_days: int  # the first stage's target, in working days
    error: str | None = None


def raise_form_card(view: RaiseFormView) -> Card:
    """The raise card at one step. Every button is an ``Action.Execute``: the bot answers with
    the same card at the next step, in place, so earlier steps never linger with live buttons."""
    draft = view.draft
    number = RAISE_STEPS.index(view.step) + 1
    body: list[Any] = [
        heading(f"Raise a difference of opinion on {view.reference}"),
        paragraph(f"Step {number} of {len(RAISE_STEPS)}", subtle=True),
        *error_block(view.error),
    ]
    carried: dict[str, str] = {}
    if view.step == "topic":
        body.append(
            InputChoiceSet(
                id="topic",
                label="What is it about?",
                style=types.ChoiceInputStyle.EXPANDED,
                choices=[InputChoice(title=t.label, value=t.value) for t in Topic],
                value=draft.get("topic") or None,
            )
        )
        carried = {k: draft.get(k, "") for k in ("position", "reasons")}
    elif view.step == "position":
        body += [
            InputText(
                id="position",
                label="Your organisation's position",
                is_multiline=True,
                max_length=MAX_POSITION_CHARS,
                value=draft.get("position") or None,
            ),
            InputText(
                id="reasons",
                label="Your reasons",
                is_multiline=True,
                max_length=MAX_TEXT_CHARS,
                value=draft.get("reasons") or None,
            ),
            paragraph(
                "Only the parties see this, in personal chat; channels see the case reference, "
                "stage and target date only.",
                subtle=True,
                small=True,
            ),
        ]
        carried = {"topic": draft.get("topic", "")}
    else:
        topic = Topic(draft["topic"]).label if draft.get("topic") in set(Topic) else ""
        body += [
            facts([("About", topic)]),
            paragraph(f"**Position:** {draft.get('position', '')}"),
            paragraph(f"**Reasons:** {draft.get('reasons', '')}"),
            paragraph(
                "Raising it tells the partners' representatives (the CSPR Group core members) "
                f"and the Hub, who aim to resolve it within {view.stage_days} working days "
                f"before it goes further. {NEVER_A_PAUSE}",
                small=True,
            ),
        ]
        carried = {k: draft.get(k, "") for k in ("topic", "position", "reasons")}
    data = {"reference": view.reference, "token": view.token, "step": view.step, **carried}

    def button(title: str, move: str, **options: Any) -> ActionExecute:
        return ActionExecute(title=title, verb=VERB_RAISE, data={**data, "move": move}, **options)

    last = view.step == "review"
    actions = [button("Raise it" if last else "Next", "raise" if last else "next", style=POSITIVE)]
    if number > 1:
        actions.append(button("Back", "back"))
    actions.append(button("Cancel", "cancel", associated_inputs=types.AssociatedInputs.NONE))
    return finish(body, actions, fallback=f"Raise a difference of opinion on {view.reference}")


@dataclass(frozen=True)
class RaisedView:
    """The raise card's last state: a summary, with no buttons."""

    title: str
    topic: str | None
    receipt: str
    target: str | None


def raised_card(view: RaisedView) -> Card:
    body: list[Any] = [heading(view.title)]
    body.append(TextBlock(text=view.receipt, wrap=True, color=types.Colors.GOOD))
    rows = [(k, v) for k, v in (("About", view.topic), ("Stage 1 target", view.target)) if v]
    if rows:
        body.append(facts(rows))
        body.append(paragraph(NEVER_A_PAUSE, subtle=True, small=True))
    return finish(body, fallback=view.title)


def start_card(reference: str) -> Card:
    """Sent to a personal chat when someone asks to disagree from a channel or the case card."""
    return personal_start_card(
        f"Raise a difference of opinion on {reference}",
        "Your position and reasons belong here, in our personal chat.",
        f"disagree {reference}",
        fallback=f"Raise a difference of opinion on {reference}",
    )


# -- the parties' card (personal chat only) ------------------------------------------------


@dataclass(frozen=True)
class HistoryLine:
    when: str
    who: str
    what: str
    text: str | None  # the narrative, or None


@dataclass(frozen=True)
class StageLine:
    label: str  # "Stage 2"
    began: str
    target: str  # the stage's own target, counted from the day it began
    ended: str | None  # "escalated Monday 7 December 2026", "resolved …", None while current


@dataclass(frozen=True)
class DisputeView:
    reference: str
    number: int
    topic: str
    stage: int
    stage_label: str
    target: str
    status: str  # "Open", "Target passed", "Resolved on …"
    raised_by: str
    history: Sequence[HistoryLine]
    stages: Sequence[StageLine] = ()
    can_act: bool = False  # respond (and escalate, below stage 3)
    can_resolve: bool = False
    can_escalate: bool = False
    untried: bool = False  # nobody has responded at this stage: escalating needs a reason
    notice: str | None = None  # the receipt: what was done, by whom, when
    warning: bool = False  # the notice says something was NOT recorded
    # About the decision that the criteria are not met: the outcome says whether it is upheld
    # (which reopens the case).
    on_decision: bool = False


def dispute_card(view: DisputeView) -> Card:
    body: list[Any] = [
        heading(f"Difference of opinion {view.number} on {view.reference}"),
        paragraph(
            "Confidential: for the parties, in personal chat only. Don't copy it into a channel.",
            subtle=True,
            small=True,
        ),
    ]
    if view.notice:
        color = types.Colors.ATTENTION if view.warning else types.Colors.GOOD
        body.append(TextBlock(text=view.notice, wrap=True, color=color))
    body.append(
        facts(
            [
                ("About", view.topic),
                ("Stage", view.stage_label),
                ("Target", view.target),
                ("Status", view.status),
                ("Raised by", view.raised_by),
            ]
        )
    )
    if len(view.stages) > 1:
        lines = [
            f"{line.label}: began {line.began}, target {line.target}"
            + (f"; {line.ended}" if line.ended else "")
            for line in view.stages
        ]
        body.append(paragraph("\n\n".join(lines), small=True))
    for line in view.history:
        items: list[Any] = [TextBlock(text=f"**{line.when}** · {line.who}", wrap=True)]
        items.append(paragraph(line.what, small=True, subtle=True))
        if line.text:
            items.append(paragraph(line.text))
        body.append(Container(separator=True, items=items))
    body.append(paragraph(NEVER_A_PAUSE, subtle=True, small=True))
    data = {"reference": view.reference, "number": view.number, "stage": view.stage}
    actions: list[Any] = []
    if view.can_act:
        actions.append(
            _text_action("Respond", "response", "Your response", VERB_RESPOND, data, "Send")
        )
    if view.can_resolve:
        upheld = InputToggle(
            id="upheld",
            title="Upheld: the decision that the criteria are not met is set aside and the "
            "case reopens",
            value="false",
            value_on="true",
            value_off="false",
            wrap=True,
        )
        actions.append(
            _text_action(
                "Resolve",
                "outcome",
                "The agreed outcome",
                VERB_RESOLVE,
                data,
                "Record outcome",
                extra=[upheld] if view.on_decision else [],
            )
        )
    if view.can_escalate:
        skip: list[Any] = []
        if view.untried:
            skip = [
                paragraph(
                    f"Nobody has responded at stage {view.stage} yet. The procedure tries each "
                    "stage before the next: say why it should go further without that.",
                    small=True,
                ),
                InputText(
                    id="skip_reason",
                    label=f"Why stage {view.stage} was not tried first",
                    is_multiline=True,
                    max_length=MAX_TEXT_CHARS,
                ),
            ]
        actions.append(
            _text_action(
                "Escalate",
                "reason",
                "Why it must go further",
                VERB_ESCALATE,
                data,
                "Escalate",
                extra=skip,
            )
        )
    return finish(
        body, actions, fallback=f"Difference of opinion {view.number} on {view.reference}"
    )


def _text_action(
    title: str,
    input_id: str,
    label: str,
    verb: str,
    data: dict[str, Any],
    button: str,
    *,
    extra: Sequence[Any] = (),
) -> ActionShowCard:
    return show_card(
        title,
        [
            InputText(
                id=input_id,
                label=label,
                is_multiline=True,
                max_length=MAX_TEXT_CHARS,
                is_required=True,
                error_message=f"{label} is required.",
            ),
            *extra,
        ],
        ActionExecute(title=button, verb=verb, data=data),
    )


# -- channel notices (no narrative) --------------------------------------------------------


@dataclass(frozen=True)
class NoticeView:
    reference: str
    number: int
    topic: str
    stage_label: str
    target: str
    headline: str  # "New difference of opinion", "Reminder: target in 2 working days", …
    late_note: str | None = None


def notice_summary(view: NoticeView) -> str:
    """The notification line: reference, number, stage and target only."""
    return f"{view.reference}: difference of opinion {view.number}, {view.headline.lower()}"


def notice_card(view: NoticeView) -> Card:
    body: list[Any] = [
        heading(f"{view.headline}: {view.reference}"),
        facts(
            [
                ("Case", view.reference),
                ("Difference of opinion", str(view.number)),
                ("About", view.topic),
                ("Stage", view.stage_label),
                ("Target", view.target),
            ]
        ),
    ]
    if view.late_note:
        body.append(paragraph(view.late_note, subtle=True, small=True))
    body.append(
        paragraph(
            f"The parties have the details in personal chat. {NEVER_A_PAUSE}",
            subtle=True,
            small=True,
        )
    )
    data = {"reference": view.reference, "number": view.number}
    return finish(
        body,
        [execute("Open in personal chat", VERB_OPEN, data)],
        fallback=notice_summary(view),
    )


@dataclass(frozen=True)
class ReferralView:
    reference: str
    seq: int
    what: str  # the referral event's description (no narrative: that is in its ``why``)


def referral_card(view: ReferralView) -> Card:
    """To the Hub: the rapid review referred a difference of opinion; open one from it."""
    return finish(
        [
            heading(f"Difference of opinion referred: {view.reference}"),
            paragraph(view.what),
            paragraph(
                "Open it as a difference of opinion to start the ladder (stage 1: liaison with "
                f"the partners' representatives and the Hub). {NEVER_A_PAUSE}",
                small=True,
            ),
        ],
        [
            execute(
                "Open a difference of opinion",
                VERB_FROM_REFERRAL,
                {"reference": view.reference, "referral": view.seq},
            )
        ],
        fallback=f"{view.reference}: a difference of opinion was referred",
    )


# -- ``disputes``: the open ones a person takes part in -------------------------------------


@dataclass(frozen=True)
class DisputeItem:
    reference: str
    number: int
    topic: str
    stage_label: str
    target: str
    overdue: bool


def disputes_card(items: Sequence[DisputeItem]) -> Card:
    body: list[Any] = [
        heading("Open differences of opinion"),
        paragraph("The ones you take part in at their current stage.", subtle=True, small=True),
    ]
    if not items:
        body.append(paragraph("There are no open differences of opinion for you."))
    for item in items:
        body.append(
            Container(
                separator=True,
                items=[
                    TextBlock(
                        text=f"**{item.reference}** · difference of opinion {item.number}",
                        wrap=True,
                    ),
                    paragraph(f"{item.topic} · {item.stage_label}", small=True),
                    TextBlock(
                        text=f"Target: {item.target}" + (" (passed)" if item.overdue else ""),
                        wrap=True,
                        size=types.FontSize.SMALL,
                        color=types.Colors.ATTENTION if item.overdue else None,
                    ),
                ],
            )
        )
    actions = [
        execute(
            f"Open {item.reference} #{item.number}",
            VERB_OPEN,
            {"reference": item.reference, "number": item.number},
        )
        for item in items[:5]
    ]
    return finish(body, actions, fallback="Open differences of opinion")
