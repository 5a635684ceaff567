"""The Hub's corrections of what was notified: the route, the dates, the harm, the child.

The practitioner's first answers must not decide a case for good (the procedure: the Hub
receives notifications and the partners' representatives decide). The Hub may change the
route and correct any fact the clocks or the decision rest on, always with a reason; the case
records one ``case.corrected`` event with every old and new value (``Case.correct``), so the
clocks re-derive from the corrected trail and the earlier values stay in the history.

What is checked here is what the notification form checks, so a correction can't store what a
notification could not: a care-leaver status that doesn't fit the age, an unknown route.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from safeguarding.case import Actor, Case, CaseEvent
from safeguarding.errors import InvalidInput
from safeguarding.notification import (
    AbuseOrNeglect,
    AgeBand,
    HarmType,
    Outcome,
    Route,
    check_child_context,
)


@dataclass(frozen=True)
class ChildCorrection:
    age_band: AgeBand
    looked_after: bool
    child_protection_plan: bool
    educated_otherwise: bool
    child_perpetrator: bool
    care_leaver: bool
    care_leaver_age: int | None


@dataclass(frozen=True)
class Correction:
    """What the Hub changes; ``None`` leaves a fact as it is."""

    route: Route | None = None
    aware_on: date | None = None
    incident_on: date | None = None
    outcome: Outcome | None = None
    abuse_or_neglect: AbuseOrNeglect | None = None
    harm_types: frozenset[HarmType] | None = None
    child: ChildCorrection | None = None
    harmed_outside_england: bool | None = None

    def changes(self, facts: dict[str, Any]) -> dict[str, Any]:
        """The facts to set, as the case stores them (JSON, dates ISO)."""
        changes: dict[str, Any] = {}
        if self.route is not None:
            changes["route"] = self.route.value
        if self.aware_on is not None:
            changes["aware_on"] = self.aware_on.isoformat()
        if self.incident_on is not None:
            changes["incident_on"] = self.incident_on.isoformat()
        if self.outcome is not None:
            changes["outcome"] = self.outcome.value
        if self.abuse_or_neglect is not None:
            changes["abuse_or_neglect"] = self.abuse_or_neglect.value
        if self.harm_types is not None:
            changes["harm_types"] = sorted(h.value for h in self.harm_types)
        if self.harmed_outside_england is not None:
            changes["harmed_outside_england"] = self.harmed_outside_england
        if self.child is not None:
            c = self.child
            age = check_child_context(
                c.age_band,
                care_leaver=c.care_leaver,
                care_leaver_age=c.care_leaver_age,
                looked_after=c.looked_after,
            )
            changes["child"] = {
                **dict(facts.get("child") or {}),
                "age_band": c.age_band.value,
                "looked_after": c.looked_after,
                "child_protection_plan": c.child_protection_plan,
                "educated_otherwise": c.educated_otherwise,
                "child_perpetrator": c.child_perpetrator,
                "care_leaver": c.care_leaver,
                "care_leaver_age": age,
            }
        return changes


def correct_case(
    case: Case,
    correction: Correction,
    *,
    reason: str,
    actor: Actor,
    at: datetime,
    today: date,
) -> CaseEvent | None:
    """Apply the Hub's correction with its reason; None if it changes nothing."""
    if not " ".join(reason.split()):
        raise InvalidInput("Please give the reason for the change: it is required.")
    return case.correct(correction.changes(case.facts), actor=actor, at=at, why=reason, today=today)


def route_change(event: CaseEvent) -> tuple[str | None, str] | None:
    """(from, to) when a correction changed the route."""
    change = event.data.get("changes", {}).get("route")
    if not change:
        return None
    before = change.get("from")
    return (None if before is None else str(before)), str(change.get("to"))


def aware_change(event: CaseEvent) -> tuple[date, date] | None:
    """(from, to) when a correction moved the awareness date, which moves every deadline."""
    change = event.data.get("changes", {}).get("aware_on")
    if not change or change.get("from") is None:
        return None
    return date.fromisoformat(str(change["from"])), date.fromisoformat(str(change["to"]))
