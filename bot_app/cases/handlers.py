"""Translating the case commands and the Hub card's buttons into service calls and answers."""

from __future__ import annotations

from typing import Any

from bot_app.cases import services
from bot_app.cases.messages import HubCards
from bot_app.cases.views import (
    DEADLINE_HORIZON_WORKING_DAYS,
    NOTHING_SENT,
    CaseViews,
    already_sent,
    case_list,
    deadline_horizon,
    deadline_list,
    status_view,
)
from bot_app.core.answers import CardAnswer, Reply, ShowCard, Toast, card, text
from bot_app.core.payloads import CardPayload, CaseArgs, CaseData, FormText, NoArgs, PickedDate
from bot_app.core.payloads import Reference as ReferenceField
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from cards.case import (
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


class CaseHandlers:
    def __init__(self, *, tx: Transactions, views: CaseViews, hub_cards: HubCards) -> None:
        self._tx = tx
        self._views = views
        self._hub_cards = hub_cards

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

        async def work(uow: UnitOfWork) -> Case:
            return await services.record_panel_notified(
                command,
                uow,
                now=turn.now,
                today=turn.today,
                views=self._views,
                hub_cards=self._hub_cards,
            )

        return self._hub_card(await self._tx.run(work), turn)

    async def criteria_not_met(self, turn: Turn, payload: CriteriaNotMet) -> CardAnswer:
        command = services.CloseCriteriaNotMet(
            actor=turn.actor, reference=payload.reference, reason=payload.reason
        )

        async def work(uow: UnitOfWork) -> Case:
            return await services.close_criteria_not_met(
                command, uow, now=turn.now, today=turn.today, hub_cards=self._hub_cards
            )

        return self._hub_card(await self._tx.run(work), turn)

    # --- a notification's Send pressed again -------------------------------------------

    async def already_submitted(self, turn: Turn, value: dict[str, Any]) -> Reply | None:
        """A Send from a notification that is no longer in progress: say what became of it."""
        token = value.get("token")
        if not isinstance(token, str):
            return None
        reference = await self._tx.read(lambda uow: services.notification_sent_as(token, uow))
        return text(NOTHING_SENT if reference is None else already_sent(reference))

    def _hub_card(self, case: Case, turn: Turn) -> CardAnswer:
        return ShowCard(hub_card(self._views.card_view(case, turn.today)))
