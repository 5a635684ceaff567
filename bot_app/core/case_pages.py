"""Every case a scheduler pass or a list must look at, page by page, however many there are.

A pass that read "the open cases" with a limit silently skipped everything past it - beyond
that number of open cases, votes, disputes and reviews would never be chased - and a list cut
the same way hid cases from the person who asked. A pass reads each page in its own short
transaction (:func:`each_case`), so it never holds one open; a list reads its pages in the
unit of work it was asked in (:func:`cases_in`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from typing import Final

from bot_app.core.transactions import Transactions
from safeguarding.case import Case, Stage
from storage.repositories import CasePage
from storage.uow import UnitOfWork

PAGE_SIZE: Final = 200


async def each_case(
    tx: Transactions,
    *,
    stages: Collection[Stage] | None = None,
    with_events: str | None = None,
    page_size: int = PAGE_SIZE,
) -> AsyncIterator[Case]:
    """The cases at ``stages`` (or with events of kind ``with_events``...), page by page."""

    async def page(after: int | None) -> CasePage:
        return await tx.read(
            lambda uow: uow.cases.page(
                after=after, limit=page_size, stages=stages, with_events=with_events
            )
        )

    async for case in _pages(page):
        yield case


#: Every stage but "closed".
OPEN_STAGES: Final = frozenset(stage for stage in Stage if stage is not Stage.CLOSED)


async def cases_in(
    uow: UnitOfWork,
    *,
    stages: Collection[Stage] | None = None,
    with_events: str | None = None,
    page_size: int = PAGE_SIZE,
) -> list[Case]:
    """All the cases at ``stages`` (or with events of kind ``with_events``), in ``uow``."""

    async def page(after: int | None) -> CasePage:
        return await uow.cases.page(
            after=after, limit=page_size, stages=stages, with_events=with_events
        )

    return [case async for case in _pages(page)]


async def _pages(page: Callable[[int | None], Awaitable[CasePage]]) -> AsyncIterator[Case]:
    """Every case of every page, each page read after the last row of the one before."""
    after: int | None = None
    while True:
        found = await page(after)
        for case in found.cases:
            yield case
        if found.next_after is None:
            return
        after = found.next_after
