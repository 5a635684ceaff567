"""Case governance as services on a real database: "criteria not met" is proposed by the Hub
and decided by the partners' representatives, and bad input is refused and audited."""

from __future__ import annotations

from datetime import date

from bot_app.cases import closure, governance, services
from bot_app.cases.messages import ClosureMessages, HubCards
from bot_app.core.transactions import Transactions
from safeguarding import panel
from safeguarding.case import Stage
from safeguarding.roles import Person, Role
from storage.uow import UnitOfWork
from tests.services.test_cases import NOW, REFERENCE, TODAY, VIEWS, tx

__all__ = ["tx"]  # the fixture: a case notified by Pat Practitioner (Health)

HUB_AND_MEMBER = Person("hub-1", "Hana Hub", roles=frozenset({Role.HUB_OFFICER, Role.CSPRG_MEMBER}))
SAM = Person("sam", "Sam Hughes", roles=frozenset({Role.CSPRG_MEMBER}))
LEAD = Person("lead-1", "Lee Lead", agency="Health", roles=frozenset({Role.AGENCY_LEAD}))


class Directory:
    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        everyone = [HUB_AND_MEMBER, SAM, LEAD]
        return [p for p in everyone if p.has(role) and (agency is None or p.agency == agency)]


HUB_CARDS = HubCards(VIEWS, Directory())
MESSAGES = ClosureMessages(people=Directory(), confirmations=0)  # every core member: 2


async def _propose(tx: Transactions) -> object:
    command = closure.ProposeClosure(HUB_AND_MEMBER, REFERENCE, "Accidental injury.")
    return await tx.run(
        lambda uow: closure.propose(
            command, uow, now=NOW, today=TODAY, hub_cards=HUB_CARDS, messages=MESSAGES
        )
    )


async def _confirm(tx: Transactions, who: Person) -> object:
    command = closure.AnswerClosure(who, REFERENCE, 1)
    return await tx.run(
        lambda uow: closure.answer(
            command, uow, now=NOW, today=TODAY, hub_cards=HUB_CARDS, messages=MESSAGES
        )
    )


async def test_the_proposer_cannot_confirm_and_every_core_member_must(tx: Transactions) -> None:
    await _propose(tx)

    own = await _confirm(tx, HUB_AND_MEMBER)
    assert isinstance(own, services.Refused)
    assert "you can't also confirm it" in own.message
    first = await _confirm(tx, SAM)
    assert isinstance(first, closure.Answered)
    assert not first.decided

    async with tx.unit() as uow:
        case = await uow.cases.get(REFERENCE)
        asked = await uow.outbox.get(f"closure:{REFERENCE}:1:person:sam")
    assert case.stage is Stage.NOTIFIED, "one of two seats is not enough"
    assert panel.REFUSED in [e.kind for e in case.events], "the attempt is in the trail"
    assert asked is not None, "the representatives are asked in their personal chats"


async def test_once_decided_the_notifier_and_the_agency_lead_are_told(tx: Transactions) -> None:
    messages = ClosureMessages(people=Directory(), confirmations=1)
    await _propose(tx)
    command = closure.AnswerClosure(SAM, REFERENCE, 1)
    decided = await tx.run(
        lambda uow: closure.answer(
            command, uow, now=NOW, today=TODAY, hub_cards=HUB_CARDS, messages=messages
        )
    )
    assert isinstance(decided, closure.Answered)
    assert decided.decided

    async with tx.unit() as uow:
        case = await uow.cases.get(REFERENCE)
        notifier = await uow.outbox.get(f"closure-decision:{REFERENCE}:1:person:prac-1")
        lead = await uow.outbox.get(f"closure-decision:{REFERENCE}:1:person:lead-1")
    assert case.stage is Stage.CLOSED
    assert notifier is not None
    assert lead is not None


async def test_a_correction_without_a_reason_is_refused_and_audited(tx: Transactions) -> None:
    command = governance.CorrectCase(HUB_AND_MEMBER, REFERENCE, reason="", route="llr")
    refused = await tx.run(
        lambda uow: governance.correct(
            command, uow, now=NOW, today=TODAY, views=VIEWS, hub_cards=HUB_CARDS
        )
    )
    assert isinstance(refused, services.Refused)
    assert "reason" in refused.message
    command = governance.CorrectCase(
        HUB_AND_MEMBER, REFERENCE, reason="Typo.", aware_on=date(2026, 11, 20)
    )
    corrected = await tx.run(
        lambda uow: governance.correct(
            command, uow, now=NOW, today=TODAY, views=VIEWS, hub_cards=HUB_CARDS
        )
    )
    assert isinstance(corrected, governance.Corrected)
    assert corrected.changed
    async with tx.unit() as uow:
        case = await uow.cases.get(REFERENCE)
    assert case.facts["route"] == "serious"
    assert case.aware_on == date(2026, 11, 20)
    assert VIEWS.panel_due(case.aware_on) == date(2026, 11, 27)
