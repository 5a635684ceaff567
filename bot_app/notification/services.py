"""Sending a notification: the case is created once, however often Send is pressed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot_app.cases.messages import HubCards
from bot_app.core.people import actor_of
from safeguarding.case import Case
from safeguarding.errors import ConcurrencyConflict
from safeguarding.notification import Notification, Route, SensitiveDetails, decide_route
from safeguarding.roles import Person
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class SendNotification:
    notifier: Person
    token: str  # the dialog's: a second Send with the same token creates nothing
    notification: Notification
    details: SensitiveDetails


@dataclass(frozen=True)
class CaseOpened:
    case: Case
    route: Route
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class AlreadySent:
    reference: str
    sent_at: datetime


async def send_notification(
    command: SendNotification,
    uow: UnitOfWork,
    *,
    now: datetime,
    today: date,
    reference_prefix: str,
    hub_cards: HubCards,
) -> CaseOpened | AlreadySent:
    """Open the case with its advised route, keep the details encrypted, queue the Hub card.

    The dialog token is claimed with the case: Teams redelivers activities and people
    double-press, and a token already claimed answers with the first case's reference.
    """
    n, notifier = command.notification, command.notifier
    existing = await uow.submissions.sent_as(command.token)
    if existing is not None:
        return AlreadySent(*existing)
    decision = decide_route(n)
    actor = actor_of(notifier)
    reference = await uow.cases.next_reference(reference_prefix, today.year)
    facts = {
        **n.facts(),
        "route": decision.route.value,
        "notifier_object_id": notifier.object_id,
        "notifier_name": notifier.name,
    }
    case = Case.open(
        reference=reference,
        aware_on=n.aware_on,
        incident_on=n.incident_on,
        actor=actor,
        at=now,
        facts=facts,
        today=today,
    )
    case.record(
        "notification.route_advised",
        actor=actor,
        at=now,
        what=f"Route advised on submission: {decision.route.label}.",
        data={"route": decision.route.value, "reasons": list(decision.reasons)},
    )
    if not n.lead_consulted:
        case.record(
            "notification.lead_not_consulted",
            actor=actor,
            at=now,
            what="Notified before the agency's safeguarding lead was consulted.",
        )
    await uow.cases.add(case)
    if not await uow.submissions.claim(command.token, str(reference), now):
        # A concurrent Send claimed the token first. Starting again from scratch rolls back
        # this case and its reference (no gap in the numbering) and finds the first one.
        raise ConcurrencyConflict("This notification is being sent already.")
    details = command.details
    await uow.details.put(
        str(reference),
        {"initials": details.initials, "full_name": details.full_name, "summary": details.summary},
        at=now,
    )
    await hub_cards.post_hub_card(uow, case, actor=actor, today=today, now=now)
    await uow.cases.save(case)
    return CaseOpened(case=case, route=decision.route, reasons=tuple(decision.reasons))


async def sent_as(token: str, uow: UnitOfWork) -> AlreadySent | None:
    """What a notification form's token became, if it was sent: its case and when."""
    existing = await uow.submissions.sent_as(token)
    return AlreadySent(*existing) if existing is not None else None
