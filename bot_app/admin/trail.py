"""Verifying the evidence trail: in chat (``verify``) and from the command line.

    python -m bot_app.admin.trail verify NL-2026-0001
    python -m bot_app.admin.trail verify --all --checkpoints /var/log/cspr/bot.log
    python -m bot_app.admin.trail verify NL-2026-0001 --checkpoints bundle-NL-2026-0001.json
    python -m bot_app.admin.trail reseal --all [--legacy]

The command exits with status 1 when any trail has been tampered with, so it can run from a
scheduler or a monitoring check and raise the alarm. ``--checkpoints`` reads the signed
checkpoints out of any file - the bot's log, an evidence bundle - and reports a trail that is
shorter than, or different from, what they recorded: the truncation and rewriting no link
inside the database can reveal.

``reseal`` is for the key holder: it re-seals, with the first of ``TRAIL_KEYS``, every trail
that verifies (sealed with a key about to be retired) and refuses any trail that does not.
Once, when upgrading from the unkeyed trail, ``reseal --all --legacy`` also seals the entries
recorded before the trail was keyed - after checking their unkeyed chain.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from bot_app.keys import cipher, data_keys, trail_keys
from bot_app.security import ConfigurationError
from bot_app.settings import Settings
from safeguarding.errors import DomainError, NotFound
from safeguarding.reference import CaseReference
from safeguarding.trail import Checkpoint, TrailReport, parse_checkpoints, reseal, verify_chain
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork


async def verify_case(
    uow: UnitOfWork, reference: str, *, checkpoints: Iterable[Checkpoint] = ()
) -> TrailReport:
    stored = await uow.trail.trail(reference)
    if stored is None:
        raise NotFound(f"I can't find case {reference}. Check the reference and try again.")
    return verify_chain(
        stored.reference,
        stored.links,
        keys=uow.trail.keys,
        last_changed_at=stored.last_changed_at,
        checkpoints=checkpoints,
    )


async def verify_all(
    uow: UnitOfWork, *, checkpoints: Sequence[Checkpoint] = ()
) -> list[TrailReport]:
    return [
        await verify_case(uow, reference, checkpoints=checkpoints)
        for reference in await uow.trail.references()
    ]


async def reseal_case(uow: UnitOfWork, reference: str, *, legacy: bool = False) -> TrailReport:
    """Re-seal one case's trail with the first trail key, if it verifies; the report before.

    With ``legacy`` (once, when upgrading to a keyed trail), a trail whose only problems are
    entries sealed before the trail was keyed is re-sealed too. Anyone can compute such a
    seal, so it is never accepted otherwise: after the upgrade, an unkeyed entry is tampering.
    Anything else is left for a person to look at.
    """
    stored = await uow.trail.trail(reference)
    if stored is None:
        raise NotFound(f"I can't find case {reference}. Check the reference and try again.")
    report = verify_chain(
        stored.reference, stored.links, keys=uow.trail.keys, last_changed_at=stored.last_changed_at
    )
    if report.intact or (legacy and all(problem.unsealed for problem in report.problems)):
        await uow.trail.replace_seals(
            stored.reference, reseal(stored.links, reference=stored.reference, keys=uow.trail.keys)
        )
    return report


def describe(report: TrailReport) -> str:
    """The report as text: the summary, each problem by entry, and the head fingerprint."""
    lines = [report.summary()]
    lines += [f"- Entry {problem.seq}: {problem.message}" for problem in report.problems]
    lines.append(f"Last fingerprint: {report.head}")
    return "\n".join(lines)


async def _verify(
    settings: Settings, reference: str | None, checkpoints: Sequence[Checkpoint]
) -> list[TrailReport]:
    engine = create_engine(settings.database_url)
    keys = data_keys(settings)
    try:
        async with UnitOfWork(
            session_factory(engine), cipher=cipher(keys), trail=trail_keys(settings, keys)
        ) as uow:
            if reference is None:
                return await verify_all(uow, checkpoints=checkpoints)
            found = str(CaseReference.parse(reference))
            return [await verify_case(uow, found, checkpoints=checkpoints)]
    finally:
        await engine.dispose()


async def _reseal(settings: Settings, reference: str | None, *, legacy: bool) -> list[TrailReport]:
    engine = create_engine(settings.database_url)
    keys = data_keys(settings)
    reports: list[TrailReport] = []
    try:
        unit = UnitOfWork(
            session_factory(engine), cipher=cipher(keys), trail=trail_keys(settings, keys)
        )
        async with unit as uow:
            references = (
                await uow.trail.references()
                if reference is None
                else [str(CaseReference.parse(reference))]
            )
        for each in references:  # one transaction per case: one bad trail holds back no other
            async with unit as uow:
                reports.append(await reseal_case(uow, each, legacy=legacy))
                await uow.commit()
    finally:
        await engine.dispose()
    return reports


def _checkpoints_in(paths: Sequence[str]) -> list[Checkpoint]:
    found: list[Checkpoint] = []
    for path in paths:
        found += parse_checkpoints(Path(path).read_text(encoding="utf-8", errors="replace"))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot_app.admin.trail", description="Verify cases' evidence trails."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser("verify", help="recompute the seals and report tampering")
    which = verify.add_mutually_exclusive_group(required=True)
    which.add_argument("reference", nargs="?", help="a case reference, e.g. NL-2026-0001")
    which.add_argument("--all", action="store_true", help="every case")
    verify.add_argument(
        "--checkpoints",
        action="append",
        default=[],
        metavar="FILE",
        help="a log file or evidence bundle whose signed checkpoints the trails must match",
    )
    resealing = commands.add_parser(
        "reseal", help="re-seal intact trails with the first TRAIL_KEYS key"
    )
    target = resealing.add_mutually_exclusive_group(required=True)
    target.add_argument("reference", nargs="?", help="a case reference, e.g. NL-2026-0001")
    target.add_argument("--all", action="store_true", help="every case")
    resealing.add_argument(
        "--legacy",
        action="store_true",
        help="once, when upgrading: also seal entries recorded before the trail was keyed",
    )
    arguments = parser.parse_args(argv)
    reference = None if arguments.all else arguments.reference
    try:
        if arguments.command == "reseal":
            reports = asyncio.run(_reseal(Settings(), reference, legacy=arguments.legacy))
        else:
            checkpoints = _checkpoints_in(arguments.checkpoints)
            reports = asyncio.run(_verify(Settings(), reference, checkpoints))
    except DomainError as error:  # an unknown or mistyped reference
        print(error.user_message, file=sys.stderr)
        return 2
    except ConfigurationError as error:  # no trail key, or one too short
        print(error, file=sys.stderr)
        return 2
    except OSError as error:  # a checkpoints file that cannot be read
        print(f"Cannot read the checkpoints: {error}", file=sys.stderr)
        return 2
    for report in reports:
        print(describe(report))
    tampered = [r for r in reports if not r.intact]
    if arguments.command == "reseal":
        done = [
            r
            for r in reports
            if r.intact or (arguments.legacy and all(p.unsealed for p in r.problems))
        ]
        print(
            f"{len(done)} trail(s) sealed with the first key; "
            f"{len(reports) - len(done)} left as they are: they do not verify."
        )
        return 1 if len(done) != len(reports) else 0
    if arguments.all:
        print(f"{len(reports)} trail(s) checked, {len(tampered)} tampered with.")
    return 1 if tampered else 0


if __name__ == "__main__":
    sys.exit(main())
