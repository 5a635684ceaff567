"""The ``disagree`` and ``disputes`` commands, the raise card's steps and the dispute cards'
buttons: turn the turn into a command, run the service, answer after the commit.

Every button is an ``Action.Execute``: its answer replaces the pressed card for the person
who pressed it, with a receipt on it (what was done, by whom, when), and the outbox redraws
the other parties' copies in place."""

from __future__ import annotations

from typing import Final

from bot_app.core.access import DisputeSubject
from bot_app.core.answers import CardAnswer, Reply, ShowCard, Toast, card, text
from bot_app.core.payloads import (
    CardPayload,
    CaseArgs,
    CaseData,
    FormText,
    MalformedPayload,
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
    VERB_RAISE,
    VERB_RESOLVE,
    VERB_RESPOND,
    VERB_START,
    disputes_card,
)
from dialogs.dispute_form import ANSWERS, STEPS, build, first_unanswered, read_step
from safeguarding.errors import InvalidInput
from safeguarding.policy import Action
from safeguarding.reference import CaseReference
from storage.uow import UnitOfWork

MOVES: Final = ("next", "back", "cancel", "raise")


# -- what each button carries -------------------------------------------------------------


class RaiseStepData(CardPayload):
    """A press on the raise card: the step it was drawn at, the move, and every answer so
    far (the card carries them: the bot keeps no state between steps)."""

    reference: Reference
    token: str
    step: str  # "topic", "position" or "review" (checked by the handler, after access)
    move: str  # "next", "back", "cancel" or "raise"
    topic: FormText = ""
    position: FormText = ""
    reasons: FormText = ""

    def answers(self) -> dict[str, str]:
        return {"topic": self.topic, "position": self.position, "reasons": self.reasons}


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
    skip_reason: FormText = ""  # why the current stage was not tried first

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
            VERB_RAISE, self.raise_step, payload=RaiseStepData, action=Action.RAISE_DISPUTE
        )
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
        """The raise card, in personal chat only: the position and reasons are narrative."""
        reference = args.reference
        if turn.is_personal:
            await self._tx.read(lambda uow: services.require_may_raise(reference, turn.actor, uow))
            return card(self._views.raise_form(str(reference), turn.activity_id, "topic", {}))
        await self._tx.run(lambda uow: self._send_raise_card(uow, turn, reference))
        return text(views.RAISE_OUTSIDE_PERSONAL)

    async def start(self, turn: Turn, payload: CaseData) -> CardAnswer:
        """A card's "Disagree": the raise card goes to personal chat as a card of its own."""
        reference = payload.reference
        await self._tx.run(lambda uow: self._send_raise_card(uow, turn, reference))
        return Toast(views.START_BELOW if turn.is_personal else views.START_SENT)

    async def _send_raise_card(self, uow: UnitOfWork, turn: Turn, reference: CaseReference) -> None:
        await services.require_may_raise(reference, turn.actor, uow)
        raise_card = self._views.raise_form(str(reference), turn.activity_id, "topic", {})
        await post_to_actor(
            uow, turn, raise_card, key=start_key(str(reference), turn.actor.object_id)
        )

    async def raise_step(self, turn: Turn, payload: RaiseStepData) -> CardAnswer:
        """Next, Back, Cancel or Raise it on the raise card: the same card at its next step.

        A card whose Raise was already pressed (a second press, a copy open elsewhere)
        answers with the summary of what was raised, by whom and when.
        """
        if not turn.is_personal:
            raise InvalidInput(views.RAISE_OUTSIDE_PERSONAL_ONLY)
        if payload.step not in STEPS or payload.move not in MOVES or not payload.token:
            raise MalformedPayload("step, move or token")
        reference, token = payload.reference, payload.token
        raised = await self._tx.read(lambda uow: services.raised_by_token(reference, token, uow))
        if raised is not None:
            return ShowCard(self._views.raised(raised, again=True))
        if payload.move == "cancel":
            return ShowCard(self._views.cancelled(str(reference)))
        await self._tx.read(lambda uow: services.require_may_raise(reference, turn.actor, uow))
        draft = payload.answers()
        index = STEPS.index(payload.step)
        if payload.move == "back":
            return ShowCard(self._form(payload, STEPS[max(index - 1, 0)], draft))
        gap = first_unanswered(draft) if payload.step == "review" else None
        if gap is not None:  # a review card that does not carry every answer
            return ShowCard(self._form(payload, gap, draft, views.RAISE_INCOMPLETE))
        try:
            kept = read_step(payload.step, draft)
        except InvalidInput as error:
            return ShowCard(self._form(payload, payload.step, draft, error.user_message))
        draft.update(kept)
        if payload.step != "review" or payload.move != "raise":
            return ShowCard(self._form(payload, STEPS[min(index + 1, len(STEPS) - 1)], draft))
        request = build(token, str(reference), {k: draft[k] for k in ANSWERS})
        cmd = services.RaiseDispute(
            reference=reference,
            person=turn.actor,
            topic=request.topic,
            position=request.position,
            reasons=request.reasons,
            token=request.token,
        )
        done = await self._tx.run(
            lambda uow: services.raise_dispute(
                cmd, uow, now=turn.now, today=turn.today, messages=self._messages
            )
        )
        return ShowCard(self._views.raised(done.dispute, again=done.again))

    def _form(
        self, payload: RaiseStepData, step: str, draft: dict[str, str], error: str | None = None
    ) -> Card:
        return self._views.raise_form(str(payload.reference), payload.token, step, draft, error)

    async def from_referral(self, turn: Turn, payload: FromReferralData) -> CardAnswer:
        """The Hub's "Open a difference of opinion" on a referral: opened once, on the record."""
        cmd = services.OpenFromReferral(payload.reference, payload.referral, turn.actor)
        opened = await self._tx.run(
            lambda uow: services.open_from_referral(
                cmd, uow, now=turn.now, today=turn.today, messages=self._messages
            )
        )
        # The referral card may sit in the Hub's channel: it becomes a summary with no
        # narrative; the parties' cards go to personal chat.
        return ShowCard(self._views.opened(opened.dispute, turn.actor, again=opened.again))

    # -- the parties' actions -----------------------------------------------------------

    async def open(self, turn: Turn, payload: OpenDisputeData) -> CardAnswer:
        """A notice's "Open in personal chat": the party's one card, never in a channel."""
        cmd = services.OpenDispute(
            reference=payload.reference,
            number=payload.number,
            person=turn.actor,
            personal=turn.is_personal,
        )
        opened = await self._tx.run(
            lambda uow: services.open_dispute(
                cmd, uow, now=turn.now, today=turn.today, views=self._views, messages=self._messages
            )
        )
        if opened.card is not None:
            return ShowCard(opened.card)
        return Toast(views.OPEN_SENT if opened.sent_privately else views.OPEN_ALREADY)

    async def respond(self, turn: Turn, payload: RespondData) -> CardAnswer:
        return await self._act(turn, Step.RESPOND, payload, payload.response)

    async def escalate(self, turn: Turn, payload: EscalateData) -> CardAnswer:
        return await self._act(
            turn, Step.ESCALATE, payload, payload.reason, skip_reason=payload.skip_reason
        )

    async def resolve(self, turn: Turn, payload: ResolveData) -> CardAnswer:
        upheld = payload.upheld.lower() == "true"
        return await self._act(turn, Step.RESOLVE, payload, payload.outcome, upheld=upheld)

    async def _act(
        self,
        turn: Turn,
        step: Step,
        payload: RespondData | EscalateData | ResolveData,
        narrative: str,
        *,
        upheld: bool = False,
        skip_reason: str = "",
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
            skip_reason=skip_reason,
        )
        acted = await self._tx.run(
            lambda uow: services.act_on_dispute(
                cmd,
                uow,
                now=turn.now,
                today=turn.today,
                views=self._views,
                messages=self._messages,
            )
        )
        return ShowCard(
            self._views.card(
                acted.dispute, turn.actor, turn.today, notice=acted.receipt, warning=acted.warning
            )
        )

    # -- listing ------------------------------------------------------------------------

    async def list_open(self, turn: Turn, _args: NoArgs) -> Reply:
        disputes = await self._tx.read(lambda uow: services.open_disputes_of(turn.actor, uow))
        return card(disputes_card(self._views.items(disputes, turn.today)))
