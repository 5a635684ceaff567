"""The vote's timers: reminders to the members who haven't voted (each rule once), and its
deadline - a vote still open after its last day closes on the next tick.

The scheduler's tick may come late (the service was down) or twice; each case is closed in its
own unit of work, only if its vote is still due when re-read, so a missed tick is caught up
and a repeated one changes nothing. One case's failure is logged and does not stop the others.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Final

from bot_app.core.case_pages import each_case
from bot_app.core.transactions import Transactions
from bot_app.rapid_review import chase_services, vote_services
from bot_app.rapid_review.messages import RapidReviewMessages
from safeguarding.case import Stage

log = logging.getLogger(__name__)

# A vote is open only while the case waits for the CSPR Group's recommendation.
VOTING: Final = (Stage.RECOMMENDATION,)


class VoteDeadlines:
    def __init__(self, *, tx: Transactions, messages: RapidReviewMessages) -> None:
        self._tx = tx
        self._messages = messages

    async def close_due_votes(self, now: datetime) -> int:
        """Close every vote whose last day has passed (a tie or a missing quorum then goes to
        the Hub as a difference of opinion). Returns how many closed."""
        messages = self._messages
        closed = 0
        async for found in each_case(self._tx, stages=VOTING):
            if not vote_services.vote_due(found, now, messages):
                continue
            reference = found.reference
            try:
                closed += await self._tx.run(
                    partial(vote_services.close_due_vote, reference, now=now, messages=messages)
                )
            except Exception:  # one case's failure must not stop the others
                log.exception("could not close the overdue vote on %s", reference)
        return closed

    async def remind_non_voters(self, now: datetime) -> int:
        """Remind the members who haven't voted, per the partnership's reminder rules (each
        rule once per vote; a missed tick catches up). Returns on how many cases."""
        messages = self._messages
        sent = 0
        async for found in each_case(self._tx, stages=VOTING):
            if not chase_services.reminders_due(found, now, messages):
                continue
            reference = found.reference
            try:
                sent += await self._tx.run(
                    partial(chase_services.remind_non_voters, reference, now=now, messages=messages)
                )
            except Exception:  # one case's failure must not stop the others
                log.exception("could not remind the members who haven't voted on %s", reference)
        return sent
