"""Verifying the evidence trail: in chat (``verify``) and from the command line.

    python -m bot_app.admin.trail verify NL-2026-0001
    python -m bot_app.admin.trail verify --all

The command exits with status 1 when any trail has been tampered with, so it can run from a
scheduler or a monitoring check and raise the alarm.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from bot_app.settings import Settings
from safeguarding.errors import DomainError, NotFound
from safeguarding.reference import CaseReference
from safeguarding.trail import TrailReport, verify_chain
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork


async def verify_case(uow: UnitOfWork, reference: str) -> TrailReport:
    stored = await uow.trail.trail(reference)
    if stored is None:
        raise NotFound(f"I can't find case {reference}. Check the reference and try again.")
    return verify_chain(stored.reference, stored.links, last_changed_at=stored.last_changed_at)


async def verify_all(uow: UnitOfWork) -> list[TrailReport]:
    return [await verify_case(uow, reference) for reference in await uow.trail.references()]


def describe(report: TrailReport) -> str:
    """The report as text: the summary, each problem by entry, and the head fingerprint."""
    lines = [report.summary()]
    lines += [f"- Entry {problem.seq}: {problem.message}" for problem in report.problems]
    lines.append(f"Last fingerprint: {report.head}")
    return "\n".join(lines)


async def _verify(settings: Settings, reference: str | None) -> list[TrailReport]:
    engine = create_engine(settings.database_url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            if reference is None:
                return await verify_all(uow)
            return [await verify_case(uow, str(CaseReference.parse(reference)))]
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot_app.admin.trail", description="Verify cases' evidence trails."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="recompute the hash chain and report tampering")
    which = verify.add_mutually_exclusive_group(required=True)
    which.add_argument("reference", nargs="?", help="a case reference, e.g. NL-2026-0001")
    which.add_argument("--all", action="store_true", help="every case")
    arguments = parser.parse_args(argv)
    try:
        reports = asyncio.run(_verify(Settings(), None if arguments.all else arguments.reference))
    except DomainError as error:  # an unknown or mistyped reference
        print(error.user_message, file=sys.stderr)
        return 2
    for report in reports:
        print(describe(report))
    tampered = [r for r in reports if not r.intact]
    if arguments.all:
        print(f"{len(reports)} trail(s) checked, {len(tampered)} tampered with.")
    return 1 if tampered else 0


if __name__ == "__main__":
    sys.exit(main())
