"""The Hub's corrections and the notifications beyond the Panel, one function per action.

The Hub may reclassify a case and correct what was notified (always with a reason), record
why the Panel was not notified, and record that the Secretary of State and Ofsted were told
of the death of a care leaver or a looked-after child. Each runs in the caller's unit of work
and never commits. Bad input on a case - no reason, awareness after today, a notification
recorded twice - is refused with the reason and the attempt kept in the trail
(:func:`bot_app.cases.services.refuse`); nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from bot_app.cases.messages import HubCards
from bot_app.cases.services import Refused, refuse
from bot_app.cases.views import CaseViews
from bot_app.core.people import actor_of
from bot_app.core.posting import post_to_person
from cards.base import Card
from cards.case import correction_card
from safeguarding import panel
from safeguarding import rapid_review as rr
from safeguarding.case import Case
from safeguarding.clocks import ClockId
from safeguarding.corrections import ChildCorrection, Correction, correct_case
from safeguarding.errors import DomainError, InvalidInput
from safeguarding.notification import AbuseOrNeglect, AgeBand, HarmType, Outcome, Route
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.uow import UnitOfWork

CORRECTED = "Saved. The change and your reason are on the case record."
NOTHING_TO_CORRECT = "Nothing was different from the case as it stands, so nothing was changed."


# -- the correction form -------------------------------------------------------------------


@dataclass(frozen=True)
class OpenCorrection:
    actor: Person
    reference: CaseReference
    in_personal_chat: bool
    activity_id: str


@dataclass(frozen=True)
class CorrectionOpened:
    card: Card
    sent_privately: bool


async def open_correction(
    command: OpenCorrection, uow: UnitOfWork, *, today: date, now: datetime, views: CaseViews
) -> CorrectionOpened:
    """The correction form shows the child's circumstances: a personal chat only."""
    case = await uow.cases.get(command.reference)
    if not case.is_open:
        raise InvalidInput(f"Case {case.reference} is closed, so it can't be corrected.")
    card = correction_card(views.correction_view(case, today))
    if command.in_personal_chat:
        return CorrectionOpened(card, sent_privately=False)
    await post_to_person(
        uow,
        command.actor.object_id,
        card,
        f"correction:{case.reference}:{command.actor.object_id}:{command.activity_id}",
        str(case.reference),
        now=now,
    )
    return CorrectionOpened(card, sent_privately=True)


@dataclass(frozen=True)
class CorrectCase:
    """The form's answers as they arrived; empty leaves a fact as it is."""

    actor: Person
    reference: CaseReference
    reason: str
    route: str = ""
    aware_on: date | None = None
    incident_on: date | None = None
    outcome: str = ""
    abuse: str = ""
    harm_types: str | None = None  # None: not on the form; "": none ticked
    age_band: str = ""
    looked_after: str = ""
    cp_plan: str = ""
    eotas: str = ""
    child_perpetrator: str = ""
    care_leaver: str = ""
    care_leaver_age: str = ""
    outside_england: str = ""


@dataclass(frozen=True)
class Corrected:
    case: Case
    card: Card  # the form again, as the case now stands, with what happened
    changed: bool


async def correct(
    command: CorrectCase,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    views: CaseViews,
    hub_cards: HubCards,
) -> Corrected | Refused:
    """Reclassify or correct the case with the Hub's reason; the clocks re-derive from it."""
    case = await uow.cases.get(command.reference)
    try:
        event = correct_case(
            case,
            _correction(command),
            reason=command.reason,
            actor=actor_of(command.actor),
            at=now,
            today=today,
        )
    except DomainError as refused:
        return await refuse(uow, case, command.actor, "correct the case", refused, now=now)
    if event is None:
        card = correction_card(views.correction_view(case, today, NOTHING_TO_CORRECT))
        return Corrected(case, card, changed=False)
    await hub_cards.refresh_hub_card(uow, case, today=today, now=now)
    card = correction_card(views.correction_view(case, today, CORRECTED))
    return Corrected(case, card, changed=True)


