"""The rapid review and its decision: agency reports, the CSPR Group's vote, partners, Panel.

Within 15 working days of awareness (domain.md, "The process", 3-4) the Hub asks the agencies
involved for reports, the CSPR Group's core members vote a recommendation with a rationale
against the criteria, the safeguarding partners confirm or challenge it, and the rapid review
goes to the Panel. Everything here works on the case aggregate: each step records events (so
the clocks, the evidence bundle and this module's :func:`state_of` all read the same trail)
and moves the stage through ``TRANSITIONS``. Nothing here does I/O or reads the clock.

The ballots themselves are stored as rows, one per case, round and seat (so three members
voting at the same instant all count); each ballot is also recorded here as an event, with
its rationale, for the evidence trail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, Literal

from safeguarding import milestones, panel
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import SYSTEM, Actor, Case, CaseEvent, Stage
from safeguarding.clocks import format_day
from safeguarding.errors import DomainError, IllegalTransition, InvalidInput

# -- event kinds (data keys in the comments; dates ISO) ----------------------------------------
# The Hub started the rapid review. data: {"agencies": [str]}
STARTED: Final = "rapid_review.started"
# A later report (or nil return) of an agency replaced its earlier one.
# data: {"agency", "submitted_on", "late", "nil_return", "version"}
REPORT_REPLACED: Final = "rapid_review.agency_report_replaced"
# The Hub opened a round of the CSPR Group vote.
# data: {"round", "seats": [{"seat", "name"}], "closes_on"}
VOTE_OPENED: Final = "rapid_review.vote_opened"
# A member (or their deputy, in the member's seat) voted or changed their vote; why: rationale.
# data: {"round", "seat", "choice", "criteria": [str], "changed"}
VOTE_CAST: Final = "rapid_review.vote_cast"
# The round closed; why: the reason given for closing it (the Hub's, or the deadline's).
# data: :class:`VoteClosedData` and {"needed": int}
VOTE_CLOSED: Final = "rapid_review.vote_closed"
# The members who had not voted were reminded, by the Hub ("hub") or by a reminder rule of
# :class:`VoteReminders` ("after_opening", "before_due"). data: {"round", "seats": [str],
# "by": [str], "on": ISO local date}
VOTE_CHASED: Final = "rapid_review.vote_chased"
# A recommendation reached another way (a resolved difference of opinion); why: how.
# data: {"round", "recommendation"}
RECOMMENDATION_SETTLED: Final = "rapid_review.recommendation_settled"
# A partner confirmed the recommendation. data: {"round", "partner"}
PARTNER_CONFIRMED: Final = "rapid_review.partner_confirmed"
# A partner challenged it; why: the reason. data: :class:`PartnerChallengedData`
PARTNER_CHALLENGED: Final = "rapid_review.partner_challenged"
# Enough partners confirmed: the decision stands. data: {"round", "recommendation"}
PARTNERS_CONFIRMED: Final = "rapid_review.partners_confirmed"
# Something was refused and is worth a line in the trail (a late vote, a stale card).
# data: {"action", "reason"}
REFUSED: Final = "rapid_review.refused"
# A difference of opinion, for the disputes journey to pick up; why: the reason.
# data: {"origin": "rapid_review", "about": "csprg_vote" | "partners_challenge", "round",
#        "topic": "review_type"}
DISPUTE_REFERRED: Final = "dispute.referred"


class Recommendation(StrEnum):
    """What the CSPR Group may recommend (domain.md, "The process", 3)."""

    LOCAL_CSPR = "local_cspr"
    NATIONAL_REVIEW = "national_review"
    LEARNING_REVIEW = "learning_review"
    NO_REVIEW = "no_review"

    @property
    def label(self) -> str:
        return _LABELS[self.value]


class VoteChoice(StrEnum):
    LOCAL_CSPR = "local_cspr"
    NATIONAL_REVIEW = "national_review"
    LEARNING_REVIEW = "learning_review"
    NO_REVIEW = "no_review"
    ABSTAIN = "abstain"
    CONFLICT = "conflict"  # a declared conflict of interest: the member does not vote

    @property
    def label(self) -> str:
        return _LABELS[self.value]

    @property
    def recommendation(self) -> Recommendation | None:
        try:
            return Recommendation(self.value)
        except ValueError:
            return None


_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "local_cspr": "Local child safeguarding practice review",
        "national_review": "Recommend a national review",
        "learning_review": "Local Learning Review",
        "no_review": "No review",
        "abstain": "Abstain",
        "conflict": "Declare a conflict of interest",
    }
)


class Criterion(StrEnum):
    """The criteria weighed for a local CSPR, then the Panel's extra ones (domain.md)."""

    IMPROVEMENTS = "improvements"
    RECURRENT_THEMES = "recurrent_themes"
    MULTI_AGENCY = "multi_agency"
    PANEL_SUGGESTS_LOCAL = "panel_suggests_local"
    SINGLE_AGENCY = "single_agency"
    NO_AGENCY = "no_agency"
    CROSS_BOUNDARY = "cross_boundary"
    INSTITUTIONAL = "institutional"
    LAW_OR_GUIDANCE = "law_or_guidance"
    EOTAS = "eotas"
    CARE_OR_CP_PLAN = "care_or_cp_plan"
    RANGE_OF_ABUSE = "range_of_abuse"

    @property
    def label(self) -> str:
        return CRITERIA_LABELS[self]


CRITERIA_LABELS: Final[Mapping[Criterion, str]] = MappingProxyType(
    {
        Criterion.IMPROVEMENTS: "Highlights improvements needed (including ones identified before)",
        Criterion.RECURRENT_THEMES: "Highlights recurrent themes",
        Criterion.MULTI_AGENCY: "Concerns about two or more agencies working together",
        Criterion.PANEL_SUGGESTS_LOCAL: "The Panel has considered it and thinks a local review "
        "more appropriate",
        Criterion.SINGLE_AGENCY: "Concern about a single agency",
        Criterion.NO_AGENCY: "No agency involvement at all",
        Criterion.CROSS_BOUNDARY: "More than one council, police area or health board involved",
        Criterion.INSTITUTIONAL: "An institutional setting",
        Criterion.LAW_OR_GUIDANCE: "National: issues needing changes to law or guidance",
        Criterion.EOTAS: "National: a child educated otherwise than at school",
        Criterion.CARE_OR_CP_PLAN: "National: a child in care, or on / recently removed from a "
        "child protection plan",
        Criterion.RANGE_OF_ABUSE: "National: a range of types of abuse",
    }
)


