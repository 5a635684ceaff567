"""Cards about a case: the Hub's channel card, status, lists of cases and deadlines, details.

Everything except ``details_card`` may be posted in a channel, so those builders take only
what a channel may show: reference, route, stage, agency and dates. The details card is
only ever sent in a personal chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import (
    ActionExecute,
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
    ClockLine,
    clock_rows,
    execute,
    facts,
    finish,
    heading,
    paragraph,
    show_card,
    subheading,
)
from cards.dispute import VERB_START as VERB_DISAGREE

VERB_DETAILS = "case.details"
VERB_PANEL_NOTIFIED = "case.panel_notified"
VERB_NOT_MET = "case.not_met"
VERB_START_RAPID_REVIEW = "rapid_review.choose"  # handled by the rapid review feature
VERB_OPEN_CORRECTION = "case.correction"  # the correction form, in a personal chat
VERB_CORRECT = "case.correct"
VERB_PANEL_NOT_NOTIFIED = "case.panel_not_notified"
VERB_STATUTORY_NOTIFIED = "case.statutory_notified"
VERB_CLOSURE_CONFIRM = "closure.confirm"
VERB_CLOSURE_CHALLENGE = "closure.challenge"
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class CaseCardView:
    reference: str
    route: str
    stage: str
    agency: str
    clocks: Sequence[ClockLine]
    today: str  # ISO, the latest date the Panel notification may be recorded as
    can_record_panel: bool = False
    can_close_not_met: bool = False
    can_start_rapid_review: bool = False
    note: str | None = None  # e.g. "Panel notified on … by … (late)"
    # "1 open difference of opinion (stage 2, target …)": reference-level facts only.
    disputes: str | None = None
    can_disagree: bool = False  # shows "Disagree", which starts the raise dialog privately
    # More lines of the record: a correction that moved the deadlines, a pending proposal.
    notes: Sequence[str] = ()
    can_correct: bool = False  # "Correct or reclassify", in a personal chat
    # The notifications to the Secretary of State and Ofsted still to record: (id, title).
    statutory: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class StatusView:
    reference: str
    route: str
    stage: str
    agency: str
    opened: str
    clocks: Sequence[ClockLine]
    next_step: str
    details: Sequence[tuple[str, str]] | None = None  # only for roles that may see them
    # The review after the decision: kind, milestones, publication, parallel processes -
    # no names, contacts or family's views (``status`` may be asked in a channel).
    review: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class CaseListItem:
    reference: str
    stage: str
    route: str
    next_due: str


@dataclass(frozen=True)
class DeadlineItem:
    reference: str
    clock: str
    due: str
    state: str
    alarming: bool


@dataclass(frozen=True)
class DetailsView:
    reference: str
    pairs: Sequence[tuple[str, str]]
    summary: str
    facts: Sequence[tuple[str, str]] = field(default_factory=tuple)


def hub_card(view: CaseCardView) -> Card:
    """The Hub channel's card: reference, route, stage, agency, deadlines - nothing else."""
    body: list[Any] = [
        heading(f"Case {view.reference}"),
        facts([("Route", view.route), ("Stage", view.stage), ("Notifying agency", view.agency)]),
        *clock_rows(view.clocks),
    ]
    if view.note:
        body.append(paragraph(view.note, subtle=True, small=True))
    body += [paragraph(note, small=True) for note in view.notes]
    if view.disputes:
        body.append(paragraph(view.disputes, small=True))
    data = {"reference": view.reference}
    actions: list[Any] = [execute("Open details (personal chat)", VERB_DETAILS, data)]
    if view.can_record_panel:
        actions.append(
            show_card(
                "Record Panel notification",
                [
                    InputDate(
                        id="notified_on",
                        label="Date the Panel was notified",
                        value=view.today,
                        max=view.today,
                        is_required=True,
                        error_message="Choose the date the Panel was notified.",
                    ),
                    # Read on the server (safeguarding/times.py): 9.40am, 9:40, 21:40, 9pm.
                    InputText(
                        id="notified_time",
                        label="Time (optional, e.g. 9.40am or 14:30)",
                        max_length=20,
                    ),
                ],
                ActionExecute(title="Record", verb=VERB_PANEL_NOTIFIED, data=data),
            )
        )
    for notice, title in view.statutory:
        actions.append(
            show_card(
                "Record: Secretary of State and Ofsted notified",
                [
                    paragraph(title, small=True),
                    InputDate(
                        id="notified_on",
                        label="Date they were notified",
                        value=view.today,
                        max=view.today,
                        is_required=True,
                        error_message="Choose the date they were notified.",
                    ),
                ],
                ActionExecute(
                    title="Record", verb=VERB_STATUTORY_NOTIFIED, data={**data, "notice": notice}
                ),
            )
        )
    if view.can_start_rapid_review:
        actions.append(execute("Start rapid review", VERB_START_RAPID_REVIEW, data))
    if view.can_close_not_met:
        actions.append(
            show_card(
                "Criteria not met",
                [
                    paragraph(
                        "The partners' representatives decide: your proposal goes to them to "
                        "confirm or challenge.",
                        subtle=True,
                        small=True,
                    ),
                    _reason_input("Why the criteria are not met"),
                ],
                ActionExecute(title="Propose closing the case", verb=VERB_NOT_MET, data=data),
            )
        )
    if view.can_correct:
        actions.append(execute("Correct or reclassify (personal chat)", VERB_OPEN_CORRECTION, data))
    if view.can_disagree:
        actions.append(execute("Disagree (personal chat)", VERB_DISAGREE, data))
    return finish(body, actions, fallback=f"Case {view.reference}: {view.stage}")


