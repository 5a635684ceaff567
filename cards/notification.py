"""Cards of the notification journey: one small step at a time, a review, a confirmation.

ONE card for the whole notification: every button is an ``Action.Execute`` (the card
dialog's step verb), and the bot's answer replaces the card in place - the next step, the same
step with what to fix, and at the end the receipt with the case reference and no live
buttons. Every button carries the dialog's ``token`` and the ``step`` it belongs to, which is
how a stale card (an earlier step, a finished or abandoned notification) is recognised. The
client-side validation attributes only help the person; the dialog validates everything again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from adaptive_cards import types
from adaptive_cards.card import (
    ActionSet,
    Container,
    InputChoice,
    InputChoiceSet,
    InputDate,
    InputNumber,
    InputText,
    InputToggle,
    TextBlock,
)

from cards.base import (
    Card,
    error_block,
    facts,
    finish,
    heading,
    paragraph,
    receipt_card,
    step_action,
    step_buttons,
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
DIALOG: Final = "notification"  # the card dialog's id (dialogs/notification.py)


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
    warnings: Sequence[str] = ()  # e.g. what looks like a name in the summary


@dataclass(frozen=True)
class ConfirmationView:
    reference: str
    route_label: str
    route_reasons: Sequence[str]
    next_steps: Sequence[str]
    deadlines: Sequence[tuple[str, str]] = field(default_factory=tuple)
    contact: str = ""
    sent: str = ""  # "Sent to the Hub by Tom Reed at 10:00 on Thursday 26 November 2026."


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
            # No max length or pattern here: a client cuts or blocks silently, and a full
            # name typed here must be refused with the reason (the dialog checks it).
            InputText(
                id="initials",
                label="Child's initials (optional, up to 4 letters, e.g. JS)",
                value=d.get("initials") or None,
                placeholder="e.g. JS",
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
                placeholder="What happened and when - facts only. Use initials, never names.",
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
        step_buttons(DIALOG, view.token, view.step, first=number == 1),
        fallback=f"Notification step {number} of {len(STEPS)}",
    )


def review_card(view: ReviewView) -> Card:
    body: list[Any] = [
        heading("Check and send"),
        paragraph("Check your answers. Use Edit to change a section, then Send to the Hub."),
        *error_block(view.error),
        *(
            Container(
                style=types.ContainerStyle.WARNING,
                items=[TextBlock(text=warning, wrap=True)],
            )
            for warning in view.warnings
        ),
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
            step_action(
                "Send to the Hub",
                DIALOG,
                view.token,
                "review",
                "submit",
                style=types.ActionStyle.POSITIVE,
            ),
            step_action(
                "Cancel",
                DIALOG,
                view.token,
                "review",
                "cancel",
                style=types.ActionStyle.DESTRUCTIVE,
                associated_inputs=types.AssociatedInputs.NONE,
            ),
        ],
        fallback="Check your notification and send it to the Hub",
    )


def _edit_button(token: str, step: str) -> ActionSet:
    return ActionSet(
        actions=[
            step_action(
                f"Edit {STEP_TITLES[step].lower()}",
                DIALOG,
                token,
                "review",
                "edit",
                data={"section": step},
                associated_inputs=types.AssociatedInputs.NONE,
            )
        ]
    )


def confirmation_card(view: ConfirmationView) -> Card:
    body: list[Any] = [
        heading(f"Notification received: {view.reference}"),
        *([paragraph(view.sent, subtle=True)] if view.sent else []),
        paragraph(f"**{view.route_label}**"),
        *(paragraph(reason, small=True) for reason in view.route_reasons),
    ]
    if view.deadlines:
        body += [subheading("Deadlines"), facts(view.deadlines)]
    body += [subheading("What happens next"), *(paragraph(f"- {s}") for s in view.next_steps)]
    if view.contact:
        body.append(paragraph(view.contact, subtle=True, small=True))
    return finish(body, fallback=f"Notification {view.reference} received")


def already_sent_card(reference: str, sent: str) -> Card:
    """A second Send (or any button) on a notification that became a case."""
    return receipt_card(
        f"Already sent, as {reference}",
        [
            f"{sent} Nothing was sent twice.",
            f"Type **status {reference}** to see where it is.",
        ],
        fallback=f"Notification already sent as {reference}",
    )


def cancelled_card(when: str) -> Card:
    """The notification card once Cancel was pressed: nothing kept, how to start again."""
    return receipt_card(
        "Notification cancelled",
        [f"Cancelled {when}. Nothing was saved or sent.", "Type **notify** to start again."],
        fallback="Notification cancelled",
    )


def superseded_card(when: str) -> Card:
    """The notification card once a newer form was started: nothing sent, no live buttons."""
    return receipt_card(
        "Notification form replaced",
        [f"Replaced by a newer form {when} - nothing was sent from this one."],
        fallback="Notification form replaced by a newer one",
    )


def no_longer_in_use_card() -> Card:
    """A press on a notification form that was cancelled or replaced by a newer one."""
    return receipt_card(
        "This notification form is closed",
        [
            "Nothing from this form was sent. If you started a newer notification, carry on "
            "with that card; otherwise type **notify** to start again.",
        ],
        fallback="This notification form is closed",
    )
