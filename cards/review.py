"""Cards for the review after the decision: the review card, its channel notice and the
partners' monitoring prompt.

* ``review_card`` goes to a personal chat only: milestones with their owners, the family's
  involvement, parallel processes with their contacts, the publication plan, and a form for
  each step (``Action.Execute``). Every button carries the review's version, so a press on a
  card drawn before the last change is refused rather than applied to a review the person
  never saw.
* ``review_notice_card`` and ``monitoring_card`` may be posted in a channel: the case
  reference, the stage and the review's deadline - never a name, a family's views or a
  contact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from adaptive_cards import types
from adaptive_cards.card import (
    ActionExecute,
    ActionSet,
    Container,
    InputChoice,
    InputChoiceSet,
    InputDate,
    InputText,
    InputToggle,
    TextBlock,
)

from cards.base import Card, execute, facts, finish, heading, paragraph, show_card, subheading

VERB_OPEN: Final = "review.open"  # a notice's "Open in personal chat"
VERB_PLAN: Final = "review.plan_milestone"
VERB_DONE: Final = "review.milestone_done"
VERB_FAMILY: Final = "review.family"
VERB_LEAD: Final = "review.lead"
VERB_COMPLETE: Final = "review.complete"
VERB_PLAN_PUBLICATION: Final = "review.plan_publication"
VERB_COPY: Final = "review.copy"
VERB_CHECKLIST: Final = "review.checklist"
VERB_PUBLISH: Final = "review.publish"
VERB_DEFER: Final = "review.defer"
VERB_PROCESS: Final = "review.process"
VERB_JOINT: Final = "review.joint"
VERB_RESPOND: Final = "review.respond"

MAX_TEXT_CHARS: Final = 500


@dataclass(frozen=True)
class MilestoneRow:
    key: str
    label: str
    owner: str
    target: str
    done: str
    behind: bool = False
    can_plan: bool = False
    can_mark: bool = False


@dataclass(frozen=True)
class ReviewCardView:
    reference: str
    stage: str
    kind: str
    started: str
    due: str
    due_state: str
    version: int
    today: str  # ISO: the latest date a step may be recorded as done
    milestones: Sequence[MilestoneRow] = ()
    lead: str | None = None
    joint: str | None = None
    family: Sequence[tuple[str, str]] | None = None  # recorded: personal chat only
    publication: Sequence[tuple[str, str]] = ()
    warning: str | None = None  # the 7-working-day rule is broken (or would be)
    confirm_publish_on: str | None = None  # ISO: "Record this date anyway" carries it
    processes: Sequence[tuple[str, str]] = ()
    responses: Sequence[str] = ()
    notice: str | None = None  # the receipt of the last action
    people: Sequence[tuple[str, str]] = ()  # (object id, name): owners to choose from
    process_kinds: Sequence[tuple[str, str]] = ()
    process_statuses: Sequence[tuple[str, str]] = ()
    recorded_processes: Sequence[tuple[str, str]] = ()  # (kind, label) already recorded
    joint_choices: Sequence[tuple[str, str]] = ()
    copy_recipients: Sequence[tuple[str, str]] = ()  # still to record
    can_manage: bool = False
    can_family: bool = False
    can_complete_national: bool = False
    can_plan_publication: bool = False
    can_checklist: bool = False
    can_publish: bool = False
    can_defer: bool = False
    can_respond: bool = False
    notes: Sequence[str] = field(default_factory=tuple)


def review_summary(view: ReviewCardView) -> str:
    return f"Review of case {view.reference}: {view.stage}, due {view.due}"


def review_card(view: ReviewCardView) -> Card:
    """The review card, for a personal chat only."""
    data: dict[str, Any] = {"reference": view.reference, "version": view.version}
    body: list[Any] = [heading(f"Review: case {view.reference}")]
    if view.notice:
        body.append(TextBlock(text=view.notice, wrap=True, color=types.Colors.GOOD))
    if view.warning:
        body.append(
            Container(
                style=types.ContainerStyle.ATTENTION,
                items=[TextBlock(text=view.warning, wrap=True, weight=types.FontWeight.BOLDER)],
            )
        )
        if view.confirm_publish_on and view.can_plan_publication:
            body.append(
                ActionSet(
                    actions=[
                        execute(
                            "Record this date anyway",
                            VERB_PLAN_PUBLICATION,
                            {**data, "publish_on": view.confirm_publish_on, "confirm": "true"},
                        )
                    ]
                )
            )
    overview = [
        ("Review", view.kind),
        ("Stage", view.stage),
        ("Started", view.started),
        ("Due", f"{view.due} ({view.due_state})"),
    ]
    if view.lead:
        overview.append(("Lead", view.lead))
    if view.joint:
        overview.append(("Joint review", view.joint))
    body.append(facts(overview))
    body += [paragraph(note, small=True, subtle=True) for note in view.notes]
    if view.can_manage:
        body.append(ActionSet(actions=[_lead_form(view, data)]))
    if view.milestones:
        body.append(subheading("Milestones"))
    for row in view.milestones:
        body.append(_milestone_block(view, row, data))
    if view.family is not None:
        body.append(subheading("The family (confidential)"))
        body.append(facts(view.family))
    body += _publication_section(view, data)
    body += _process_section(view, data)
    if view.responses or view.can_respond:
        body.append(subheading("The partners' response to the national findings"))
        body += [paragraph(line, small=True) for line in view.responses]
        if view.can_respond:
            body.append(ActionSet(actions=[_respond_form(view, data)]))
    return finish(body, fallback=review_summary(view))


def _milestone_block(view: ReviewCardView, row: MilestoneRow, data: dict[str, Any]) -> Container:
    items: list[Any] = [
        TextBlock(
            text=row.label,
            wrap=True,
            weight=types.FontWeight.BOLDER,
            color=types.Colors.ATTENTION if row.behind else None,
        ),
        facts([("Owner", row.owner), ("Target", row.target), ("Done", row.done)]),
    ]
    actions: list[Any] = []
    key = row.key
    if row.can_plan:
        actions.append(
            show_card(
                "Owner and target",
                [
                    InputChoiceSet(
                        id=f"owner_{key}",
                        label="Owner (from the directory)",
                        choices=[InputChoice(title=name, value=oid) for oid, name in view.people],
                        is_required=True,
                        error_message="Choose the owner.",
                    ),
                    InputDate(
                        id=f"target_on_{key}",
                        label="Target date",
                        is_required=True,
                        error_message="Choose the target date.",
                    ),
                ],
                ActionExecute(title="Save", verb=VERB_PLAN, data={**data, "milestone": key}),
            )
        )
    if row.can_mark and key == "family":
        actions.append(_family_form(view, data))
    elif row.can_mark:
        actions.append(
            show_card(
                "Mark done",
                [
                    InputDate(
                        id=f"done_on_{key}",
                        label="Date it was done",
                        value=view.today,
                        max=view.today,
                        is_required=True,
                        error_message="Choose the date it was done.",
                    )
                ],
                ActionExecute(title="Record", verb=VERB_DONE, data={**data, "milestone": key}),
            )
        )
    if actions:
        items.append(ActionSet(actions=actions))
    return Container(items=items, separator=True)


def _toggle(input_id: str, title: str) -> InputToggle:
    return InputToggle(
        id=input_id, title=title, value="false", value_on="true", value_off="false", wrap=True
    )


def _text_input(input_id: str, label: str, *, multiline: bool = True) -> InputText:
    return InputText(
        id=input_id,
        label=label,
        is_multiline=multiline or None,
        max_length=MAX_TEXT_CHARS,
        is_required=True,
        error_message="This is required.",
    )


def _family_form(view: ReviewCardView, data: dict[str, Any]) -> Any:
    return show_card(
        "Record the family's involvement",
        [
            _toggle("invited", "The family were invited to contribute"),
            InputDate(id="invited_on", label="Date they were invited", max=view.today),
            _toggle("children_invited", "Surviving children were invited too"),
            _text_input("how", "How their views were included (or why they were not invited)"),
        ],
        ActionExecute(title="Record", verb=VERB_FAMILY, data=data),
    )


def _lead_form(view: ReviewCardView, data: dict[str, Any]) -> Any:
    return show_card(
        "Set the review's lead",
        [
            InputChoiceSet(
                id="owner",
                label="Lead (from the directory)",
                choices=[InputChoice(title=name, value=oid) for oid, name in view.people],
                is_required=True,
                error_message="Choose the lead.",
            )
        ],
        ActionExecute(title="Save", verb=VERB_LEAD, data=data),
    )


def _date_input(
    input_id: str, label: str, *, value: str | None = None, max_day: str | None = None
) -> InputDate:
    return InputDate(
        id=input_id,
        label=label,
        value=value,
        max=max_day,
        is_required=True,
        error_message="Choose a date.",
    )


def _choices(input_id: str, label: str, options: Sequence[tuple[str, str]]) -> InputChoiceSet:
    return InputChoiceSet(
        id=input_id,
        label=label,
        choices=[InputChoice(title=title, value=value) for value, title in options],
        is_required=True,
        error_message="Choose one.",
    )


def _publication_section(view: ReviewCardView, data: dict[str, Any]) -> list[Any]:
    body: list[Any] = []
    actions: list[Any] = []
    if view.can_complete_national:
        actions.append(
            show_card(
                "Record: national review complete",
                [
                    _date_input(
                        "completed_on", "Date completed", value=view.today, max_day=view.today
                    )
                ],
                ActionExecute(title="Record", verb=VERB_COMPLETE, data=data),
            )
        )
    if view.can_plan_publication:
        actions.append(
            show_card(
                "Plan the publication date",
                [
                    paragraph(
                        "The final report must reach the Panel, the Secretary of State and "
                        "Ofsted at least 7 working days before publication.",
                        small=True,
                        subtle=True,
                    ),
                    _date_input("publish_on", "Publication date"),
                ],
                ActionExecute(title="Check and record", verb=VERB_PLAN_PUBLICATION, data=data),
            )
        )
    if view.copy_recipients:
        actions.append(
            show_card(
                "Record the final report sent",
                [
                    _choices("recipient", "Sent to", view.copy_recipients),
                    _date_input("sent_on", "Date sent", value=view.today, max_day=view.today),
                ],
                ActionExecute(title="Record", verb=VERB_COPY, data=data),
            )
        )
    if view.can_checklist:
        actions.append(
            show_card(
                "Confirm the report's content",
                [
                    _toggle(
                        "improvements",
                        "The final report contains a summary of the recommended improvements",
                    ),
                    _toggle(
                        "systemic",
                        "It contains an analysis of the systemic or underlying reasons",
                    ),
                ],
                ActionExecute(title="Confirm", verb=VERB_CHECKLIST, data=data),
            )
        )
    if view.can_defer:
        actions.append(
            show_card(
                "Defer publication",
                [
                    _choices("defer_process", "Because of", view.recorded_processes),
                    _date_input("defer_publish_on", "New publication date"),
                    _date_input("defer_review_on", "Review the deferral on"),
                    _text_input("defer_reason", "Reason"),
                ],
                ActionExecute(title="Defer", verb=VERB_DEFER, data=data),
            )
        )
    if view.can_publish:
        actions.append(
            show_card(
                "Record publication",
                [
                    _date_input(
                        "published_on", "Date published", value=view.today, max_day=view.today
                    )
                ],
                ActionExecute(title="Record", verb=VERB_PUBLISH, data=data),
            )
        )
    if view.publication or actions:
        body.append(subheading("Publication"))
        if view.publication:
            body.append(facts(view.publication))
        if actions:
            body.append(ActionSet(actions=actions))
    return body


def _process_section(view: ReviewCardView, data: dict[str, Any]) -> list[Any]:
    if not (view.processes or view.can_manage):
        return []
    body: list[Any] = [subheading("Parallel processes")]
    if view.processes:
        body.append(facts(view.processes))
    else:
        body.append(paragraph("None recorded.", small=True, subtle=True))
    if not view.can_manage:
        return body
    actions: list[Any] = [
        show_card(
            "Record a process",
            [
                _choices("process", "Process", view.process_kinds),
                InputText(
                    id="lead_agency",
                    label="Lead agency",
                    max_length=120,
                    is_required=True,
                    error_message="Give the lead agency.",
                ),
                InputText(id="contact", label="Contact (name or role)", max_length=120),
                _choices("status", "Status", view.process_statuses),
            ],
            ActionExecute(title="Record", verb=VERB_PROCESS, data=data),
        )
    ]
    if view.joint_choices:
        actions.append(
            show_card(
                "Hold the review jointly",
                [
                    paragraph(
                        "One review, one timetable: the review keeps its own deadline.",
                        small=True,
                        subtle=True,
                    ),
                    _choices("joint_process", "Jointly with", view.joint_choices),
                ],
                ActionExecute(title="Record", verb=VERB_JOINT, data=data),
            )
        )
    body.append(ActionSet(actions=actions))
    return body


def _respond_form(view: ReviewCardView, data: dict[str, Any]) -> Any:
    return show_card(
        "Record the partners' response",
        [
            _date_input(
                "responded_on", "Date of the response", value=view.today, max_day=view.today
            ),
            _text_input("summary", "The response, in brief"),
        ],
        ActionExecute(title="Record", verb=VERB_RESPOND, data=data),
    )


# -- channel posts: reference, stage and deadline only ------------------------------------------


@dataclass(frozen=True)
class ReviewNoticeView:
    reference: str
    stage: str
    due: str
    headline: str = ""
    prompts: Sequence[str] = ()


def review_notice_card(view: ReviewNoticeView) -> Card:
    """Safe for a channel: the reference, the stage and the deadline, and a way to the detail."""
    body: list[Any] = [heading(view.headline or f"Review: case {view.reference}")]
    body.append(facts([("Case", view.reference), ("Stage", view.stage), ("Due", view.due)]))
    body += [paragraph(line) for line in view.prompts]
    return finish(
        body,
        [execute("Open in personal chat", VERB_OPEN, {"reference": view.reference})],
        fallback=f"Review of case {view.reference}: {view.stage}, due {view.due}",
    )
