"""Cards of the rapid review: starting it, the agencies' requests and reports, the Hub's tracker,
the partners' decision and the document links.

The tracker, the request and the partners' card may be posted in channels, so they carry only
the case reference, agencies, stages, dates and names of professionals - never a report's text
or a rationale. The report cards are shown only in the agency lead's personal chat.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from adaptive_cards import types
from adaptive_cards.card import (
    ActionExecute,
    ActionOpenUrl,
    InputChoice,
    InputChoiceSet,
    InputDate,
    InputText,
    InputToggle,
)

from cards.base import (
    Card,
    ClockLine,
    clock_rows,
    error_block,
    execute,
    facts,
    finish,
    heading,
    paragraph,
    receipt_card,
    show_card,
    start_button,
    step_action,
    step_buttons,
    subheading,
)
from safeguarding.rapid_review import MAX_REASON_CHARS, PanelDecision

VERB_START = "rapid_review.start"
VERB_CANCEL = "rapid_review.cancel"
VERB_OPEN_VOTE = "rapid_review.open_vote"
VERB_CLOSE_VOTE = "rapid_review.close_vote"
VERB_CHASE_VOTE = "rapid_review.chase_vote"
VERB_SENT = "rapid_review.sent"
VERB_PANEL_DECIDED = "rapid_review.panel_decided"
VERB_DOCUMENT = "rapid_review.document"
VERB_CONFIRM = "partners.confirm"
VERB_CHALLENGE = "partners.challenge"

MAX_REPORT_CHARS: Final = 4000


# -- starting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartView:
    reference: str
    agencies: Sequence[str]
    preselected: Sequence[str]
    due: str  # when the reports will be due if asked today
    error: str | None = None


def start_card(view: StartView) -> Card:
    data = {"reference": view.reference}
    body: list[Any] = [
        heading(f"Start the rapid review: case {view.reference}"),
        paragraph(
            "Choose the agencies involved. Each agency's safeguarding lead gets a request with "
            f"the case reference and the due date only: **{view.due}**."
        ),
        *error_block(view.error),
        InputChoiceSet(
            id="agencies",
            label="Agencies to ask for a report",
            choices=[InputChoice(title=a, value=a) for a in view.agencies],
            is_multi_select=True,
            style=types.ChoiceInputStyle.EXPANDED,
            value=",".join(view.preselected) or None,
            is_required=True,
            error_message="Choose at least one agency.",
        ),
    ]
    return finish(
        body,
        [
            ActionExecute(
                title="Ask for reports",
                verb=VERB_START,
                data=data,
                style=types.ActionStyle.POSITIVE,
            ),
            ActionExecute(
                title="Cancel",
                verb=VERB_CANCEL,
                data=data,
                associated_inputs=types.AssociatedInputs.NONE,
            ),
        ],
        fallback=f"Start the rapid review of case {view.reference}",
    )


@dataclass(frozen=True)
class RequestView:
    reference: str
    agency: str
    due: str


def request_card(view: RequestView) -> Card:
    """The request to an agency: reference, agency and due date - nothing about the child."""
    return finish(
        [
            heading(f"Rapid review report requested: case {view.reference}"),
            facts([("Agency", view.agency), ("Due", view.due)]),
            paragraph(
                "Please send your agency's report - the facts of your involvement, immediate "
                "safety actions taken or needed, potential learning and staff welfare - or a nil "
                "return with the reason. I'll guide you in our personal chat; the Hub can share "
                "the case details with you there."
            ),
        ],
        [start_button("Write the report", f"report {view.reference}")],
        fallback=f"Rapid review report requested for case {view.reference}, due {view.due}",
    )


@dataclass(frozen=True)
class NoLeadView:
    reference: str
    agency: str
    due: str


def no_lead_card(view: NoLeadView) -> Card:
    """To the Hub, when an agency asked for a report has no lead and no channel of its own:
    the request could not be delivered. Reference, agency and due date only."""
    return finish(
        [
            heading(f"Report request not delivered: case {view.reference}"),
            facts([("Agency", view.agency), ("Report due", view.due)]),
            paragraph(
                f"{view.agency} has no safeguarding lead in the directory and no channel of its "
                "own, so I could not ask it for its report."
            ),
            paragraph(
                "Add a lead with **grant <email> agency_lead <reason>**: they can then type "
                f"**report {view.reference}** in their personal chat with me. Or forward the "
                "request to the agency yourselves.",
                small=True,
            ),
        ],
        fallback=f"Report request for case {view.reference} not delivered to {view.agency}",
    )


# -- the Hub's tracker -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyLine:
    agency: str
    due: str
    state: str  # "Submitted Tue 1 Dec", "Nil return, late", "2 working days left"
    alarming: bool = False


@dataclass(frozen=True)
class TrackerView:
    reference: str
    stage: str
    clocks: Sequence[ClockLine]  # the 15-day clock (and the Panel's answer, once sent)
    agencies: Sequence[AgencyLine]
    vote: str  # "Not open yet", "Open until …: 2 of 3 voted", "Closed: …"
    partners: str
    panel: str
    today: str  # ISO, the latest date a date input accepts
    can_open_vote: bool = False
    can_close_vote: bool = False
    can_record_sent: bool = False
    can_record_decision: bool = False
    note: str | None = None
    can_chase: bool = False  # some members have not voted
    close_refers: bool = False  # too few votes to decide: closing refers it to the partners


def tracker_card(view: TrackerView) -> Card:
    data = {"reference": view.reference}
    body: list[Any] = [
        heading(f"Rapid review: case {view.reference}"),
        facts([("Stage", view.stage)]),
        *clock_rows(view.clocks),
        subheading("Agency reports"),
        *clock_rows([ClockLine(a.agency, a.due, a.state, a.alarming) for a in view.agencies]),
        subheading("Decision"),
        facts(
            [
                ("CSPR Group vote", view.vote),
                ("Partners", view.partners),
                ("Panel", view.panel),
            ]
        ),
    ]
    if view.note:
        body.append(paragraph(view.note, subtle=True, small=True))
    actions: list[Any] = []
    if view.can_open_vote:
        actions.append(execute("Open the CSPR Group vote", VERB_OPEN_VOTE, data))
    if view.can_chase:
        actions.append(execute("Chase members who haven't voted", VERB_CHASE_VOTE, data))
    if view.can_close_vote:
        actions.append(_close_vote(data, refer=view.close_refers))
    if view.can_record_sent:
        actions.append(
            show_card(
                "Record: sent to the Panel",
                [_date("sent_on", "Date the rapid review was sent to the Panel", view.today)],
                ActionExecute(title="Record", verb=VERB_SENT, data=data),
            )
        )
    if view.can_record_decision:
        actions.append(
            show_card(
                "Record the Panel's decision",
                [
                    InputChoiceSet(
                        id="decision",
                        label="The Panel's decision",
                        choices=[InputChoice(title=d.label, value=d.value) for d in PanelDecision],
                        style=types.ChoiceInputStyle.EXPANDED,
                        is_required=True,
                        error_message="Choose the Panel's decision.",
                    ),
                    _date("decided_on", "Date of the Panel's decision", view.today),
                    InputText(
                        id="note",
                        label="Note (required for 'Other')",
                        is_multiline=True,
                        max_length=MAX_REASON_CHARS,
                    ),
                ],
                ActionExecute(title="Record", verb=VERB_PANEL_DECIDED, data=data),
            )
        )
    actions.append(execute("Rapid review document (personal chat)", VERB_DOCUMENT, data))
    return finish(body, actions, fallback=f"Rapid review of case {view.reference}: {view.stage}")


def _close_vote(data: dict[str, Any], *, refer: bool) -> Any:
    """Closing the vote asks for the reason (the trail's why); below the quorum it refers."""
    title = "Close and refer to the partners" if refer else "Close the vote"
    label = (
        "Why close the vote now, without enough votes to decide? It goes to the partners as a "
        "difference of opinion."
        if refer
        else "Why close the vote now?"
    )
    return show_card(
        title,
        [
            InputText(
                id="reason",
                label=label,
                is_multiline=True,
                max_length=MAX_REASON_CHARS,
                is_required=True,
                error_message="A reason is required.",
            )
        ],
        ActionExecute(
            title=title, verb=VERB_CLOSE_VOTE, data={**data, "refer": "yes" if refer else ""}
        ),
    )


# -- the partners ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnersView:
    reference: str
    round: int
    recommendation: str
    basis: str  # "2 of 3 for …"
    votes: Sequence[tuple[str, str]]  # member, their choice (no rationale: this may be posted)
    confirmed_by: Sequence[str]
    required: int
    decided: str | None = None  # once confirmed or challenged


def partners_card(view: PartnersView) -> Card:
    data = {"reference": view.reference, "round": view.round}
    body: list[Any] = [
        heading(f"Partners' decision: case {view.reference}"),
        paragraph(f"The CSPR Group recommends: **{view.recommendation}** ({view.basis})."),
        facts(list(view.votes)),
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
        body.append(
            paragraph(
                "The members' rationales are in the rapid review document the Hub holds.",
                subtle=True,
                small=True,
            )
        )
        actions = [
            ActionExecute(
                title="Confirm", verb=VERB_CONFIRM, data=data, style=types.ActionStyle.POSITIVE
            ),
            show_card(
                "Challenge",
                [
                    InputText(
                        id="reason",
                        label="Why you challenge the recommendation",
                        is_multiline=True,
                        max_length=MAX_REASON_CHARS,
                        is_required=True,
                        error_message="A reason is required.",
                    ),
                    InputChoiceSet(
                        id="outcome",
                        label="What should happen",
                        choices=[
                            InputChoice(title="Return it to the CSPR Group", value="return"),
                            InputChoice(title="Raise a difference of opinion", value="dispute"),
                        ],
                        style=types.ChoiceInputStyle.EXPANDED,
                        value="return",
                        is_required=True,
                    ),
                ],
                ActionExecute(title="Send the challenge", verb=VERB_CHALLENGE, data=data),
            ),
        ]
    return finish(body, actions, fallback=f"Partners' decision on case {view.reference}")


def referral_card(reference: str, what: str) -> Card:
    """To the Hub: a difference of opinion, with no reason text (it may describe the case)."""
    return finish(
        [
            heading(f"Difference of opinion: case {reference}"),
            paragraph(what),
            paragraph(
                "Recorded in the case's trail. A difference of opinion never pauses a statutory "
                "clock.",
                subtle=True,
                small=True,
            ),
        ],
        fallback=f"Difference of opinion on case {reference}",
    )


# -- the agency report (personal chat only) ----------------------------------------------------

REPORT_STEPS: Final[Mapping[str, str]] = {
    "involvement": "Your agency's involvement",
    "actions": "Immediate safety actions",
    "learning": "Learning and staff welfare",
}
# The report is ONE card, updated in place: its buttons are the card dialog's Action.Execute
# (dialogs/agency_report.py), each naming the case so a press after the report was sent is
# answered with that report's receipt.
REPORT_DIALOG: Final = "agency_report"


@dataclass(frozen=True)
class ReportStepView:
    reference: str
    agency: str
    due: str
    step: str
    token: str
    draft: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None
    replacing: bool = False


def report_step_card(view: ReportStepView) -> Card:
    steps = list(REPORT_STEPS)
    number = steps.index(view.step) + 1
    d = view.draft
    body: list[Any] = [
        heading(f"Rapid review report: case {view.reference}"),
        paragraph(
            f"{view.agency} · due {view.due} · step {number} of {len(steps)}: "
            f"{REPORT_STEPS[view.step]}",
            subtle=True,
        ),
    ]
    if view.replacing and number == 1:
        body.append(paragraph("Sending this replaces your agency's earlier report.", small=True))
    body += error_block(view.error)
    if view.step == "involvement":
        body += [
            InputToggle(
                id="nil_return",
                title="Nil return: my agency had no involvement",
                value=d.get("nil_return", "false"),
                value_on="true",
                value_off="false",
                wrap=True,
            ),
            _text("nil_reason", "Reason for the nil return", d),
            _text("facts", "The facts of your agency's involvement", d),
        ]
    elif view.step == "actions":
        body.append(_text("actions", "Immediate safety actions taken or needed", d))
    else:
        body += [
            _text("learning", "Potential learning", d),
            InputToggle(
                id="welfare_considered",
                title="Staff welfare has been considered",
                value=d.get("welfare_considered", "false"),
                value_on="true",
                value_off="false",
                wrap=True,
            ),
            _text("welfare", "Staff welfare: what is in place (optional)", d),
        ]
    body.append(
        paragraph(
            "Your report is encrypted and shown only to the Hub; it is never posted in a channel.",
            subtle=True,
            small=True,
        )
    )
    buttons = step_buttons(
        REPORT_DIALOG, view.token, view.step, first=number == 1, data={"reference": view.reference}
    )
    return finish(
        body,
        buttons,
        fallback=f"Rapid review report for case {view.reference}, step {number}",
    )


@dataclass(frozen=True)
class ReportReviewView:
    reference: str
    agency: str
    due: str
    token: str
    pairs: Sequence[tuple[str, str]]
    late: bool
    error: str | None = None


def report_review_card(view: ReportReviewView) -> Card:
    body: list[Any] = [
        heading(f"Check and send: case {view.reference}"),
        paragraph(f"{view.agency} · due {view.due}", subtle=True),
        *error_block(view.error),
        facts(list(view.pairs)),
    ]
    if view.late:
        body.append(
            paragraph(
                "The due date has passed: the report is still accepted, and recorded as late.",
                small=True,
            )
        )
    data = {"reference": view.reference}
    return finish(
        body,
        [
            step_action(
                "Send to the Hub",
                REPORT_DIALOG,
                view.token,
                "review",
                "submit",
                data=data,
                style=types.ActionStyle.POSITIVE,
            ),
            step_action(
                "Back",
                REPORT_DIALOG,
                view.token,
                "review",
                "back",
                data=data,
                associated_inputs=types.AssociatedInputs.NONE,
            ),
            step_action(
                "Cancel",
                REPORT_DIALOG,
                view.token,
                "review",
                "cancel",
                data=data,
                style=types.ActionStyle.DESTRUCTIVE,
                associated_inputs=types.AssociatedInputs.NONE,
            ),
        ],
        fallback=f"Check your report for case {view.reference}",
    )


@dataclass(frozen=True)
class ReportReceiptView:
    reference: str
    agency: str
    sent_by: str
    sent: str  # "at 09:41" or "at 09:41 on Wednesday 25 November 2026"
    nil_return: bool
    version: int
    late: bool
    headline: str  # what happened with this press
    note: str = ""


def report_receipt_card(view: ReportReceiptView) -> Card:
    """The report card once sent, or pressed again after: what went to the Hub, by whom, when
    - and no live buttons."""
    pairs = [
        ("Case", view.reference),
        ("Agency", view.agency),
        ("Sent by", view.sent_by),
        ("Sent", view.sent[3:] if view.sent.startswith("at ") else view.sent),
        ("Report", ("Nil return" if view.nil_return else "Report") + f", version {view.version}"),
    ]
    if view.late:
        pairs.append(("Late", "Yes - recorded as late"))
    lines = [view.headline]
    if view.note:
        lines.append(view.note)
    lines.append(f"Type **report {view.reference}** to send a replacement if something changes.")
    return receipt_card(
        f"Report sent to the Hub: case {view.reference}",
        lines,
        pairs,
        fallback=f"Your report for case {view.reference} was sent to the Hub",
    )


def report_cancelled_card(reference: str, when: str) -> Card:
    return receipt_card(
        f"Report cancelled: case {reference}",
        [
            f"Cancelled {when}. Nothing was sent to the Hub.",
            f"Type **report {reference}** to start again.",
        ],
        fallback=f"Report for case {reference} cancelled",
    )


def report_superseded_card(reference: str, when: str) -> Card:
    """The report card once a newer report form was started: nothing sent, no live buttons."""
    return receipt_card(
        f"Report form replaced: case {reference}",
        [f"Replaced by a newer form {when} - nothing was sent from this one."],
        fallback=f"Report form for case {reference} replaced by a newer one",
    )


def report_closed_card(reference: str) -> Card:
    """A press on a report form that was cancelled or replaced by a newer form, unsent."""
    return receipt_card(
        f"This report form is closed: case {reference}",
        [
            "Nothing from this form was sent. If you opened a newer report form, carry on "
            f"with that card; otherwise type **report {reference}** to start again.",
        ],
        fallback=f"Report form for case {reference} closed",
    )


# -- the document ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentLinksView:
    reference: str
    html_url: str
    markdown_url: str
    expires: str


def document_card(view: DocumentLinksView) -> Card:
    return finish(
        [
            heading(f"Rapid review document: case {view.reference}"),
            paragraph(
                "The rapid review for the Panel: the case facts, each agency's summary, "
                "immediate actions and learning, the CSPR Group's vote with each member's "
                "rationale, and the partners' decision. No identifiers beyond those configured."
            ),
            paragraph(
                f"These links are for you only and work until {view.expires}. Every download is "
                "recorded in the case's access log.",
                subtle=True,
                small=True,
            ),
        ],
        [
            ActionOpenUrl(title="Open printable version", url=view.html_url),
            ActionOpenUrl(title="Download Markdown", url=view.markdown_url),
        ],
        fallback=f"Rapid review document links for {view.reference}.",
    )


# -- pieces ------------------------------------------------------------------------------------


def _text(input_id: str, label: str, draft: Mapping[str, str]) -> InputText:
    return InputText(
        id=input_id,
        label=label,
        is_multiline=True,
        max_length=MAX_REPORT_CHARS,
        value=draft.get(input_id) or None,
    )


def _date(input_id: str, label: str, today: str) -> InputDate:
    return InputDate(
        id=input_id,
        label=label,
        value=today,
        max=today,
        is_required=True,
        error_message="Choose a date that is not in the future.",
    )