def _correction(c: CorrectCase) -> Correction:
    """The domain's correction from the form's strings; an unknown value is refused."""
    child = None
    if c.age_band:
        age = c.care_leaver_age.strip()
        try:
            years = int(float(age)) if age else None
        except ValueError:
            raise InvalidInput("The care leaver's age must be a number.") from None
        child = ChildCorrection(
            age_band=_one(AgeBand, c.age_band, "the child's age"),
            looked_after=flag(c.looked_after),
            child_protection_plan=flag(c.cp_plan),
            educated_otherwise=flag(c.eotas),
            child_perpetrator=flag(c.child_perpetrator),
            care_leaver=flag(c.care_leaver),
            care_leaver_age=years,
        )
    return Correction(
        route=_one(Route, c.route, "a route") if c.route else None,
        aware_on=c.aware_on,
        incident_on=c.incident_on,
        outcome=_one(Outcome, c.outcome, "what happened to the child") if c.outcome else None,
        abuse_or_neglect=_one(AbuseOrNeglect, c.abuse, "whether abuse or neglect is known")
        if c.abuse
        else None,
        harm_types=None
        if c.harm_types is None
        else frozenset(
            _one(HarmType, h.strip(), "the nature of the harm")
            for h in c.harm_types.split(",")
            if h.strip()
        ),
        child=child,
        harmed_outside_england=flag(c.outside_england) if c.outside_england else None,
    )


E = TypeVar("E", bound=StrEnum)


def flag(raw: str) -> bool:
    """A toggle's answer ("true" or "false") as a bool."""
    return raw.strip().lower() == "true"


def _one(enum: type[E], raw: str, what: str) -> E:
    try:
        return enum(raw)
    except ValueError:
        raise InvalidInput(f"Please choose {what} from the list.") from None


# -- the Panel not notified ----------------------------------------------------------------


@dataclass(frozen=True)
class RecordWhyNotNotified:
    actor: Person
    reference: CaseReference
    reason: str


async def record_why_not_notified(
    command: RecordWhyNotNotified,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    views: CaseViews,
    hub_cards: HubCards,
) -> Corrected | Refused:
    """Why the Panel was not (and will not be) notified of a case that may be serious."""
    case = await uow.cases.get(command.reference)
    try:
        panel.record_panel_not_notified(
            case,
            reason=command.reason,
            may_apply=rr.may_be_serious(case),
            actor=actor_of(command.actor),
            at=now,
        )
    except DomainError as refused:
        return await refuse(
            uow, case, command.actor, "record why the Panel was not notified", refused, now=now
        )
    await hub_cards.refresh_hub_card(uow, case, today=today, now=now)
    card = correction_card(
        views.correction_view(case, today, "Recorded: the Panel was not notified, and why.")
    )
    return Corrected(case, card, changed=True)


# -- the Secretary of State and Ofsted -----------------------------------------------------


@dataclass(frozen=True)
class RecordStatutoryNotification:
    actor: Person
    reference: CaseReference
    notice: str  # a ClockId value, as the card's button carries it
    notified_on: date | None


async def record_statutory_notification(
    command: RecordStatutoryNotification,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    views: CaseViews,
    hub_cards: HubCards,
) -> Case | Refused:
    """The Secretary of State and Ofsted were told of the death (date and by whom), once."""
    if command.notified_on is None:
        raise InvalidInput("Please choose the date they were notified with the date picker.")
    case = await uow.cases.get(command.reference)
    try:
        notice = ClockId(command.notice)
        panel.record_statutory_notification(
            case,
            notice,
            notified_on=command.notified_on,
            due=views.due(notice, case.aware_on),
            actor=actor_of(command.actor),
            at=now,
            today=today,
        )
    except ValueError:
        raise InvalidInput("That button doesn't name a notification I know.") from None
    except DomainError as refused:
        return await refuse(
            uow,
            case,
            command.actor,
            "record the notification to the Secretary of State and Ofsted",
            refused,
            now=now,
        )
    await hub_cards.refresh_hub_card(uow, case, today=today, now=now)
    return case
