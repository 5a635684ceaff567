"""The stage timers: a scheduler pass that keeps every open dispute moving.

Each stage is announced once, reminded of ahead of and on its target, and when the target
passes the Hub is prompted to escalate (or, if the partnership chose it, it is escalated
automatically). Every timer is stored under its key before its messages are queued, in the
same transaction, so a timer is sent once on any number of workers and only the latest
missed one is caught up after downtime. Each case runs in its own unit of work: one that
fails is logged and the others go on.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from bot_app.core.case_pages import each_case
from bot_app.core.transactions import Transactions
from bot_app.disputes.messages import DisputeMessages
from bot_app.disputes.views import DisputeViews
from cards.reminder import when
from safeguarding import disputes as domain
from safeguarding.case import SYSTEM, Case
from safeguarding.clocks import format_day
from safeguarding.disputes import DisputeStage, DisputeTimer, TimerKey, TimerKind
from safeguarding.reference import CaseReference
from storage.disputes import TimerStatus
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class DisputeTimers:
    """``tick(now)`` is the scheduler pass; ``now`` is the scheduler's, never the wall clock."""

    def __init__(self, *, tx: Transactions, views: DisputeViews, messages: DisputeMessages) -> None:
        self._tx = tx
        self._views = views
        self._messages = messages

    async def tick(self, now: datetime) -> int:
        """Send what each open dispute's timers call for at ``now``; how many were sent."""
        sent = 0
        # Every case with a difference of opinion, closed ones too: the representatives'
        # decision to close a case can itself be disputed, and that dispute has its targets.
        async for case in each_case(self._tx, with_events="dispute."):
            try:
                sent += await self._tx.run(
                    partial(self._case_timers, reference=case.reference, now=now)
                )
            except Exception:
                log.exception("dispute timers of case %s failed; the others go on", case.reference)
        return sent

    async def _case_timers(
        self, uow: UnitOfWork, *, reference: CaseReference, now: datetime
    ) -> int:
        calendar, policy = self._views.calendar, self._views.policy
        case = await uow.cases.get(reference)  # fresh: an escalation saves it
        stored = await uow.dispute_timers.keys_for(str(reference))
        sent = 0
        for dispute in domain.open_disputes(case):
            plan = domain.plan_timers(dispute, policy=policy, calendar=calendar)
            selection = domain.select_timers(
                plan, now=now, stored=stored, late_after=policy.late_after
            )
            for missed in selection.skip:
                await uow.dispute_timers.record(
                    missed.key,
                    send_at=missed.send_at,
                    status=TimerStatus.SKIPPED,
                    late=False,
                    now=now,
                )
            for timer, late in selection.send:
                sent += await self._fire(uow, case, timer, late=late, now=now)
        for referral in domain.pending_referrals(case):
            key = TimerKey(
                str(reference),
                f"referral/{referral.seq}",
                "referral",
                calendar.local_date(referral.at),
            )
            if await uow.dispute_timers.record(
                key, send_at=referral.at, status=TimerStatus.SENT, late=False, now=now
            ):
                await self._messages.offer_referral(uow, str(reference), referral, now=now)
                sent += 1
        return sent

    async def _fire(
        self, uow: UnitOfWork, case: Case, timer: DisputeTimer, *, late: bool, now: datetime
    ) -> int:
        calendar, policy = self._views.calendar, self._views.policy
        dispute = timer.dispute
        if timer.kind is TimerKind.ANNOUNCE:
            return int(await self._messages.announce(uow, case, dispute, now=now))
        recorded = await uow.dispute_timers.record(
            timer.key, send_at=timer.send_at, status=TimerStatus.SENT, late=late, now=now
        )
        if not recorded:
            return 0  # another worker sent it just now
        key = f"dispute-timer:{timer.key}"
        late_note = (
            f"Sent late: it was due at {when(timer.send_at.astimezone(calendar.timezone))} "
            "and the service was unavailable then."
            if late
            else None
        )
        if timer.kind is not TimerKind.PASSED:
            left = calendar.count_working_days(calendar.local_date(now), timer.target_on)
            plural = "s" if left > 1 else ""
            headline = "Target today" if left <= 0 else f"Target in {left} working day{plural}"
            view = self._views.notice(dispute, headline, late_note)
            await self._messages.reminder(uow, dispute, view, key, now=now)
            return 1
        if policy.auto_escalate and dispute.stage.next is not None:
            after = domain.escalate(
                case,
                dispute.number,
                actor=SYSTEM,
                text=f"The stage {int(dispute.stage)} target "
                f"({format_day(timer.target_on)}) passed unresolved; the partnership's policy "
                "escalates automatically.",
                at=now,
                # Used only when nobody responded at the stage: the passed target is the reason.
                skip_reason="Nobody responded before the stage's target passed, and the "
                "partnership's policy escalates automatically.",
            )
            today = calendar.local_date(now)
            await self._messages.changed(uow, case, dispute, after, today=today, now=now)
            await uow.cases.save(case)
            return 1
        headline = (
            "Target passed: mediation unresolved"
            if dispute.stage is DisputeStage.MEDIATION
            else "Target passed: escalate or resolve"
        )
        await self._messages.to_hub(
            uow, dispute, self._views.notice(dispute, headline, late_note), key, now=now
        )
        return 1
