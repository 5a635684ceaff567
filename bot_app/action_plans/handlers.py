"""The ``actions``, ``plan`` and ``board report`` commands and the plan card's buttons:
turn the turn into a command, run the service, answer after the commit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar

from pydantic import model_validator

from bot_app.action_plans import action_services, board_services, services
from bot_app.action_plans.action_services import ActionsView
from bot_app.action_plans.board_services import BoardSettings
from bot_app.action_plans.services import HubCardRefresher, PlanChange
from bot_app.action_plans.views import ActionPlanViews
from bot_app.core.access import NotFoundOrNotYours, case_not_found, case_not_reachable
from bot_app.core.answers import CardAnswer, Reply, ShowCard, card
from bot_app.core.payloads import (
    Args,
    CardPayload,
    FormText,
    NoArgs,
    PickedDate,
    Reference,
    WholeNumber,
)
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from cards.action_plan import (
    VERB_ADD,
    VERB_CLOSE_ACTION,
    VERB_CLOSE_PLAN,
    VERB_EVIDENCE,
    VERB_OPEN,
    VERB_OWNER,
    VERB_SIGN_OFF,
    VERB_STATUS,
    BoardLinksView,
    actions_card,
    board_report_card,
    plan_card,
)
from cards.reminder import when
from safeguarding.board_report import ClockState
from safeguarding.errors import InvalidInput
from safeguarding.policy import Action, can, may_see_case
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage.uow import UnitOfWork

C = TypeVar("C")

# -- who may open a plan -------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSubject:
    """A plan is open to whoever may see its case, to SPLIG (which may oversee any plan), and
    to the owner of any of its actions - who may be a practitioner who never saw the case."""

    reference: CaseReference

    async def admit(self, person: Person, uow: UnitOfWork) -> None:
        case = await uow.cases.find(self.reference)
        if case is not None and (
            may_see_case(person, case)
            or person.has(Role.SPLIG_MEMBER)
            or await uow.action_plans.has_actions(str(self.reference), person.object_id)
        ):
            return
        if case is None and can(person, Action.LIST_ALL_CASES):
            raise NotFoundOrNotYours(case_not_found(self.reference))
        raise NotFoundOrNotYours(case_not_reachable(self.reference))


class PlanData(CardPayload):
    reference: Reference

    def subject(self) -> PlanSubject:
        return PlanSubject(self.reference)


class AddActionData(PlanData):
    description: FormText = ""
    owner_email: FormText = ""
    agency: FormText = ""
    due_on: PickedDate = None
    national: FormText = ""


class ActionData(PlanData):
    """A button on one action; its form's inputs carry the action's number (``evidence_2``)."""

    number: WholeNumber
    revision: WholeNumber  # the action's revision on the card: an older card is refused

    # field -> the input id on the card, without the "_<number>" suffix
    inputs: ClassVar[Mapping[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _numbered_inputs(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        number = data.get("number")
        found = {
            field: data[f"{input_id}_{number}"]
            for field, input_id in cls.inputs.items()
            if field not in data and f"{input_id}_{number}" in data
        }
        return {**data, **found}


class StatusData(ActionData):
    status: FormText = ""
    evidence: FormText = ""
    inputs: ClassVar[Mapping[str, str]] = {"status": "status", "evidence": "done_evidence"}


class EvidenceData(ActionData):
    evidence: FormText = ""
    inputs: ClassVar[Mapping[str, str]] = {"evidence": "evidence"}


class CloseActionData(ActionData):
    reason: FormText = ""
    inputs: ClassVar[Mapping[str, str]] = {"reason": "reason"}


class OwnerData(PlanData):
    oversight: FormText = ""


class SignOffData(PlanData):
    board_on: PickedDate = None


# -- what the commands' words carry ---------------------------------------------------------


class ActionsArgs(Args):
    """``actions``, ``actions mine``, ``actions agency`` (or ``my agency``), ``actions overdue``."""

    view: ActionsView = ActionsView.MINE

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        words = [w for w in text.lower().split() if w not in {"my", "our"}]
        if not words:
            return cls()
        wanted = {"mine": ActionsView.MINE, "me": ActionsView.MINE}.get(words[0])
        if wanted is None:
            try:
                wanted = ActionsView(words[0])
            except ValueError:
                raise InvalidInput(
                    "Which actions? Say **actions mine**, **actions agency** or "
                    "**actions overdue**."
                ) from None
        return cls(view=wanted)


class PlanArgs(Args):
    """``plan <reference>`` or ``action plan <reference>``."""

    reference: CaseReference

    @classmethod
    def parse(cls, text: str, *, prefix: str, usage: str) -> Self:
        words = text.split()
        if words and words[0].lower() == "plan":
            words = words[1:]
        if not words:
            raise InvalidInput(f"Which case? For example: **action plan {prefix}-2026-0001**")
        return cls(reference=CaseReference.parse(" ".join(words), prefix=prefix))

    def subject(self) -> PlanSubject:
        return PlanSubject(self.reference)


_TITLES = {
    ActionsView.MINE: ("Your actions", "You have no open actions."),
    ActionsView.AGENCY: ("Your agency's actions", "Your agency has no open actions."),
    ActionsView.OVERDUE: ("Overdue actions", "No action is overdue."),
}


class ActionPlanHandlers:
    def __init__(
        self,
        *,
        tx: Transactions,
        views: ActionPlanViews,
        hub_cards: HubCardRefresher,
        board: BoardSettings,
    ) -> None:
        self._tx = tx
        self._views = views
        self._hub_cards = hub_cards
        self._board = board

    def register(self, router: Router) -> None:
        router.add_command(
            ["actions"],
            self.list_actions,
            args=ActionsArgs,
            usage="actions [mine | agency | overdue]",
            description="Open actions from action plans: yours, your agency's, or overdue.",
            action=Action.VIEW_ACTIONS,
            personal_only=True,
        )
        router.add_command(
            ["plan", "action"],
            self.show_plan,
            args=PlanArgs,
            usage="action plan <reference>",
            description="A case's action plan: add actions, update them, record the Board's "
            "sign-off, close the plan.",
            action=Action.VIEW_ACTIONS,
            personal_only=True,
        )
        router.add_command(
            ["board"],
            self.board_report,
            args=NoArgs,
            usage="board report",
            description="The Board report: every case's stage, clocks and open actions, as "
            "links to download (15 minutes).",
            action=Action.VIEW_BOARD_REPORT,
            personal_only=True,
        )
        router.add_verb(VERB_OPEN, self.open, payload=PlanData, action=Action.VIEW_ACTIONS)
        router.add_verb(VERB_ADD, self.add, payload=AddActionData, action=Action.MANAGE_ACTION_PLAN)
        router.add_verb(
            VERB_STATUS, self.status, payload=StatusData, action=Action.UPDATE_OWN_ACTION
        )
        router.add_verb(
            VERB_EVIDENCE, self.evidence, payload=EvidenceData, action=Action.UPDATE_OWN_ACTION
        )
        router.add_verb(
            VERB_CLOSE_ACTION,
            self.close_action,
            payload=CloseActionData,
            action=Action.MANAGE_ACTION_PLAN,
        )
        router.add_verb(VERB_OWNER, self.owner, payload=OwnerData, action=Action.MANAGE_ACTION_PLAN)
        router.add_verb(
            VERB_SIGN_OFF, self.sign_off, payload=SignOffData, action=Action.SIGN_OFF_ACTION_PLAN
        )
        router.add_verb(
            VERB_CLOSE_PLAN, self.close_plan, payload=PlanData, action=Action.MANAGE_ACTION_PLAN
        )

    # -- reading ------------------------------------------------------------------------

    async def list_actions(self, turn: Turn, args: ActionsArgs) -> Reply:
        actions = await self._tx.read(
            lambda uow: action_services.list_actions(turn.actor, args.view, uow, today=turn.today)
        )
        title, empty = _TITLES[args.view]
        others = [f"actions {v.value}" for v in ActionsView if v is not args.view]
        return card(actions_card(self._views.actions(title, empty, actions, turn.today, others)))

    async def show_plan(self, turn: Turn, args: PlanArgs) -> Reply:
        shown = await self._tx.read(
            lambda uow: services.open_plan(args.reference, uow, settings=self._views.settings)
        )
        return card(plan_card(self._views.plan(shown.case, shown.plan, turn.actor, turn.today)))

    async def open(self, turn: Turn, payload: PlanData) -> CardAnswer:
        shown = await self._tx.read(
            lambda uow: services.open_plan(payload.reference, uow, settings=self._views.settings)
        )
        return ShowCard(plan_card(self._views.plan(shown.case, shown.plan, turn.actor, turn.today)))

    async def board_report(self, turn: Turn, _args: NoArgs) -> Reply:
        links = await self._tx.read(
            lambda uow: board_services.issue_board_links(
                turn.actor, uow, now=turn.now, today=turn.today, settings=self._board
            )
        )
        counts = links.report.counts()
        view = BoardLinksView(
            markdown_url=links.markdown_url,
            html_url=links.html_url,
            csv_url=links.csv_url,
            expires=when(links.expires_at.astimezone(self._views.calendar.timezone)),
            open_cases=sum(1 for row in links.report.rows if not row.closed),
            overdue_clocks=counts[ClockState.OVERDUE],
            open_actions=sum(row.open_actions for row in links.report.rows),
        )
        return card(board_report_card(view))

    # -- changing -----------------------------------------------------------------------

    async def add(self, turn: Turn, payload: AddActionData) -> CardAnswer:
        cmd = action_services.AddAction(
            reference=payload.reference,
            person=turn.actor,
            description=payload.description,
            owner=payload.owner_email,
            agency=payload.agency,
            due_on=payload.due_on,
            national=payload.national.lower() == "true",
            activity_id=turn.activity_id,
        )
        return await self._run(turn, action_services.add_action, cmd)

    async def status(self, turn: Turn, payload: StatusData) -> CardAnswer:
        cmd = action_services.ChangeStatus(
            reference=payload.reference,
            number=payload.number,
            revision=payload.revision,
            status=payload.status,
            text=payload.evidence,
            person=turn.actor,
            activity_id=turn.activity_id,
        )
        return await self._run(turn, action_services.change_status, cmd)

    async def evidence(self, turn: Turn, payload: EvidenceData) -> CardAnswer:
        cmd = action_services.RecordEvidence(
            reference=payload.reference,
            number=payload.number,
            revision=payload.revision,
            evidence=payload.evidence,
            person=turn.actor,
            activity_id=turn.activity_id,
        )
        return await self._run(turn, action_services.record_evidence, cmd)

    async def close_action(self, turn: Turn, payload: CloseActionData) -> CardAnswer:
        cmd = action_services.ChangeStatus(
            reference=payload.reference,
            number=payload.number,
            revision=payload.revision,
            status="closed",
            text=payload.reason,
            person=turn.actor,
            activity_id=turn.activity_id,
        )
        return await self._run(turn, action_services.change_status, cmd)

    async def owner(self, turn: Turn, payload: OwnerData) -> CardAnswer:
        cmd = services.SetOwner(payload.reference, payload.oversight, turn.actor, turn.activity_id)
        return await self._run(turn, services.set_owner, cmd)

    async def sign_off(self, turn: Turn, payload: SignOffData) -> CardAnswer:
        cmd = services.SignOff(payload.reference, payload.board_on, turn.actor, turn.activity_id)
        return await self._run(turn, services.sign_off, cmd)

    async def close_plan(self, turn: Turn, payload: PlanData) -> CardAnswer:
        cmd = services.ClosePlan(payload.reference, turn.actor, turn.activity_id)
        return await self._run(turn, services.close_plan, cmd)

    async def _run(self, turn: Turn, service: PlanChange[C], cmd: C) -> CardAnswer:
        changed = await self._tx.run(
            lambda uow: service(
                cmd,
                uow,
                now=turn.now,
                today=turn.today,
                settings=self._views.settings,
                hub_cards=self._hub_cards,
            )
        )
        notice = self._views.receipt(changed.what, turn.actor, turn.now)
        if changed.replayed:
            notice = "That was already recorded; here is the plan as it stands."
        view = self._views.plan(changed.case, changed.plan, turn.actor, turn.today, notice)
        return ShowCard(plan_card(view))