@dataclass(frozen=True)
class CriterionGroup:
    """Criteria shown together on the vote card, under a line of guidance from the procedure."""

    title: str
    guidance: str
    criteria: tuple[Criterion, ...]

    def label(self, criterion: Criterion) -> str:
        """The label within the group (the group's title says what "National:" said)."""
        return CRITERIA_LABELS[criterion].removeprefix("National: ")


# The partnership's CSPR procedure ("Decision making process about local and national
# reviews") and Working Together 2023 (ch.5): what the partners must take into account, what
# they should also have regard to, and what the Panel weighs in addition for a national review.
CRITERIA_GROUPS: Final[tuple[CriterionGroup, ...]] = (
    CriterionGroup(
        title="The criteria for a local review",
        guidance="The safeguarding partners must take into account whether the case highlights "
        "or may highlight:",
        criteria=(
            Criterion.IMPROVEMENTS,
            Criterion.RECURRENT_THEMES,
            Criterion.MULTI_AGENCY,
            Criterion.PANEL_SUGGESTS_LOCAL,
        ),
    ),
    CriterionGroup(
        title="Circumstances to have regard to",
        guidance="The partners should also have regard to these circumstances, where they give "
        "cause for concern:",
        criteria=(
            Criterion.SINGLE_AGENCY,
            Criterion.NO_AGENCY,
            Criterion.CROSS_BOUNDARY,
            Criterion.INSTITUTIONAL,
        ),
    ),
    CriterionGroup(
        title="What the Panel weighs for a national review",
        guidance="For a national review the Panel also considers whether the case:",
        criteria=(
            Criterion.LAW_OR_GUIDANCE,
            Criterion.EOTAS,
            Criterion.CARE_OR_CP_PLAN,
            Criterion.RANGE_OF_ABUSE,
        ),
    ),
)


class PanelDecision(StrEnum):
    AGREES = "agrees"
    NATIONAL_REVIEW = "national_review"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "agrees": "Agrees with the local decision",
            "national_review": "Commissions a national review",
            "other": "Other",
        }[self.value]


class Majority(StrEnum):
    OF_VOTES = "of_votes"  # more than half of the recommendations cast (abstentions aside)
    OF_SEATS = "of_seats"  # more than half of all the core members' seats


@dataclass(frozen=True)
class VoteRule:
    """The partnership's rule for the CSPR Group vote (local practice: configurable).

    Default: at least 2 of the core members' seats vote (``quorum``; 0 = every seat), so one
    member on leave, with no deputy, cannot hold up the rapid review's 15 working days; the
    recommendation needs more than half of the recommendations cast. A tie, or a missing
    quorum when the vote closes, is a difference of opinion for the partners.
    """

    quorum: int = 2
    majority: Majority = Majority.OF_VOTES

    def needed(self, seats: int) -> int:
        return seats if self.quorum <= 0 else min(self.quorum, seats)


@dataclass(frozen=True)
class VoteReminders:
    """When members who have not voted are reminded, each rule once per vote (configurable).

    ``after_opening``: that many working days after the vote opened (default 2, the day before
    a 3-working-day vote's last day). ``before_due``: that many working days before the rapid
    review's own deadline (15 working days from awareness), leaving the partners time to
    confirm and the Hub to send it to the Panel (default 3). 0 turns a rule off. A rule never
    fires on the day the vote opened: the members have just been asked.
    """

    after_opening: int = 2
    before_due: int = 3

    def due(
        self,
        *,
        opened_on: date,
        today: date,
        rapid_review_due: date | None,
        calendar: WorkingDayCalendar,
    ) -> tuple[str, ...]:
        """The rules whose day has come by ``today`` (already sent or not)."""
        first = calendar.next_working_day(opened_on)
        days: dict[str, date] = {}
        if self.after_opening > 0:
            days["after_opening"] = calendar.add_working_days(opened_on, self.after_opening)
        if self.before_due > 0 and rapid_review_due is not None:
            days["before_due"] = max(
                first, calendar.add_working_days(rapid_review_due, -self.before_due)
            )
        return tuple(name for name, day in days.items() if today >= day)


# -- event data read back (the partners' card and the document read them from the trail) -------


