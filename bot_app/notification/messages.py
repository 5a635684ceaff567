"""Who is told what about a notification: the practitioner, privately; the Hub, by its card.

The Hub's card goes through :class:`bot_app.cases.messages.HubCards`, which every feature
uses to keep it current. The practitioner gets the Start card in their personal chat when
they ask in a shared conversation, and a confirmation with the case's deadlines once sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot_app.cases.views import CaseViews
from cards.base import Card, personal_form_start_card
from cards.notification import ConfirmationView
from safeguarding.case import Case
from safeguarding.clocks import format_day
from safeguarding.notification import Route

START_CARD_KEY = "notify-start"

_NEXT_STEPS: dict[Route, tuple[str, ...]] = {
    Route.SERIOUS: (
        "The Hub will notify the national Panel by the date below and start a rapid review.",
        "Your agency's safeguarding lead may be asked for a report within 5 working days.",
    ),
    Route.CARE_LEAVER: (
        "The Hub will notify the Secretary of State and Ofsted and decide whether a review "
        "is needed.",
    ),
    Route.LEARNING_REVIEW: (
        "The Hub will put this to the CSPR Group, who may recommend a Local Learning Review.",
    ),
    Route.OUTSIDE: ("The Hub will look at it and tell you if they see it differently.",),
}


def start_card() -> Card:
    """Sent to the personal chat of someone who typed ``notify`` in a shared conversation."""
    return personal_form_start_card(
        "Notify a serious incident",
        "You asked to notify an incident in a shared conversation. Details about a child belong "
        "here, in our personal chat.",
        "notify",
        fallback="Start a notification in this personal chat",
    )


def moved_to_personal_chat(first_name: str) -> str:
    """Said where they asked, so nobody wonders where the notification went."""
    return (
        f"{first_name or 'Thanks'}, I've sent you a personal message to start the "
        "notification there, so no details are shared here."
    )


def confirmation(
    views: CaseViews, case: Case, route: Route, reasons: Sequence[str], *, sent: str = ""
) -> ConfirmationView:
    """What the practitioner is told once the case exists: its reference, what happens
    next, and the deadlines that started the day the partners became aware."""
    clocks = views.clocks(case, case.opened_at.date())
    steps = [
        *_NEXT_STEPS[route],
        f"Type **status {case.reference}** at any time to see where it is.",
    ]
    return ConfirmationView(
        reference=str(case.reference),
        route_label=route.label,
        route_reasons=reasons,
        next_steps=steps,
        deadlines=[(c.title, format_day(c.deadline.due)) for c in clocks],
        contact=views.settings.hub_contact,
        sent=sent,
    )
