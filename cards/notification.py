"""Cards of the notification journey: one small step at a time, a review, a confirmation.

Steps use ``Action.Submit`` so the answer arrives as a message that the active dialog reads;
every submit carries the dialog's ``token`` and the ``step`` it belongs to, which is how a
stale card (an earlier step, an abandoned notification) is recognised. The client-side
validation attributes only help the person; the dialog validates everything again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from adaptive_cards import types
from adaptive_cards.card import (
    ActionSet,
    ActionSubmit,
    InputChoice,
    InputChoiceSet,
    InputDate,
    InputNumber,
    InputText,
    InputToggle,
)

from cards.base import (
    Card,
    error_block,
    facts,
    finish,
    heading,
    nav_action,
    paragraph,
    step_nav,
    subheading,
)
from safeguarding.notification import (
    CARE_LEAVER_MAX_AGE,
    CARE_LEAVER_MIN_AGE,
    LABELS,
    MAX_SHORT_TEXT_CHARS,
    MAX_SUMMARY_CHARS,
    SERIOUS_HARM_GUIDANCE,
    AbuseOrNeglect,
    AgeBand,
    HarmType,
    LearningReason,
    Outcome,
    ParallelProcess,
)

STEP_TITLES: Final[Mapping[str, str]] = {
    "reporter": "About you",
    "dates": "Dates",
    "harm": "What happened",
    "child": "The child",
    "context": "Other areas and processes",
    "identifiers": "Identifiers and summary",
}
STEPS: Final[tuple[str, ...]] = tuple(STEP_TITLES)


@dataclass(frozen=True)
class StepView:
    step: str
    token: str
    draft: Mapping[str, str]  # what the person entered so far, as the card sends it back
    agencies: Sequence[str]
    names_allowed: bool
    today: str  # ISO date, the latest date a date input accepts
    error: str | None = None


@dataclass(frozen=True)
class ReviewView:
    token: str
    sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]  # (step, [(label, value)])
    route_label: str
    route_reasons: Sequence[str]
    panel_due: str | None
    error: str | None = None


@dataclass(frozen=True)
class ConfirmationView:
    reference: str
    route_label: str
    route_reasons: Sequence[str]
    next_steps: Sequence[str]
    deadlines: Sequence[tuple[str, str]] = field(default_factory=tuple)
    contact: str = ""


def _choices(options: Sequence[Any]) -> list[InputChoice]:
    return [InputChoice(title=LABELS.get(o, str(o)), value=str(o)) for o in options]


def _choice(
    input_id: str,
    label: str,
    options: Sequence[Any],
    draft: Mapping[str, str],
    *,
    multi: bool = False,
    expanded: bool = True,
    required: bool = True,
) -> InputChoiceSet:
    return InputChoiceSet(
        id=input_id,
        label=label,
        choices=_choices(options),
        is_multi_select=multi or None,
        style=types.ChoiceInputStyle.EXPANDED if expanded else types.ChoiceInputStyle.COMPACT,
        value=draft.get(input_id) or None,
        is_required=required or None,
        error_message=f"Please answer: {label.lower()}" if required else None,
    )


def _toggle(input_id: str, title: str, draft: Mapping[str, str]) -> InputToggle:
    return InputToggle(
        id=input_id,
        title=title,
        value=draft.get(input_id, "false"),
        value_on="true",
        value_off="false",
        wrap=True,
    )


def _date(input_id: str, label: str, view: StepView, default: str | None = None) -> InputDate:
    return InputDate(
        id=input_id,
        label=label,
        value=view.draft.get(input_id) or default,
        max=view.today,
        is_required=True,
        error_message="Choose a date that is not in the future.",
    )


def _step_inputs(view: StepView) -> list[Any]:
    d = view.draft
    if view.step == "reporter":
        return [
            _choice("agency", "Your agency", view.agencies, d, expanded=False),
            InputText(
                id="role",
                label="Your role",
                placeholder="e.g. Health visitor, Detective Constable, school DSL",
                value=d.get("role") or None,
                max_length=MAX_SHORT_TEXT_CHARS,
                is_required=True,
                error_message="Please give your role.",
            ),
            _toggle(
                "lead_consulted", "I have discussed this with my agency's safeguarding lead", d
            ),
            paragraph(
                "Discuss the case with your safeguarding lead where you can - but never let that "
                "delay this notification.",
                subtle=True,
                small=True,
            ),
        ]
    if view.step == "dates":
        return [
            _date("incident_on", "Date of the incident", view),
            _date("aware_on", "Date the partners became aware", view, default=view.today),
            paragraph(
                "The date of awareness starts the statutory clocks (the Panel must be notified "
                "within 5 working days).",
                subtle=True,
                small=True,
            ),
        ]
    if view.step == "harm":
        return [
            _choice("outcome", "What happened to the child?", list(Outcome), d),
            paragraph(SERIOUS_HARM_GUIDANCE, subtle=True, small=True),
            _choice("abuse", "Is abuse or neglect known or suspected?", list(AbuseOrNeglect), d),
            _choice(
                "harm_types",
                "Nature of the harm (choose all that apply)",
                list(HarmType),
                d,
                multi=True,
                required=False,
            ),
            _choice(
                "learning",
                "Does it show any of these? (for a Local Learning Review)",
                list(LearningReason),
                d,
            ),
        ]
    if view.step == "child":
        return [
            _choice("age_band", "Child's age", list(AgeBand), d, expanded=False),
            _toggle("looked_after", "Looked after by a local authority", d),
            _toggle("cp_plan", "On, or recently removed from, a child protection plan", d),
            _toggle("eotas", "Educated otherwise than at school", d),
            _toggle("child_perpetrator", "A child is the alleged perpetrator", d),
            _toggle("care_leaver", "A care leaver", d),
            InputNumber(
                id="care_leaver_age",
                label="Care leaver's age (if a care leaver: 16 to 24)",
                min=CARE_LEAVER_MIN_AGE,
                max=CARE_LEAVER_MAX_AGE,
                value=int(d["care_leaver_age"]) if d.get("care_leaver_age") else None,
            ),
        ]
    if view.step == "context":
        return [
            subheading("Other areas involved"),
            _toggle("other_councils", "Another local authority", d),
            _toggle("other_police", "Another police area", d),
            _toggle("other_health", "Another health board / ICB", d),
            _toggle(
                "outside_england",
                "The child normally lives in this area and was harmed outside England",
                d,
            ),
            _choice(
                "parallel",
                "Parallel processes (choose all that apply)",
                list(ParallelProcess),
                d,
                multi=True,
                required=False,
            ),
        ]
    if view.step == "identifiers":
        inputs: list[Any] = [
            paragraph(
                "These are the only sensitive fields. They are encrypted, shown only in personal "
                "chats to people whose role needs them, and never posted in a channel.",
                subtle=True,
                small=True,
            ),
            InputText(
                id="initials",
                label="Child's initials (optional)",
                value=d.get("initials") or None,
                max_length=3,
                regex="^[A-Za-z]{0,3}$",
                error_message="One to three letters.",
            ),
        ]
        if view.names_allowed:
            inputs.append(
                InputText(
                    id="full_name",
                    label="Child's full name (optional)",
                    value=d.get("full_name") or None,
                    max_length=MAX_SHORT_TEXT_CHARS,
                )
            )
        inputs.append(
            InputText(
                id="summary",
                label="Short factual summary",
                value=d.get("summary") or None,
                is_multiline=True,
                max_length=MAX_SUMMARY_CHARS,
                placeholder="What happened, when, and who is involved - facts only.",
            )
        )
        return inputs
    raise ValueError(f"unknown step {view.step!r}")


def step_card(view: StepView) -> Card:
    number = STEPS.index(view.step) + 1
    body = [
        heading("Notify a serious incident"),
        paragraph(f"Step {number} of {len(STEPS)}: {STEP_TITLES[view.step]}", subtle=True),
        *error_block(view.error),
        *_step_inputs(view),
    ]
    return finish(
        body,
        step_nav(view.token, view.step, first=number == 1),
        fallback=f"Notification step {number} of {len(STEPS)}",
    )


def review_card(view: ReviewView) -> Card:
    body: list[Any] = [
        heading("Check and send"),
        paragraph("Check your answers. Use Edit to change a section, then Send to the Hub."),
        *error_block(view.error),
    ]
    for step, pairs in view.sections:
        body.append(subheading(STEP_TITLES[step]))
        body.append(facts(pairs))
        body.append(_edit_button(view.token, step))
    body += [
        subheading("What the definition suggests"),
        paragraph(f"**{view.route_label}**"),
        *(paragraph(reason, small=True) for reason in view.route_reasons),
    ]
    if view.panel_due:
        body.append(paragraph(f"Panel notification due: **{view.panel_due}**"))
    return finish(
        body,
        [
            nav_action(
                "Send to the Hub", view.token, "review", "submit", style=types.ActionStyle.POSITIVE
            ),
            nav_action(
                "Cancel", view.token, "review", "cancel", style=types.ActionStyle.DESTRUCTIVE
            ),
        ],
        fallback="Check your notification and send it to the Hub",
    )


def _edit_button(token: str, step: str) -> ActionSet:
    return ActionSet(
        actions=[
            ActionSubmit(
                title=f"Edit {STEP_TITLES[step].lower()}",
                data={"token": token, "step": "review", "nav": "edit", "section": step},
            )
        ]
    )


def confirmation_card(view: ConfirmationView) -> Card:
    body: list[Any] = [
        heading(f"Notification received: {view.reference}"),
        paragraph(f"**{view.route_label}**"),
        *(paragraph(reason, small=True) for reason in view.route_reasons),
    ]
    if view.deadlines:
        body += [subheading("Deadlines"), facts(view.deadlines)]
    body += [subheading("What happens next"), *(paragraph(f"- {s}") for s in view.next_steps)]
    if view.contact:
        body.append(paragraph(view.contact, subtle=True, small=True))
    return finish(body, fallback=f"Notification {view.reference} received")