@dataclass(frozen=True)
class ClosedBallot:
    """A ballot as the closed round recorded it: the seat's member, who voted, and how."""

    seat: str
    member: str
    voter: str
    choice: str
    criteria: tuple[str, ...] = ()

    def to_data(self) -> dict[str, Any]:
        return {
            "seat": self.seat,
            "member": self.member,
            "voter": self.voter,
            "choice": self.choice,
            "criteria": list(self.criteria),
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ClosedBallot:
        return cls(
            seat=str(data.get("seat", "")),
            member=str(data.get("member", "")),
            voter=str(data.get("voter", "")),
            choice=str(data.get("choice", "")),
            criteria=tuple(str(c) for c in data.get("criteria", [])),
        )


@dataclass(frozen=True)
class VoteClosedData:
    """What :data:`VOTE_CLOSED` records: the round's outcome and every counted ballot."""

    round: int
    recommendation: Recommendation | None
    reason: str
    counts: Mapping[str, int]
    ballots: tuple[ClosedBallot, ...]

    def to_data(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "recommendation": self.recommendation.value if self.recommendation else None,
            "reason": self.reason,
            "counts": dict(self.counts),
            "ballots": [b.to_data() for b in self.ballots],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> VoteClosedData:
        raw = data.get("recommendation")
        return cls(
            round=int(data["round"]),
            recommendation=Recommendation(str(raw)) if raw else None,
            reason=str(data.get("reason", "")),
            counts={str(k): int(v) for k, v in dict(data.get("counts", {})).items()},
            ballots=tuple(ClosedBallot.from_data(b) for b in data.get("ballots", [])),
        )


ChallengeOutcome = Literal["dispute", "returned"]


@dataclass(frozen=True)
class PartnerChallengedData:
    """What :data:`PARTNER_CHALLENGED` records: the round, the partner and what follows."""

    round: int
    partner: str
    outcome: ChallengeOutcome

    @property
    def referred(self) -> bool:
        """Raised as a difference of opinion (rather than returned to the CSPR Group)."""
        return self.outcome == "dispute"

    def to_data(self) -> dict[str, Any]:
        return {"round": self.round, "partner": self.partner, "outcome": self.outcome}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> PartnerChallengedData:
        return cls(
            round=int(data["round"]),
            partner=str(data.get("partner", "")),
            outcome="dispute" if data.get("outcome") == "dispute" else "returned",
        )


def vote_closed(case: Case, round_number: int) -> VoteClosedData | None:
    """How round ``round_number`` closed, if it has (the latest record of it)."""
    for event in reversed(case.events):
        if event.kind == VOTE_CLOSED and event.data.get("round") == round_number:
            return VoteClosedData.from_data(event.data)
    return None


def partner_challenge(
    case: Case, round_number: int
) -> tuple[CaseEvent, PartnerChallengedData] | None:
    """The latest challenge to round ``round_number``'s recommendation, with its event."""
    for event in reversed(case.events):
        if event.kind == PARTNER_CHALLENGED and event.data.get("round") == round_number:
            return event, PartnerChallengedData.from_data(event.data)
    return None


MAX_RATIONALE_CHARS: Final = 2000
TIED: Final = "the vote was tied"
MAX_REASON_CHARS: Final = 1000


@dataclass(frozen=True)
class Ballot:
    """One seat's vote in one round; a deputy votes in their member's seat."""

    seat: str
    voter_id: str
    voter_name: str
    choice: VoteChoice
    criteria: tuple[Criterion, ...]
    rationale: str
    cast_at: datetime | None = None  # when it was stored (read back from storage)

    def same_vote(self, other: Ballot) -> bool:
        """A second press of the same button: nothing to record again."""
        return (self.choice, set(self.criteria), self.rationale) == (
            other.choice,
            set(other.criteria),
            other.rationale,
        )


def make_ballot(
    *,
    seat: str,
    voter: Actor,
    choice: str,
    criteria: Iterable[str],
    rationale: str,
) -> Ballot:
    """A checked ballot, or ``InvalidInput`` saying what to fix (cards validate only politely)."""
    try:
        chosen = VoteChoice(choice)
    except ValueError:
        raise InvalidInput(
            "Please choose a recommendation, abstain or declare a conflict."
        ) from None
    try:
        ticked = tuple(dict.fromkeys(Criterion(c) for c in criteria if c))
    except ValueError:
        raise InvalidInput("One of the criteria ticked is not one I know.") from None
    text = " ".join(rationale.split())
    if not text:
        what = (
            "the conflict you are declaring"
            if chosen is VoteChoice.CONFLICT
            else "your rationale against the criteria"
        )
        raise InvalidInput(f"Please give {what}: it is required.")
    if len(text) > MAX_RATIONALE_CHARS:
        raise InvalidInput(f"Keep the rationale under {MAX_RATIONALE_CHARS} characters.")
    if chosen in {VoteChoice.LOCAL_CSPR, VoteChoice.NATIONAL_REVIEW} and not ticked:
        raise InvalidInput("Tick the criteria this case meets for the review you recommend.")
    return Ballot(
        seat=seat,
        voter_id=voter.id,
        voter_name=voter.name,
        choice=chosen,
        criteria=ticked,
        rationale=text,
    )


@dataclass(frozen=True)
class Tally:
    recommendation: Recommendation | None
    reason: str  # in words: "2 of 3 for ...", "a tie", "only 2 of 3 voted"
    counts: Mapping[str, int]
    voted: int
    seats: int


def tally(ballots: Sequence[Ballot], *, seats: int, rule: VoteRule) -> Tally:
    """The outcome of a round under ``rule``: a recommendation, or None and why not."""
    counts = dict(Counter(b.choice.value for b in ballots))
    voted = len(ballots)

    def result(recommendation: Recommendation | None, reason: str) -> Tally:
        return Tally(recommendation, reason, counts, voted, seats)

    needed = rule.needed(seats)
    if voted < needed:
        return result(None, f"only {voted} of the {needed} votes needed were cast")
    cast = [b.choice.recommendation for b in ballots if b.choice.recommendation is not None]
    ranked = Counter(cast).most_common()
    if not ranked:
        return result(None, "no member voted for a recommendation")
    top, top_count = ranked[0]
    if len(ranked) > 1 and ranked[1][1] == top_count:
        return result(None, TIED)
    pool = len(cast) if rule.majority is Majority.OF_VOTES else seats
    if top_count * 2 <= pool:
        return result(None, f"no option had a majority ({top_count} of {pool})")
    return result(top, f"{top_count} of {pool} for {top.label.lower()}")


# -- the state of a case's rapid review, read from its trail -----------------------------------


@dataclass(frozen=True)
class AgencyStatus:
    agency: str
    requested_on: date
    submitted_on: date | None = None
    late: bool = False
    nil_return: bool = False
    versions: int = 0


@dataclass(frozen=True)
class Round:
    number: int
    seats: Mapping[str, str]  # seat (member's object id) -> member's name
    closes_on: date
    closed: bool = False
    recommendation: Recommendation | None = None
    reason: str = ""
    opened_at: datetime | None = None

    @property
    def tied(self) -> bool:
        return self.closed and self.recommendation is None and self.reason == TIED


@dataclass(frozen=True)
class RapidReviewState:
    started: bool
    agencies: Mapping[str, AgencyStatus]
    rounds: tuple[Round, ...]  # every round of the vote, oldest first
    confirmations: Mapping[str, str]  # partner id -> name, for the latest decided round
    confirmed: Recommendation | None  # the partners' decision
    sent_on: date | None
    panel_decision: str | None
    voters: Mapping[str, str] = field(default_factory=dict)  # seat -> voter name (latest round)

    @property
    def round(self) -> Round | None:
        """The latest round of the vote."""
        return self.rounds[-1] if self.rounds else None

    def round_number(self, number: int) -> Round | None:
        return next((r for r in self.rounds if r.number == number), None)

    @property
    def vote_open(self) -> bool:
        return self.round is not None and not self.round.closed

    @property
    def recommendation(self) -> Recommendation | None:
        """The latest closed round's recommendation, if it had one."""
        return self.round.recommendation if self.round and self.round.closed else None


def _day(event: CaseEvent, key: str) -> date:
    return date.fromisoformat(str(event.data[key]))


def state_of(case: Case) -> RapidReviewState:
    """Where the case's rapid review is, derived from its events (never stored by hand)."""
    started = False
    agencies: dict[str, AgencyStatus] = {}
    rounds: list[Round] = []
    voters: dict[str, str] = {}
    confirmations: dict[str, str] = {}
    confirmed: Recommendation | None = None
    sent_on: date | None = None
    decision: str | None = None
    for event in case.events:
        data = event.data
        if event.kind == STARTED:
            started = True
        elif event.kind == milestones.AGENCY_REQUESTED:
            agency = str(data["agency"])
            agencies[agency] = AgencyStatus(agency, _day(event, "requested_on"))
        elif event.kind in {milestones.AGENCY_SUBMITTED, REPORT_REPLACED}:
            agency = str(data["agency"])
            before = agencies.get(agency) or AgencyStatus(agency, _day(event, "submitted_on"))
            agencies[agency] = AgencyStatus(
                agency,
                before.requested_on,
                submitted_on=before.submitted_on or _day(event, "submitted_on"),
                late=bool(data.get("late")) if before.submitted_on is None else before.late,
                nil_return=bool(data.get("nil_return")),
                versions=before.versions + 1,
            )
        elif event.kind == VOTE_OPENED:
            rounds.append(
                Round(
                    number=int(data["round"]),
                    seats={str(s["seat"]): str(s["name"]) for s in data.get("seats", [])},
                    closes_on=_day(event, "closes_on"),
                    opened_at=event.at,
                )
            )
            voters, confirmations, confirmed = {}, {}, None
        elif event.kind == VOTE_CAST and rounds and data.get("round") == rounds[-1].number:
            voters[str(data["seat"])] = event.actor.name
        elif event.kind in {VOTE_CLOSED, RECOMMENDATION_SETTLED} and rounds:
            current = rounds[-1]
            raw = data.get("recommendation")
            rounds[-1] = Round(
                number=current.number,
                seats=current.seats,
                closes_on=current.closes_on,
                closed=True,
                recommendation=Recommendation(str(raw)) if raw else None,
                reason=str(data.get("reason", event.why or "")),
                opened_at=current.opened_at,
            )
        elif event.kind == PARTNER_CONFIRMED:
            confirmations[event.actor.id] = event.actor.name
        elif event.kind == PARTNER_CHALLENGED:
            confirmations = {}
        elif event.kind == PARTNERS_CONFIRMED:
            confirmed = Recommendation(str(data["recommendation"]))
        elif event.kind == milestones.RAPID_REVIEW_SENT:
            sent_on = _day(event, "sent_on")
        elif event.kind == milestones.PANEL_DECIDED:
            decision = str(data["decision"])
    return RapidReviewState(
        started=started,
        agencies=agencies,
        rounds=tuple(rounds),
        confirmations=confirmations,
        confirmed=confirmed,
        sent_on=sent_on,
        panel_decision=decision,
        voters=voters,
    )


# -- steps -------------------------------------------------------------------------------------


class VoteClosed(DomainError):
    """The vote is not open (it closed, or this card is from another round)."""


class PanelNotNotified(IllegalTransition):
    """A case that may be serious can't go to the Panel as a rapid review it was never told of."""


_SERIOUS_REVIEWS: Final = frozenset({Recommendation.LOCAL_CSPR, Recommendation.NATIONAL_REVIEW})


def may_be_serious(case: Case) -> bool:
    """Whether the serious-case definition may apply, so the Panel's clocks run.

    The route as it now stands (the Hub may reclassify), a Panel notification already made,
    or a CSPR Group recommendation or partners' decision of a CSPR or a national review - which
    is only open to a serious case - so no route escapes the Panel's 5 and 15 working days.
    """
    if case.facts.get("route", "serious") == "serious":
        return True
    if panel.panel_notification(case) is not None:
        return True
    state = state_of(case)
    return (state.confirmed or state.recommendation) in _SERIOUS_REVIEWS


def can_start(case: Case) -> bool:
    """A rapid review follows the Panel notification (or the Hub's reason why there is none),
    or the Hub's receipt of an LLR case."""
    if case.stage is Stage.PANEL_NOTIFIED:
        return True
    if case.stage is not Stage.NOTIFIED:
        return False
    return case.facts.get("route") == "llr" or panel.panel_waiver(case) is not None


def start(
    case: Case,
    agencies: Sequence[str],
    *,
    requested_on: date,
    actor: Actor,
    at: datetime,
) -> None:
    """Ask each agency for its report (each starts its own clock) and open the rapid review."""
    if state_of(case).started:
        raise IllegalTransition(f"The rapid review of case {case.reference} has already started.")
    if not can_start(case):
        raise IllegalTransition(
            f"Case {case.reference} is at '{case.stage.label}': a rapid review starts once the "
            "Panel has been notified (or, for a Local Learning Review case, once it is notified "
            "to the Hub)."
        )
    chosen = list(dict.fromkeys(a.strip() for a in agencies if a.strip()))
    if not chosen:
        raise InvalidInput("Choose at least one agency to ask for a report.")
    for agency in chosen:
        case.record(
            milestones.AGENCY_REQUESTED,
            actor=actor,
            at=at,
            what=f"{agency} asked for its rapid review report.",
            data={"agency": agency, "requested_on": requested_on.isoformat()},
        )
    case.record(
        STARTED,
        actor=actor,
        at=at,
        what=f"Rapid review started: {len(chosen)} agencies asked for reports.",
        data={"agencies": chosen},
    )
    case.move_to(Stage.RAPID_REVIEW, actor=actor, at=at)


def record_report(
    case: Case,
    agency: str,
    *,
    submitted_on: date,
    due: date,
    nil_return: bool,
    actor: Actor,
    at: datetime,
) -> CaseEvent:
    """Record that an agency's report arrived: the first meets the clock, later ones replace it.

    Only the fact is recorded - who, when, late or not - never the report's text.
    """
    state = state_of(case)
    status = state.agencies.get(agency)
    if status is None:
        raise InvalidInput(f"{agency} was not asked for a report on case {case.reference}.")
    if state.sent_on is not None:
        raise IllegalTransition(
            f"The rapid review of case {case.reference} has already gone to the Panel, so "
            "reports can no longer be changed. Contact the Hub."
        )
    late = submitted_on > due
    kind = "nil return" if nil_return else "report"
    lateness = f" - late (due {format_day(due)})" if late else ""
    data = {
        "agency": agency,
        "submitted_on": submitted_on.isoformat(),
        "late": late,
        "nil_return": nil_return,
        "version": status.versions + 1,
    }
    if status.submitted_on is None:
        return case.record(
            milestones.AGENCY_SUBMITTED,
            actor=actor,
            at=at,
            what=f"{agency}'s {kind} submitted by {actor.name}{lateness}.",
            data=data,
        )
    return case.record(
        REPORT_REPLACED,
        actor=actor,
        at=at,
        what=f"{agency}'s {kind} replaced by {actor.name} (version {status.versions + 1})"
        f"{lateness}.",
        data=data,
    )


def open_vote(
    case: Case,
    seats: Mapping[str, str],
    *,
    closes_on: date,
    actor: Actor,
    at: datetime,
) -> int:
    """Open a round of the CSPR Group vote; returns its number."""
    state = state_of(case)
    if state.vote_open:
        raise IllegalTransition(f"The CSPR Group vote on case {case.reference} is already open.")
    if not seats:
        raise InvalidInput(
            "The directory lists no CSPR Group core members, so there is nobody to vote. Ask an "
            "administrator to add them."
        )
    if case.stage is Stage.RAPID_REVIEW:
        case.move_to(Stage.RECOMMENDATION, actor=actor, at=at)
    elif case.stage is not Stage.RECOMMENDATION:
        raise IllegalTransition(
            f"Case {case.reference} is at '{case.stage.label}', where the CSPR Group does not vote."
        )
    number = state.round.number + 1 if state.round else 1
    missing = missing_reports(case)
    name = _vote_name(number, state.round, challenged=_returned(case, state.round))
    case.record(
        VOTE_OPENED,
        actor=actor,
        at=at,
        what=f"CSPR Group {name[0].lower()}{name[1:]} opened, closing {format_day(closes_on)}"
        + (
            f", with {len(missing)} of {len(state.agencies)} agency reports not in: "
            f"{', '.join(missing)}."
            if missing
            else "."
        ),
        data={
            "round": number,
            "seats": [{"seat": seat, "name": member} for seat, member in seats.items()],
            "closes_on": closes_on.isoformat(),
            "missing_reports": missing,
        },
    )
    return number


def check_vote_open(case: Case, round_number: int, today: date) -> Round:
    """The open round this card belongs to, or ``VoteClosed`` saying why not."""
    current = state_of(case).round
    if current is None:
        raise VoteClosed(f"The CSPR Group vote on case {case.reference} has not opened yet.")
    if round_number != current.number:
        raise VoteClosed(
            f"This card is from an earlier CSPR Group vote on case {case.reference}; a new "
            "vote has opened since, on its own card. Nothing was changed."
        )
    if current.closed:
        raise VoteClosed(
            f"The CSPR Group vote on case {case.reference} has closed, so votes can no longer "
            "be cast or changed. Nothing was changed."
        )
    if today > current.closes_on:
        raise VoteClosed(
            f"The CSPR Group vote on case {case.reference} closed at the end of "
            f"{format_day(current.closes_on)}. Nothing was changed."
        )
    return current


def record_ballot(
    case: Case, ballot: Ballot, *, round_number: int, changed: bool, at: datetime
) -> CaseEvent:
    """A vote in the evidence trail, with the rationale as its why."""
    voter = Actor(id=ballot.voter_id, name=ballot.voter_name)
    seat = state_of(case).round
    member = seat.seats.get(ballot.seat, "") if seat else ""
    in_seat = f" in {member}'s seat" if member and ballot.voter_id != ballot.seat else ""
    verb = "changed their vote to" if changed else "voted"
    return case.record(
        VOTE_CAST,
        actor=voter,
        at=at,
        what=f"{voter.name}{in_seat} {verb}: {ballot.choice.label} ({vote_name(case, round_number)}"
        ").",
        why=ballot.rationale,
        data={
            "round": round_number,
            "seat": ballot.seat,
            "choice": ballot.choice.value,
            "criteria": [c.value for c in ballot.criteria],
            "changed": changed,
        },
    )


class BelowQuorum(DomainError):
    """Too few votes are in for the vote to decide: close and refer it instead, or chase."""


def close_vote(
    case: Case,
    ballots: Sequence[Ballot],
    *,
    rule: VoteRule,
    actor: Actor,
    at: datetime,
    reason: str,
    refer: bool = False,
) -> Tally:
    """Close the current vote, for the reason given (required: it is the trail's why).

    With the quorum in, the votes decide: a recommendation goes to the partners; a tie or no
    majority is a difference of opinion. Below the quorum the vote can only be closed *and
    referred* (``refer``): it then goes to the partners as a difference of opinion (the
    procedure, "Differences of opinion": unresolved, it is referred to the safeguarding
    partners) - so a member on leave never holds up the rapid review's 15 working days.
    """
    text = " ".join(reason.split())
    if not text:
        raise InvalidInput("Please give the reason for closing the vote: it is required.")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInput(f"Keep the reason under {MAX_REASON_CHARS} characters.")
    current = state_of(case).round
    if current is None or current.closed:
        raise VoteClosed(f"There is no open CSPR Group vote on case {case.reference}.")
    counted = [b for b in ballots if b.seat in current.seats]
    needed = rule.needed(len(current.seats))
    if len(counted) < needed and not refer:
        raise BelowQuorum(
            f"{len(counted)} of the {needed} votes needed {'is' if len(counted) == 1 else 'are'} "
            f"in, so the vote cannot decide yet. Chase the members who haven't voted, or close "
            "the vote and refer it to the partners as a difference of opinion. Nothing was "
            "changed."
        )
    result = tally(counted, seats=len(current.seats), rule=rule)
    outcome = result.recommendation
    name = vote_name(case, current.number)
    by = "" if actor.id == SYSTEM.id else f" by {actor.name}"
    case.record(
        VOTE_CLOSED,
        actor=actor,
        at=at,
        what=f"CSPR Group {name[0].lower()}{name[1:]} closed{by} with {len(counted)} of "
        f"{len(current.seats)} votes in: "
        + (
            f"{outcome.label} ({result.reason})."
            if outcome
            else f"no recommendation - {result.reason}."
        ),
        why=text,
        data={
            **VoteClosedData(
                round=current.number,
                recommendation=outcome,
                reason=result.reason,
                counts=dict(result.counts),
                ballots=tuple(
                    ClosedBallot(
                        seat=b.seat,
                        member=current.seats.get(b.seat, b.voter_name),
                        voter=b.voter_name,
                        choice=b.choice.value,
                        criteria=tuple(c.value for c in b.criteria),
                    )
                    for b in counted
                ),
            ).to_data(),
            "needed": needed,
        },
    )
    if outcome is not None:
        case.move_to(Stage.PARTNERS_DECISION, actor=actor, at=at)
    else:
        refer_dispute(
            case,
            about="csprg_vote",
            round_number=current.number,
            reason=f"The CSPR Group vote ended without a recommendation: {result.reason}. "
            f"Reason for closing: {text}",
            actor=actor,
            at=at,
        )
    return result


# -- chasing the members who have not voted ----------------------------------------------------


@dataclass(frozen=True)
class Chase:
    """One reminder of a vote's non-voters: when, by whom (or which rules), and whose seats."""

    at: datetime
    on: date  # the partnership's local date
    actor: str
    seats: tuple[str, ...]
    by: tuple[str, ...]  # "hub", or the reminder rules of :class:`VoteReminders`


def chases(case: Case, round_number: int) -> list[Chase]:
    """Every reminder sent for one vote, oldest first."""
    return [
        Chase(
            at=event.at,
            on=date.fromisoformat(str(event.data["on"])),
            actor=event.actor.name,
            seats=tuple(str(s) for s in event.data.get("seats", [])),
            by=tuple(str(b) for b in event.data.get("by", [])),
        )
        for event in case.events
        if event.kind == VOTE_CHASED and event.data.get("round") == round_number
    ]


def hub_chased_on(case: Case, round_number: int, day: date) -> Chase | None:
    """The Hub's chase of this vote on ``day``, if any: a second press that day sends nothing."""
    return next(
        (c for c in reversed(chases(case, round_number)) if c.on == day and "hub" in c.by), None
    )


def reminders_to_send(
    case: Case,
    rules: VoteReminders,
    *,
    today: date,
    rapid_review_due: date | None,
    calendar: WorkingDayCalendar,
) -> tuple[str, ...]:
    """The reminder rules due for the open vote and not yet sent (each is sent once)."""
    current = state_of(case).round
    if current is None or current.closed or current.opened_at is None:
        return ()
    if case.stage is not Stage.RECOMMENDATION or today > current.closes_on:
        return ()  # closed, or closing on this tick
    sent = {rule for chase in chases(case, current.number) for rule in chase.by}
    due = rules.due(
        opened_on=calendar.local_date(current.opened_at),
        today=today,
        rapid_review_due=rapid_review_due,
        calendar=calendar,
    )
    return tuple(rule for rule in due if rule not in sent)


def record_chase(
    case: Case,
    *,
    round_number: int,
    seats: Sequence[str],
    by: Sequence[str],
    on: date,
    actor: Actor,
    at: datetime,
) -> CaseEvent:
    """The non-voters (``seats``) were reminded in their personal chats."""
    current = state_of(case).round_number(round_number)
    names = [current.seats.get(s, s) for s in seats] if current else list(seats)
    who = "the Hub" if "hub" in by else "the assistant's reminder"
    return case.record(
        VOTE_CHASED,
        actor=actor,
        at=at,
        what=f"Members who had not voted reminded by {who}: {', '.join(names)}.",
        data={"round": round_number, "seats": list(seats), "by": list(by), "on": on.isoformat()},
    )


# -- what people call each vote ----------------------------------------------------------------

_ORDINALS: Final = ("", "", "Second", "Third", "Fourth", "Fifth")


def vote_name(case: Case, number: int) -> str:
    """What people call the vote: "Vote", "Second vote after a tie" (never "round 2")."""
    state = state_of(case)
    before = state.round_number(number - 1)
    return _vote_name(number, before, challenged=_returned(case, before))


def _vote_name(number: int, before: Round | None, *, challenged: bool) -> str:
    if number <= 1:
        return "Vote"
    name = f"{_ORDINALS[number]} vote" if number < len(_ORDINALS) else f"Vote number {number}"
    if challenged:
        return f"{name} after a partner's challenge"
    if before is not None and before.tied:
        return f"{name} after a tie"
    if before is not None and before.recommendation is None:
        return f"{name} after no recommendation"
    return name


def _returned(case: Case, before: Round | None) -> bool:
    if before is None:
        return False
    found = partner_challenge(case, before.number)
    return found is not None and not found[1].referred


def missing_reports(case: Case) -> list[str]:
    """The agencies asked for a report that have sent neither a report nor a nil return."""
    return [a.agency for a in state_of(case).agencies.values() if a.submitted_on is None]


_ABOUT: Final[Mapping[str, str]] = MappingProxyType(
    {
        "csprg_vote": "the CSPR Group vote ended without a recommendation",
        "partners_challenge": "a partner challenged the CSPR Group's recommendation",
    }
)


def refer_dispute(
    case: Case, *, about: str, round_number: int, reason: str, actor: Actor, at: datetime
) -> CaseEvent:
    """Hand a difference of opinion to the disputes journey, through the trail only."""
    return case.record(
        DISPUTE_REFERRED,
        actor=actor,
        at=at,
        what=f"Difference of opinion referred ({_ABOUT.get(about, about.replace('_', ' '))}).",
        why=reason,
        # "topic" is the disputes journey's: what kind of review should be held.
        data={
            "origin": "rapid_review",
            "about": about,
            "round": round_number,
            "topic": "review_type",
        },
    )


def settle_recommendation(
    case: Case, recommendation: Recommendation, *, why: str, actor: Actor, at: datetime
) -> None:
    """For the disputes journey: a difference of opinion about the vote was resolved with this
    recommendation, which now goes to the partners as if the CSPR Group had voted it."""
    current = state_of(case).round
    if case.stage is not Stage.RECOMMENDATION or current is None:
        raise IllegalTransition(
            f"Case {case.reference} is not waiting for a CSPR Group recommendation."
        )
    if not current.closed:
        raise IllegalTransition(
            f"The CSPR Group vote on case {case.reference} is still open: close it first."
        )
    case.record(
        RECOMMENDATION_SETTLED,
        actor=actor,
        at=at,
        what=f"Recommendation settled: {recommendation.label}.",
        why=why,
        data={"round": current.number, "recommendation": recommendation.value},
    )
    case.move_to(Stage.PARTNERS_DECISION, actor=actor, at=at)


def _check_partners_turn(case: Case, round_number: int) -> tuple[RapidReviewState, Recommendation]:
    state = state_of(case)
    current = state.round
    if current is None or not current.closed or current.recommendation is None:
        raise VoteClosed(
            f"The CSPR Group has not made a recommendation on case {case.reference} yet: the "
            "partners decide once the vote has closed. Nothing was changed."
        )
    if round_number != current.number:
        raise VoteClosed(
            f"This card is about an earlier CSPR Group vote on case {case.reference}; the "
            "current recommendation is from a later vote, on its own card. Nothing was changed."
        )
    if state.confirmed is not None or case.stage is not Stage.PARTNERS_DECISION:
        raise VoteClosed(
            f"The partners' decision on case {case.reference} has already been made. Nothing "
            "was changed."
        )
    return state, current.recommendation


def confirm(
    case: Case,
    *,
    round_number: int,
    required: int,
    actor: Actor,
    at: datetime,
    decided_on: date,
) -> bool:
    """A partner confirms; returns True once enough partners have (the decision stands).

    The same partner confirming twice changes nothing (a double-pressed button). A local CSPR
    starts on the day the partners decide (``decided_on``, their local date): its 6-month
    clock runs from the decision to initiate it (Working Together 2023 ch.5; the procedure,
    "Key points when completing a local CSPR"), not from the Panel's answer.
    """
    state, recommendation = _check_partners_turn(case, round_number)
    if actor.id in state.confirmations:
        return False
    case.record(
        PARTNER_CONFIRMED,
        actor=actor,
        at=at,
        what=f"{actor.name} confirmed the recommendation: {recommendation.label}.",
        data={"round": round_number, "partner": actor.id},
    )
    if len(state.confirmations) + 1 < max(1, required):
        return False
    case.record(
        PARTNERS_CONFIRMED,
        actor=actor,
        at=at,
        what=f"The safeguarding partners confirmed: {recommendation.label}.",
        data={
            "round": round_number,
            "recommendation": recommendation.value,
            "decided_on": decided_on.isoformat(),
        },
    )
    if recommendation is Recommendation.LOCAL_CSPR:
        case.record(
            milestones.REVIEW_STARTED,
            actor=actor,
            at=at,
            what=f"Local CSPR started by the partners' decision of {format_day(decided_on)}; "
            "it does not wait for the Panel's answer.",
            data={"decided_on": decided_on.isoformat(), "kind": "local"},
        )
    # A case never notified to the Panel can go straight to a learning review, or close.
    if case.facts.get("route", "serious") != "serious" and not any(
        e.kind == milestones.PANEL_NOTIFIED for e in case.events
    ):
        if recommendation is Recommendation.LEARNING_REVIEW:
            _start_learning_review(case, decided_on=decided_on, actor=actor, at=at)
            case.move_to(Stage.LEARNING_REVIEW, actor=actor, at=at)
        elif recommendation is Recommendation.NO_REVIEW:
            case.move_to(Stage.CLOSED, actor=actor, at=at, why="Partners confirmed: no review.")
    return True


def challenge(
    case: Case,
    *,
    round_number: int,
    reason: str,
    refer: bool,
    actor: Actor,
    at: datetime,
) -> None:
    """A partner challenges: back to the CSPR Group with the reason, or a difference of opinion."""
    text = " ".join(reason.split())
    if not text:
        raise InvalidInput("Please give the reason for the challenge: it is required.")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInput(f"Keep the reason under {MAX_REASON_CHARS} characters.")
    _, recommendation = _check_partners_turn(case, round_number)
    outcome: ChallengeOutcome = "dispute" if refer else "returned"
    case.record(
        PARTNER_CHALLENGED,
        actor=actor,
        at=at,
        what=f"{actor.name} challenged the recommendation ({recommendation.label})"
        + (": referred as a difference of opinion." if refer else ": returned to the CSPR Group."),
        why=text,
        data=PartnerChallengedData(round_number, actor.id, outcome).to_data(),
    )
    if refer:
        refer_dispute(
            case,
            about="partners_challenge",
            round_number=round_number,
            reason=text,
            actor=actor,
            at=at,
        )
    else:
        case.move_to(Stage.RECOMMENDATION, actor=actor, at=at, why=text)


def record_sent(case: Case, *, sent_on: date, due: date | None, actor: Actor, at: datetime) -> bool:
    """The rapid review went to the Panel; returns whether it was late (after ``due``)."""
    state = state_of(case)
    if state.sent_on is not None:
        raise IllegalTransition(
            f"The rapid review of case {case.reference} was already recorded as sent on "
            f"{format_day(state.sent_on)}."
        )
    if state.confirmed is None or case.stage is not Stage.PARTNERS_DECISION:
        raise IllegalTransition(
            f"The partners have not confirmed a decision on case {case.reference} yet, so the "
            "rapid review is not ready for the Panel."
        )
    if may_be_serious(case) and not panel.panel_settled(case):
        raise PanelNotNotified(
            f"Case {case.reference} may be a serious child safeguarding case (the partners "
            f"decided: {state.confirmed.label.lower()}), but no Panel notification is recorded. "
            "Record the Panel notification, or why the Panel was not notified, on the case card "
            "first. Nothing was changed."
        )
    if sent_on < case.aware_on:
        raise InvalidInput("The rapid review can't have been sent before the partners were aware.")
    late = due is not None and sent_on > due
    case.record(
        milestones.RAPID_REVIEW_SENT,
        actor=actor,
        at=at,
        what=f"Rapid review sent to the Panel on {format_day(sent_on)} by {actor.name}"
        + (f" - late (due {format_day(due)})." if late and due else "."),
        data={"sent_on": sent_on.isoformat(), "late": late},
    )
    # A local CSPR is already under way; the Panel's answer is tracked all the same.
    after = Stage.LOCAL_REVIEW if state.confirmed is Recommendation.LOCAL_CSPR else Stage.WITH_PANEL
    case.move_to(after, actor=actor, at=at)
    return late


def awaiting_panel(case: Case) -> bool:
    """The rapid review went to the Panel and its decision (other than "Other") is not in."""
    state = state_of(case)
    if state.sent_on is None or case.stage not in {Stage.WITH_PANEL, Stage.LOCAL_REVIEW}:
        return False
    return state.panel_decision in {None, PanelDecision.OTHER.value}


_AFTER_PANEL: Final[Mapping[Recommendation, Stage]] = MappingProxyType(
    {
        Recommendation.LOCAL_CSPR: Stage.LOCAL_REVIEW,
        Recommendation.NATIONAL_REVIEW: Stage.NATIONAL_REVIEW,
        Recommendation.LEARNING_REVIEW: Stage.LEARNING_REVIEW,
        Recommendation.NO_REVIEW: Stage.CLOSED,
    }
)


def record_panel_decision(
    case: Case,
    decision: PanelDecision,
    *,
    decided_on: date,
    note: str,
    actor: Actor,
    at: datetime,
) -> Stage:
    """The Panel answered, and every answer has a next step.

    * "Agrees": the partners' decision goes ahead (a local CSPR is already running, from the
      partners' decision; a national review starts its clock on the Panel's decision).
    * "Commissions a national review": the national review starts, replacing a local CSPR
      under way.
    * "Other": recorded with its note; the partners' decision stands meanwhile (a local CSPR
      continues) and the Hub records the Panel's final answer when it comes.
    """
    state = state_of(case)
    if not awaiting_panel(case) or state.sent_on is None:
        raise IllegalTransition(
            f"Case {case.reference} is not waiting for the Panel's answer, so there is no Panel "
            "decision to record."
        )
    if decided_on < state.sent_on:
        raise InvalidInput("The Panel can't have decided before it received the rapid review.")
    text = " ".join(note.split())
    if decision is PanelDecision.OTHER and not text:
        raise InvalidInput("Please describe the Panel's decision in the note.")
    if len(text) > MAX_REASON_CHARS:
        raise InvalidInput(f"Keep the note under {MAX_REASON_CHARS} characters.")
    case.record(
        milestones.PANEL_DECIDED,
        actor=actor,
        at=at,
        what=f"Panel decision recorded: {decision.label} (decided {format_day(decided_on)}).",
        why=text or None,
        data={"decided_on": decided_on.isoformat(), "decision": decision.value},
    )
    if decision is PanelDecision.OTHER:
        return case.stage
    target = (
        Recommendation.NATIONAL_REVIEW
        if decision is PanelDecision.NATIONAL_REVIEW
        else (state.confirmed or Recommendation.NO_REVIEW)
    )
    if case.stage is Stage.LOCAL_REVIEW and target is Recommendation.LOCAL_CSPR:
        return case.stage  # the local review started with the partners' decision
    started = any(e.kind == milestones.REVIEW_STARTED for e in case.events)
    if target is Recommendation.NATIONAL_REVIEW or (
        target is Recommendation.LOCAL_CSPR and not started
    ):
        kind = "national" if target is Recommendation.NATIONAL_REVIEW else "local"
        case.record(
            milestones.REVIEW_STARTED,
            actor=actor,
            at=at,
            what=f"{'National' if kind == 'national' else 'Local'} review commissioned "
            f"(decided {format_day(decided_on)}).",
            data={"decided_on": decided_on.isoformat(), "kind": kind},
        )
    if target is Recommendation.LEARNING_REVIEW:
        _start_learning_review(case, decided_on=decided_on, actor=actor, at=at)
    stage = _AFTER_PANEL[target]
    case.move_to(stage, actor=actor, at=at)
    return stage


def _start_learning_review(case: Case, *, decided_on: date, actor: Actor, at: datetime) -> None:
    """A local learning review starts its own (local) clock on the decision to hold it."""
    case.record(
        milestones.REVIEW_STARTED,
        actor=actor,
        at=at,
        what=f"Local learning review started (decided {format_day(decided_on)}).",
        data={"decided_on": decided_on.isoformat(), "kind": "learning"},
    )


def refusal(case: Case, *, action: str, reason: str, actor: Actor, at: datetime) -> CaseEvent:
    """A refused attempt worth keeping in the trail (who tried what, and why it was refused)."""
    return case.record(
        REFUSED,
        actor=actor,
        at=at,
        what=f"Refused: {action}.",
        why=reason,
        data={"action": action, "reason": reason},
    )


def describe_choice(value: str) -> str:
    return _LABELS.get(value, value)
