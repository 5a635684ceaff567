"""Translating the case commands, the Hub card's buttons and the representatives' answers
on closing a case into service calls and answers.

The Hub's corrections and its notifications beyond the Panel are in
``governance_handlers.py``; both answer with the same refreshed card or refusal (below).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot_app.cases import closure, services
from bot_app.cases.messages import ClosureMessages, HubCards
from bot_app.cases.status_views import (
    DEADLINE_HORIZON_WORKING_DAYS,
    case_list,
    deadline_horizon,
    deadline_list,
    status_view,
)
from bot_app.cases.views import CaseViews, already_sent
from bot_app.core.answers import CardAnswer, Refusal, Reply, ShowCard, Toast, card, text
from bot_app.core.payloads import (
    CardPayload,
    CaseArgs,
    CaseData,
    FormText,
    NoArgs,
    PickedDate,
    WholeNumber,
)
from bot_app.core.payloads import Reference as ReferenceField
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from cards.base import Card
from cards.case import (
    VERB_CLOSURE_CHALLENGE,
    VERB_CLOSURE_CONFIRM,
    VERB_DETAILS,
    VERB_NOT_MET,
    VERB_PANEL_NOTIFIED,
    cases_card,
    deadlines_card,
    details_card,
    hub_card,
    status_card,
)
from safeguarding.case import Case
from safeguarding.clocks import format_day
from safeguarding.policy import Action, can
from storage.uow import UnitOfWork

SENT_PRIVATELY = "I've sent the details to you in a personal chat."


class PanelNotified(CardPayload):
    reference: ReferenceField
    notified_on: PickedDate = None
    notified_time: FormText = ""


class CriteriaNotMet(CardPayload):
    reference: ReferenceField
    reason: FormText = ""


class ClosureAnswer(CardPayload):
    """A representative's Confirm, or Challenge with its reason."""

    reference: ReferenceField
    number: WholeNumber
    reason: FormText = ""


