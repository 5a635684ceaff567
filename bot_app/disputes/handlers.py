"""The ``disagree`` and ``disputes`` commands, the dispute cards' buttons and the raise
dialog's submit: turn the turn into a command, run the service, answer after the commit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot_app.core.access import DisputeSubject
from bot_app.core.answers import BeginDialog, CardAnswer, Reply, ShowCard, Toast, card, text
from bot_app.core.payloads import (
    CardPayload,
    CaseArgs,
    CaseData,
    FormText,
    NoArgs,
    Reference,
    WholeNumber,
)
from bot_app.core.posting import post_to_actor
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from bot_app.disputes import services, views
from bot_app.disputes.messages import DisputeMessages, start_key
from bot_app.disputes.services import ActOnDispute, Step
from bot_app.disputes.views import DisputeViews
from cards.base import Card
from cards.dispute import (
    VERB_ESCALATE,
    VERB_FROM_REFERRAL,
    VERB_OPEN,
    VERB_RESOLVE,
    VERB_RESPOND,
    VERB_START,
    disputes_card,
    start_card,
)
from dialogs.dispute_form import DIALOG_ID, RaiseRequest
from safeguarding.policy import Action
from safeguarding.reference import CaseReference
from storage.uow import UnitOfWork

if TYPE_CHECKING:
    from dialogs.turn import DialogTurn


# -- what each button carries -------------------------------------------------------------


class OpenDisputeData(CardPayload):
    """A notice's (or the list's) "Open in personal chat"."""

    reference: Reference
    number: WholeNumber

    def subject(self) -> DisputeSubject:  # only its parties reach it
        return DisputeSubject(self.reference, self.number)


class RespondData(CardPayload):
    reference: Reference
    number: WholeNumber
    stage: WholeNumber  # the stage the card was drawn at: an older card is refused
    response: FormText = ""

    def subject(self) -> DisputeSubject:  # only its parties reach it
        return DisputeSubject(self.reference, self.number)


class EscalateData(CardPayload):
    reference: Reference
    number: WholeNumber
    stage: WholeNumber
    reason: FormText = ""

    def subject(self) -> DisputeSubject:  # only its parties reach it
        return DisputeSubject(self.reference, self.number)


class ResolveData(CardPayload):
    reference: Reference
    number: WholeNumber
    stage: WholeNumber
    outcome: FormText = ""
    upheld: FormText = ""  # "true": a dispute on a decision is upheld (the case reopens)

    def subject(self) -> DisputeSubject:  # only its parties reach it
        return DisputeSubject(self.reference, self.number)


class FromReferralData(CardPayload):
    """The Hub's "Open a difference of opinion" on a referral from the rapid review."""

    reference: Reference
    referral: WholeNumber  # the seq of the ``dispute.referred`` event


