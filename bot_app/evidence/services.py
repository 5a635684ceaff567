"""Issuing evidence links and building the bundle a link downloads.

No Teams and no HTTP here: the ``export`` command and the download route both call in with
the person already resolved and the moment already read (the turn's, or the request's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from bot_app.security import EXPORT_LINK_LIFETIME, sign_export_token
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Case
from safeguarding.case_clocks import case_clocks
from safeguarding.clocks import ClockRule
from safeguarding.errors import NotFound
from safeguarding.evidence import BundleContext, evidence_bundle
from safeguarding.reference import CaseReference
from safeguarding.retention import hold_state
from safeguarding.roles import Person
from safeguarding.trail import verify_chain
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class EvidenceSettings:
    """The partnership's settings the bundle and its links depend on (from the root)."""

    partnership: str
    calendar: WorkingDayCalendar
    clocks: tuple[ClockRule, ...]
    convention: CountingConvention
    signing_key: bytes
    public_base_url: str


@dataclass(frozen=True)
class IssueLinks:
    reference: CaseReference
    by: Person


@dataclass(frozen=True)
class ExportLinks:
    reference: CaseReference
    html_url: str
    json_url: str
    expires_at: datetime


@dataclass(frozen=True)
class DownloadBundle:
    reference: CaseReference
    by: Person
    printable: bool  # the HTML page rather than the JSON


@dataclass(frozen=True)
class Bundle:
    content: dict[str, Any]


async def issue_links(
    cmd: IssueLinks, uow: UnitOfWork, *, now: datetime, settings: EvidenceSettings
) -> ExportLinks:
    """Two links bound to the person and the case, working for 15 minutes from ``now``."""
    if await uow.cases.find(cmd.reference) is None:
        raise NotFound(f"I can't find case {cmd.reference}. Check the reference and try again.")
    reference = str(cmd.reference)
    expires_at = now + EXPORT_LINK_LIFETIME
    token = sign_export_token(
        settings.signing_key,
        reference=reference,
        person_id=cmd.by.object_id,
        expires_at=expires_at,
    )
    base = f"{settings.public_base_url.rstrip('/')}/evidence/{quote(reference)}"
    return ExportLinks(
        reference=cmd.reference,
        html_url=f"{base}.html?token={token}",
        json_url=f"{base}.json?token={token}",
        expires_at=expires_at,
    )


async def download_bundle(
    cmd: DownloadBundle, uow: UnitOfWork, *, now: datetime, settings: EvidenceSettings
) -> Bundle | None:
    """The case's bundle, with the download itself in the case's access log; ``None`` when
    there is no such case (any more: retention may have deleted it since the link was made)."""
    case = await uow.cases.find(cmd.reference)
    if case is None:
        return None
    bundle = await _bundle(uow, case, cmd.by, now, settings)
    await uow.access_log.record(
        str(cmd.reference),
        cmd.by.object_id,
        f"downloaded the evidence bundle ({'printable' if cmd.printable else 'JSON'})",
        now,
    )
    return Bundle(bundle)


async def _bundle(
    uow: UnitOfWork, case: Case, person: Person, at: datetime, settings: EvidenceSettings
) -> dict[str, Any]:
    reference = str(case.reference)
    stored = await uow.trail.trail(reference)
    links = stored.links if stored is not None else []
    report = verify_chain(
        reference,
        links,
        keys=uow.trail.keys,
        last_changed_at=stored.last_changed_at if stored else None,
    )
    # The signed head goes with the bundle, wherever it travels: whoever holds a bundle can
    # later show that the trail was cut short or rewritten since (verify --checkpoints).
    point = uow.trail.checkpoint(stored) if stored is not None else None
    content = evidence_bundle(
        case,
        trail=links,
        report=report,
        clocks=case_clocks(
            case,
            today=settings.calendar.local_date(at),
            calendar=settings.calendar,
            table=settings.clocks,
            convention=settings.convention,
        ),
        hold=hold_state(case.events),
        access=await uow.access_log.for_case(reference),
        context=BundleContext(
            generated_at=at,
            generated_by_id=person.object_id,
            generated_by_name=person.name,
            partnership=settings.partnership,
        ),
    )
    content["trail"]["checkpoint"] = point.line() if point is not None else None
    return content
