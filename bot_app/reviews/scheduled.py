"""The partners' monitoring prompts: time and quality, once a period, while a review runs.

The procedure asks the safeguarding partners to monitor a local review's time and quality
along the way. Each month from the decision to start it (``MONITORING_EVERY_MONTHS``), until
the review is complete, the Hub channel gets a prompt carrying the case reference, the stage
and the deadline. A prompt is recorded on the case (``review_monitoring.prompted`` with its
period) in the same transaction as its outbox message, whose key names the period too: so it
is sent once per period on any number of workers, and after downtime only the latest period
is caught up. When a deferred publication's review date comes, the Hub is prompted once to
look at it again. Each case runs in its own unit of work: one that fails is logged and the
others go on. Time comes only from the tick.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from functools import partial
from typing import Final

from bot_app.core.case_pages import each_case
from bot_app.core.transactions import Transactions
from bot_app.reviews.messages import ReviewMessages
from bot_app.reviews.views import ReviewViews
from safeguarding import reviews as rv
from safeguarding.case import SYSTEM, Case
from safeguarding.clocks import format_day
from safeguarding.reference import CaseReference
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

# data: {"period"}. Not a "review." kind: a prompt is not a step of the review, so the
# review card drawn before it stays current.
PROMPTED: Final = "review_monitoring.prompted"
# The Hub was prompted to look again at a deferred publication. data: {"review_on"}
DEFERRAL_PROMPTED: Final = "review_monitoring.deferral_due"


def prompted(case: Case, period: int) -> bool:
    return any(e.kind == PROMPTED and e.data.get("period") == period for e in case.events)


def deferral_prompted(case: Case, review_on: date) -> bool:
    day = review_on.isoformat()
    return any(e.kind == DEFERRAL_PROMPTED and e.data.get("review_on") == day for e in case.events)


class ReviewMonitoring:
    """``tick(now)`` is the scheduler pass."""

    def __init__(
        self,
        *,
        tx: Transactions,
        views: ReviewViews,
        messages: ReviewMessages,
        send_time: time = time(9, 0),
    ) -> None:
        self._tx = tx
        self._views = views
        self._messages = messages
        self._send_time = send_time

    async def tick(self, now: datetime) -> int:
        """Queue each running review's monitoring prompt that is due; how many were queued."""
        local = now.astimezone(self._views.calendar.timezone)
        if local.time() < self._send_time:
            return 0  # prompts go out in the working day, not in the night
        today = local.date()
        sent = 0
        async for case in each_case(self._tx, stages=rv.STAGES_UNDER_REVIEW):
            try:
                if not self._due(case, today):
                    continue
                sent += await self._tx.run(partial(self._prompt, reference=case.reference, now=now))
            except Exception:
                log.exception("review monitoring of %s failed; the others go on", case.reference)
        return sent

    @staticmethod
    def _due(case: Case, today: date) -> bool:
        """A prompt is due on this case today (read inside the per-case guard: one case that
        can't be read must not stop the others' prompts)."""
        review = rv.review_of(case)
        if review is None or not rv.is_active(case):
            return False
        period = rv.monitoring_period(review, today)
        review_on = rv.deferral_due(review, today)
        return (period is not None and not prompted(case, period)) or (
            review_on is not None and not deferral_prompted(case, review_on)
        )

    async def _prompt(self, uow: UnitOfWork, *, reference: CaseReference, now: datetime) -> int:
        case = await uow.cases.get(reference)  # fresh: another worker may have sent it
        review = rv.review_of(case)
        if review is None:
            return 0
        today = self._views.calendar.local_date(now)
        sent = 0
        period = rv.monitoring_period(review, today)
        if period is not None and not prompted(case, period):
            card = self._views.monitoring(case, review, period, today)
            if await self._messages.monitoring(uow, case, period, card, now=now):
                case.record(
                    PROMPTED,
                    actor=SYSTEM,
                    at=now,
                    what="The partners were prompted to check the review's time and quality "
                    f"(month {period}).",
                    data={"period": period},
                )
                sent += 1
        review_on = rv.deferral_due(review, today)
        if review_on is not None and not deferral_prompted(case, review_on):
            card = self._views.deferral_due(case, review_on, today)
            if await self._messages.deferral_due(uow, case, review_on, card, now=now):
                case.record(
                    DEFERRAL_PROMPTED,
                    actor=SYSTEM,
                    at=now,
                    what="The Hub was prompted to review the deferred publication "
                    f"({format_day(review_on)}).",
                    data={"review_on": review_on.isoformat()},
                )
                sent += 1
        if not sent:
            log.error("no Hub channel or Hub officer for the review prompts of %s", reference)
            return 0
        await uow.cases.save(case)
        return sent