class DisputesHandlers:
    def __init__(
        self,
        *,
        tx: Transactions,
        views: DisputeViews,
        messages: DisputeMessages,
    ) -> None:
        self._tx = tx
        self._views = views
        self._messages = messages

    def register(self, router: Router) -> None:
        router.add_command(
            ["disagree"],
            self.disagree,
            args=CaseArgs,
            usage="disagree <reference>",
            description="Raise a difference of opinion about a case (criteria, review type or "
            "process). It never pauses a statutory clock.",
            action=Action.RAISE_DISPUTE,
        )
        router.add_command(
            ["disputes"],
            self.list_open,
            args=NoArgs,
            usage="disputes",
            description="Open differences of opinion you take part in, with their stage and "
            "target date.",
            action=Action.RESPOND_DISPUTE,
        )
        router.add_verb(VERB_START, self.start, payload=CaseData, action=Action.RAISE_DISPUTE)
        router.add_verb(
            VERB_OPEN, self.open, payload=OpenDisputeData, action=Action.RESPOND_DISPUTE
        )
        router.add_verb(
            VERB_RESPOND, self.respond, payload=RespondData, action=Action.RESPOND_DISPUTE
        )
        router.add_verb(
            VERB_ESCALATE, self.escalate, payload=EscalateData, action=Action.RESPOND_DISPUTE
        )
        router.add_verb(
            VERB_RESOLVE, self.resolve, payload=ResolveData, action=Action.RESPOND_DISPUTE
        )
        router.add_verb(
            VERB_FROM_REFERRAL,
            self.from_referral,
            payload=FromReferralData,
            action=Action.RAISE_DISPUTE,
        )

    # -- raising ------------------------------------------------------------------------

    async def disagree(self, turn: Turn, args: CaseArgs) -> Reply:
        """The raise dialog runs in personal chat only: the position and reasons are narrative."""
        reference = args.reference
        if turn.is_personal:
            await self._tx.read(lambda uow: services.require_may_raise(reference, turn.actor, uow))
            return (BeginDialog(DIALOG_ID, {"reference": str(reference)}),)
        await self._tx.run(lambda uow: self._send_start_card(uow, turn, reference))
        return text(views.RAISE_OUTSIDE_PERSONAL)

    async def start(self, turn: Turn, payload: CaseData) -> CardAnswer:
        """The case card's "Disagree": the raise dialog runs in personal chat."""
        reference = payload.reference
        await self._tx.run(lambda uow: self._send_start_card(uow, turn, reference))
        return Toast(views.START_SENT)

    async def _send_start_card(self, uow: UnitOfWork, turn: Turn, reference: CaseReference) -> None:
        await services.require_may_raise(reference, turn.actor, uow)
        await post_to_actor(
            uow,
            turn,
            start_card(str(reference)),
            key=start_key(str(reference), turn.actor.object_id),
        )

    async def submit(self, turn: DialogTurn, request: RaiseRequest) -> Sequence[str | Card]:
        """The dialog's Raise: record the dispute, tell stage 1's parties - once."""
        cmd = services.RaiseDispute(
            reference=CaseReference.parse(request.reference),
            person=turn.actor,
            topic=request.topic,
            position=request.position,
            reasons=request.reasons,
            token=request.token,
        )
        dispute = await self._tx.run(
            lambda uow: services.raise_dispute(
                cmd, uow, now=turn.now, today=turn.today, messages=self._messages
            )
        )
        notice = self._views.raised_notice(dispute)
        return [self._views.card(dispute, turn.actor, turn.today, notice=notice)]

    async def from_referral(self, turn: Turn, payload: FromReferralData) -> CardAnswer:
        cmd = services.OpenFromReferral(payload.reference, payload.referral, turn.actor)
        dispute = await self._tx.run(
            lambda uow: services.open_from_referral(
                cmd, uow, now=turn.now, today=turn.today, messages=self._messages
            )
        )
        return ShowCard(self._views.card(dispute, turn.actor, turn.today))

    # -- the parties' actions -----------------------------------------------------------

    async def open(self, turn: Turn, payload: OpenDisputeData) -> CardAnswer:
        """A notice's "Open in personal chat": the party's card, never in a channel."""
        cmd = services.OpenDispute(
            reference=payload.reference,
            number=payload.number,
            person=turn.actor,
            activity_id=turn.activity_id,
            personal=turn.is_personal,
        )
        opened = await self._tx.run(
            lambda uow: services.open_dispute(
                cmd, uow, now=turn.now, today=turn.today, views=self._views
            )
        )
        return Toast(views.OPEN_SENT) if opened.sent_privately else ShowCard(opened.card)

    async def respond(self, turn: Turn, payload: RespondData) -> CardAnswer:
        return await self._act(turn, Step.RESPOND, payload, payload.response, views.RESPONDED)

    async def escalate(self, turn: Turn, payload: EscalateData) -> CardAnswer:
        return await self._act(turn, Step.ESCALATE, payload, payload.reason, views.ESCALATED)

    async def resolve(self, turn: Turn, payload: ResolveData) -> CardAnswer:
        upheld = payload.upheld.lower() == "true"
        done = views.REOPENED if upheld else views.RESOLVED
        return await self._act(turn, Step.RESOLVE, payload, payload.outcome, done, upheld=upheld)

    async def _act(
        self,
        turn: Turn,
        step: Step,
        payload: RespondData | EscalateData | ResolveData,
        narrative: str,
        done: str,
        *,
        upheld: bool = False,
    ) -> CardAnswer:
        cmd = ActOnDispute(
            step=step,
            reference=payload.reference,
            number=payload.number,
            stage=payload.stage,
            text=narrative,
            person=turn.actor,
            activity_id=turn.activity_id,
            upheld=upheld,
        )
        acted = await self._tx.run(
            lambda uow: services.act_on_dispute(
                cmd, uow, now=turn.now, today=turn.today, messages=self._messages
            )
        )
        return ShowCard(self._views.card(acted.dispute, turn.actor, turn.today, notice=done))

    # -- listing ------------------------------------------------------------------------

    async def list_open(self, turn: Turn, _args: NoArgs) -> Reply:
        disputes = await self._tx.read(lambda uow: services.open_disputes_of(turn.actor, uow))
        return card(disputes_card(self._views.items(disputes, turn.today)))
