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
    InputDate,
    InputText,
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
)
from cards.dispute import VERB_START as VERB_DISAGREE

VERB_DETAILS = "case.details"
VERB_PANEL_NOTIFIED = "case.panel_notified"
VERB_NOT_MET = "case.not_met"
VERB_START_RAPID_REVIEW = "rapid_review.choose"  # handled by the rapid review feature
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
                    InputText(
                        id="notified_time",
                        label="Time (optional, e.g. 14:30)",
                        max_length=5,
                        regex=r"^([01]?\d|2[0-3]):[0-5]\d$|^$",
                        error_message="Use the 24-hour clock, e.g. 14:30.",
                    ),
                ],
                ActionExecute(title="Record", verb=VERB_PANEL_NOTIFIED, data=data),
            )
        )
    if view.can_start_rapid_review:
        actions.append(execute("Start rapid review", VERB_START_RAPID_REVIEW, data))
    if view.can_close_not_met:
        actions.append(
            show_card(
                "Criteria not met",
                [
                    InputText(
                        id="reason",
                        label="Why the criteria are not met",
                        is_multiline=True,
                        max_length=MAX_REASON_CHARS,
                        is_required=True,
                        error_message="A reason is required.",
                    )
                ],
                ActionExecute(title="Close the case", verb=VERB_NOT_MET, data=data),
            )
        )
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
    body.append(paragraph(view.summary or "No summary was given."))
    return finish(body, fallback=f"Case {view.reference}: details")
