"""Closing a case as "criteria not met": proposed by the Hub, decided by the representatives.

The safeguarding partners have delegated to their three representatives - the CSPR Group's
core members - the decision whether a case meets the criteria (the procedure, "Decision
making process about local and national reviews"). So the Hub only *proposes* closing a case
that does not meet them, with its reason; the representatives confirm (each seat once: a
deputy confirms in their member's seat) or challenge it. Once enough have confirmed, the
decision closes the case. The Hub cannot confirm its own proposal, even when the same person
also holds a seat.

A difference of opinion "whether a case meets the criteria" (the procedure, "Differences of
opinion") may be raised on the decision, closed case or not; upheld, it reopens the case.

Every step is an event in the case's trail and :func:`proposal_of` folds them back. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, Self

from safeguarding.case import Actor, Case, CaseEvent, Stage
from safeguarding.errors import DomainError, IllegalTransition, InvalidInput

# The Hub proposed closing the case. why: the reason. data: :class:`ProposalData`
PROPOSED: Final = "closure.proposed"
# A representative confirmed. data: :class:`SeatData`
CONFIRMED: Final = "closure.confirmed"
# A representative challenged: the proposal falls, the case stays open. why: the reason.
# data: :class:`SeatData`
CHALLENGED: Final = "closure.challenged"
# The representatives decided: the criteria are not met, the case closes. why: the reason.
# data: {"number"}
DECIDED: Final = "case.criteria_not_met"
# A difference of opinion on the decision was upheld: the case reopened. why: the outcome.
# data: {"number", "dispute"}
REOPENED: Final = "closure.reopened"

MAX_REASON_CHARS: Final = 500


class ProposalClosed(DomainError):
    """This card's proposal is no longer waiting for the representatives."""


class OwnProposal(DomainError):
    """The person who proposed the closure cannot also confirm it."""


@dataclass(frozen=True)
class ProposalData:
    number: int

    def to_data(self) -> dict[str, Any]:
        return {"number": self.number}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        return cls(number=int(data["number"]))


@dataclass(frozen=True)
class SeatData:
    """A representative's answer: the proposal, and the seat they answered in."""

    number: int
    seat: str

    def to_data(self) -> dict[str, Any]:
        return {"number": self.number, "seat": self.seat}

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        return cls(number=int(data["number"]), seat=str(data.get("seat", "")))


@dataclass(frozen=True)
class Proposal:
    """A proposal to close the case, as its events tell it."""

    number: int
    proposed_by: Actor
    proposed_at: datetime
    reason: str | None  # None: erased by the retention policy
    confirmations: Mapping[str, str] = field(default_factory=dict)  # seat -> who confirmed
    challenged_by: Actor | None = None
    decided: bool = False
    reopened: bool = False

    @property
    def pending(self) -> bool:
        return not (self.decided or self.challenged_by is not None)


def proposals_of(case: Case) -> list[Proposal]:
    found: dict[int, Proposal] = {}
    for event in case.events:
        if event.kind == PROPOSED:
            number = ProposalData.from_data(event.data).number
            found[number] = Proposal(number, event.actor, event.at, event.why)
        elif event.kind in {CONFIRMED, CHALLENGED}:
            seat = SeatData.from_data(event.data)
            current = found.get(seat.number)
            if current is None:
                continue
            if event.kind == CONFIRMED:
                confirmations = {**current.confirmations, seat.seat: event.actor.name}
                found[seat.number] = _replace(current, confirmations=confirmations)
            else:
                found[seat.number] = _replace(current, challenged_by=event.actor)
        elif event.kind in {DECIDED, REOPENED}:
            number = int(event.data.get("number", 0))
            current = found.get(number)
            if current is not None:
                change = {"decided": True} if event.kind == DECIDED else {"reopened": True}
                found[number] = _replace(current, **change)
    return [found[n] for n in sorted(found)]


def proposal_of(case: Case) -> Proposal | None:
    """The latest proposal, whatever became of it."""
    proposals = proposals_of(case)
    return proposals[-1] if proposals else None


def pending_proposal(case: Case) -> Proposal | None:
    latest = proposal_of(case)
    return latest if latest is not None and latest.pending else None


def closed_as_not_met(case: Case) -> Proposal | None:
    """The decision that closed the case, while it stands (closed, not reopened)."""
    latest = proposal_of(case)
    if case.is_open or latest is None or not latest.decided or latest.reopened:
        return None
    return latest


def may_propose(case: Case) -> bool:
    """A new notification the Hub finds outside the criteria, with no proposal pending."""
    return case.stage is Stage.NOTIFIED and pending_proposal(case) is None


# -- changing -------------------------------------------------------------------------------