class CaseHandlers:
    def __init__(
        self,
        *,
        tx: Transactions,
        views: CaseViews,
        hub_cards: HubCards,
        closure_messages: ClosureMessages,
    ) -> None:
        self._tx = tx
        self._views = views
        self._hub_cards = hub_cards
        self._closure = closure_messages

    def register(self, router: Router) -> None:
        router.add_command(
            ["status"],
            self.status,
            args=CaseArgs,
            usage="status <reference>",
            description="A case's stage, clocks and next step, e.g. status NL-2026-0001.",
            action=Action.VIEW_CASE,
        )
        router.add_command(
            ["cases"],
            self.cases,
            args=NoArgs,
            usage="cases",
            description="Open cases you can see, newest first.",
            action=Action.VIEW_CASE,
        )
        router.add_command(
            ["deadlines"],
            self.deadlines,
            args=NoArgs,
            usage="deadlines",
            description=f"Everything due in the next {DEADLINE_HORIZON_WORKING_DAYS} working "
            "days, and anything overdue.",
            action=Action.VIEW_CASE,
        )
        router.add_verb(
            VERB_DETAILS, self.details, payload=CaseData, action=Action.VIEW_CASE_DETAILS
        )
        router.add_verb(
            VERB_PANEL_NOTIFIED,
            self.panel_notified,
            payload=PanelNotified,
            action=Action.RECORD_PANEL_NOTIFICATION,
        )
        router.add_verb(
            VERB_NOT_MET,
            self.criteria_not_met,
            payload=CriteriaNotMet,
            action=Action.CLOSE_CRITERIA_NOT_MET,
        )
        router.add_verb(
            VERB_CLOSURE_CONFIRM,
            self.confirm_closure,
            payload=ClosureAnswer,
            action=Action.CONFIRM_CLOSURE,
        )
        router.add_verb(
            VERB_CLOSURE_CHALLENGE,
            self.challenge_closure,
            payload=ClosureAnswer,
            action=Action.CONFIRM_CLOSURE,
        )
        router.add_orphan_submit(self.already_submitted)

    # --- queries -----------------------------------------------------------------------

    async def status(self, turn: Turn, args: CaseArgs) -> Reply:
        command = services.ShowStatus(
            reader=turn.actor, reference=args.reference, in_personal_chat=turn.is_personal
        )
        result = await self._tx.run(lambda uow: services.show_status(command, uow, now=turn.now))
        return card(status_card(status_view(self._views, result.case, turn.today, result.details)))

    async def cases(self, turn: Turn, _args: NoArgs) -> Reply:
        visible = await self._tx.read(lambda uow: services.open_cases(turn.actor, uow))
        scope = (
            "Every open case."
            if can(turn.actor, Action.LIST_ALL_CASES)
            else "Cases you notified or your agency is involved in."
        )
        return card(cases_card(case_list(self._views, visible, turn.today), scope=scope))

    async def deadlines(self, turn: Turn, _args: NoArgs) -> Reply:
        horizon = deadline_horizon(self._views, turn.today)
        visible = await self._tx.read(lambda uow: services.open_cases(turn.actor, uow))
        return card(
            deadlines_card(
                deadline_list(self._views, visible, turn.today, horizon),
                horizon=f"Due by {format_day(horizon)} ({DEADLINE_HORIZON_WORKING_DAYS} working "
                "days), and anything overdue.",
            )
        )

    # --- the Hub card's buttons --------------------------------------------------------

    async def details(self, turn: Turn, payload: CaseData) -> CardAnswer:
        command = services.OpenDetails(
            reader=turn.actor,
            reference=payload.reference,
            in_personal_chat=turn.is_personal,
            activity_id=turn.activity_id,
        )
        result = await self._tx.run(lambda uow: services.open_details(command, uow, now=turn.now))
        if result.sent_privately:
            return Toast(SENT_PRIVATELY)
        return ShowCard(details_card(result.view))

    async def panel_notified(self, turn: Turn, payload: PanelNotified) -> CardAnswer:
        command = services.RecordPanelNotified(
            actor=turn.actor,
            reference=payload.reference,
            notified_on=payload.notified_on,
            notified_time=payload.notified_time,
        )

        async def work(uow: UnitOfWork) -> Case | services.Refused:
            return await services.record_panel_notified(
                command,
                uow,
                now=turn.now,
                today=turn.today,
                views=self._views,
                hub_cards=self._hub_cards,
            )

        return hub_card_or_refusal(await self._tx.run(work), self._views, turn.today)

    async def criteria_not_met(self, turn: Turn, payload: CriteriaNotMet) -> CardAnswer:
        """The Hub proposes; the partners' representatives decide."""
        command = closure.ProposeClosure(
            actor=turn.actor, reference=payload.reference, reason=payload.reason
        )

        async def work(uow: UnitOfWork) -> Case | services.Refused:
            return await closure.propose(
                command,
                uow,
                now=turn.now,
                today=turn.today,
                hub_cards=self._hub_cards,
                messages=self._closure,
            )

        return hub_card_or_refusal(await self._tx.run(work), self._views, turn.today)

    # --- the partners' representatives on a proposal to close -------------------------

    async def confirm_closure(self, turn: Turn, payload: ClosureAnswer) -> CardAnswer:
        return await self._answer_closure(turn, payload, challenge=False)

    async def challenge_closure(self, turn: Turn, payload: ClosureAnswer) -> CardAnswer:
        return await self._answer_closure(turn, payload, challenge=True)

    async def _answer_closure(
        self, turn: Turn, payload: ClosureAnswer, *, challenge: bool
    ) -> CardAnswer:
        command = closure.AnswerClosure(
            actor=turn.actor,
            reference=payload.reference,
            number=payload.number,
            challenge=challenge,
            reason=payload.reason,
        )
        result = await self._tx.run(
            lambda uow: closure.answer(
                command,
                uow,
                now=turn.now,
                today=turn.today,
                hub_cards=self._hub_cards,
                messages=self._closure,
            )
        )
        return card_or_refusal(result.card if isinstance(result, closure.Answered) else result)

    # --- a notification's Send pressed again -------------------------------------------

    async def already_submitted(self, turn: Turn, value: dict[str, Any]) -> Reply | None:
        """A Send from a notification that is no longer in progress: say what became of it."""
        token = value.get("token")
        if not isinstance(token, str):
            return None
        reference = await self._tx.read(lambda uow: services.notification_sent_as(token, uow))
        # Not a notification that was sent: another form's card (an agency report, say) must
        # not be told "cancelled" - the edge answers that the card is no longer active.
        return None if reference is None else text(already_sent(reference))


def hub_card_or_refusal(
    result: Case | services.Refused, views: CaseViews, today: date
) -> CardAnswer:
    """The pressed card becomes the refreshed Hub card, or says why nothing changed."""
    if isinstance(result, services.Refused):
        return Refusal(result.code, result.message)
    return ShowCard(hub_card(views.card_view(result, today)))


def card_or_refusal(result: Card | services.Refused) -> CardAnswer:
    if isinstance(result, services.Refused):
        return Refusal(result.code, result.message)
    return ShowCard(result)
