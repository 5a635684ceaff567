"""The ``review`` command and the review card's buttons: turn the turn into a step, run the
service, answer after the commit (the card, updated in place, with its receipt)."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import model_validator

from bot_app.cases.messages import HubCards
from bot_app.cases.services import Refused
from bot_app.core.answers import CardAnswer, Refusal, Reply, ShowCard, Toast, card
from bot_app.core.payloads import CardPayload, CaseArgs, CaseData, FormText, PickedDate, WholeNumber
from bot_app.core.payloads import Reference as ReferenceField
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from bot_app.reviews import services
from bot_app.reviews.messages import ReviewMessages
from bot_app.reviews.services import ReviewStep, Step
from bot_app.reviews.views import OPEN_SENT, STEP_OUTSIDE_PERSONAL, ReviewViews
from cards.base import Card
from cards.review import (
    VERB_CHECKLIST,
    VERB_COMPLETE,
    VERB_COPY,
    VERB_DEFER,
    VERB_DONE,
    VERB_FAMILY,
    VERB_JOINT,
    VERB_LEAD,
    VERB_OPEN,
    VERB_PLAN,
    VERB_PLAN_PUBLICATION,
    VERB_PROCESS,
    VERB_PUBLISH,
    VERB_RESPOND,
)
from safeguarding import reviews as rv
from safeguarding.policy import Action
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# -- what each button carries -------------------------------------------------------------


class ReviewData(CardPayload):
    """Every step's button: the case, and the review's version the card was drawn at."""

    reference: ReferenceField
    version: WholeNumber


class MilestoneData(ReviewData):
    milestone: rv.Milestone
    owner: FormText = ""
    target_on: PickedDate = None
    done_on: PickedDate = None

    @model_validator(mode="before")
    @classmethod
    def _inputs_of_the_row(cls, data: Any) -> Any:
        """Each milestone's form names its inputs after the milestone (``done_on_draft``), so
        no two forms on the card share an input id."""
        if isinstance(data, dict) and isinstance(data.get("milestone"), str):
            key = data["milestone"]
            data = dict(data)
            for name in ("owner", "target_on", "done_on"):
                if f"{name}_{key}" in data and name not in data:
                    data[name] = data[f"{name}_{key}"]
        return data


class FamilyData(ReviewData):
    invited: FormText = ""
    invited_on: PickedDate = None
    children_invited: FormText = ""
    how: FormText = ""


class LeadData(ReviewData):
    owner: FormText = ""


class CompleteData(ReviewData):
    completed_on: PickedDate = None


class PublicationData(ReviewData):
    publish_on: PickedDate = None
    confirm: FormText = ""  # "true": record a date that breaks the rule, after the warning


class CopyData(ReviewData):
    recipient: FormText = ""
    sent_on: PickedDate = None


class ChecklistData(ReviewData):
    improvements: FormText = ""
    systemic: FormText = ""


class PublishData(ReviewData):
    published_on: PickedDate = None


class DeferData(ReviewData):
    defer_process: FormText = ""
    defer_publish_on: PickedDate = None
    defer_review_on: PickedDate = None
    defer_reason: FormText = ""


class ProcessData(ReviewData):
    process: FormText = ""
    lead_agency: FormText = ""
    contact: FormText = ""
    status: FormText = ""


class JointData(ReviewData):
    joint_process: FormText = ""


class RespondData(ReviewData):
    responded_on: PickedDate = None
    summary: FormText = ""


def _yes(value: str) -> bool:
    return value.lower() == "true"


class ReviewHandlers:
    def __init__(
        self,
        *,
        tx: Transactions,
        views: ReviewViews,
        messages: ReviewMessages,
        hub_cards: HubCards,
    ) -> None:
        self._tx = tx
        self._views = views
        self._messages = messages
        self._hub_cards = hub_cards

    def register(self, router: Router) -> None:
        router.add_command(
            ["review"],
            self.review,
            args=CaseArgs,
            usage="review <reference>",
            description="The review after the decision: milestones, publication, parallel "
            "processes, e.g. review NL-2026-0001.",
            action=Action.VIEW_CASE,
        )
        router.add_verb(VERB_OPEN, self.open, payload=CaseData, action=Action.VIEW_CASE)
        manage = Action.MANAGE_REVIEW
        steps: list[tuple[str, Any, type[ReviewData], Action]] = [
            (VERB_PLAN, self.plan, MilestoneData, manage),
            (VERB_DONE, self.done, MilestoneData, manage),
            (VERB_FAMILY, self.family, FamilyData, manage),
            (VERB_LEAD, self.lead, LeadData, manage),
            (VERB_COMPLETE, self.complete, CompleteData, manage),
            (VERB_PLAN_PUBLICATION, self.plan_publication, PublicationData, manage),
            (VERB_COPY, self.copy, CopyData, manage),
            (VERB_CHECKLIST, self.checklist, ChecklistData, manage),
            (VERB_PUBLISH, self.publish, PublishData, manage),
            (VERB_DEFER, self.defer, DeferData, manage),
            (VERB_PROCESS, self.process, ProcessData, manage),
            (VERB_JOINT, self.joint, JointData, manage),
            (VERB_RESPOND, self.respond, RespondData, Action.RESPOND_NATIONAL_FINDINGS),
        ]
        for verb, handler, payload, action in steps:
            router.add_verb(verb, handler, payload=payload, action=action)

    # -- opening the card -----------------------------------------------------------------

    async def review(self, turn: Turn, args: CaseArgs) -> Reply:
        """In a personal chat, the review card; anywhere else, a notice with the reference,
        stage and deadline only, and a button that sends the card privately."""
        reference = args.reference

        async def work(uow: UnitOfWork) -> Card:
            case = await services.show_review(
                reference, turn.actor, uow, today=turn.today, views=self._views
            )
            if turn.is_personal:
                return await services.review_card(
                    case, turn.actor, uow, today=turn.today, views=self._views
                )
            return self._views.notice(case, turn.today)

        return card(await self._tx.read(work))

    async def open(self, turn: Turn, payload: CaseData) -> CardAnswer:
        shown = await self._tx.run(
            lambda uow: services.open_review(
                payload.reference,
                turn.actor,
                uow,
                activity_id=turn.activity_id,
                personal=turn.is_personal,
                now=turn.now,
                today=turn.today,
                views=self._views,
                messages=self._messages,
            )
        )
        return Toast(OPEN_SENT) if shown is None else ShowCard(shown)

    # -- the steps ----------------------------------------------------------------------

    async def plan(self, turn: Turn, p: MilestoneData) -> CardAnswer:
        return await self._step(
            turn, p, Step.PLAN, milestone=p.milestone, owner=p.owner, day=p.target_on
        )

    async def done(self, turn: Turn, p: MilestoneData) -> CardAnswer:
        return await self._step(turn, p, Step.DONE, milestone=p.milestone, day=p.done_on)

    async def family(self, turn: Turn, p: FamilyData) -> CardAnswer:
        return await self._step(
            turn,
            p,
            Step.FAMILY,
            flag=_yes(p.invited),
            second_flag=_yes(p.children_invited),
            day=p.invited_on,
            text=p.how,
        )

    async def lead(self, turn: Turn, p: LeadData) -> CardAnswer:
        return await self._step(turn, p, Step.LEAD, owner=p.owner)

    async def complete(self, turn: Turn, p: CompleteData) -> CardAnswer:
        return await self._step(turn, p, Step.COMPLETE, day=p.completed_on)

    async def plan_publication(self, turn: Turn, p: PublicationData) -> CardAnswer:
        return await self._step(
            turn, p, Step.PLAN_PUBLICATION, day=p.publish_on, flag=_yes(p.confirm)
        )

    async def copy(self, turn: Turn, p: CopyData) -> CardAnswer:
        return await self._step(turn, p, Step.COPY, choice=p.recipient, day=p.sent_on)

    async def checklist(self, turn: Turn, p: ChecklistData) -> CardAnswer:
        return await self._step(
            turn, p, Step.CHECKLIST, flag=_yes(p.improvements), second_flag=_yes(p.systemic)
        )

    async def publish(self, turn: Turn, p: PublishData) -> CardAnswer:
        return await self._step(turn, p, Step.PUBLISH, day=p.published_on)

    async def defer(self, turn: Turn, p: DeferData) -> CardAnswer:
        return await self._step(
            turn,
            p,
            Step.DEFER,
            choice=p.defer_process,
            day=p.defer_publish_on,
            other_day=p.defer_review_on,
            text=p.defer_reason,
        )

    async def process(self, turn: Turn, p: ProcessData) -> CardAnswer:
        return await self._step(
            turn,
            p,
            Step.PROCESS,
            choice=p.process,
            agency=p.lead_agency,
            text=p.contact,
            status=p.status,
        )

    async def joint(self, turn: Turn, p: JointData) -> CardAnswer:
        return await self._step(turn, p, Step.JOINT, choice=p.joint_process)

    async def respond(self, turn: Turn, p: RespondData) -> CardAnswer:
        return await self._step(turn, p, Step.RESPOND, day=p.responded_on, text=p.summary)

    async def _step(self, turn: Turn, payload: ReviewData, step: Step, **form: Any) -> CardAnswer:
        if not turn.is_personal:
            # The review card names owners, contacts and the family's involvement: it lives
            # in a personal chat, and its answer (the card, updated) must not land elsewhere.
            log.warning("review step %s refused outside a personal chat", step.name)
            return Refusal("NotPersonal", STEP_OUTSIDE_PERSONAL)
        command = ReviewStep(
            step=step,
            person=turn.actor,
            reference=payload.reference,
            version=payload.version,
            **form,
        )
        result = await self._tx.run(
            lambda uow: services.act(
                command,
                uow,
                now=turn.now,
                today=turn.today,
                views=self._views,
                hub_cards=self._hub_cards,
            )
        )
        if isinstance(result, Refused):
            return Refusal(result.code, result.message)
        return ShowCard(result.card)
