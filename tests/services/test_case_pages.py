"""The scheduler's passes and the lists people ask for see every case, however many pages
they fill.

The vote, dispute and review passes once read "the open cases" up to a fixed number, so past
that number cases were silently never chased; the dashboard and the disputes list were cut
the same way. Here the page is tiny and the cases many.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot_app.core.case_pages import OPEN_STAGES, cases_in, each_case
from bot_app.core.transactions import Transactions
from safeguarding import disputes
from safeguarding.case import Actor, Case, Stage
from safeguarding.reference import CaseReference
from storage.uow import UnitOfWork

HUB = Actor(id="hub-1", name="Priya Shah")
AT = datetime(2026, 11, 2, 10, tzinfo=UTC)
PATH = (Stage.PANEL_NOTIFIED, Stage.RAPID_REVIEW, Stage.RECOMMENDATION)


async def store(
    tx: Transactions, number: int, *, voting: bool, disputed: bool, closed: bool
) -> str:
    reference = CaseReference.parse(f"NL-2026-{number:04d}")
    case = Case.open(
        reference=reference, aware_on=date(2026, 11, 2), incident_on=None, actor=HUB, at=AT
    )
    if voting:
        for stage in PATH:
            case.move_to(stage, actor=HUB, at=AT)
    if disputed:
        case.record(disputes.RAISED, actor=HUB, at=AT, what="A difference of opinion.", data={})
    if closed:
        case.move_to(Stage.CLOSED, actor=HUB, at=AT)

    async def add(uow: UnitOfWork) -> None:
        await uow.cases.add(case)

    await tx.run(add)
    return str(reference)


async def test_a_pass_pages_through_every_matching_case_once(transactions: Transactions) -> None:
    voting, disputed = set(), set()
    for number in range(1, 12):
        is_voting, is_disputed = number % 3 == 0, number % 4 == 0
        reference = await store(
            transactions, number, voting=is_voting, disputed=is_disputed, closed=number == 8
        )
        if is_voting:
            voting.add(reference)
        if is_disputed:
            disputed.add(reference)

    seen_voting = [
        str(c.reference)
        async for c in each_case(transactions, stages=(Stage.RECOMMENDATION,), page_size=2)
    ]
    seen_disputed = [
        str(c.reference) async for c in each_case(transactions, with_events="dispute.", page_size=2)
    ]
    everything = [str(c.reference) async for c in each_case(transactions, page_size=3)]

    assert sorted(seen_voting) == sorted(voting)
    assert len(seen_voting) == len(voting) == 3
    # A closed case's difference of opinion is still chased: NL-2026-0008 is closed.
    assert sorted(seen_disputed) == sorted(disputed) == ["NL-2026-0004", "NL-2026-0008"]
    assert len(everything) == len(set(everything)) == 11


async def test_a_list_reads_every_page_in_one_unit_of_work(transactions: Transactions) -> None:
    for number in range(1, 8):
        await store(transactions, number, voting=False, disputed=False, closed=number == 5)

    open_cases = await transactions.read(lambda uow: cases_in(uow, stages=OPEN_STAGES, page_size=2))
    every_case = await transactions.read(lambda uow: cases_in(uow, page_size=2))

    assert len(open_cases) == 6
    assert "NL-2026-0005" not in {str(c.reference) for c in open_cases}
    assert len(every_case) == 7
