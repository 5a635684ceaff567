"""Action plans: the actions agreed from a review, followed up until each is done.

"Safeguarding partners should ... ensure improvement is sustained through regular follow up
of actions so that the findings make a real impact on improving outcomes for children"
(the partnership's CSPR procedure, "Actions in response to local and national reviews").
The CSPR Group or the Safeguarding Practice Learning and Improvement Group (SPLIG) oversees
the plan; the safeguarding partners sign it off at the Children's MARS Board; findings of a
national review feed the local plan too.

Every step is an event in the case's evidence trail and :func:`plan_of` folds them back, as
``safeguarding/closure.py`` does for closure proposals. What a person typed (an action's
description, evidence of completion, a reason for closing an action) goes in the event's
``why``, which is sealed at rest; ``data`` holds only the structured facts (numbers, dates,
agency, owner). A plan closes only when every action is done (with evidence) or formally
closed with a reason; once the review is published - or, for a local learning review, once
the plan closes - the case closes with it.

The follow-ups (:func:`follow_ups`) are derived from an action's due date and the
partnership's :class:`FollowUpPolicy`, never scheduled by hand: before the due day, on it,
and while overdue. Each has a stable key, so a follow-up is sent once.

Pure: no clock is read, no I/O; ``at``, ``today``, ``now`` and the calendar are passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final

from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.clocks import format_day
from safeguarding.errors import DomainError, IllegalTransition, InvalidInput, NotFound
from safeguarding.milestones import PUBLISHED
from safeguarding.policy import Forbidden
from safeguarding.roles import Person, Role

# -- event kinds (data keys as documented; dates ISO) ---------------------------------------

# Who oversees the plan. data: {"owner": "csprg" | "splig"}
OWNER_SET: Final = "action_plan.owner_set"
# An action was agreed. why: its description.
# data: {"number", "agency", "owner_id", "owner_name", "due_on", "national": bool}
ACTION_ADDED: Final = "action_plan.action_added"
# An action moved on. why: the evidence (to "done"), the reason (to "closed"), else a note.
# data: {"number", "from", "to"}
STATUS_CHANGED: Final = "action_plan.status_changed"
# Evidence of completion recorded, the action not yet marked done. why: the evidence.
# data: {"number"}
EVIDENCE_RECORDED: Final = "action_plan.evidence_recorded"
# The partners signed the plan off at the Board. data: {"board_on", "signed_by"}
SIGNED_OFF: Final = "action_plan.signed_off"
# The plan closed: every action done or closed with a reason. data: {"actions": int}
PLAN_CLOSED: Final = "action_plan.closed"

PLAN_EVENTS: Final = frozenset(
    {OWNER_SET, ACTION_ADDED, STATUS_CHANGED, EVIDENCE_RECORDED, SIGNED_OFF, PLAN_CLOSED}
)

MAX_DESCRIPTION_CHARS: Final = 1000
MAX_TEXT_CHARS: Final = 2000
ERASED: Final = "(removed under the retention policy)"

# A plan is drawn up from a review's findings: from the Panel's answer onwards ("actions
# only"), through the reviews, to publication. Earlier there is nothing to act on yet.
PLAN_STAGES: Final = frozenset(
    {
        Stage.WITH_PANEL,
        Stage.LOCAL_REVIEW,
        Stage.LEARNING_REVIEW,
        Stage.NATIONAL_REVIEW,
        Stage.PUBLISHED,
        Stage.ACTION_PLAN,
    }
)


class PlanOwner(StrEnum):
    """Who takes "the leadership for oversight of the action plan" (the procedure)."""

    CSPRG = "csprg"
    SPLIG = "splig"

    @property
    def label(self) -> str:
        return _OWNER_LABELS[self]

    @property
    def roles(self) -> frozenset[Role]:
        return _OWNER_ROLES[self]


_OWNER_LABELS: Final[Mapping[PlanOwner, str]] = MappingProxyType(
    {
        PlanOwner.CSPRG: "CSPR Group",
        PlanOwner.SPLIG: "Safeguarding Practice Learning and Improvement Group (SPLIG)",
    }
)
_OWNER_ROLES: Final[Mapping[PlanOwner, frozenset[Role]]] = MappingProxyType(
    {
        PlanOwner.CSPRG: frozenset({Role.CSPRG_MEMBER, Role.CSPRG_DEPUTY}),
        PlanOwner.SPLIG: frozenset({Role.SPLIG_MEMBER}),
    }
)


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CLOSED = "closed"  # formally closed with a reason, not done

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        """Still to be done: followed up, and keeping the plan open."""
        return self in {ActionStatus.OPEN, ActionStatus.IN_PROGRESS}


_STATUS_LABELS: Final[Mapping[ActionStatus, str]] = MappingProxyType(
    {
        ActionStatus.OPEN: "Open",
        ActionStatus.IN_PROGRESS: "In progress",
        ActionStatus.DONE: "Done",
        ActionStatus.CLOSED: "Closed",
    }
)

# Which status may follow which. Done and closed are final: an action done in error is
# corrected by a new action, so the trail never reads as if it had not been done.
STATUS_TRANSITIONS: Final[Mapping[ActionStatus, frozenset[ActionStatus]]] = MappingProxyType(
    {
        ActionStatus.OPEN: frozenset(
            {ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.CLOSED}
        ),
        ActionStatus.IN_PROGRESS: frozenset(
            {ActionStatus.OPEN, ActionStatus.DONE, ActionStatus.CLOSED}
        ),
        ActionStatus.DONE: frozenset(),
        ActionStatus.CLOSED: frozenset(),
    }
)


class StaleAction(DomainError):
    """The card that was pressed shows an older state of the action; nothing was changed."""


class PlanNotReady(DomainError):
    """The plan cannot close yet; the message lists what is still open."""


@dataclass(frozen=True)
class PlanAction:
    """One action of a plan, as its events tell it (or as the plan's table stores it)."""

    case_reference: str
    number: int
    description: str | None  # None: erased under the retention policy
    agency: str
    owner: Actor
    due_on: date
    status: ActionStatus
    national: bool  # from a national review's findings
    added_by: Actor
    added_at: datetime
    updated_at: datetime
    evidence: str | None = None
    closed_reason: str | None = None
    revision: int = 1  # how many steps this action has had: a card shows one revision

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on < today

    @property
    def text(self) -> str:
        return self.description if self.description is not None else ERASED

    @property
    def title(self) -> str:
        return f"Action {self.number}"

    def owned_by(self, person: Person) -> bool:
        return self.owner.id.lower() == person.object_id.lower()


@dataclass(frozen=True)
class SignOff:
    board_on: date
    signed_by: Actor
    at: datetime


@dataclass(frozen=True)
class ActionPlan:
    """A case's action plan; an empty one (no actions, default owner) if none was started."""

    case_reference: str
    owner: PlanOwner
    actions: tuple[PlanAction, ...] = ()
    sign_offs: tuple[SignOff, ...] = ()
    closed_at: datetime | None = None
    closed_by: Actor | None = None
    revision: int = 0  # how many plan steps the trail holds

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None

    @property
    def started(self) -> bool:
        return self.revision > 0

    @property
    def signed_off(self) -> SignOff | None:
        return self.sign_offs[-1] if self.sign_offs else None

    @property
    def open_actions(self) -> tuple[PlanAction, ...]:
        return tuple(a for a in self.actions if a.is_open)

    def overdue(self, today: date) -> tuple[PlanAction, ...]:
        return tuple(a for a in self.actions if a.is_overdue(today))

    def action(self, number: int) -> PlanAction:
        found = next((a for a in self.actions if a.number == number), None)
        if found is None:
            raise NotFound(f"Case {self.case_reference}'s action plan has no action {number}.")
        return found

    def may_manage(self, person: Person) -> bool:
        """The Hub runs the process; the group that owns the plan oversees it."""
        return person.has(Role.HUB_OFFICER) or not person.roles.isdisjoint(self.owner.roles)

    def may_update(self, person: Person, action: PlanAction) -> bool:
        """An action's owner updates their own action; the plan's managers any action."""
        return action.owned_by(person) or self.may_manage(person)


# -- reading -------------------------------------------------------------------------------


def plan_of(case: Case, *, default_owner: PlanOwner = PlanOwner.CSPRG) -> ActionPlan:
    """The case's action plan, folded from its events."""
    reference = str(case.reference)
    owner = default_owner
    actions: dict[int, PlanAction] = {}
    sign_offs: list[SignOff] = []
    closed_at: datetime | None = None
    closed_by: Actor | None = None
    revision = 0
    for event in case.events:
        if event.kind not in PLAN_EVENTS:
            continue
        revision += 1
        data = event.data
        if event.kind == OWNER_SET:
            owner = PlanOwner(str(data["owner"]))
        elif event.kind == ACTION_ADDED:
            number = int(data["number"])
            actions[number] = PlanAction(
                case_reference=reference,
                number=number,
                description=event.why,
                agency=str(data["agency"]),
                owner=Actor(id=str(data["owner_id"]), name=str(data["owner_name"])),
                due_on=date.fromisoformat(str(data["due_on"])),
                status=ActionStatus.OPEN,
                national=bool(data.get("national", False)),
                added_by=event.actor,
                added_at=event.at,
                updated_at=event.at,
            )
        elif event.kind in {STATUS_CHANGED, EVIDENCE_RECORDED}:
            number = int(data["number"])
            current = actions.get(number)
            if current is None:
                continue
            changes: dict[str, Any] = {"revision": current.revision + 1, "updated_at": event.at}
            if event.kind == EVIDENCE_RECORDED:
                changes["evidence"] = event.why
            else:
                status = ActionStatus(str(data["to"]))
                changes["status"] = status
                if status is ActionStatus.DONE:
                    changes["evidence"] = event.why
                elif status is ActionStatus.CLOSED:
                    changes["closed_reason"] = event.why
            actions[number] = replace(current, **changes)
        elif event.kind == SIGNED_OFF:
            sign_offs.append(
                SignOff(
                    board_on=date.fromisoformat(str(data["board_on"])),
                    signed_by=event.actor,
                    at=event.at,
                )
            )
        elif event.kind == PLAN_CLOSED:
            closed_at, closed_by = event.at, event.actor
    return ActionPlan(
        case_reference=reference,
        owner=owner,
        actions=tuple(actions[n] for n in sorted(actions)),
        sign_offs=tuple(sign_offs),
        closed_at=closed_at,
        closed_by=closed_by,
        revision=revision,
    )


def review_published(case: Case) -> bool:
    """The review's report was published (the event, or the stage the case passed through)."""
    return any(
        event.kind == PUBLISHED
        or (event.kind == "stage.changed" and event.data.get("to") == Stage.PUBLISHED.value)
        for event in case.events
    )


def is_learning_review(case: Case) -> bool:
    """A local learning review: it is not published as a CSPR, its plan ends it."""
    return case.stage is Stage.LEARNING_REVIEW or any(
        event.kind == "stage.changed" and event.data.get("to") == Stage.LEARNING_REVIEW.value
        for event in case.events
    )


def replayed(case: Case, activity: str) -> bool:
    """Teams redelivered a press already recorded (the same activity id)."""
    return bool(activity) and any(
        event.kind in PLAN_EVENTS and event.data.get("activity") == activity
        for event in case.events
    )


# -- changing ------------------------------------------------------------------------------


def set_owner(
    case: Case, owner: PlanOwner, *, actor: Actor, at: datetime, default_owner: PlanOwner
) -> ActionPlan:
    """Who oversees the plan: the CSPR Group or SPLIG. Unchanged: nothing recorded."""
    plan = _changeable(case, default_owner)
    if plan.owner is owner and plan.started:
        return plan
    _enter_action_plan_stage(case, actor=actor, at=at)
    case.record(
        OWNER_SET,
        actor=actor,
        at=at,
        what=f"{actor.name} set the action plan's oversight: {owner.label}.",
        data={"owner": owner.value},
    )
    return plan_of(case, default_owner=default_owner)


def add_action(
    case: Case,
    *,
    description: str,
    agency: str,
    owner: Person | None,
    due_on: date,
    national: bool,
    actor: Actor,
    at: datetime,
    today: date,
    default_owner: PlanOwner,
    activity: str = "",
) -> PlanAction:
    """Agree a new action: what, which agency, who (a directory person), due by when.

    ``owner`` is the person as the directory knows them, or None when the directory does
    not know the one named: an action nobody in the partnership can be asked about would
    never be followed up, so it is refused.
    """
    plan = _changeable(case, default_owner)
    text = _text(description, "what the action is", MAX_DESCRIPTION_CHARS)
    agency_name = " ".join(agency.split())
    if owner is None:
        raise InvalidInput(
            "I can't find that person in the partnership's directory, so they can't own an "
            "action. Give the email of someone in the directory. Nothing was changed."
        )
    agency_name = agency_name or " ".join(owner.agency.split())
    if not agency_name:
        raise InvalidInput(
            "Please say which agency owns the action: it is required. Nothing was changed."
        )
    if due_on < today:
        raise InvalidInput(
            f"The due date {format_day(due_on)} is in the past (today is {format_day(today)}). "
            "Choose today or a later date. Nothing was changed."
        )
    number = max((a.number for a in plan.actions), default=0) + 1
    _enter_action_plan_stage(case, actor=actor, at=at)
    source = " from the national review" if national else ""
    case.record(
        ACTION_ADDED,
        actor=actor,
        at=at,
        what=f"{actor.name} added action {number}{source} for {agency_name}, owned by "
        f"{owner.name}, due {format_day(due_on)}.",
        why=text,
        data={
            "number": number,
            "agency": agency_name,
            "owner_id": owner.object_id,
            "owner_name": owner.name or owner.email or owner.object_id,
            "due_on": due_on.isoformat(),
            "national": national,
            "activity": activity,
        },
    )
    return plan_of(case, default_owner=default_owner).action(number)


def change_status(
    case: Case,
    number: int,
    status: ActionStatus,
    *,
    person: Person,
    actor: Actor,
    at: datetime,
    revision: int,
    default_owner: PlanOwner,
    text: str = "",
    activity: str = "",
) -> PlanAction:
    """Move an action on: in progress, back to open, done (with evidence) or closed (with a
    reason). ``revision`` is the action's revision on the card that was pressed."""
    plan = _changeable(case, default_owner)
    action = _current(plan, number, revision)
    if status is ActionStatus.CLOSED:
        if not plan.may_manage(person):
            raise Forbidden(
                f"Sorry, only the Hub and the {plan.owner.label} close an action without it "
                "being done. Nothing was changed."
            )
    elif not plan.may_update(person, action):
        raise Forbidden(
            f"Sorry, {action.title.lower()} is {action.owner.name}'s: only they, the Hub and "
            f"the {plan.owner.label} update it. Nothing was changed."
        )
    if status is action.status:
        raise IllegalTransition(
            f"{action.title} of {plan.case_reference} is already '{status.label}'. "
            "Nothing was changed."
        )
    if status not in STATUS_TRANSITIONS[action.status]:
        raise IllegalTransition(
            f"{action.title} of {plan.case_reference} is '{action.status.label}', so it can't "
            f"become '{status.label}'. Nothing was changed."
        )
    why: str | None = " ".join(text.split())[:MAX_TEXT_CHARS] or None
    if status is ActionStatus.DONE:
        why = why or action.evidence
        if not why:
            raise InvalidInput(
                f"Please give the evidence that {action.title.lower()} is done: it is required "
                "to mark it done. Nothing was changed."
            )
        what = f"{actor.name} marked {action.title.lower()} done, with evidence of completion."
    elif status is ActionStatus.CLOSED:
        why = _text(text, f"the reason for closing {action.title.lower()}", MAX_TEXT_CHARS)
        what = f"{actor.name} closed {action.title.lower()} without it being done, with a reason."
    else:
        what = f"{actor.name} marked {action.title.lower()} '{status.label}'."
    _enter_action_plan_stage(case, actor=actor, at=at)
    case.record(
        STATUS_CHANGED,
        actor=actor,
        at=at,
        what=what,
        why=why,
        data={
            "number": number,
            "from": action.status.value,
            "to": status.value,
            "activity": activity,
        },
    )
    return plan_of(case, default_owner=default_owner).action(number)


def record_evidence(
    case: Case,
    number: int,
    *,
    evidence: str,
    person: Person,
    actor: Actor,
    at: datetime,
    revision: int,
    default_owner: PlanOwner,
    activity: str = "",
) -> PlanAction:
    """Record evidence of completion on an open action (it is marked done separately)."""
    plan = _changeable(case, default_owner)
    action = _current(plan, number, revision)
    if not plan.may_update(person, action):
        raise Forbidden(
            f"Sorry, {action.title.lower()} is {action.owner.name}'s: only they, the Hub and "
            f"the {plan.owner.label} record its evidence. Nothing was changed."
        )
    if not action.is_open:
        raise IllegalTransition(
            f"{action.title} of {plan.case_reference} is already '{action.status.label}'. "
            "Nothing was changed."
        )
    text = _text(evidence, "the evidence of completion", MAX_TEXT_CHARS)
    _enter_action_plan_stage(case, actor=actor, at=at)
    case.record(
        EVIDENCE_RECORDED,
        actor=actor,
        at=at,
        what=f"{actor.name} recorded evidence of completion for {action.title.lower()}.",
        why=text,
        data={"number": number, "activity": activity},
    )
    return plan_of(case, default_owner=default_owner).action(number)


def sign_off(
    case: Case,
    *,
    board_on: date,
    person: Person,
    actor: Actor,
    at: datetime,
    today: date,
    default_owner: PlanOwner,
    activity: str = "",
) -> ActionPlan:
    """The safeguarding partners signed the plan off at the Children's MARS Board."""
    plan = _changeable(case, default_owner)
    if not person.has(Role.PARTNER):
        raise Forbidden(
            "Sorry, the action plan is signed off by the safeguarding partners at the Board. "
            "Nothing was changed."
        )
    if not plan.actions:
        raise InvalidInput(
            f"Case {plan.case_reference}'s action plan has no actions yet, so there is nothing "
            "to sign off. Nothing was changed."
        )
    if board_on > today:
        raise InvalidInput(
            f"The Board date {format_day(board_on)} is in the future (today is "
            f"{format_day(today)}). Record the sign-off once the Board has met. "
            "Nothing was changed."
        )
    _enter_action_plan_stage(case, actor=actor, at=at)
    case.record(
        SIGNED_OFF,
        actor=actor,
        at=at,
        what=f"The safeguarding partners signed off the action plan at the Children's MARS "
        f"Board on {format_day(board_on)} (recorded by {actor.name}).",
        data={"board_on": board_on.isoformat(), "signed_by": actor.name, "activity": activity},
    )
    return plan_of(case, default_owner=default_owner)


def close_plan(
    case: Case,
    *,
    person: Person,
    actor: Actor,
    at: datetime,
    default_owner: PlanOwner,
) -> ActionPlan:
    """Close the plan - and with it the case, its review published (or a learning review).

    Refused, naming everything still open, unless every action is done or closed with a
    reason, and the partners have signed the plan off at the Board.
    """
    plan = _changeable(case, default_owner)
    if not plan.may_manage(person):
        raise Forbidden(
            f"Sorry, the action plan is closed by the Hub or the {plan.owner.label}. "
            "Nothing was changed."
        )
    problems = [
        f"action {a.number} ({a.agency}, due {format_day(a.due_on)}) is {a.status.label.lower()}"
        for a in plan.open_actions
    ]
    if plan.signed_off is None:
        problems.append("the partners have not yet signed the plan off at the Board")
    if not (review_published(case) or is_learning_review(case) or case.stage is Stage.ACTION_PLAN):
        problems.append(f"the review is not yet published (the case is at '{case.stage.label}')")
    if problems:
        raise PlanNotReady(
            f"Case {plan.case_reference}'s action plan can't close yet: "
            + "; ".join(problems)
            + ". Nothing was changed."
        )
    _enter_action_plan_stage(case, actor=actor, at=at, force=True)
    case.record(
        PLAN_CLOSED,
        actor=actor,
        at=at,
        what=f"{actor.name} closed the action plan: every action is done or closed with a reason.",
        data={"actions": len(plan.actions)},
    )
    why = (
        "The local learning review's action plan is closed."
        if is_learning_review(case) and not review_published(case)
        else "The review is published and its action plan is closed."
    )
    case.move_to(Stage.CLOSED, actor=actor, at=at, why=why)
    return plan_of(case, default_owner=default_owner)


# -- follow-ups ----------------------------------------------------------------------------


class FollowUpKind(StrEnum):
    BEFORE = "before"  # N working days before the due day
    DUE = "due"  # on the due day (the last working day on or before it)
    OVERDUE = "overdue"  # the first working day after it, then every N days while open


@dataclass(frozen=True)
class FollowUpPolicy:
    """When an action's owner is followed up: configuration, with the partnership's defaults."""

    before_working_days: int = 5
    on_due_day: bool = True
    overdue_every_days: int = 7  # weekly; 0: only once, the first working day after
    send_time: time = time(9, 0)
    late_after: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if self.before_working_days < 0 or self.overdue_every_days < 0:
            raise InvalidInput("Follow-up intervals must be 0 (off) or more.")
        if self.send_time.tzinfo is not None:
            raise InvalidInput("The follow-up time is a local time of day, without a zone.")


@dataclass(frozen=True, order=True)
class FollowUp:
    send_at: datetime
    kind: FollowUpKind
    on: date  # the local day it is for

    def key(self, case_reference: str, number: int) -> str:
        """Stable: the same follow-up of the same action always has the same key."""
        return f"{case_reference}/{number}/{self.kind.value}/{self.on.isoformat()}"


def follow_ups(
    due_on: date,
    *,
    added_at: datetime,
    policy: FollowUpPolicy,
    calendar: WorkingDayCalendar,
    until: date,
) -> list[FollowUp]:
    """Every follow-up of an action due on ``due_on``, up to the day ``until``, in order.

    None before the action was added: an action agreed three days before it is due is not
    told it has five working days left.
    """
    days: list[tuple[FollowUpKind, date]] = []
    if policy.before_working_days:
        before = calendar.add_working_days(due_on, -policy.before_working_days)
        days.append((FollowUpKind.BEFORE, before))
    if policy.on_due_day:
        due_day = (
            due_on if calendar.is_working_day(due_on) else calendar.previous_working_day(due_on)
        )
        days.append((FollowUpKind.DUE, due_day))
    day = calendar.next_working_day(due_on)
    while day <= until:
        days.append((FollowUpKind.OVERDUE, day))
        if not policy.overdue_every_days:
            break
        nominal = day + timedelta(days=policy.overdue_every_days)
        day = nominal if calendar.is_working_day(nominal) else calendar.next_working_day(nominal)
    planned = {FollowUp(_instant(on, policy.send_time, calendar), kind, on) for kind, on in days}
    return sorted(f for f in planned if f.send_at >= added_at)


@dataclass(frozen=True)
class DueFollowUp:
    follow_up: FollowUp
    late: bool  # sent well after its time (a catch-up after downtime)


def due_follow_up(
    action: PlanAction,
    *,
    now: datetime,
    sent: Iterable[str],
    policy: FollowUpPolicy,
    calendar: WorkingDayCalendar,
) -> DueFollowUp | None:
    """The follow-up to send now, if any: the latest one due, unless it was sent already.

    After downtime only the latest missed follow-up goes out (marked late), never one per
    missed day. A done or closed action is never followed up.
    """
    if not action.is_open:
        return None
    today = calendar.local_date(now)
    past = [
        f
        for f in follow_ups(
            action.due_on, added_at=action.added_at, policy=policy, calendar=calendar, until=today
        )
        if f.send_at <= now
    ]
    if not past:
        return None
    latest = past[-1]
    if latest.key(action.case_reference, action.number) in set(sent):
        return None
    return DueFollowUp(latest, late=now - latest.send_at > policy.late_after)


def next_follow_up_at(
    action: PlanAction, *, now: datetime, policy: FollowUpPolicy, calendar: WorkingDayCalendar
) -> datetime | None:
    """When the action next needs a follow-up after ``now``; None once it is done or closed."""
    if not action.is_open:
        return None
    horizon = max(calendar.local_date(now), action.due_on) + timedelta(
        days=max(policy.overdue_every_days, 1) + 14
    )
    later = [
        f.send_at
        for f in follow_ups(
            action.due_on,
            added_at=action.added_at,
            policy=policy,
            calendar=calendar,
            until=horizon,
        )
        if f.send_at > now
    ]
    return min(later) if later else None


def first_follow_up_at(
    action: PlanAction, *, policy: FollowUpPolicy, calendar: WorkingDayCalendar
) -> datetime | None:
    """The first follow-up of a newly stored or changed action (from when it was added)."""
    return next_follow_up_at(
        action, now=action.added_at - timedelta(microseconds=1), policy=policy, calendar=calendar
    )


# -- helpers -------------------------------------------------------------------------------


def _changeable(case: Case, default_owner: PlanOwner) -> ActionPlan:
    plan = plan_of(case, default_owner=default_owner)
    if plan.is_closed:
        raise IllegalTransition(
            f"Case {plan.case_reference}'s action plan is closed, so it can't change. "
            "Nothing was changed."
        )
    if not case.is_open:
        raise IllegalTransition(
            f"Case {plan.case_reference} is closed, so its action plan can't change. "
            "Nothing was changed."
        )
    if case.stage not in PLAN_STAGES:
        raise IllegalTransition(
            f"Case {plan.case_reference} is at '{case.stage.label}': an action plan follows "
            "the decision on a review. Nothing was changed."
        )
    return plan


def _current(plan: ActionPlan, number: int, revision: int) -> PlanAction:
    action = plan.action(number)
    if revision != action.revision:
        raise StaleAction(
            f"That card is out of date: {action.title.lower()} of {plan.case_reference} has "
            f"changed since (it is now '{action.status.label}'). Open the plan again to see it. "
            "Nothing was changed."
        )
    return action


def _enter_action_plan_stage(
    case: Case, *, actor: Actor, at: datetime, force: bool = False
) -> None:
    """Published findings feed the action plan: a published case moves to its plan stage.

    ``force``: closing the plan of a learning review moves it there too, so the trail shows
    the plan stage before closure.
    """
    if case.stage is Stage.PUBLISHED or (force and case.stage is Stage.LEARNING_REVIEW):
        case.move_to(
            Stage.ACTION_PLAN, actor=actor, at=at, why="The action plan follows the review."
        )


def _text(value: str, what: str, limit: int) -> str:
    cleaned = " ".join(str(value).split())
    if not cleaned:
        raise InvalidInput(f"Please give {what}: it is required. Nothing was changed.")
    if len(cleaned) > limit:
        raise InvalidInput(f"Keep {what} under {limit} characters. Nothing was changed.")
    return cleaned


def _instant(day: date, send_time: time, calendar: WorkingDayCalendar) -> datetime:
    return datetime.combine(day, send_time, tzinfo=calendar.timezone).astimezone(UTC)
