"""The evidence bundle: one case's history, as the Panel, Ofsted or an inspection reads it.

A bundle is a plain JSON document built from what is stored - every event in order with who,
when, what and why; the deadlines met or missed; who looked at the case's details; and the
result of recomputing the fingerprint chain - so a reader can check it against the trail
itself. It deliberately leaves out the child's identifiers and the case summary: the bundle
shows what the partnership *did*, and travels further than the details should.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from safeguarding.case import Case
from safeguarding.case_clocks import CaseClock
from safeguarding.retention import HoldState
from safeguarding.trail import ChainedEvent, TrailReport, canonical_at

BUNDLE_FORMAT: Final = "cspr-evidence-bundle/1"
NOT_INCLUDED: Final = (
    "The child's identifiers and the case summary are not part of this bundle. They are held "
    "encrypted and shown only to people whose role needs them."
)


@dataclass(frozen=True)
class AccessRecord:
    """One look at a case's details (or one download of its evidence)."""

    at: datetime
    person_id: str
    person_name: str
    what: str


@dataclass(frozen=True)
class BundleContext:
    """Who asked for the bundle, when, and for which partnership."""

    generated_at: datetime
    generated_by_id: str
    generated_by_name: str
    partnership: str


def evidence_bundle(
    case: Case,
    *,
    trail: Sequence[ChainedEvent],
    report: TrailReport,
    clocks: Sequence[CaseClock],
    hold: HoldState,
    access: Sequence[AccessRecord],
    context: BundleContext,
) -> dict[str, Any]:
    """The bundle as a JSON-compatible dict (dates ISO 8601, instants in UTC)."""
    return {
        "bundle": {
            "format": BUNDLE_FORMAT,
            "generated_at": canonical_at(context.generated_at),
            "generated_by": {"id": context.generated_by_id, "name": context.generated_by_name},
            "partnership": context.partnership,
            "not_included": NOT_INCLUDED,
        },
        "case": {
            "reference": str(case.reference),
            "stage": case.stage.value,
            "stage_label": case.stage.label,
            "aware_on": case.aware_on.isoformat(),
            "incident_on": _iso_day(case.incident_on),
            "opened_at": canonical_at(case.opened_at),
            "closed_at": canonical_at(case.closed_at) if case.closed_at else None,
            "facts": case.facts,
        },
        "legal_hold": {"held": hold.held, "reason": hold.reason},
        "trail": {
            "intact": report.intact,
            "entries": report.events,
            "head": report.head,
            "anonymised": report.anonymised,
            "summary": report.summary(),
            "problems": [{"entry": p.seq, "problem": p.message} for p in report.problems],
        },
        "events": [
            {
                "seq": link.event.seq,
                "at": canonical_at(link.event.at),
                "actor": {"id": link.event.actor.id, "name": link.event.actor.name},
                "kind": link.event.kind,
                "what": link.event.what,
                "why": link.event.why,
                "data": dict(link.event.data),
                "prev_hash": link.prev_hash,
                "hash": link.hash,
            }
            for link in trail
        ],
        "deadlines": [
            {
                "clock": clock.key,
                "title": clock.title,
                "started_on": clock.deadline.start.isoformat(),
                "due_on": clock.deadline.due.isoformat(),
                "status": clock.status.value,
                "met_on": _iso_day(clock.met_on),
                "rule": clock.deadline.explanation,
            }
            for clock in clocks
        ],
        "access_log": [
            {
                "at": canonical_at(entry.at),
                "person": {"id": entry.person_id, "name": entry.person_name},
                "what": entry.what,
            }
            for entry in access
        ],
    }


def _iso_day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
