"""Differences of opinion: raised, escalated up a three-stage ladder, resolved - on the record.

Any partner or agency may disagree about whether a case meets the criteria, whether a CSPR
or learning review should be held, or any part of the process (the partnership's CSPR
procedure, "Differences of opinion"). The ladder:

1. the raising organisation's representative liaises with the partners' representatives
   (the CSPR Group core members) and the Hub;
2. unresolved, it is referred to the safeguarding partners;
3. still unresolved, an Independent Scrutiny Officer facilitates a mediation meeting.

A dispute is not stored anywhere but in the case's evidence trail: every position,
response, escalation and outcome is a case event, and :func:`disputes_of` folds them back
into :class:`Dispute` objects, as ``case_clocks`` does for deadlines. The narrative - the
position, the reasons, what people answered - lives only in each event's ``why``, so the
retention policy erases it with every other reason; ``what`` and ``data`` hold only the
topic, stage and dates, which a channel may show.

A difference of opinion **never pauses a statutory clock** and never delays action to keep a
child safe (domain.md): nothing here touches the events the clocks are derived from.

Two rules of the ladder, enforced here:

* a stage is tried before the next: escalating needs a response recorded at the current
  stage by someone other than the person who raised it (liaison actually happened), or a
  recorded reason for going further without one;
* each stage has its own target, ``stage_days`` working days after the day *that stage*
  began (the escalation date), never counted from the day the dispute was raised. The
  procedure sets no timescale; 5 working days per stage is the default (configuration).

Pure: no clock is read, no I/O; times, the calendar and the policy are passed in.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Any, Final, Self

from safeguarding import closure
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import SYSTEM, Actor, Case, CaseEvent
from safeguarding.clocks import format_day
from safeguarding.errors import IllegalTransition, InvalidInput, NotFound
from safeguarding.policy import Action, Forbidden, can
from safeguarding.roles import Person, Role

RAISED: Final = "dispute.raised"  # why: the position and the reasons
RESPONDED: Final = "dispute.responded"  # why: the response
ESCALATED: Final = "dispute.escalated"  # why: the reason for escalating
RESOLVED: Final = "dispute.resolved"  # why: the agreed outcome
# Recorded by the rapid review (a tied CSPR Group vote, a partners' challenge): the Hub may
# open a dispute from it. Its ``data`` may carry a ``topic`` (:class:`ReferredData`).
REFERRED: Final = "dispute.referred"

MAX_POSITION_CHARS: Final = 1000
MAX_TEXT_CHARS: Final = 2000
ERASED: Final = "(no longer held: erased under the retention policy)"


class Topic(StrEnum):
    """What the difference of opinion is about (the procedure's three, and anything else)."""

    CRITERIA = "criteria"
    REVIEW_TYPE = "review_type"
    PROCESS = "process"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _TOPIC_LABELS[self]


_TOPIC_LABELS: Final[Mapping[Topic, str]] = MappingProxyType(
    {
        Topic.CRITERIA: "Whether the case meets the criteria",
        Topic.REVIEW_TYPE: "Whether a CSPR or a learning review should be held",
        Topic.PROCESS: "A step of the process",
        Topic.OTHER: "Something else",
    }
)


class DisputeStage(IntEnum):
    LIAISON = 1
    PARTNERS = 2
    MEDIATION = 3

    @property
    def label(self) -> str:
        return _STAGE_LABELS[self]

    @property
    def next(self) -> DisputeStage | None:
        return DisputeStage(self + 1) if self < DisputeStage.MEDIATION else None


_STAGE_LABELS: Final[Mapping[DisputeStage, str]] = MappingProxyType(
    {
        DisputeStage.LIAISON: "Stage 1 of 3: liaison with the partners' representatives "
        "and the Hub",
        DisputeStage.PARTNERS: "Stage 2 of 3: referred to the safeguarding partners",
        DisputeStage.MEDIATION: "Stage 3 of 3: mediation by the Independent Scrutiny Officer",
    }
)

# Who takes part at each stage, besides the person who raised it. Parties stay parties as it
# climbs: the partners' representatives and the Hub do not drop out when the partners join.
_PARTY_ROLES: Final[Mapping[DisputeStage, frozenset[Role]]] = MappingProxyType(
    {
        DisputeStage.LIAISON: frozenset({Role.HUB_OFFICER, Role.CSPRG_MEMBER, Role.CSPRG_DEPUTY}),
        DisputeStage.PARTNERS: frozenset(
            {Role.HUB_OFFICER, Role.CSPRG_MEMBER, Role.CSPRG_DEPUTY, Role.PARTNER}
        ),
        DisputeStage.MEDIATION: frozenset(
            {
                Role.HUB_OFFICER,
                Role.CSPRG_MEMBER,
                Role.CSPRG_DEPUTY,
                Role.PARTNER,
                Role.SCRUTINY_OFFICER,
            }
        ),
    }
)


def party_roles(stage: DisputeStage) -> frozenset[Role]:
    """The roles that take part in (and may see) a dispute at ``stage``."""
    return _PARTY_ROLES[stage]


def stage_target(
    stage: DisputeStage, started_at: datetime, calendar: WorkingDayCalendar, policy: DisputePolicy
) -> date:
    """A stage's target: its ``stage_days`` working days after the local day the stage began
    (that day itself not counted, as for every clock here)."""
    return calendar.add_working_days(calendar.local_date(started_at), policy.days_for(stage))


# -- what the events carry ----------------------------------------------------------------


@dataclass(frozen=True)
class RaisedData:
    """The data of a ``dispute.raised`` event: no narrative, so a channel may show it."""

    number: int
    topic: Topic
    token: str | None = None  # the raise dialog's: a second press of Raise finds this one
    referral: int | None = None  # the seq of the ``dispute.referred`` event it came from
    # Raised on the representatives' decision that the criteria are not met (the case was
    # closed by it): upheld, it reopens the case.
    on_decision: bool = False

    def to_data(self) -> dict[str, object]:
        data: dict[str, object] = {"number": self.number, "topic": self.topic.value, "stage": 1}
        if self.token is not None:
            data["token"] = self.token
        if self.referral is not None:
            data["referral"] = self.referral
        if self.on_decision:
            data["on_decision"] = True
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """``ValueError`` when the event carries no dispute number (not one of ours)."""
        token, referral = data.get("token"), data.get("referral")
        return cls(
            number=_number(data),
            topic=Topic(str(data.get("topic"))),
            token=token if isinstance(token, str) else None,
            referral=_whole(referral),
            on_decision=data.get("on_decision") is True,
        )


@dataclass(frozen=True)
class StepData:
    """The data of a response, an escalation or a resolution."""

    number: int
    stage: int | None  # the stage it was recorded at (escalation: the new stage)
    activity: str | None = None  # the Teams activity of the press, to spot a redelivery
    upheld: bool | None = None  # a resolution of a dispute on a decision: upheld or not
    # An escalation from a stage nobody had responded at: the reason is in the ``why``.
    skipped: bool = False

    def to_data(self) -> dict[str, object]:
        data: dict[str, object] = {"number": self.number}
        if self.stage is not None:
            data["stage"] = self.stage
        if self.activity:
            data["activity"] = self.activity
        if self.upheld is not None:
            data["upheld"] = self.upheld
        if self.skipped:
            data["skipped"] = True
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        """``ValueError`` when the event carries no dispute number (not one of ours)."""
        stage, activity, upheld = data.get("stage"), data.get("activity"), data.get("upheld")
        return cls(
            number=_number(data),
            stage=int(stage) if stage is not None else None,
            activity=activity if isinstance(activity, str) else None,
            upheld=upheld if isinstance(upheld, bool) else None,
            skipped=data.get("skipped") is True,
        )


@dataclass(frozen=True)
class ReferredData:
    """What the disputes journey reads of a ``dispute.referred`` event (the rapid review
    writes it, with its own ``origin``, ``about`` and ``round`` besides)."""

    topic: Topic | None = None

    def to_data(self) -> dict[str, object]:
        return {} if self.topic is None else {"topic": self.topic.value}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        raw = data.get("topic")
        return cls(topic=Topic(raw) if raw in set(Topic) else None)


def _whole(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(data: Mapping[str, Any]) -> int:
    number = _whole(data.get("number"))
    if number is None:
        raise ValueError("not a dispute event")
    return number


@dataclass(frozen=True)
class Entry:
    """One step in a dispute's history, for the parties' personal cards."""

    at: datetime
    actor: Actor
    kind: str
    stage: DisputeStage
    what: str
    text: str | None  # the narrative (None: erased by retention, or none given)
    activity: str | None = None  # the Teams activity of the press that recorded it


@dataclass(frozen=True)
class StageSpan:
    """One rung of the ladder as it was climbed: when it began and how it ended."""

    stage: DisputeStage
    started_at: datetime
    ended_at: datetime | None = None  # escalated from, or resolved at
    skipped: bool = False  # escalated from without a response, with a recorded reason


@dataclass(frozen=True)
class Dispute:
    """A difference of opinion as its events tell it."""

    case_reference: str
    number: int
    topic: Topic
    stage: DisputeStage
    raised_by: Actor
    raised_at: datetime
    stage_started_at: datetime
    history: tuple[Entry, ...]
    resolved_at: datetime | None = None
    referral_seq: int | None = None  # the ``dispute.referred`` event it was opened from
    on_decision: bool = False  # about the decision that the criteria are not met
    upheld: bool | None = None  # how a dispute on a decision was resolved
    stages: tuple[StageSpan, ...] = ()  # every stage reached, in order

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    @property
    def tried(self) -> bool:
        """Whether the current stage was tried: someone other than the raiser responded at
        it (the liaison, or the partners' consideration, actually happened)."""
        return any(
            e.kind == RESPONDED and e.stage is self.stage and e.actor.id != self.raised_by.id
            for e in self.history
        )

    def recorded_by(self, activity: str) -> Entry | None:
        """The step a Teams activity recorded (a redelivered or repeated press), if any."""
        if not activity:
            return None
        return next((e for e in self.history if e.activity == activity), None)

    def same_response(self, actor: Actor, text: str) -> Entry | None:
        """A response ``actor`` already recorded at the current stage in the same words: a
        second press of Send, not a second response."""
        said = clean_text(text)
        for entry in reversed(self.history):
            if (
                entry.kind == RESPONDED
                and entry.stage is self.stage
                and entry.actor.id == actor.id
                and entry.text == said
            ):
                return entry
        return None

    def latest(self, kind: str, *, stage: DisputeStage | None = None) -> Entry | None:
        """The latest step of ``kind`` (at ``stage``, when given): an "already done" answer."""
        for entry in reversed(self.history):
            if entry.kind == kind and (stage is None or entry.stage is stage):
                return entry
        return None

    @property
    def title(self) -> str:
        return f"Difference of opinion {self.number} on {self.case_reference}"

    def target(self, calendar: WorkingDayCalendar, policy: DisputePolicy) -> date:
        """The current stage's target: ``stage_days`` working days after the day *it* began
        (for stage 2 or 3, the escalation date - never the day the dispute was raised)."""
        return stage_target(self.stage, self.stage_started_at, calendar, policy)

    def is_party(self, person: Person) -> bool:
        """Whether ``person`` takes part at the current stage (and so may see and act)."""
        return person.object_id == self.raised_by.id or not person.roles.isdisjoint(
            party_roles(self.stage)
        )

    def require_party(self, person: Person) -> None:
        if not self.is_party(person):
            raise Forbidden(
                f"Sorry, you are not a party to {self.title.lower()} at this stage, so you "
                "can't see or answer it. Nothing was changed."
            )

    def may_resolve(self, person: Person) -> bool:
        """At stages 1 and 2 any party records the agreed outcome; the mediation's outcome
        is recorded by the Independent Scrutiny Officer who facilitated it."""
        if self.stage is DisputeStage.MEDIATION:
            return can(person, Action.MEDIATE_DISPUTE)
        return self.is_party(person)


# -- reading the trail --------------------------------------------------------------------


def disputes_of(case: Case) -> list[Dispute]:
    """Every difference of opinion on ``case``, in the order they were raised."""
    found: dict[int, Dispute] = {}
    for event in case.events:
        if event.kind == RAISED:
            try:
                raised = RaisedData.from_data(event.data)
            except ValueError:
                continue
            found[raised.number] = Dispute(
                case_reference=str(case.reference),
                number=raised.number,
                topic=raised.topic,
                stage=DisputeStage.LIAISON,
                raised_by=event.actor,
                raised_at=event.at,
                stage_started_at=event.at,
                history=(_entry(event, DisputeStage.LIAISON),),
                referral_seq=raised.referral,
                on_decision=raised.on_decision,
                stages=(StageSpan(DisputeStage.LIAISON, event.at),),
            )
            continue
        step = _step_data(event)
        dispute = found.get(step.number) if step is not None else None
        if step is None or dispute is None:
            continue
        stage = DisputeStage(step.stage) if step.stage is not None else dispute.stage
        history = (*dispute.history, _entry(event, stage))
        if event.kind == ESCALATED:
            left = replace(dispute.stages[-1], ended_at=event.at, skipped=step.skipped)
            found[step.number] = replace(
                dispute,
                stage=stage,
                stage_started_at=event.at,
                history=history,
                stages=(*dispute.stages[:-1], left, StageSpan(stage, event.at)),
            )
        elif event.kind == RESOLVED:
            ended = replace(dispute.stages[-1], ended_at=event.at)
            found[step.number] = replace(
                dispute,
                resolved_at=event.at,
                history=history,
                upheld=step.upheld,
                stages=(*dispute.stages[:-1], ended),
            )
        else:
            found[step.number] = replace(dispute, history=history)
    return [found[n] for n in sorted(found)]


def open_disputes(case: Case) -> list[Dispute]:
    return [d for d in disputes_of(case) if d.is_open]


def find_dispute(case: Case, number: int) -> Dispute:
    for dispute in disputes_of(case):
        if dispute.number == number:
            return dispute
    raise NotFound(f"Case {case.reference} has no difference of opinion {number}.")


def raised_with_token(case: Case, token: str) -> Dispute | None:
    """The dispute a raise card with ``token`` already opened (a double-pressed Raise)."""
    for event in case.events:
        if event.kind != RAISED:
            continue
        try:
            raised = RaisedData.from_data(event.data)
        except ValueError:
            continue
        if raised.token == token:
            return find_dispute(case, raised.number)
    return None


def opened_from_referral(case: Case, referral_seq: int) -> Dispute | None:
    return next((d for d in disputes_of(case) if d.referral_seq == referral_seq), None)


def pending_referrals(case: Case) -> list[CaseEvent]:
    """``dispute.referred`` events no dispute has been opened from yet."""
    opened = {d.referral_seq for d in disputes_of(case)}
    return [e for e in case.events if e.kind == REFERRED and e.seq not in opened]


def case_card_line(case: Case, calendar: WorkingDayCalendar, policy: DisputePolicy) -> str | None:
    """One line for the case card: references, stages and dates only - never the narrative."""
    live = open_disputes(case)
    if not live:
        return None
    parts = [
        f"stage {int(d.stage)}, target {format_day(d.target(calendar, policy))}"
        for d in sorted(live, key=lambda d: d.number)
    ]
    count = f"{len(live)} open difference{'s' if len(live) > 1 else ''} of opinion"
    return f"{count} ({'; '.join(parts)}). It does not pause any statutory clock."


# -- changing -----------------------------------------------------------------------------


def raise_dispute(
    case: Case,
    *,
    actor: Actor,
    topic: Topic,
    position: str,
    reasons: str,
    at: datetime,
    token: str | None = None,
    referral_seq: int | None = None,
) -> Dispute:
    """Record a new difference of opinion at stage 1; refused on a closed case, unless it was
    closed by the decision that the criteria are not met (the dispute is then about it)."""
    require_open_case(case)
    on_decision = not case.is_open
    if on_decision:
        topic = Topic.CRITERIA
    position = check_text(position, "your position", MAX_POSITION_CHARS)
    reasons = check_text(reasons, "your reasons", MAX_TEXT_CHARS)
    number = 1 + sum(1 for e in case.events if e.kind == RAISED)
    data = RaisedData(
        number, topic, token=token, referral=referral_seq, on_decision=on_decision
    ).to_data()
    case.record(
        RAISED,
        actor=actor,
        at=at,
        what=f"Difference of opinion {number} raised by {actor.name} ({topic.label.lower()}). "
        "It does not pause any statutory clock.",
        why=f"Position: {position}\nReasons: {reasons}",
        data=data,
    )
    return find_dispute(case, number)


def raise_from_referral(case: Case, referral_seq: int, *, actor: Actor, at: datetime) -> Dispute:
    """Open the dispute a ``dispute.referred`` event asks for, once.

    The referral's author raises it (``actor`` only when the system referred it); its
    ``what`` is the position and its ``why`` the reasons. A second press finds the dispute
    the first one opened.
    """
    opened = opened_from_referral(case, referral_seq)
    if opened is not None:
        return opened
    referral = next((e for e in case.events if e.seq == referral_seq and e.kind == REFERRED), None)
    if referral is None:
        raise NotFound(f"Case {case.reference} has no such referral.")
    return raise_dispute(
        case,
        actor=referral.actor if referral.actor != SYSTEM else actor,
        topic=ReferredData.from_data(referral.data).topic or Topic.REVIEW_TYPE,
        position=referral.what,
        reasons=referral.why or "Referred by the rapid review: see the case record.",
        at=at,
        referral_seq=referral_seq,
    )


def require_open_case(case: Case) -> None:
    """A closed case takes no new dispute (a closed case stays closed: ``TRANSITIONS``) -
    except about the decision that closed it as not meeting the criteria, which the procedure
    lets anyone dispute ("whether a case meets the criteria")."""
    if not case.is_open and closure.closed_as_not_met(case) is None:
        raise IllegalTransition(
            f"Case {case.reference} is closed, so a difference of opinion can't be raised on "
            "it. Nothing was changed."
        )


def respond(
    case: Case, number: int, *, actor: Actor, text: str, at: datetime, activity: str = ""
) -> Dispute:
    dispute = _open(case, number)
    text = check_text(text, "your response", MAX_TEXT_CHARS)
    _record(case, dispute, RESPONDED, actor, at, f"{actor.name} responded.", text, activity)
    return find_dispute(case, number)


class NotTried(IllegalTransition):
    """An escalation from a stage nobody has responded at, with no reason for skipping it."""


def escalate(
    case: Case,
    number: int,
    *,
    actor: Actor,
    text: str,
    at: datetime,
    activity: str = "",
    skip_reason: str = "",
) -> Dispute:
    """Move the dispute up one stage; refused past stage 3 and without a reason (``text``).

    The ladder is climbed a rung at a time: the current stage must have been tried (a
    response recorded at it by someone other than the raiser) or ``skip_reason`` must say
    why it goes further without that; the reason is recorded with the escalation.
    """
    dispute = _open(case, number)
    after = dispute.stage.next
    if after is None:
        raise IllegalTransition(
            f"{dispute.title} is already at stage 3, mediation by the Independent Scrutiny "
            "Officer: there is no further stage. Record the mediation's outcome to resolve it. "
            "Nothing was changed."
        )
    reason = check_text(text, "the reason for escalating", MAX_TEXT_CHARS)
    skipped = not dispute.tried
    why = reason
    if skipped:
        if not str(skip_reason).strip():
            raise NotTried(
                f"{dispute.title} can't go to stage {int(after)} yet: stage "
                f"{int(dispute.stage)} ({_lower_first(_stage_name(dispute.stage))}) has not "
                "been tried - nobody has responded at it. Ask for a response first, or give "
                f"the reason for going to stage {int(after)} without one. Nothing was changed."
            )
        skip = check_text(
            skip_reason,
            f"the reason for not trying stage {int(dispute.stage)} first",
            MAX_TEXT_CHARS,
        )
        why = f"{reason}\nWhy stage {int(dispute.stage)} was not tried first: {skip}"
    by = "automatically" if actor == SYSTEM else f"by {actor.name}"
    untried = (
        f" Stage {int(dispute.stage)} was not tried first; the reason is recorded."
        if skipped
        else ""
    )
    _record(
        case,
        dispute,
        ESCALATED,
        actor,
        at,
        f"Difference of opinion {number} escalated {by} to stage {int(after)}: "
        f"{_lower_first(_stage_name(after))}.{untried}",
        why,
        activity,
        stage=after,
        skipped=skipped,
    )
    return find_dispute(case, number)


def resolve(
    case: Case,
    number: int,
    *,
    actor: Actor,
    text: str,
    at: datetime,
    activity: str = "",
    upheld: bool = False,
) -> Dispute:
    """Record the agreed outcome (``text``); refused without one.

    A dispute on the decision that the criteria are not met says whether it was ``upheld``;
    upheld, the decision is set aside and the case reopens, in the same change.
    """
    dispute = _open(case, number)
    outcome = check_text(text, "the agreed outcome", MAX_TEXT_CHARS)
    verdict: bool | None = upheld if dispute.on_decision else None
    said = ""
    if verdict is not None:
        said = " (upheld: the case reopens)" if verdict else " (not upheld: the decision stands)"
    _record(
        case,
        dispute,
        RESOLVED,
        actor,
        at,
        f"Difference of opinion {number} resolved at stage {int(dispute.stage)}"
        f"{' (mediation)' if dispute.stage is DisputeStage.MEDIATION else ''}; outcome recorded "
        f"by {actor.name}{said}.",
        outcome,
        activity,
        upheld=verdict,
    )
    if verdict and closure.closed_as_not_met(case) is not None:
        closure.reopen(case, dispute=number, why=outcome, actor=actor, at=at)
    return find_dispute(case, number)


def replayed(case: Case, activity: str) -> bool:
    """Whether a Teams activity (a redelivered button press) was already recorded."""
    if not activity:
        return False
    return any(
        step is not None and step.activity == activity
        for step in (_step_data(e) for e in case.events)
    )


def clean_text(text: str) -> str:
    """Narrative as it is recorded: each line's spaces collapsed, the ends trimmed."""
    return "\n".join(" ".join(line.split()) for line in str(text).strip().splitlines())


def check_text(text: str, what: str, limit: int) -> str:
    """Narrative, trimmed; refused when empty or too long. Never echoed back: it may name a
    child."""
    cleaned = clean_text(text)
    if not cleaned.strip():
        raise InvalidInput(f"Please give {what}. Nothing was changed.")
    if len(cleaned) > limit:
        raise InvalidInput(
            f"Please keep {what} under {limit} characters (it has {len(cleaned)}). "
            "Nothing was changed."
        )
    return cleaned


# -- timers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputePolicy:
    """Stage targets and reminders: configuration, with the partnership's defaults."""

    stage_days: tuple[int, int, int] = (5, 5, 5)
    days_before: tuple[int, ...] = (2,)
    on_target_day: bool = True
    auto_escalate: bool = False  # when a target passes: escalate, rather than prompt the Hub
    send_time: time = time(9, 0)
    late_after: timedelta = timedelta(minutes=30)

    def __post_init__(self) -> None:
        if len(self.stage_days) != 3 or any(n < 1 for n in self.stage_days):
            raise InvalidInput("Give three stage targets, each of 1 working day or more.")
        if any(n < 1 for n in self.days_before) or len(set(self.days_before)) != len(
            self.days_before
        ):
            raise InvalidInput("Dispute reminders 'days before' must be distinct, 1 or more.")

    def days_for(self, stage: DisputeStage) -> int:
        return self.stage_days[int(stage) - 1]


class TimerKind(StrEnum):
    ANNOUNCE = "announce"  # the stage began: tell its parties and channels
    BEFORE = "before"  # N working days before the target
    TARGET = "target"  # on the target day
    PASSED = "passed"  # the working day after: prompt the Hub (or escalate automatically)


@dataclass(frozen=True, order=True)
class TimerKey:
    """The identity of one timer: storing it makes re-deriving idempotent."""

    case_reference: str
    dispute_key: str  # "<number>/<stage>"
    kind: str  # "announce", "before_2", "target", "passed"
    target_on: date

    def __str__(self) -> str:
        return f"{self.case_reference}/{self.dispute_key}/{self.kind}/{self.target_on}"


@dataclass(frozen=True)
class DisputeTimer:
    dispute: Dispute
    kind: TimerKind
    number: int  # working days before, for BEFORE
    target_on: date
    send_at: datetime = field(compare=False)

    @property
    def key(self) -> TimerKey:
        kind = f"{self.kind}_{self.number}" if self.number else str(self.kind)
        return TimerKey(
            self.dispute.case_reference,
            f"{self.dispute.number}/{int(self.dispute.stage)}",
            kind,
            self.target_on,
        )

    @property
    def track(self) -> str:
        # Announcing a stage, reminding of its target and prompting when it has passed are
        # separate tracks: catching up on one must never swallow another.
        if self.kind in (TimerKind.BEFORE, TimerKind.TARGET):
            return "remind"
        return str(self.kind)


def plan_timers(
    dispute: Dispute, *, policy: DisputePolicy, calendar: WorkingDayCalendar
) -> list[DisputeTimer]:
    """Every timer the dispute's current stage calls for (none once it is resolved)."""
    if not dispute.is_open:
        return []
    target = dispute.target(calendar, policy)

    def at(day: date) -> datetime:
        return datetime.combine(day, policy.send_time, tzinfo=calendar.timezone).astimezone(UTC)

    # An announcement is keyed by the day its stage began, not by the target, so changing
    # the configured stage length never announces a stage twice.
    began = calendar.local_date(dispute.stage_started_at)
    timers = [DisputeTimer(dispute, TimerKind.ANNOUNCE, 0, began, dispute.stage_started_at)]
    for n in sorted(policy.days_before, reverse=True):
        day = calendar.add_working_days(target, -n)
        timers.append(DisputeTimer(dispute, TimerKind.BEFORE, n, target, at(day)))
    if policy.on_target_day:
        timers.append(DisputeTimer(dispute, TimerKind.TARGET, 0, target, at(target)))
    passed = calendar.next_working_day(target)
    timers.append(DisputeTimer(dispute, TimerKind.PASSED, 0, target, at(passed)))
    return sorted(timers, key=lambda t: t.send_at)


@dataclass(frozen=True)
class TimerSelection:
    send: tuple[tuple[DisputeTimer, bool], ...]  # (timer, late)
    skip: tuple[DisputeTimer, ...]  # missed while the service was down: never sent


def select_timers(
    planned: Sequence[DisputeTimer],
    *,
    now: datetime,
    stored: Collection[TimerKey],
    late_after: timedelta,
) -> TimerSelection:
    """What to send at ``now``: per track, only the latest timer that is due.

    After downtime a stage may have missed several reminders: the latest is sent (late) and
    the older are skipped, as the case reminders do; once the target has passed, only the
    prompt goes out. Reminders timed before the stage began
    are not candidates (a short stage, a late escalation); the announcement always is.
    """
    tracks: dict[str, list[DisputeTimer]] = {}
    for timer in planned:
        if timer.send_at > now:
            continue
        if timer.kind is not TimerKind.ANNOUNCE and timer.send_at < timer.dispute.stage_started_at:
            continue
        tracks.setdefault(timer.track, []).append(timer)
    send: list[tuple[DisputeTimer, bool]] = []
    skip: list[DisputeTimer] = []
    if str(TimerKind.PASSED) in tracks and "remind" in tracks:
        # Once the target has passed, the Hub's prompt replaces any reminder still owed:
        # "target today" read days later would mislead.
        skip += [t for t in tracks.pop("remind") if t.key not in stored]
    for candidates in tracks.values():
        latest = candidates[-1]
        skip += [t for t in candidates[:-1] if t.key not in stored]
        if latest.key not in stored:
            late = latest.kind is not TimerKind.ANNOUNCE and now - latest.send_at > late_after
            send.append((latest, late))
    send.sort(key=lambda item: item[0].send_at)
    return TimerSelection(send=tuple(send), skip=tuple(skip))


# -- helpers ------------------------------------------------------------------------------


def _open(case: Case, number: int) -> Dispute:
    dispute = find_dispute(case, number)
    if not dispute.is_open:
        raise IllegalTransition(
            f"{dispute.title} is already resolved, so it can't be changed. Nothing was changed."
        )
    return dispute


def _record(
    case: Case,
    dispute: Dispute,
    kind: str,
    actor: Actor,
    at: datetime,
    what: str,
    why: str,
    activity: str,
    *,
    stage: DisputeStage | None = None,
    upheld: bool | None = None,
    skipped: bool = False,
) -> None:
    data = StepData(
        dispute.number, int(stage or dispute.stage), activity or None, upheld, skipped
    ).to_data()
    case.record(kind, actor=actor, at=at, what=what, why=why, data=data)


def _step_data(event: CaseEvent) -> StepData | None:
    """A response's, escalation's or resolution's data; None for any other event."""
    if event.kind not in (RESPONDED, ESCALATED, RESOLVED):
        return None
    try:
        return StepData.from_data(event.data)
    except ValueError:
        return None


def _entry(event: CaseEvent, stage: DisputeStage) -> Entry:
    step = _step_data(event)
    return Entry(
        at=event.at,
        actor=event.actor,
        kind=event.kind,
        stage=stage,
        what=event.what,
        text=event.why,
        activity=step.activity if step is not None else None,
    )


def _stage_name(stage: DisputeStage) -> str:
    """ "Referred to the safeguarding partners", without the "Stage 2 of 3: "."""
    return stage.label.partition(": ")[2]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
