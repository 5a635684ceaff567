"""Shared pieces for card builders.

Builders are pure: a view model in, a card dict out. They use adaptive-cards-py's typed
elements so a misspelt property fails at build time, then serialise to the plain dict that
Teams expects. Teams renders schema 1.5 at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import (
    ActionExecute,
    ActionShowCard,
    ActionSubmit,
    AdaptiveCard,
    Column,
    ColumnSet,
    Container,
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


def command_button(title: str, command: str) -> ActionSubmit:
    """A Start-style button that acts as if ``command`` were typed (``bot.py`` reads it)."""
    return ActionSubmit(title=title, style=types.ActionStyle.POSITIVE, data={"command": command})


def personal_start_card(title: str, why: str, command: str, *, fallback: str) -> Card:
    """Sent to a personal chat when someone asks, somewhere shared, to do something that
    involves a child's details: it says why, and Start runs ``command`` there."""
    return finish(
        [heading(title), paragraph(f"{why} Press Start when you're ready.")],
        [command_button("Start", command)],
        fallback=fallback,
    )


# The verb of a button that starts a one-card form where it is (``bot.py``): its data names the
# command, as if it were typed, and the answer replaces the card with the form's first step.
START_VERB = "card.start"


def start_button(title: str, command: str) -> ActionExecute:
    """An ``Action.Execute`` that runs ``command`` (the role is checked on the server); the
    form it starts replaces the card the button is on."""
    return ActionExecute(
        title=title, verb=START_VERB, data={"command": command}, style=types.ActionStyle.POSITIVE
    )


def personal_form_start_card(title: str, why: str, command: str, *, fallback: str) -> Card:
    """Like :func:`personal_start_card`, for a one-card form: Start turns this card into the
    form's first step (one card per task)."""
    return finish(
        [heading(title), paragraph(f"{why} Press Start when you're ready.")],
        [start_button("Start", command)],
        fallback=fallback,
    )


def show_card(title: str, body: list[Any], action: ActionExecute) -> ActionShowCard:
    """A button that opens a small form (``body``) under the card, sent by ``action``."""
    return ActionShowCard(
        title=title,
        card=AdaptiveCard(version=TEAMS_CARD_VERSION, body=body, actions=[action]),
    )


def error_block(error: str | None) -> list[Any]:
    """What went wrong with the last answer, above the inputs; nothing when all is well."""
    if not error:
        return []
    return [
        Container(
            style=types.ContainerStyle.ATTENTION,
            items=[TextBlock(text=error, wrap=True, weight=types.FontWeight.BOLDER)],
        )
    ]


# -- a card dialog's buttons (dialogs/card_dialog.py) ----------------------------------------


def nav_action(title: str, token: str, step: str, nav: str, **options: Any) -> ActionSubmit:
    """An ``Action.Submit`` a card dialog reads: its token, the step drawn for, and the move."""
    return ActionSubmit(title=title, data={"token": token, "step": step, "nav": nav}, **options)


def step_nav(token: str, step: str, *, first: bool) -> list[ActionSubmit]:
    """Next, Back (not on the first step) and Cancel; Back and Cancel send no inputs."""
    actions = [nav_action("Next", token, step, "next", style=types.ActionStyle.POSITIVE)]
    if not first:
        actions.append(
            nav_action("Back", token, step, "back", associated_inputs=types.AssociatedInputs.NONE)
        )
    actions.append(
        nav_action(
            "Cancel",
            token,
            step,
            "cancel",
            style=types.ActionStyle.DESTRUCTIVE,
            associated_inputs=types.AssociatedInputs.NONE,
        )
    )
    return actions


# -- deadlines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockLine:
    title: str
    due: str
    state: str  # "3 working days left", "Met on …", "Overdue by 2 working days"
    alarming: bool = False


def clock_rows(clocks: Sequence[ClockLine]) -> list[Any]:
    """One row a deadline: what, when, and how it stands (in red when it is alarming)."""
    rows: list[Any] = []
    for line in clocks:
        rows.append(
            ColumnSet(
                columns=[
                    Column(width="stretch", items=[TextBlock(text=line.title, wrap=True)]),
                    Column(width="auto", items=[TextBlock(text=line.due, wrap=True)]),
                    Column(
                        width="auto",
                        items=[
                            TextBlock(
                                text=line.state,
                                wrap=True,
                                color=types.Colors.ATTENTION if line.alarming else None,
                                weight=types.FontWeight.BOLDER if line.alarming else None,
                            )
                        ],
                    ),
                ]
            )
        )
    return rows


# -- universal card dialogs (dialogs/card_dialog.py, ``universal = True``) ---------------------

# The verb of every step button of a universal card dialog (dialogs.card_dialog.STEP_VERB).
STEP_VERB = "card.step"


def step_action(
    title: str, dialog: str, token: str, step: str, nav: str, **options: Any
) -> ActionExecute:
    """An ``Action.Execute`` a universal card dialog reads: which dialog, its token, the step
    the card was drawn for and the move. The answer replaces the card in place."""
    data: dict[str, Any] = {"dialog": dialog, "token": token, "step": step, "nav": nav}
    extra = options.pop("data", None)
    if extra:
        data.update(extra)
    return ActionExecute(title=title, verb=STEP_VERB, data=data, **options)


def step_buttons(
    dialog: str, token: str, step: str, *, first: bool, data: dict[str, Any] | None = None
) -> list[ActionExecute]:
    """Next, Back (not on the first step) and Cancel; Back and Cancel send no inputs.
    ``data`` is added to every button's data (e.g. the case the form is about)."""
    extra = dict(data or {})
    actions = [
        step_action(
            "Next", dialog, token, step, "next", data=extra, style=types.ActionStyle.POSITIVE
        )
    ]
    if not first:
        actions.append(
            step_action(
                "Back",
                dialog,
                token,
                step,
                "back",
                data=extra,
                associated_inputs=types.AssociatedInputs.NONE,
            )
        )
    actions.append(
        step_action(
            "Cancel",
            dialog,
            token,
            step,
            "cancel",
            data=extra,
            style=types.ActionStyle.DESTRUCTIVE,
            associated_inputs=types.AssociatedInputs.NONE,
        )
    )
    return actions


def notice_block(notice: str) -> Container:
    """A short receipt or explanation above a card's inputs (not an error)."""
    return Container(
        style=types.ContainerStyle.ACCENT,
        items=[TextBlock(text=notice, wrap=True, size=types.FontSize.SMALL)],
    )


def with_notice(card: Card, notice: str) -> Card:
    """``card`` with ``notice`` under its heading."""
    block = notice_block(notice).model_dump(mode="json", by_alias=True, exclude_none=True)
    body = list(card.get("body") or [])
    body.insert(1 if body else 0, block)
    return {**card, "body": body}


def receipt_card(
    title: str,
    lines: Sequence[str],
    pairs: Sequence[tuple[str, str]] = (),
    *,
    fallback: str,
) -> Card:
    """A finished or superseded form: what happened, by whom, when - and no live buttons."""
    body: list[Any] = [heading(title)]
    if pairs:
        body.append(facts(pairs))
    body += [paragraph(line) for line in lines]
    return finish(body, fallback=fallback)
