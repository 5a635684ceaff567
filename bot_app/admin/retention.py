"""Running the retention policy, and legal holds.

The report comes first: ``retention`` (admin, in chat) or ``python -m bot_app.admin.retention``
shows what the policy would do to each closed case and why; only ``retention run`` or
``python -m bot_app.admin.retention --run`` does it. Each case is handled in its own
transaction, so one case that cannot be processed does not hold back the others (style.md,
rule 7). Legal holds are placed and released in chat (``bot_app/admin/services.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot_app.core.transactions import Transactions
from bot_app.keys import cipher, data_keys, trail_keys
from bot_app.settings import Settings
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Actor
from safeguarding.reference import CaseReference
from safeguarding.retention import (
    Outcome,
    RetentionAction,
    RetentionCase,
    RetentionDecision,
    RetentionPolicy,
    decide,
    hold_state,
    is_anonymised,
)
from safeguarding.trail import ANONYMISED
from storage.db import create_engine, session_factory
from storage.repositories import StoredTrail
from storage.retention import RetentionLogEntry
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def policy_from(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        years_after_closure=settings.retention_years_after_closure,
        action=RetentionAction(settings.retention_action),
    )


async def retention_report(
    uow: UnitOfWork, policy: RetentionPolicy, *, calendar: WorkingDayCalendar, now: datetime
) -> list[RetentionDecision]:
    """What the policy would do to every closed case today (nothing is changed)."""
    day = calendar.local_date(now)
    return [
        decide(
            RetentionCase(
                reference=case.reference,
                closed_on=calendar.local_date(case.closed_at),
                hold=hold_state(case.events),
                anonymised=is_anonymised(case.events),
            ),
            policy,
            today=day,
        )
        for case in await uow.retention.closed_cases()
    ]


@dataclass(frozen=True)
class RetentionOutcome:
    decision: RetentionDecision
    error: str | None = None  # set when this case could not be processed


async def run_retention(
    tx: Transactions,
    policy: RetentionPolicy,
    *,
    calendar: WorkingDayCalendar,
    by: Actor,
    now: datetime,
) -> list[RetentionOutcome]:
    """Anonymise or delete every case that is due; one transaction per case.

    ``now`` is the moment of the run (the administrator's turn, or the command line's start):
    it decides what is due and is recorded on every case it touches.
    """
    decisions = await tx.read(lambda uow: retention_report(uow, policy, calendar=calendar, now=now))
    outcomes: list[RetentionOutcome] = []
    for decision in decisions:
        if not decision.outcome.acts:
            continue
        try:
            await tx.run(_carry_out(decision, policy, by=by, at=now))
        except Exception as error:  # isolate failures per case; the rest still run
            log.exception("retention could not process case %s", decision.reference)
            outcomes.append(RetentionOutcome(decision, error=type(error).__name__))
        else:
            log.info("retention: case %s %s", decision.reference, decision.outcome.value)
            outcomes.append(RetentionOutcome(decision))
    return outcomes


def _carry_out(
    decision: RetentionDecision, policy: RetentionPolicy, *, by: Actor, at: datetime
) -> Callable[[UnitOfWork], Awaitable[None]]:
    """The work of one due case, for one transaction of its own."""
    act = _anonymise if decision.outcome is Outcome.ANONYMISE else _delete

    async def work(uow: UnitOfWork) -> None:
        await act(uow, decision.reference, policy, by=by, at=at)

    return work


async def _anonymise(
    uow: UnitOfWork, reference: str, policy: RetentionPolicy, *, by: Actor, at: datetime
) -> None:
    case = await uow.cases.get(CaseReference.parse(reference))
    erased = sum(1 for event in case.events if event.why is not None)
    event = case.record(
        ANONYMISED,
        actor=by,
        at=at,
        what=(
            "Anonymised under the retention policy: the child's details, the agency reports, "
            "every recorded reason and rationale and the messages about the case were erased; "
            "the reference, stages, dates and fingerprints remain."
        ),
        why=f"Retention policy: {policy.describe()}.",
        data={"years_after_closure": policy.years_after_closure, "reasons_erased": erased},
    )
    await uow.cases.save(case)
    retention = uow.retention
    await retention.erase_narrative(reference, before_seq=event.seq)
    await retention.erase_details(reference)
    await retention.erase_reports(reference)
    await retention.erase_rationales(reference)
    await uow.action_plans.erase_text(reference)
    await retention.erase_messages(reference, at=at)
    stored = await uow.trail.trail(reference)
    await retention.log(
        _log_entry(reference, "anonymised", case.closed_at, stored, by=by, at=at, policy=policy),
        actor_id=by.id,
    )


async def _delete(
    uow: UnitOfWork, reference: str, policy: RetentionPolicy, *, by: Actor, at: datetime
) -> None:
    case = await uow.cases.get(CaseReference.parse(reference))
    stored = await uow.trail.trail(reference)
    retention = uow.retention
    await retention.erase_details(reference)
    await retention.delete_case(reference)
    await retention.log(
        _log_entry(reference, "deleted", case.closed_at, stored, by=by, at=at, policy=policy),
        actor_id=by.id,
    )


def _log_entry(
    reference: str,
    action: str,
    closed_at: datetime | None,
    stored: StoredTrail | None,
    *,
    by: Actor,
    at: datetime,
    policy: RetentionPolicy,
) -> RetentionLogEntry:
    links = stored.links if stored is not None else []
    return RetentionLogEntry(
        reference=reference,
        action=action,
        at=at,
        actor_name=by.name,
        closed_at=closed_at,
        events=len(links),
        head_hash=links[-1].hash if links else "",
        policy=policy.describe(),
    )


# -- the command line ----------------------------------------------------------------------


DONE_LABELS = {Outcome.ANONYMISE: "anonymised", Outcome.DELETE: "deleted"}


def describe(decisions: Sequence[RetentionDecision], policy: RetentionPolicy) -> str:
    lines = [f"Retention policy: {policy.describe()}."]
    if not decisions:
        lines.append("There are no closed cases.")
    lines += [f"- {d.reference}: {d.outcome.value} ({d.explanation})" for d in decisions]
    return "\n".join(lines)


async def _command(settings: Settings, *, run: bool) -> tuple[str, bool]:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    policy = policy_from(settings)
    calendar = settings.calendar()
    user = getpass.getuser()
    keys = data_keys(settings)
    tx = Transactions(sessions, cipher=cipher(keys), trail=trail_keys(settings, keys))
    now = datetime.now(UTC)  # the command line's own moment: this run is its tick
    try:
        if not run:
            report = await tx.read(
                lambda uow: retention_report(uow, policy, calendar=calendar, now=now)
            )
            return describe(report, policy) + "\nNothing was changed (add --run to act).", True
        outcomes = await run_retention(
            tx,
            policy,
            calendar=calendar,
            by=Actor(id=f"cli:{user}", name=f"command line ({user})"),
            now=now,
        )
    finally:
        await engine.dispose()
    lines = [
        f"- {o.decision.reference}: "
        + (f"FAILED ({o.error})" if o.error else DONE_LABELS[o.decision.outcome])
        for o in outcomes
    ]
    failed = any(o.error for o in outcomes)
    return "\n".join(lines) or "No case was due.", not failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot_app.admin.retention",
        description="Report (default) or apply (--run) the retention policy to closed cases.",
    )
    parser.add_argument("--run", action="store_true", help="anonymise or delete what is due")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    text, ok = asyncio.run(_command(Settings(), run=arguments.run))
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