def status_card(view: StatusView) -> Card:
    body: list[Any] = [
        heading(f"Case {view.reference}"),
        facts(
            [
                ("Route", view.route),
                ("Stage", view.stage),
                ("Notifying agency", view.agency),
                ("Opened", view.opened),
            ]
        ),
        *clock_rows(view.clocks),
        paragraph(f"**Next step:** {view.next_step}"),
    ]
    if view.review:
        body += [subheading("Review"), facts(view.review)]
    if view.details is not None:
        body.append(
            Container(
                style=types.ContainerStyle.EMPHASIS,
                items=[
                    TextBlock(text="Details (confidential)", weight=types.FontWeight.BOLDER),
                    facts(view.details),
                ],
            )
        )
    return finish(body, fallback=f"Case {view.reference}: {view.stage}")


def cases_card(items: Sequence[CaseListItem], *, scope: str) -> Card:
    body: list[Any] = [heading("Open cases"), paragraph(scope, subtle=True, small=True)]
    if not items:
        body.append(paragraph("There are no open cases you can see."))
    for item in items:
        body.append(
            Container(
                separator=True,
                items=[
                    TextBlock(text=f"**{item.reference}** · {item.stage}", wrap=True),
                    paragraph(f"{item.route} · next due: {item.next_due}", small=True),
                ],
            )
        )
    return finish(body, fallback="Open cases")


def deadlines_card(items: Sequence[DeadlineItem], *, horizon: str) -> Card:
    body: list[Any] = [heading("Deadlines"), paragraph(horizon, subtle=True, small=True)]
    if not items:
        body.append(paragraph("Nothing is due in that period."))
    body += clock_rows(
        [
            ClockLine(
                title=f"{i.reference} · {i.clock}", due=i.due, state=i.state, alarming=i.alarming
            )
            for i in items
        ]
    )
    return finish(body, fallback="Deadlines")


def details_card(view: DetailsView) -> Card:
    body: list[Any] = [
        heading(f"Case {view.reference}: details"),
        paragraph(
            "Confidential: shown to you in this personal chat only. Don't copy it into a "
            "channel. This view has been recorded in the access log.",
            subtle=True,
            small=True,
        ),
        facts(view.pairs),
    ]
    if view.facts:
        body.append(facts(view.facts))
    # The summary once, under its own heading: the pairs above carry only who the child is.
    body += [
        TextBlock(text="Summary", weight=types.FontWeight.BOLDER, wrap=True),
        paragraph(view.summary or "No summary was given."),
    ]
    return finish(body, fallback=f"Case {view.reference}: details")


def _reason_input(label: str, input_id: str = "reason") -> InputText:
    return InputText(
        id=input_id,
        label=label,
        is_multiline=True,
        max_length=MAX_REASON_CHARS,
        is_required=True,
        error_message="A reason is required.",
    )


# -- the Hub's corrections (personal chat only: the facts are about the child) ----------------


@dataclass(frozen=True)
class CorrectionView:
    """The correction form, filled in with the case as it stands."""

    reference: str
    today: str  # ISO
    current: dict[str, str]  # input id -> value as the form sends it back
    routes: Sequence[tuple[str, str]]  # (value, label)
    choices: dict[str, Sequence[tuple[str, str]]]  # input id -> (value, label)
    guidance: str  # the procedure's words on serious harm
    can_record_why_not: bool = False  # the Panel was not notified: record why
    notice: str | None = None


_TOGGLES = (
    ("looked_after", "Looked after by a local authority"),
    ("cp_plan", "On, or recently removed from, a child protection plan"),
    ("eotas", "Educated otherwise than at school"),
    ("child_perpetrator", "A child is the alleged perpetrator"),
    ("care_leaver", "A care leaver"),
    ("outside_england", "Normally lives here, and was harmed outside England"),
)


