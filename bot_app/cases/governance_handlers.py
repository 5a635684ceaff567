"""Translating the Hub's corrections and its notifications beyond the Panel (the correction
form, "why the Panel was not notified", the Secretary of State and Ofsted) into
``governance`` calls and answers.

Apart from the case queries and the Hub card's first buttons (``handlers.py``): these change
what the record says, from a form opened in a personal chat; they answer the same way, with
the refreshed card or the refusal.
"""

from __future__ import annotations

from bot_app.cases import governance
from bot_app.cases.handlers import SENT_PRIVATELY, card_or_refusal, hub_card_or_refusal
from bot_app.cases.messages import HubCards
from bot_app.cases.views import CaseViews
from bot_app.core.answers import CardAnswer, ShowCard, Toast
from bot_app.core.payloads import CardPayload, CaseData, FormText, PickedDate
from bot_app.core.payloads import Reference as ReferenceField
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from cards.case import (
    VERB_CORRECT,
    VERB_OPEN_CORRECTION,
    VERB_PANEL_NOT_NOTIFIED,
    VERB_STATUTORY_NOTIFIED,
)
from safeguarding.policy import Action


class CorrectCase(CardPayload):
    """The correction form (personal chat); an empty answer leaves a fact as it is."""

    reference: ReferenceField
    reason: FormText = ""
    route: FormText = ""
    aware_on: PickedDate = None
    incident_on: PickedDate = None
    outcome: FormText = ""
    abuse: FormText = ""
    harm_types: FormText | None = None  # absent: not on the form
    age_band: FormText = ""
    looked_after: FormText = ""
    cp_plan: FormText = ""
    eotas: FormText = ""
    child_perpetrator: FormText = ""
    care_leaver: FormText = ""
    care_leaver_age: FormText = ""
    outside_england: FormText = ""


class PanelNotNotified(CardPayload):
    reference: ReferenceField
    why_not: FormText = ""


class StatutoryNotified(CardPayload):
    reference: ReferenceField
    notice: FormText = ""
    notified_on: PickedDate = None


class GovernanceHandlers:
    def __init__(self, *, tx: Transactions, views: CaseViews, hub_cards: HubCards) -> None:
        self._tx = tx
        self._views = views
        self._hub_cards = hub_cards

    def register(self, router: Router) -> None:
        router.add_verb(
            VERB_OPEN_CORRECTION,
            self.open_correction,
            payload=CaseData,
            action=Action.CORRECT_CASE,
        )
        router.add_verb(VERB_CORRECT, self.correct, payload=CorrectCase, action=Action.CORRECT_CASE)
        router.add_verb(
            VERB_PANEL_NOT_NOTIFIED,
            self.panel_not_notified,
            payload=PanelNotNotified,
            action=Action.RECORD_PANEL_NOTIFICATION,
        )
        router.add_verb(
            VERB_STATUTORY_NOTIFIED,
            self.statutory_notified,
            payload=StatutoryNotified,
            action=Action.RECORD_STATUTORY_NOTIFICATION,
        )

    async def open_correction(self, turn: Turn, payload: CaseData) -> CardAnswer:
        command = governance.OpenCorrection(
            actor=turn.actor,
            reference=payload.reference,
            in_personal_chat=turn.is_personal,
            activity_id=turn.activity_id,
        )
        opened = await self._tx.run(
            lambda uow: governance.open_correction(
                command, uow, today=turn.today, now=turn.now, views=self._views
            )
        )
        return Toast(SENT_PRIVATELY) if opened.sent_privately else ShowCard(opened.card)

    async def correct(self, turn: Turn, payload: CorrectCase) -> CardAnswer:
        command = governance.CorrectCase(
            actor=turn.actor,
            reference=payload.reference,
            reason=payload.reason,
            route=payload.route,
            aware_on=payload.aware_on,
            incident_on=payload.incident_on,
            outcome=payload.outcome,
            abuse=payload.abuse,
            harm_types=payload.harm_types,
            age_band=payload.age_band,
            looked_after=payload.looked_after,
            cp_plan=payload.cp_plan,
            eotas=payload.eotas,
            child_perpetrator=payload.child_perpetrator,
            care_leaver=payload.care_leaver,
            care_leaver_age=payload.care_leaver_age,
            outside_england=payload.outside_england,
        )
        result = await self._tx.run(
            lambda uow: governance.correct(
                command,
                uow,
                now=turn.now,
                today=turn.today,
                views=self._views,
                hub_cards=self._hub_cards,
            )
        )
        return card_or_refusal(result.card if isinstance(result, governance.Corrected) else result)

    async def panel_not_notified(self, turn: Turn, payload: PanelNotNotified) -> CardAnswer:
        command = governance.RecordWhyNotNotified(
            actor=turn.actor, reference=payload.reference, reason=payload.why_not
        )
        result = await self._tx.run(
            lambda uow: governance.record_why_not_notified(
                command,
                uow,
                now=turn.now,
                today=turn.today,
                views=self._views,
                hub_cards=self._hub_cards,
            )
        )
        return card_or_refusal(result.card if isinstance(result, governance.Corrected) else result)

    async def statutory_notified(self, turn: Turn, payload: StatutoryNotified) -> CardAnswer:
        command = governance.RecordStatutoryNotification(
            actor=turn.actor,
            reference=payload.reference,
            notice=payload.notice,
            notified_on=payload.notified_on,
        )
        result = await self._tx.run(
            lambda uow: governance.record_statutory_notification(
                command,
                uow,
                now=turn.now,
                today=turn.today,
                views=self._views,
                hub_cards=self._hub_cards,
            )
        )
        return hub_card_or_refusal(result, self._views, turn.today)
