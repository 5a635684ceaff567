"""Cards for action plans: the plan, the lists of actions, follow-ups and the Board report.

What goes where (domain.md, "Information governance"):

* ``plan_card``, ``actions_card`` and ``follow_up_card`` carry the actions' descriptions and
  evidence, so they go to personal chat only;
* ``agency_line_card`` may be posted in an agency's channel: the case reference, the
  action's number and its due date - nothing else;
* ``board_report_card`` holds signed links, for the person who asked, in personal chat.

Every button is an ``Action.Execute``. Input ids are unique on a card, so an action's form
inputs carry its number (``evidence_2``); the payloads read them back by that number. An
action's buttons carry the action's revision as the card showed it, so a press on an older
card is refused rather than applied to a state the person never saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from adaptive_cards import types
from adaptive_cards.card import (
    ActionOpenUrl,
    ActionSet,
    ActionShowCard,
    Container,
    InputChoice,
    InputChoiceSet,
    InputDate,
    InputText,
    InputToggle,
    TextBlock,
)

from cards.base import Card, execute, facts, finish, heading, paragraph, show_card, subheading
from safeguarding.action_plans import MAX_DESCRIPTION_CHARS, MAX_TEXT_CHARS

VERB_OPEN: Final = "action_plan.open"
VERB_ADD: Final = "action_plan.add"
VERB_STATUS: Final = "action_plan.status"
VERB_EVIDENCE: Final = "action_plan.evidence"
VERB_CLOSE_ACTION: Final = "action_plan.close_action"
VERB_OWNER: Final = "action_plan.owner"
VERB_SIGN_OFF: Final = "action_plan.sign_off"
VERB_CLOSE_PLAN: Final = "action_plan.close"

PERSONAL_ONLY: Final = (
    "For the people working on the plan, in personal chat. Don't copy it into a channel."
)


@dataclass(frozen=True)
class ActionLine:
    number: int
    description: str
    agency: str
    owner: str
    due: str  # "Friday 18 December 2026"
    status: str  # its label
    revision: int
    overdue: bool = False
    national: bool = False
    evidence: str | None = None
    closed_reason: str | None = None
    is_open: bool = True
    can_update: bool = False  # the owner, or the plan's managers
    can_close: bool = False  # the plan's managers


@dataclass(frozen=True)
class PlanView:
    reference: str
    stage: str
    owner: str  # who oversees it
    owner_value: str  # "csprg" / "splig"
    owner_choices: Sequence[tuple[str, str]]  # (label, value)
    signed_off: str | None  # "Signed off at the Board on …, recorded by …"
    closed: str | None  # "Closed on … by …"
    actions: Sequence[ActionLine]
    can_manage: bool = False
    can_sign_off: bool = False
    notice: str | None = None  # the receipt of what was just done


@dataclass(frozen=True)
class ListedAction:
    reference: str
    number: int
    description: str
    agency: str
    owner: str
    due: str
    status: str
    overdue: bool


@dataclass(frozen=True)
class ActionsView:
    title: str
    empty: str
    actions: Sequence[ListedAction]
    other_views: Sequence[str] = field(default_factory=tuple)  # "actions agency", ...


@dataclass(frozen=True)
class FollowUpView:
    reference: str
    number: int
    headline: str  # "Action due in 5 working days", "Action due today", "Action overdue"
    description: str
    agency: str
    due: str
    status: str
    late_note: str | None = None


@dataclass(frozen=True)
class BoardLinksView:
    markdown_url: str
    html_url: str
    csv_url: str
    expires: str
    open_cases: int
    overdue_clocks: int
    open_actions: int


# -- the plan ------------------------------------------------------------------------------


def plan_card(view: PlanView) -> Card:
    body: list[Any] = [
        heading(f"Action plan: {view.reference}"),
        paragraph(PERSONAL_ONLY, subtle=True, small=True),
    ]
    if view.notice:
        body.append(TextBlock(text=view.notice, wrap=True, color=types.Colors.GOOD))
    summary = [("Stage", view.stage), ("Oversight", view.owner)]
    summary.append(("Board sign-off", view.signed_off or "Not yet signed off"))
    if view.closed:
        summary.append(("Plan", view.closed))
    body.append(facts(summary))
    if not view.actions:
        body.append(paragraph("No actions have been added yet."))
    for line in view.actions:
        body.append(_action_block(view.reference, line))
    actions: list[Any] = []
    if view.can_manage and view.closed is None:
        actions.append(_add_form(view.reference))
        actions.append(_owner_form(view))
        actions.append(execute("Close the plan", VERB_CLOSE_PLAN, {"reference": view.reference}))
    if view.can_sign_off and view.closed is None:
        actions.append(
            show_card(
                "Record Board sign-off",
                [
                    InputDate(
                        id="board_on",
                        label="Date of the Children's MARS Board",
                        is_required=True,
                        error_message="Please give the date of the Board.",
                    )
                ],
                execute("Record sign-off", VERB_SIGN_OFF, {"reference": view.reference}),
            )
        )
    return finish(body, actions, fallback=f"Action plan for {view.reference}")


def _action_block(reference: str, line: ActionLine) -> Container:
    source = " · from the national review" if line.national else ""
    status = f"**{line.status}**" + (" · **overdue**" if line.overdue else "")
    items: list[Any] = [
        subheading(f"Action {line.number}{source}"),
        paragraph(line.description),
        facts(
            [
                ("Agency", line.agency),
                ("Owner", line.owner),
                ("Due", line.due),
                ("Status", status),
            ]
        ),
    ]
    if line.evidence:
        items.append(paragraph(f"**Evidence:** {line.evidence}", small=True))
    if line.closed_reason:
        items.append(paragraph(f"**Closed because:** {line.closed_reason}", small=True))
    data = {"reference": reference, "number": line.number, "revision": line.revision}
    buttons: list[Any] = []
    if line.is_open and line.can_update:
        buttons.append(
            show_card(
                "Update status",
                [
                    InputChoiceSet(
                        id=f"status_{line.number}",
                        label="Status",
                        choices=[
                            InputChoice(title="Open", value="open"),
                            InputChoice(title="In progress", value="in_progress"),
                            InputChoice(title="Done", value="done"),
                        ],
                        value="in_progress",
                        is_required=True,
                    ),
                    InputText(
                        id=f"done_evidence_{line.number}",
                        label="Evidence of completion (required to mark it done)",
                        is_multiline=True,
                        max_length=MAX_TEXT_CHARS,
                    ),
                ],
                execute("Save", VERB_STATUS, data),
            )
        )
        buttons.append(
            show_card(
                "Record evidence",
                [
                    InputText(
                        id=f"evidence_{line.number}",
                        label="Evidence of completion",
                        is_multiline=True,
                        max_length=MAX_TEXT_CHARS,
                        is_required=True,
                        error_message="Please give the evidence.",
                    )
                ],
                execute("Record", VERB_EVIDENCE, data),
            )
        )
    if line.is_open and line.can_close:
        buttons.append(
            show_card(
                "Close with reason",
                [
                    InputText(
                        id=f"reason_{line.number}",
                        label="Why is it closed without being done?",
                        is_multiline=True,
                        max_length=MAX_TEXT_CHARS,
                        is_required=True,
                        error_message="Please give the reason.",
                    )
                ],
                execute("Close action", VERB_CLOSE_ACTION, data),
            )
        )
    if buttons:
        items.append(ActionSet(actions=buttons))
    return Container(separator=True, items=items)


def _add_form(reference: str) -> ActionShowCard:
    return show_card(
        "Add an action",
        [
            InputText(
                id="description",
                label="What is to be done",
                is_multiline=True,
                max_length=MAX_DESCRIPTION_CHARS,
                is_required=True,
                error_message="Please say what is to be done.",
            ),
            InputText(
                id="owner_email",
                label="Owner's email (someone in the partnership's directory)",
                is_required=True,
                error_message="Please give the owner's email.",
            ),
            InputText(
                id="agency",
                label="Owning agency (blank: the owner's agency)",
                max_length=256,
            ),
            InputDate(
                id="due_on",
                label="Due by",
                is_required=True,
                error_message="Please give the due date.",
            ),
            InputToggle(
                id="national",
                title="From the national review's findings",
                value="false",
                value_on="true",
                value_off="false",
                wrap=True,
            ),
        ],
        execute("Add action", VERB_ADD, {"reference": reference}),
    )


def _owner_form(view: PlanView) -> ActionShowCard:
    return show_card(
        "Oversight",
        [
            InputChoiceSet(
                id="oversight",
                label="Who oversees the action plan",
                style=types.ChoiceInputStyle.EXPANDED,
                choices=[
                    InputChoice(title=label, value=value) for label, value in view.owner_choices
                ],
                value=view.owner_value,
                is_required=True,
            )
        ],
        execute("Save", VERB_OWNER, {"reference": view.reference}),
    )


# -- lists ---------------------------------------------------------------------------------


def actions_card(view: ActionsView) -> Card:
    body: list[Any] = [heading(view.title), paragraph(PERSONAL_ONLY, subtle=True, small=True)]
    if not view.actions:
        body.append(paragraph(view.empty))
    for item in view.actions:
        due = f"Due {item.due}" + (" · **overdue**" if item.overdue else "")
        body.append(
            Container(
                separator=True,
                items=[
                    subheading(f"{item.reference} · action {item.number}"),
                    paragraph(item.description),
                    paragraph(f"{item.agency} · {item.owner} · {item.status} · {due}", small=True),
                    ActionSet(
                        actions=[execute("Open the plan", VERB_OPEN, {"reference": item.reference})]
                    ),
                ],
            )
        )
    if view.other_views:
        body.append(
            paragraph("Also: " + ", ".join(f"**{v}**" for v in view.other_views), small=True)
        )
    return finish(body, fallback=view.title)


# -- follow-ups ----------------------------------------------------------------------------


def follow_up_card(view: FollowUpView) -> Card:
    body: list[Any] = [
        heading(f"{view.headline}: {view.reference} action {view.number}"),
    ]
    if view.late_note:
        body.append(paragraph(view.late_note, subtle=True, small=True))
    body += [
        paragraph(view.description),
        facts([("Agency", view.agency), ("Due", view.due), ("Status", view.status)]),
        paragraph(
            "Open the plan to update the status or record the evidence of completion.",
            small=True,
        ),
    ]
    actions = [execute("Open the plan", VERB_OPEN, {"reference": view.reference})]
    return finish(body, actions, fallback=follow_up_summary(view))


def follow_up_summary(view: FollowUpView) -> str:
    return f"{view.headline}: {view.reference} action {view.number}, due {view.due}"


def agency_line(reference: str, number: int, due: str) -> str:
    """The only words an agency's channel sees: reference, action number, due date."""
    return f"{reference} · action {number} · due {due}"


def agency_line_card(reference: str, number: int, due: str) -> Card:
    return finish(
        [TextBlock(text=agency_line(reference, number, due), wrap=True)],
        fallback=agency_line(reference, number, due),
    )


# -- the Board report ----------------------------------------------------------------------


def board_report_card(view: BoardLinksView) -> Card:
    body: list[Any] = [
        heading("Board report"),
        paragraph(
            "Every case's reference, stage, clocks (met, missed, running, overdue) and open "
            "actions - no child's details.",
        ),
        facts(
            [
                ("Open cases", str(view.open_cases)),
                ("Overdue clocks", str(view.overdue_clocks)),
                ("Open actions", str(view.open_actions)),
            ]
        ),
        paragraph(
            f"The links work for you only, until {view.expires}. Don't forward them.",
            subtle=True,
            small=True,
        ),
    ]
    actions = [
        ActionOpenUrl(title="Printable (HTML)", url=view.html_url),
        ActionOpenUrl(title="Markdown", url=view.markdown_url),
        ActionOpenUrl(title="Spreadsheet (CSV)", url=view.csv_url),
    ]
    return finish(body, actions, fallback="Board report")
