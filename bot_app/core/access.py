"""Who may reach a case: one check, made by the router before any handler runs.

Every command and button that names a case - or something of a case: a reminder, a
difference of opinion - says so through its payload's :meth:`subject`, and the router asks
this module before the handler sees anything. So a new verb cannot forget the check, and
whoever may not reach a case gets the *same* answer whether it exists or not: case
references and reminder ids are sequential, and a "not found" that differed from a "not
yours" would let anyone list the partnership's cases by counting (Working Together 2023
limits case information to those with a need to know; UK GDPR art. 5(1)(f)).

Who may reach what:

* a case: whoever may see it (``safeguarding.policy.may_see_case``);
* a reminder: whoever may see the case it is for;
* a difference of opinion: its parties at its current stage (an Independent Scrutiny
  Officer mediating one need not otherwise see the case).

People who may list every case learn nothing from "not found", so they are told it plainly.
The services still check what is theirs to check (a voting seat, an agency's request).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bot_app.core.transactions import Transactions
from safeguarding.case import Case
from safeguarding.disputes import Dispute, DisputeStage, disputes_of, party_roles
from safeguarding.errors import InvalidInput, NotFound
from safeguarding.policy import Action, can, may_see_case
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class NotFoundOrNotYours(NotFound):
    """The case or object named does not exist, or is not this person's to reach: one answer."""


class Subject(Protocol):
    """What a payload names, able to say whether a person may reach it."""

    async def admit(self, person: Person, uow: UnitOfWork) -> None:
        """Return if ``person`` may reach it; else raise :class:`NotFoundOrNotYours`."""
        ...


def case_not_found(reference: CaseReference) -> str:
    return f"I can't find case {reference}. Check the reference and try again."


def case_not_reachable(reference: CaseReference) -> str:
    return (
        f"I can't find case {reference} among the cases you have access to. Check the "
        "reference, or ask the Hub if you need it."
    )


REMINDER_NOT_FOUND = "I can't find that reminder any more."
REMINDER_NOT_REACHABLE = (
    "I can't find that reminder among the reminders of cases you have access to. Nothing was "
    "changed."
)


def dispute_not_reachable(reference: CaseReference, number: int) -> str:
    # The words of ``Dispute.require_party``, for a dispute that exists or not alike.
    return (
        f"Sorry, you are not a party to difference of opinion {number} on {reference} at "
        "this stage, so you can't see or answer it. Nothing was changed."
    )


@dataclass(frozen=True)
class CaseSubject:
    """A command or button about one case."""

    reference: CaseReference

    async def admit(self, person: Person, uow: UnitOfWork) -> None:
        case = await uow.cases.find(self.reference)
        if case is not None and may_see_case(person, case):
            return
        if case is None and can(person, Action.LIST_ALL_CASES):
            raise NotFoundOrNotYours(case_not_found(self.reference))
        raise NotFoundOrNotYours(case_not_reachable(self.reference))


@dataclass(frozen=True)
class ReminderSubject:
    """A reminder card's button: it carries only the reminder's id."""

    reminder_id: int

    async def admit(self, person: Person, uow: UnitOfWork) -> None:
        case = await self._case(uow)
        if case is not None and may_see_case(person, case):
            return
        if case is None and can(person, Action.LIST_ALL_CASES):
            raise NotFoundOrNotYours(REMINDER_NOT_FOUND)
        raise NotFoundOrNotYours(REMINDER_NOT_REACHABLE)

    async def _case(self, uow: UnitOfWork) -> Case | None:
        record = await uow.reminders.get(self.reminder_id)
        if record is None or not record.key.case_reference:  # the weekly digest has no case
            return None
        try:
            reference = CaseReference.parse(record.key.case_reference)
        except InvalidInput:
            return None
        return await uow.cases.find(reference)


@dataclass(frozen=True)
class DisputeSubject:
    """A button on a difference of opinion's card: the case and the dispute's number."""

    reference: CaseReference
    number: int

    async def admit(self, person: Person, uow: UnitOfWork) -> None:
        case = await uow.cases.find(self.reference)
        dispute = _dispute(case, self.number) if case is not None else None
        if dispute is not None and dispute.is_party(person):
            return
        # The Hub and the CSPR Group take part in every dispute from its first stage: for
        # them "there is no such dispute" gives nothing away.
        party_to_all = not person.roles.isdisjoint(party_roles(DisputeStage.LIAISON))
        if case is None and party_to_all and can(person, Action.LIST_ALL_CASES):
            raise NotFoundOrNotYours(case_not_found(self.reference))
        if case is not None and dispute is None and party_to_all and may_see_case(person, case):
            raise NotFoundOrNotYours(
                f"Case {self.reference} has no difference of opinion {self.number}."
            )
        raise NotFoundOrNotYours(dispute_not_reachable(self.reference, self.number))


def _dispute(case: Case, number: int) -> Dispute | None:
    return next((d for d in disputes_of(case) if d.number == number), None)


class CaseAccess:
    """The router's gate: checks a subject in a read-only transaction, and logs a refusal."""

    def __init__(self, tx: Transactions) -> None:
        self._tx = tx

    async def check(self, person: Person, subject: Subject, *, asked: str) -> None:
        """Refuse (``NotFoundOrNotYours``) unless ``person`` may reach ``subject``.

        ``asked`` names the command or verb, for the log only.
        """

        async def admit(uow: UnitOfWork) -> None:
            await subject.admit(person, uow)

        try:
            await self._tx.read(admit)
        except NotFoundOrNotYours:
            log.warning(
                "refused %r to %s: not found or no access to %s",
                asked,
                person.object_id,
                type(subject).__name__,
            )
            raise