def correction_card(view: CorrectionView) -> Card:
    """Change the route or correct the notified facts, with a reason; each change is recorded
    with the earlier value, and a corrected awareness date moves every deadline."""
    c = view.current

    def choice(input_id: str, label: str, multi: bool = False) -> InputChoiceSet:
        return InputChoiceSet(
            id=input_id,
            label=label,
            choices=[InputChoice(title=t, value=v) for v, t in view.choices[input_id]],
            is_multi_select=multi or None,
            style=types.ChoiceInputStyle.COMPACT,
            value=c.get(input_id) or None,
        )

    inputs: list[Any] = [
        InputChoiceSet(
            id="route",
            label="Route",
            choices=[InputChoice(title=t, value=v) for v, t in view.routes],
            style=types.ChoiceInputStyle.COMPACT,
            value=c.get("route") or None,
        ),
        InputDate(
            id="aware_on",
            label="Date the partners became aware",
            value=c.get("aware_on"),
            max=view.today,
        ),
        InputDate(
            id="incident_on",
            label="Date of the incident",
            value=c.get("incident_on") or None,
            max=view.today,
        ),
        choice("outcome", "What happened to the child"),
        paragraph(view.guidance, subtle=True, small=True),
        choice("abuse", "Abuse or neglect"),
        choice("harm_types", "Nature of the harm", multi=True),
        choice("age_band", "Age"),
        *(
            InputToggle(
                id=key,
                title=title,
                value=c.get(key, "false"),
                value_on="true",
                value_off="false",
                wrap=True,
            )
            for key, title in _TOGGLES
        ),
        InputNumber(
            id="care_leaver_age",
            label="Care leaver's age (if a care leaver)",
            min=16,
            max=24,
            value=int(c["care_leaver_age"]) if c.get("care_leaver_age") else None,
        ),
        _reason_input("Why (required: it is kept with the change)"),
    ]
    body: list[Any] = [
        heading(f"Correct case {view.reference}"),
        paragraph(
            "Confidential: in this personal chat only. Every change is kept in the case's "
            "history with its earlier value and your reason; a corrected awareness date moves "
            "every deadline.",
            subtle=True,
            small=True,
        ),
    ]
    if view.notice:
        body.append(paragraph(f"**{view.notice}**"))
    body += inputs
    data = {"reference": view.reference}
    actions: list[Any] = [
        ActionExecute(
            title="Save the correction",
            verb=VERB_CORRECT,
            data=data,
            style=types.ActionStyle.POSITIVE,
        )
    ]
    if view.can_record_why_not:
        actions.append(
            show_card(
                "The Panel was not notified: record why",
                [_reason_input("Why the Panel was not (and will not be) notified", "why_not")],
                ActionExecute(title="Record", verb=VERB_PANEL_NOT_NOTIFIED, data=data),
            )
        )
    return finish(body, actions, fallback=f"Correct case {view.reference}")


# -- "criteria not met": the representatives' card, and the decision for the notifier ------


@dataclass(frozen=True)
class ClosureView:
    reference: str
    number: int
    proposed_by: str
    reason: str  # personal chats only: this card is never posted in a channel
    confirmed_by: Sequence[str]
    required: int
    decided: str | None = None  # once decided, challenged or overtaken


def closure_card(view: ClosureView) -> Card:
    data = {"reference": view.reference, "number": view.number}
    body: list[Any] = [
        heading(f"Criteria not met? Case {view.reference}"),
        paragraph(
            f"{view.proposed_by} (the Hub) proposes closing the case: the criteria for a review "
            "are not met. The safeguarding partners have delegated this decision to their "
            "representatives."
        ),
        facts([("The Hub's reason", view.reason)]),
        paragraph(
            f"Confirmed by {', '.join(view.confirmed_by) or 'nobody yet'} "
            f"({len(view.confirmed_by)} of {view.required} needed).",
            subtle=True,
        ),
    ]
    actions: list[Any] = []
    if view.decided:
        body.append(paragraph(f"**{view.decided}**"))
    else:
        actions = [
            ActionExecute(
                title="Confirm: criteria not met",
                verb=VERB_CLOSURE_CONFIRM,
                data=data,
                style=types.ActionStyle.POSITIVE,
            ),
            show_card(
                "Challenge",
                [_reason_input("Why the case should stay open")],
                ActionExecute(title="Send the challenge", verb=VERB_CLOSURE_CHALLENGE, data=data),
            ),
        ]
    return finish(body, actions, fallback=f"Criteria not met? Case {view.reference}")


@dataclass(frozen=True)
class DecisionView:
    reference: str
    reason: str
    decided_on: str
    can_disagree: bool  # an agency's lead may raise a difference of opinion


def decision_card(view: DecisionView) -> Card:
    """To the notifier and the notifying agency's lead, in their personal chats."""
    how = (
        "If your agency disagrees, raise a difference of opinion: if it is upheld, the case "
        "reopens."
        if view.can_disagree
        else "If you disagree, talk to your agency's safeguarding lead, who can raise a "
        "difference of opinion: if it is upheld, the case reopens."
    )
    actions: list[Any] = []
    if view.can_disagree:
        actions.append(
            execute("Disagree (personal chat)", VERB_DISAGREE, {"reference": view.reference})
        )
    return finish(
        [
            heading(f"Case {view.reference}: criteria not met"),
            paragraph(
                f"On {view.decided_on} the partners' representatives decided that the case does "
                "not meet the criteria for a review, and it is closed."
            ),
            facts([("Reason", view.reason)]),
            paragraph(how, small=True),
        ],
        actions,
        fallback=f"Case {view.reference}: criteria not met",
    )
