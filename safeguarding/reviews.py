"""After the decision: the review itself - a local CSPR, a local learning review or a national
review - its milestones, publication, the processes running alongside it, and the family.

A local CSPR runs from the partners' decision to start it and is complete within 6 calendar
months (Working Together 2023 ch.5; the partnership's CSPR procedure, "Key points when
completing a local CSPR"): the partners commission the reviewer(s), agree the methodology,
involve the practitioners, invite the family (surviving children included), receive the draft
and agree the final report, and monitor time and quality along the way. The final report
goes to the Panel, the Secretary of State and Ofsted at least 7 working days before it is
published (the Child Safeguarding Practice Review and Relevant Agency (England) Regulations
2018), contains a summary of recommended improvements and an analysis of the systemic or
underlying reasons, and stays published for at least a year (a national review: 3 years).

A local learning review is the lighter track for a near miss or exceptional practice, with a
target the partnership sets itself. A national review is led by the Panel: the partnership
tracks its publication and records the partners' response to its findings.

Every step is an event in the case's trail, and :func:`review_of` folds them back, so the
clocks (``case_clocks``), the cards and the evidence bundle read the same record. Pure: no
I/O, and the clock only as ``today``/``at`` passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Final, TypeVar

from safeguarding import milestones as m
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Actor, Case, CaseEvent, Stage
from safeguarding.clocks import (
    STATUTORY_CLOCKS,
    ClockId,
    ClockRule,
    Deadline,
    clock_rule,
    compute_deadline,
    format_day,
)
from safeguarding.errors import DomainError, IllegalTransition, InvalidInput

# -- event kinds (data keys in the comments; dates ISO) ----------------------------------------
# A milestone's owner and target. data: {"milestone", "owner_id", "owner_name", "target_on"}
MILESTONE_PLANNED: Final = "review.milestone_planned"
# A milestone was done. data: {"milestone", "done_on"}; the family's milestone adds
# {"invited", "children_invited"} and keeps how their views were included in ``why``.
MILESTONE_DONE: Final = "review.milestone_done"
# Who leads the review for the partnership. data: {"owner_id", "owner_name"}
LEAD_SET: Final = "review.lead_set"
# The final report's required content was confirmed. data: {"improvements", "systemic"}
CHECKLIST_CONFIRMED: Final = "review.checklist_confirmed"
# A process running alongside the review. data: {"process", "lead_agency", "contact", "status"}
PROCESS_RECORDED: Final = "review.parallel_process"
# The review is held jointly with a Domestic Homicide Review or a Safeguarding Adults Review:
# one timetable, one clock. data: {"with"}
JOINT: Final = "review.joint"
# Publication deferred because of proceedings; why: the reason.
# data: {"process", "publish_on", "review_on"}
PUBLICATION_DEFERRED: Final = "review.publication_deferred"
# A partner recorded the partnership's response to a national review's findings; why: summary.
# data: {"responded_on", "partner"}
RESPONDED: Final = "review.partners_responded"

_E = TypeVar("_E", bound=StrEnum)

MAX_TEXT_CHARS: Final = 500
MAX_NAME_CHARS: Final = 120
# How often the partners are prompted to check the review's time and quality.
MONITORING_EVERY_MONTHS: Final = 1


class ReviewKind(StrEnum):
    LOCAL = "local"
    NATIONAL = "national"
    LEARNING = "learning"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS: Final[Mapping[ReviewKind, str]] = MappingProxyType(
    {
        ReviewKind.LOCAL: "Local child safeguarding practice review",
        ReviewKind.NATIONAL: "National review, led by the Child Safeguarding Practice Review Panel",
        ReviewKind.LEARNING: "Local learning review",
    }
)


class Milestone(StrEnum):
    COMMISSIONED = "commissioned"
    METHODOLOGY = "methodology"
    PRACTITIONERS = "practitioners"
    FAMILY = "family"
    DRAFT = "draft"
    FINAL = "final"
    APPROACH = "approach"
    LEARNING_EVENT = "learning_event"
    LEARNING_AGREED = "learning_agreed"

    @property
    def label(self) -> str:
        return _MILESTONE_LABELS[self]


_MILESTONE_LABELS: Final[Mapping[Milestone, str]] = MappingProxyType(
    {
        Milestone.COMMISSIONED: "Reviewer(s) commissioned",
        Milestone.METHODOLOGY: "Methodology agreed",
        Milestone.PRACTITIONERS: "Practitioners involved",
        Milestone.FAMILY: "Family invited (including surviving children)",
        Milestone.DRAFT: "Draft report received",
        Milestone.FINAL: "Final report agreed",
        Milestone.APPROACH: "Approach and lead reviewer agreed",
        Milestone.LEARNING_EVENT: "Practitioners' learning event held",
        Milestone.LEARNING_AGREED: "Learning agreed",
    }
)

# The milestones each kind of review tracks, in the order they are usually reached.
MILESTONES: Final[Mapping[ReviewKind, tuple[Milestone, ...]]] = MappingProxyType(
    {
        ReviewKind.LOCAL: (
            Milestone.COMMISSIONED,
            Milestone.METHODOLOGY,
            Milestone.PRACTITIONERS,
            Milestone.FAMILY,
            Milestone.DRAFT,
            Milestone.FINAL,
        ),
        ReviewKind.LEARNING: (
            Milestone.APPROACH,
            Milestone.LEARNING_EVENT,
            Milestone.FAMILY,
            Milestone.LEARNING_AGREED,
        ),
        ReviewKind.NATIONAL: (),
    }
)

# What must be done before a milestone can be: nobody agrees a final report they have not
# seen in draft, and the family's involvement is on the record before the report is final.
PREREQUISITES: Final[Mapping[Milestone, tuple[Milestone, ...]]] = MappingProxyType(
    {
        Milestone.METHODOLOGY: (Milestone.COMMISSIONED,),
        Milestone.PRACTITIONERS: (Milestone.COMMISSIONED, Milestone.APPROACH),
        Milestone.FAMILY: (Milestone.COMMISSIONED,),
        Milestone.DRAFT: (Milestone.METHODOLOGY,),
        Milestone.FINAL: (Milestone.DRAFT, Milestone.FAMILY),
        Milestone.LEARNING_EVENT: (Milestone.APPROACH,),
        Milestone.LEARNING_AGREED: (Milestone.LEARNING_EVENT, Milestone.FAMILY),
    }
)

# Marking one of these done completes the review (meets its clock).
COMPLETING: Final = frozenset({Milestone.FINAL, Milestone.LEARNING_AGREED})


class Recipient(StrEnum):
    """Who gets the final report before publication (the Regulations, reg. 15)."""

    PANEL = "panel"
    SECRETARY_OF_STATE = "secretary_of_state"
    OFSTED = "ofsted"

    @property
    def label(self) -> str:
        return _RECIPIENT_LABELS[self]


_RECIPIENT_LABELS: Final[Mapping[Recipient, str]] = MappingProxyType(
    {
        Recipient.PANEL: "the Child Safeguarding Practice Review Panel",
        Recipient.SECRETARY_OF_STATE: "the Secretary of State",
        Recipient.OFSTED: "Ofsted",
    }
)
assert tuple(Recipient) == m.COPY_RECIPIENTS


class ProcessKind(StrEnum):
    """Processes that may run alongside a review (the procedure, "Interface with other
    reviewing processes")."""

    CRIMINAL = "criminal"
    CORONER = "coroner"
    DISCIPLINARY = "disciplinary"
    DHR = "dhr"
    MAPPA = "mappa"
    SAR = "sar"

    @property
    def label(self) -> str:
        return _PROCESS_LABELS[self]


_PROCESS_LABELS: Final[Mapping[ProcessKind, str]] = MappingProxyType(
    {
        ProcessKind.CRIMINAL: "Criminal investigation",
        ProcessKind.CORONER: "Coroner's investigation",
        ProcessKind.DISCIPLINARY: "Professional body disciplinary procedure",
        ProcessKind.DHR: "Domestic Homicide Review",
        ProcessKind.MAPPA: "Multi Agency Public Protection Arrangements review",
        ProcessKind.SAR: "Safeguarding Adults Review",
    }
)
# A review may be held jointly with these, on one timetable.
JOINT_WITH: Final = frozenset({ProcessKind.DHR, ProcessKind.SAR})


class ProcessStatus(StrEnum):
    ONGOING = "ongoing"
    PAUSED = "paused"
    CONCLUDED = "concluded"

    @property
    def label(self) -> str:
        return {"ongoing": "Ongoing", "paused": "Paused", "concluded": "Concluded"}[self.value]


class StaleCard(DomainError):
    """The card was drawn before the review's last change: nothing was changed."""


# -- the review, as its events tell it --------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """Someone named on the review: an owner or a lead (from the partnership's directory)."""

    id: str
    name: str


@dataclass(frozen=True)
class MilestoneState:
    milestone: Milestone
    owner: Owner | None = None
    target_on: date | None = None
    done_on: date | None = None
    done_by: str | None = None

    @property
    def label(self) -> str:
        return self.milestone.label

    def behind(self, today: date) -> bool:
        """Past its target and not done."""
        return self.done_on is None and self.target_on is not None and today > self.target_on


@dataclass(frozen=True)
class Family:
    """Whether and when the family were invited, and how their views were included."""

    invited: bool
    invited_on: date | None
    children_invited: bool
    how: str | None  # None: erased by the retention policy
    recorded_by: str


@dataclass(frozen=True)
class Process:
    kind: ProcessKind
    lead_agency: str
    contact: str  # a name or role: personal chat only
    status: ProcessStatus
    recorded_by: str


@dataclass(frozen=True)
class Deferral:
    process: ProcessKind
    review_on: date
    reason: str | None
    recorded_by: str


@dataclass(frozen=True)
class Publication:
    publish_on: date
    copy_by: date | None  # None: planned before the copy deadline was kept with the plan
    breaks_rule: bool  # recorded although the copy deadline had already passed
    deferral: Deferral | None = None


@dataclass(frozen=True)
class Response:
    partner: str
    responded_on: date
    summary: str | None


@dataclass(frozen=True)
class Review:
    kind: ReviewKind
    started_on: date
    milestones: tuple[MilestoneState, ...]
    lead: Owner | None = None
    family: Family | None = None
    completed_on: date | None = None
    publication: Publication | None = None
    copies: Mapping[Recipient, date] = field(default_factory=dict)
    checklist_confirmed: bool = False
    published_on: date | None = None
    keep_until: date | None = None
    processes: tuple[Process, ...] = ()
    joint_with: ProcessKind | None = None
    responses: tuple[Response, ...] = ()
    version: int = 0  # changes with every step of the review: a card drawn earlier is stale

    def milestone(self, milestone: Milestone) -> MilestoneState | None:
        return next((s for s in self.milestones if s.milestone is milestone), None)

    @property
    def all_copied(self) -> bool:
        return all(r in self.copies for r in Recipient)

    def behind(self, today: date) -> list[MilestoneState]:
        return [s for s in self.milestones if s.behind(today)]


def review_version(case: Case) -> int:
    """A number that changes with every step of the review track (and every stage move),
    and not with refusals: a card carries it, so a card drawn before a change is refused."""
    return sum(1 for e in case.events if e.kind.startswith("review.") or e.kind == "stage.changed")


def review_of(case: Case) -> Review | None:
    """The review the case is in (the latest started), or None before any was started."""
    events = case.events
    started = next((e for e in reversed(events) if e.kind == m.REVIEW_STARTED), None)
    if started is None:
        return None
    kind = _enum(ReviewKind, started.data.get("kind")) or ReviewKind.LOCAL
    plans: dict[Milestone, tuple[Owner | None, date | None]] = {}
    done: dict[Milestone, tuple[date, str]] = {}
    lead: Owner | None = None
    family: Family | None = None
    completed_on: date | None = None
    publication: Publication | None = None
    deferral: Deferral | None = None
    copies: dict[Recipient, date] = {}
    checklist = False
    published_on = keep_until = None
    joint: ProcessKind | None = None
    responses: list[Response] = []
    for event in events:
        if event.seq < started.seq:
            continue
        data = event.data
        if event.kind == MILESTONE_PLANNED:
            planned = _enum(Milestone, data.get("milestone"))
            if planned is not None:
                plans[planned] = (_owner(data), _date(data.get("target_on")))
        elif event.kind == MILESTONE_DONE:
            milestone = _enum(Milestone, data.get("milestone"))
            if milestone is None:
                continue
            done[milestone] = (_day_of(event, "done_on"), event.actor.name)
            if milestone is Milestone.FAMILY:
                family = Family(
                    invited=bool(data.get("invited")),
                    invited_on=_date(data.get("invited_on")),
                    children_invited=bool(data.get("children_invited")),
                    how=event.why,
                    recorded_by=event.actor.name,
                )
        elif event.kind == LEAD_SET:
            lead = _owner(data) or lead
        elif event.kind == m.REVIEW_COMPLETED:
            completed_on = _day_of(event, "completed_on")
        elif event.kind == PUBLICATION_DEFERRED:
            process = _enum(ProcessKind, data.get("process"))
            review_on = _date(data.get("review_on"))
            if process is not None and review_on is not None:
                deferral = Deferral(process, review_on, event.why, event.actor.name)
        elif event.kind == m.PUBLICATION_PLANNED:
            publish_on = _date(data.get("publish_on"))
            if publish_on is not None:
                publication = Publication(
                    publish_on=publish_on,
                    copy_by=_date(data.get("copy_by")),
                    breaks_rule=bool(data.get("breaks_rule")),
                    deferral=deferral if data.get("deferred") else None,
                )
        elif event.kind == m.REPORT_COPIED:
            recipient = _enum(Recipient, data.get("recipient"))
            for one in [recipient] if recipient is not None else list(Recipient):
                copies.setdefault(one, _day_of(event, "sent_on"))
        elif event.kind == CHECKLIST_CONFIRMED:
            checklist = True
        elif event.kind == m.PUBLISHED:
            published_on = _day_of(event, "published_on")
            keep_until = _date(data.get("keep_until"))
        elif event.kind == JOINT:
            joint = _enum(ProcessKind, data.get("with")) or joint
        elif event.kind == RESPONDED:
            responses.append(Response(event.actor.name, _day_of(event, "responded_on"), event.why))
    states = tuple(
        MilestoneState(
            milestone=milestone,
            owner=plans.get(milestone, (None, None))[0],
            target_on=plans.get(milestone, (None, None))[1],
            done_on=done[milestone][0] if milestone in done else None,
            done_by=done[milestone][1] if milestone in done else None,
        )
        for milestone in MILESTONES[kind]
    )
    return Review(
        kind=kind,
        started_on=_day_of(started, "decided_on"),
        milestones=states,
        lead=lead,
        family=family,
        completed_on=completed_on,
        publication=publication,
        copies=MappingProxyType(copies),
        checklist_confirmed=checklist,
        published_on=published_on,
        keep_until=keep_until,
        processes=processes_of(case),
        joint_with=joint,
        responses=tuple(responses),
        version=review_version(case),
    )


def processes_of(case: Case) -> tuple[Process, ...]:
    """Each parallel process as last recorded, in the order first recorded."""
    found: dict[ProcessKind, Process] = {}
    for event in case.events:
        if event.kind == PROCESS_RECORDED:
            data = event.data
            kind = _enum(ProcessKind, data.get("process"))
            if kind is None:
                continue
            found[kind] = Process(
                kind=kind,
                lead_agency=str(data.get("lead_agency", "")),
                contact=str(data.get("contact", "")),
                status=_enum(ProcessStatus, data.get("status")) or ProcessStatus.ONGOING,
                recorded_by=event.actor.name,
            )
    return tuple(found.values())


# -- the rules that need the calendar ---------------------------------------------------------


@dataclass(frozen=True)
class ReviewRules:
    """The partnership's calendar and clock table, as the review's deadlines need them."""

    calendar: WorkingDayCalendar
    table: Sequence[ClockRule] = STATUTORY_CLOCKS
    convention: CountingConvention = CountingConvention.EXCLUDE_START

    def copy_deadline(self, publish_on: date) -> Deadline:
        """The latest day the final report may reach the Panel, Secretary of State and Ofsted."""
        rule = clock_rule(ClockId.REPORT_COPY, self.table)
        return compute_deadline(rule, publish_on, self.calendar, self.convention)

    def copy_by(self, plan: Publication) -> date:
        """The plan's copy deadline, as recorded with it or (a plan recorded before it was
        kept) as the rule gives it for the planned date."""
        return plan.copy_by or self.copy_deadline(plan.publish_on).due

    def review_deadline(self, review: Review) -> Deadline:
        clock_id = {
            ReviewKind.LOCAL: ClockId.LOCAL_REVIEW,
            ReviewKind.NATIONAL: ClockId.NATIONAL_REVIEW,
            ReviewKind.LEARNING: ClockId.LEARNING_REVIEW,
        }[review.kind]
        rule = clock_rule(clock_id, self.table)
        return compute_deadline(rule, review.started_on, self.calendar, self.convention)

    def keep_until(self, kind: ReviewKind, published_on: date) -> Deadline:
        clock_id = (
            ClockId.PUBLISHED_NATIONAL if kind is ReviewKind.NATIONAL else ClockId.PUBLISHED_LOCAL
        )
        rule = clock_rule(clock_id, self.table)
        return compute_deadline(rule, published_on, self.calendar, self.convention)


# -- where a step may be taken ----------------------------------------------------------------

_ACTIVE_STAGES: Final[Mapping[ReviewKind, frozenset[Stage]]] = MappingProxyType(
    {
        # A local CSPR starts with the partners' decision and does not wait for the Panel.
        ReviewKind.LOCAL: frozenset(
            {Stage.PARTNERS_DECISION, Stage.WITH_PANEL, Stage.LOCAL_REVIEW}
        ),
        ReviewKind.LEARNING: frozenset({Stage.LEARNING_REVIEW}),
        ReviewKind.NATIONAL: frozenset({Stage.NATIONAL_REVIEW}),
    }
)


# Every stage at which some kind of review is under way (the scheduler's monitoring pass).
STAGES_UNDER_REVIEW: Final = frozenset().union(*_ACTIVE_STAGES.values())


def is_active(case: Case) -> bool:
    """A review is under way on this case (started, not yet published or moved on)."""
    review = review_of(case)
    return review is not None and case.stage in _ACTIVE_STAGES[review.kind]


def check_card(case: Case, version: int) -> None:
    """Refuse a press from a card drawn before the review's last change."""
    if version != review_version(case):
        raise StaleCard(
            f"This card about case {case.reference} is out of date: the review has changed "
            "since it was drawn. Here is the card as it stands now; nothing was changed."
        )


def _active(case: Case, *kinds: ReviewKind) -> Review:
    review = review_of(case)
    if review is None:
        raise IllegalTransition(
            f"No review has been started on case {case.reference}: the review track starts "
            "with the decision to hold one. Nothing was changed."
        )
    if case.stage not in _ACTIVE_STAGES[review.kind]:
        raise IllegalTransition(
            f"Case {case.reference} is at '{case.stage.label}', so that step of the "
            f"{review.kind.label.lower()} can't be taken now. Nothing was changed."
        )
    if kinds and review.kind not in kinds:
        raise IllegalTransition(
            f"Case {case.reference} is a {review.kind.label.lower()}: that step belongs to "
            f"another kind of review. Nothing was changed."
        )
    return review


# -- milestones -------------------------------------------------------------------------------


def plan_milestone(
    case: Case,
    milestone: Milestone,
    *,
    owner: Owner,
    target_on: date,
    actor: Actor,
    at: datetime,
) -> Review:
    """Give a milestone its owner (someone in the directory: the caller checks) and target."""
    review = _active(case)
    state = _milestone(case, review, milestone)
    if state.done_on is not None:
        raise IllegalTransition(
            f"'{milestone.label}' was already done on {format_day(state.done_on)}. Nothing "
            "was changed."
        )
    if target_on < review.started_on:
        raise InvalidInput(
            f"The target {format_day(target_on)} is before the review started "
            f"({format_day(review.started_on)}). Check the date; nothing was changed."
        )
    case.record(
        MILESTONE_PLANNED,
        actor=actor,
        at=at,
        what=f"'{milestone.label}': owner {owner.name}, target {format_day(target_on)}.",
        data={
            "milestone": milestone.value,
            "owner_id": owner.id,
            "owner_name": owner.name,
            "target_on": target_on.isoformat(),
        },
    )
    return _now(case)


def mark_done(
    case: Case, milestone: Milestone, *, done_on: date, today: date, actor: Actor, at: datetime
) -> Review:
    """A milestone was done on ``done_on``; the review's last one completes the review."""
    review = _active(case)
    if milestone is Milestone.FAMILY:
        raise InvalidInput(
            "Record the family's involvement with its own form: whether and when they were "
            "invited, and how their views were included. Nothing was changed."
        )
    _check_done(case, review, milestone, done_on, today)
    case.record(
        MILESTONE_DONE,
        actor=actor,
        at=at,
        what=f"'{milestone.label}' done on {format_day(done_on)} (recorded by {actor.name}).",
        data={"milestone": milestone.value, "done_on": done_on.isoformat()},
    )
    if milestone in COMPLETING:
        case.record(
            m.REVIEW_COMPLETED,
            actor=actor,
            at=at,
            what=f"The {review.kind.label.lower()} was completed on {format_day(done_on)}.",
            data={"completed_on": done_on.isoformat()},
        )
    return _now(case)


def record_family(
    case: Case,
    *,
    invited: bool,
    invited_on: date | None,
    children_invited: bool,
    how: str,
    today: date,
    actor: Actor,
    at: datetime,
) -> Review:
    """Whether and when the family (surviving children included) were invited, and how their
    views were included - or why they were not invited. The words go in personal chat only."""
    review = _active(case)
    text = _text(how, "how the family's views were included (or why they were not invited)")
    if invited and invited_on is None:
        raise InvalidInput("Please give the date the family were invited. Nothing was changed.")
    done_on = invited_on if invited and invited_on is not None else today
    _check_done(case, review, Milestone.FAMILY, done_on, today)
    what = (
        f"Family invited on {format_day(done_on)}"
        + (", surviving children included" if children_invited else "")
        + f" (recorded by {actor.name})."
        if invited
        else f"Family not invited; the reason is on the record (recorded by {actor.name})."
    )
    case.record(
        MILESTONE_DONE,
        actor=actor,
        at=at,
        what=what,
        why=text,
        data={
            "milestone": Milestone.FAMILY.value,
            "done_on": done_on.isoformat(),
            "invited": invited,
            "invited_on": invited_on.isoformat() if invited and invited_on else None,
            "children_invited": invited and children_invited,
        },
    )
    return _now(case)


def set_lead(case: Case, *, owner: Owner, actor: Actor, at: datetime) -> Review:
    """Who leads the review for the partnership (the learning review's owner, say)."""
    review = _active(case)
    if review.lead == owner:
        return review
    case.record(
        LEAD_SET,
        actor=actor,
        at=at,
        what=f"{owner.name} leads the {review.kind.label.lower()}.",
        data={"owner_id": owner.id, "owner_name": owner.name},
    )
    return _now(case)


def complete_national(
    case: Case, *, completed_on: date, today: date, actor: Actor, at: datetime
) -> Review:
    """The Panel's national review is complete (its final report is in)."""
    review = _active(case, ReviewKind.NATIONAL)
    if review.completed_on is not None:
        raise IllegalTransition(
            f"The national review was already recorded complete on "
            f"{format_day(review.completed_on)}. Nothing was changed."
        )
    _not_future(completed_on, today, "completion")
    _not_before(completed_on, review.started_on, "the review started")
    case.record(
        m.REVIEW_COMPLETED,
        actor=actor,
        at=at,
        what=f"The Panel's national review was completed on {format_day(completed_on)}.",
        data={"completed_on": completed_on.isoformat()},
    )
    return _now(case)


def _milestone(case: Case, review: Review, milestone: Milestone) -> MilestoneState:
    state = review.milestone(milestone)
    if state is None:
        raise InvalidInput(
            f"'{milestone.label}' is not a milestone of a {review.kind.label.lower()} "
            f"(case {case.reference}). Nothing was changed."
        )
    return state


def _check_done(
    case: Case, review: Review, milestone: Milestone, done_on: date, today: date
) -> None:
    state = _milestone(case, review, milestone)
    if state.done_on is not None:
        raise IllegalTransition(
            f"'{milestone.label}' was already recorded as done on {format_day(state.done_on)}. "
            "Nothing was changed."
        )
    _not_future(done_on, today, f"'{milestone.label}'")
    _not_before(done_on, review.started_on, "the review started")
    for needed in PREREQUISITES.get(milestone, ()):
        before = review.milestone(needed)
        if before is None:
            continue  # not a milestone of this kind of review
        if before.done_on is None:
            raise IllegalTransition(
                f"'{milestone.label}' can't be done before '{needed.label}': record that "
                "first. Nothing was changed."
            )
        if done_on < before.done_on:
            raise InvalidInput(
                f"'{milestone.label}' can't have been done on {format_day(done_on)}, before "
                f"'{needed.label}' ({format_day(before.done_on)}). Check the date; nothing "
                "was changed."
            )


# -- publication ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicationCheck:
    """What planning a publication date found: the copy deadline, and any breach of the rule."""

    publish_on: date
    copy_by: Deadline
    warning: str | None  # the 7-working-day rule is broken
    recorded: bool


def publication_warning(publish_on: date, copy_by: date, today: date, review: Review) -> str | None:
    """The warning when ``publish_on`` breaks the rule: the final report must reach the Panel,
    the Secretary of State and Ofsted at least 7 working days before publication, and the
    last day for that has passed without all three copies sent by it."""
    if copy_by >= today or all(
        review.copies.get(r) is not None and review.copies[r] <= copy_by for r in Recipient
    ):
        return None
    return (
        f"Publishing on {format_day(publish_on)} breaks the 7-working-day rule: the final "
        "report must reach the Panel, the Secretary of State and Ofsted at least 7 working "
        f"days before publication, so by {format_day(copy_by)}, which has already passed "
        f"(today is {format_day(today)}). Choose a later date, or confirm to record this date "
        "anyway - the breach stays on the record."
    )


def plan_publication(
    case: Case,
    *,
    publish_on: date,
    today: date,
    rules: ReviewRules,
    confirm_breach: bool,
    actor: Actor,
    at: datetime,
) -> PublicationCheck:
    """Plan (or re-plan) the publication date of a local CSPR's final report.

    A date in the past is refused. A date that breaks the 7-working-day copy rule is not
    recorded unless the person confirms it after seeing the warning; then it is recorded
    with the breach.
    """
    review = _active(case, ReviewKind.LOCAL)
    _unpublished(case, review)
    if publish_on < today:
        raise InvalidInput(
            f"The publication date {format_day(publish_on)} is in the past (today is "
            f"{format_day(today)}). Choose a date from today on; nothing was changed."
        )
    deadline = rules.copy_deadline(publish_on)
    warning = publication_warning(publish_on, deadline.due, today, review)
    if warning is not None and not confirm_breach:
        return PublicationCheck(publish_on, deadline, warning, recorded=False)
    _record_plan(case, publish_on, deadline.due, warning is not None, actor=actor, at=at)
    return PublicationCheck(publish_on, deadline, warning, recorded=True)


def _record_plan(
    case: Case,
    publish_on: date,
    copy_by: date,
    breaks: bool,
    *,
    actor: Actor,
    at: datetime,
    deferred: bool = False,
) -> None:
    case.record(
        m.PUBLICATION_PLANNED,
        actor=actor,
        at=at,
        what=f"Publication planned for {format_day(publish_on)}: the final report goes to the "
        f"Panel, the Secretary of State and Ofsted by {format_day(copy_by)}"
        + (" - the 7-working-day rule is broken, confirmed by " + actor.name if breaks else "")
        + ".",
        data={
            "publish_on": publish_on.isoformat(),
            "copy_by": copy_by.isoformat(),
            "breaks_rule": breaks,
            "deferred": deferred,
        },
    )


def defer_publication(
    case: Case,
    *,
    process: ProcessKind,
    publish_on: date,
    review_on: date,
    reason: str,
    today: date,
    rules: ReviewRules,
    actor: Actor,
    at: datetime,
) -> Review:
    """Publication waits for proceedings: the reason, the date to look again, the new date.

    The copy deadline follows the new date (the copy clock reads the latest plan).
    """
    review = _active(case, ReviewKind.LOCAL)
    _unpublished(case, review)
    text = _text(reason, "the reason publication is deferred")
    if review.publication is None:
        raise IllegalTransition(
            f"No publication date is planned for case {case.reference} yet, so there is "
            "nothing to defer: plan one first. Nothing was changed."
        )
    if process not in {p.kind for p in review.processes}:
        raise IllegalTransition(
            f"No {process.label.lower()} is recorded on case {case.reference}: record it "
            "under parallel processes first. Nothing was changed."
        )
    if publish_on <= review.publication.publish_on:
        raise InvalidInput(
            f"A deferred publication date must be later than the one planned "
            f"({format_day(review.publication.publish_on)}). Nothing was changed."
        )
    if review_on < today or review_on > publish_on:
        raise InvalidInput(
            "The date to review the deferral must be from today on, and no later than the "
            "new publication date. Nothing was changed."
        )
    case.record(
        PUBLICATION_DEFERRED,
        actor=actor,
        at=at,
        what=f"Publication deferred because of the {process.label.lower()}, to "
        f"{format_day(publish_on)}; the deferral is reviewed on {format_day(review_on)}.",
        why=text,
        data={
            "process": process.value,
            "publish_on": publish_on.isoformat(),
            "review_on": review_on.isoformat(),
        },
    )
    deadline = rules.copy_deadline(publish_on)
    breaks = publication_warning(publish_on, deadline.due, today, _now(case)) is not None
    _record_plan(case, publish_on, deadline.due, breaks, actor=actor, at=at, deferred=True)
    return _now(case)


def record_copy(
    case: Case, recipient: Recipient, *, sent_on: date, today: date, actor: Actor, at: datetime
) -> Review:
    """The final report went to one of the three recipients on ``sent_on``."""
    review = _active(case, ReviewKind.LOCAL)
    _unpublished(case, review)
    if review.completed_on is None:
        raise IllegalTransition(
            f"The final report of case {case.reference} is not agreed yet, so it can't have "
            "been sent. Record 'Final report agreed' first. Nothing was changed."
        )
    if recipient in review.copies:
        raise IllegalTransition(
            f"The final report was already recorded as sent to {recipient.label} on "
            f"{format_day(review.copies[recipient])}. Nothing was changed."
        )
    _not_future(sent_on, today, "sending the report")
    _not_before(sent_on, review.completed_on, "the final report was agreed")
    copy_by = review.publication.copy_by if review.publication else None
    late = copy_by is not None and sent_on > copy_by
    case.record(
        m.REPORT_COPIED,
        actor=actor,
        at=at,
        what=f"Final report sent to {recipient.label} on {format_day(sent_on)}"
        + (
            f" - later than the 7-working-day rule allows ({format_day(copy_by)})."
            if late and copy_by
            else "."
        ),
        data={"sent_on": sent_on.isoformat(), "recipient": recipient.value, "late": late},
    )
    return _now(case)


def confirm_checklist(
    case: Case, *, improvements: bool, systemic: bool, actor: Actor, at: datetime
) -> Review:
    """Confirm the final report has what the Regulations require before publication."""
    review = _active(case, ReviewKind.LOCAL)
    _unpublished(case, review)
    if review.completed_on is None:
        raise IllegalTransition(
            f"The final report of case {case.reference} is not agreed yet. Nothing was changed."
        )
    missing = [
        text
        for text, ok in (
            ("a summary of the recommended improvements", improvements),
            ("an analysis of the systemic or underlying reasons", systemic),
        )
        if not ok
    ]
    if missing:
        raise InvalidInput(
            "Before publication, confirm the final report contains "
            + " and ".join(missing)
            + ". Nothing was changed."
        )
    if review.checklist_confirmed:
        return review
    case.record(
        CHECKLIST_CONFIRMED,
        actor=actor,
        at=at,
        what=f"{actor.name} confirmed the final report contains a summary of the recommended "
        "improvements and an analysis of the systemic or underlying reasons.",
        data={"improvements": True, "systemic": True},
    )
    return _now(case)


def publish(
    case: Case, *, published_on: date, today: date, rules: ReviewRules, actor: Actor, at: datetime
) -> Review:
    """Record publication: a local CSPR once its checklist and copies are on the record; a
    national review when the Panel publishes it. The report stays published for at least 1
    year (3 for a national review)."""
    review = _active(case, ReviewKind.LOCAL, ReviewKind.NATIONAL)
    _unpublished(case, review)
    _not_future(published_on, today, "publication")
    target = Stage.PUBLISHED
    if review.kind is ReviewKind.LOCAL:
        if review.completed_on is None:
            raise IllegalTransition(
                f"The final report of case {case.reference} is not agreed yet. Nothing was changed."
            )
        if not review.checklist_confirmed:
            raise IllegalTransition(
                "Before publication, confirm the final report contains a summary of the "
                "recommended improvements and an analysis of the systemic or underlying "
                "reasons. Nothing was changed."
            )
        if review.publication is None:
            raise IllegalTransition("Plan the publication date first. Nothing was changed.")
        unsent = [r.label for r in Recipient if r not in review.copies]
        if unsent:
            raise IllegalTransition(
                "Record when the final report was sent to " + ", ".join(unsent) + " first: it "
                "must reach them at least 7 working days before publication. Nothing was "
                "changed."
            )
        _not_before(published_on, review.completed_on, "the final report was agreed")
    if target not in case.next_stages:
        raise IllegalTransition(
            f"Case {case.reference} is at '{case.stage.label}' and can't be published from "
            f"there. Nothing was changed."
        )
    keep = rules.keep_until(review.kind, published_on)
    if review.kind is ReviewKind.NATIONAL and review.completed_on is None:
        case.record(
            m.REVIEW_COMPLETED,
            actor=actor,
            at=at,
            what="The Panel's national review was completed (published "
            f"{format_day(published_on)}).",
            data={"completed_on": published_on.isoformat()},
        )
    case.record(
        m.PUBLISHED,
        actor=actor,
        at=at,
        what=f"{_published_what(review.kind)} on {format_day(published_on)}; it stays "
        "published until at least "
        f"{format_day(keep.due)}.",
        data={
            "published_on": published_on.isoformat(),
            "keep_until": keep.due.isoformat(),
            "kind": review.kind.value,
        },
    )
    case.move_to(target, actor=actor, at=at)
    return _now(case)


def _published_what(kind: ReviewKind) -> str:
    if kind is ReviewKind.NATIONAL:
        return "The Panel published the national review"
    return "Final report published"


# -- parallel processes, joint reviews, the national review's findings ------------------------


def record_process(
    case: Case,
    process: ProcessKind,
    *,
    lead_agency: str,
    contact: str,
    status: ProcessStatus,
    actor: Actor,
    at: datetime,
) -> Review:
    """A process running alongside the review, with its lead agency, contact and status."""
    review = review_of(case)
    if review is None or not case.is_open:
        raise IllegalTransition(
            f"Case {case.reference} has no review under way, so there is no review timetable "
            "to record a parallel process against. Nothing was changed."
        )
    agency = _text(lead_agency, "the lead agency", limit=MAX_NAME_CHARS)
    who = " ".join(str(contact).split())
    if len(who) > MAX_NAME_CHARS:
        raise InvalidInput(f"Keep the contact under {MAX_NAME_CHARS} characters.")
    case.record(
        PROCESS_RECORDED,
        actor=actor,
        at=at,
        what=f"{process.label}: led by {agency}, {status.label.lower()} (recorded by "
        f"{actor.name}).",
        data={
            "process": process.value,
            "lead_agency": agency,
            "contact": who,
            "status": status.value,
        },
    )
    return _now(case)


def hold_jointly(case: Case, process: ProcessKind, *, actor: Actor, at: datetime) -> Review:
    """The review is held jointly with a DHR or SAR: one timetable, the review's own clock."""
    review = _active(case, ReviewKind.LOCAL, ReviewKind.LEARNING)
    if process not in JOINT_WITH:
        raise InvalidInput(
            "A review is held jointly only with a Domestic Homicide Review or a Safeguarding "
            "Adults Review. Nothing was changed."
        )
    if process not in {p.kind for p in review.processes}:
        raise IllegalTransition(
            f"No {process.label} is recorded on case {case.reference}: record it under "
            "parallel processes first. Nothing was changed."
        )
    if review.joint_with is not None:
        raise IllegalTransition(
            f"The review is already held jointly with the {review.joint_with.label}. Nothing "
            "was changed."
        )
    case.record(
        JOINT,
        actor=actor,
        at=at,
        what=f"The review is held jointly with the {process.label}: one timetable, due as "
        "the review is.",
        data={"with": process.value},
    )
    return _now(case)


def record_response(
    case: Case, *, responded_on: date, summary: str, today: date, actor: Actor, at: datetime
) -> Review:
    """A partner records the partnership's response to a national review's findings."""
    review = review_of(case)
    if review is None or review.kind is not ReviewKind.NATIONAL:
        raise IllegalTransition(
            f"Case {case.reference} has no national review, so there are no national findings "
            "to respond to. Nothing was changed."
        )
    if review.published_on is None:
        raise IllegalTransition(
            f"The Panel has not published the national review of case {case.reference} yet: "
            "the partners respond to its findings once it is. Nothing was changed."
        )
    text = _text(summary, "the partners' response")
    _not_future(responded_on, today, "the response")
    _not_before(responded_on, review.published_on, "the national review was published")
    mine = next((r for r in review.responses if r.partner == actor.name), None)
    if mine is not None:
        raise IllegalTransition(
            f"You already recorded a response on {format_day(mine.responded_on)}. Nothing was "
            "changed."
        )
    case.record(
        RESPONDED,
        actor=actor,
        at=at,
        what=f"{actor.name} recorded the partners' response to the national review's findings "
        f"({format_day(responded_on)}).",
        why=text,
        data={"responded_on": responded_on.isoformat(), "partner": actor.id},
    )
    return _now(case)


# -- monitoring -------------------------------------------------------------------------------


def monitoring_period(
    review: Review, today: date, *, every_months: int = MONITORING_EVERY_MONTHS
) -> int | None:
    """Which monitoring prompt is due today (1, 2, ...: months since the decision), or None.

    The partners monitor the review's time and quality (the procedure). A prompt is due each
    ``every_months`` months from the decision to start it, until the review is complete; only
    the latest one is due after a gap, so a missed month is not sent twice over.
    """
    if review.kind is ReviewKind.NATIONAL or review.completed_on is not None:
        return None
    start = review.started_on
    months = (today.year - start.year) * 12 + today.month - start.month
    if today.day < start.day and not _is_month_end(today):
        months -= 1
    if months < every_months:
        return None
    return months - months % every_months


def deferral_due(review: Review, today: date) -> date | None:
    """The day set to look again at a deferred publication, once it has come (else None)."""
    plan = review.publication
    if plan is None or plan.deferral is None or review.published_on is not None:
        return None
    return plan.deferral.review_on if today >= plan.deferral.review_on else None


def _is_month_end(day: date) -> bool:
    return date.fromordinal(day.toordinal() + 1).month != day.month


# -- helpers ----------------------------------------------------------------------------------


def _now(case: Case) -> Review:
    review = review_of(case)
    assert review is not None
    return review


def _unpublished(case: Case, review: Review) -> None:
    if review.published_on is not None:
        raise IllegalTransition(
            f"The report of case {case.reference} was published on "
            f"{format_day(review.published_on)}. Nothing was changed."
        )


def _not_future(day: date, today: date, what: str) -> None:
    if day > today:
        raise InvalidInput(
            f"The date of {what}, {format_day(day)}, is in the future (today is "
            f"{format_day(today)}). Nothing was changed."
        )


def _not_before(day: date, earliest: date, what: str) -> None:
    if day < earliest:
        raise InvalidInput(
            f"{format_day(day)} is before {what} ({format_day(earliest)}). Check the date; "
            "nothing was changed."
        )


def _text(value: str, what: str, *, limit: int = MAX_TEXT_CHARS) -> str:
    cleaned = " ".join(str(value).split())
    if not cleaned:
        raise InvalidInput(f"Please give {what}: it is required. Nothing was changed.")
    if len(cleaned) > limit:
        raise InvalidInput(f"Keep it under {limit} characters. Nothing was changed.")
    return cleaned


def _date(value: object) -> date | None:
    """An optional date from an event's data: None when absent (or unreadable)."""
    try:
        return None if value in (None, "") else date.fromisoformat(str(value))
    except ValueError:
        return None


def _day_of(event: CaseEvent, key: str) -> date:
    """The date an event's data gives under ``key``; an event recorded without it (before
    the key was kept, say) counts as on the day it was recorded."""
    given = event.data.get(key)
    try:
        return date.fromisoformat(str(given)) if given not in (None, "") else event.at.date()
    except ValueError:
        return event.at.date()


def _enum(kind: type[_E], value: object) -> _E | None:
    """``value`` as one of ``kind``'s members; None when absent or unknown (an older event)."""
    try:
        return kind(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _owner(data: Mapping[str, object]) -> Owner | None:
    owner_id = data.get("owner_id")
    if not owner_id:
        return None
    return Owner(str(owner_id), str(data.get("owner_name") or owner_id))