def propose(case: Case, *, reason: str, actor: Actor, at: datetime) -> Proposal:
    """The Hub proposes closing the case: the criteria are not met, for this reason."""
    text = _reason(reason, "the reason the criteria are not met")
    if pending_proposal(case) is not None:
        raise IllegalTransition(
            f"Closing case {case.reference} is already proposed and waiting for the partners' "
            "representatives. Nothing was changed."
        )
    if case.stage is not Stage.NOTIFIED:
        raise IllegalTransition(
            f"Case {case.reference} is at '{case.stage.label}': closing it as not meeting the "
            "criteria is proposed only for a new notification. Nothing was changed."
        )
    number = len(proposals_of(case)) + 1
    case.record(
        PROPOSED,
        actor=actor,
        at=at,
        what=f"{actor.name} proposed closing the case: the criteria are not met. For the "
        "partners' representatives to confirm.",
        why=text,
        data=ProposalData(number).to_data(),
    )
    return _find(case, number)


def confirm(
    case: Case, number: int, *, seat: str, required: int, actor: Actor, at: datetime
) -> bool:
    """A representative confirms in ``seat``; True once ``required`` seats have (the case is
    then closed). A seat confirming twice changes nothing."""
    proposal = _pending(case, number)
    if actor.id == proposal.proposed_by.id:
        raise OwnProposal(
            f"You proposed closing case {case.reference}, so you can't also confirm it: another "
            "of the partners' representatives must. Nothing was changed."
        )
    if seat in proposal.confirmations:
        return False
    case.record(
        CONFIRMED,
        actor=actor,
        at=at,
        what=f"{actor.name} confirmed the proposal: the criteria are not met.",
        data=SeatData(number, seat).to_data(),
    )
    if len(proposal.confirmations) + 1 < max(1, required):
        return False
    reason = proposal.reason or "See the case record."
    case.record(
        DECIDED,
        actor=actor,
        at=at,
        what="The partners' representatives decided the criteria are not met.",
        why=reason,
        data={"number": number},
    )
    case.move_to(Stage.CLOSED, actor=actor, at=at, why=reason)
    return True


def challenge(
    case: Case, number: int, *, seat: str, reason: str, actor: Actor, at: datetime
) -> None:
    """A representative challenges: the proposal falls and the case stays open."""
    text = _reason(reason, "the reason for the challenge")
    _pending(case, number)
    case.record(
        CHALLENGED,
        actor=actor,
        at=at,
        what=f"{actor.name} challenged the proposal to close the case; it stays open.",
        why=text,
        data=SeatData(number, seat).to_data(),
    )


def reopen(case: Case, *, dispute: int, why: str, actor: Actor, at: datetime) -> CaseEvent:
    """A difference of opinion on the decision was upheld: the case reopens where it closed."""
    decided = closed_as_not_met(case)
    if decided is None:
        raise IllegalTransition(
            f"Case {case.reference} was not closed as not meeting the criteria, so upholding a "
            "difference of opinion does not reopen it."
        )
    case.record(
        REOPENED,
        actor=actor,
        at=at,
        what=f"Difference of opinion {dispute} upheld: the decision that the criteria are not "
        "met is set aside and the case reopens.",
        why=why,
        data={"number": decided.number, "dispute": dispute},
    )
    return case.reopen(actor=actor, at=at, why=why)


# -- helpers --------------------------------------------------------------------------------


def _find(case: Case, number: int) -> Proposal:
    return next(p for p in proposals_of(case) if p.number == number)


def _pending(case: Case, number: int) -> Proposal:
    proposal = next((p for p in proposals_of(case) if p.number == number), None)
    if proposal is None or not proposal.pending:
        became = "no longer waiting for the representatives"
        if proposal is not None and proposal.decided:
            became = "already decided"
        elif proposal is not None and proposal.challenged_by is not None:
            became = f"challenged by {proposal.challenged_by.name}"
        raise ProposalClosed(
            f"That proposal to close case {case.reference} is {became}. Nothing was changed."
        )
    if case.stage is not Stage.NOTIFIED:
        raise ProposalClosed(
            f"Case {case.reference} has moved on to '{case.stage.label}', so the proposal to "
            "close it no longer applies. Nothing was changed."
        )
    return proposal


def _reason(text: str, what: str) -> str:
    cleaned = " ".join(str(text).split())
    if not cleaned:
        raise InvalidInput(f"Please give {what}: it is required. Nothing was changed.")
    if len(cleaned) > MAX_REASON_CHARS:
        raise InvalidInput(f"Keep the reason under {MAX_REASON_CHARS} characters.")
    return cleaned


def _replace(proposal: Proposal, **changes: Any) -> Proposal:
    return replace(proposal, **changes)
