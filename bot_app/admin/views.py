"""What administrators see: the whois and retention cards' view models, and the reports' text.

Pure functions of what the services found and who is looking: the card builders in
``cards/admin.py`` stay free of the directory and the policy, and these stay free of storage.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot_app.admin.retention import DONE_LABELS, RetentionOutcome
from bot_app.admin.services import PeopleFound
from bot_app.admin.trail import describe
from cards.admin import DecisionView, PersonView, RetentionView, RoleView, WhoisView
from safeguarding.policy import Action, can
from safeguarding.retention import Outcome, RetentionDecision, RetentionPolicy
from safeguarding.roles import Person, Role, role_label
from safeguarding.trail import TrailReport
from storage.people import DirectoryEntry, GrantSource

_OUTCOMES = {
    Outcome.ANONYMISE: "Anonymise",
    Outcome.DELETE: "Delete",
    Outcome.HELD: "On legal hold",
    Outcome.NOT_DUE: "Not yet due",
    Outcome.ALREADY_ANONYMISED: "Already anonymised",
}


def whois_view(found: PeopleFound, viewer: Person, note: str | None = None) -> WhoisView:
    """The matches; revoke buttons only for someone who may manage the directory."""
    return WhoisView(
        query=found.query,
        people=[_person_view(entry, found.role_names, found.members) for entry in found.people],
        can_manage=can(viewer, Action.MANAGE_DIRECTORY),
        note=note,
    )


def _person_view(
    entry: DirectoryEntry, names: dict[Role, str], members: dict[str, str]
) -> PersonView:
    roles = []
    for grant in entry.grants:
        notes = []
        if grant.deputy_for:
            notes.append(f"deputy for {members.get(grant.deputy_for, 'a former member')}")
        notes.append(
            "from the directory file" if grant.source is GrantSource.FILE else "granted in chat"
        )
        roles.append(RoleView(grant.role.value, role_label(grant.role, names), "; ".join(notes)))
    return PersonView(
        object_id=entry.object_id,
        name=entry.name,
        email=entry.email,
        agency=entry.agency,
        roles=roles,
    )


def verification_text(reports: Sequence[TrailReport], *, every_case: bool) -> str:
    """One case's report in full; for every case, the count and the tampered ones."""
    if not every_case:
        return describe(reports[0])
    tampered = [r for r in reports if not r.intact]
    lines = [f"Checked {len(reports)} trail(s): {len(tampered)} tampered with."]
    lines += [describe(report) for report in tampered]
    return "\n\n".join(lines)


def retention_view(
    decisions: Sequence[RetentionDecision],
    policy: RetentionPolicy,
    viewer: Person,
    done: str | None,
) -> RetentionView:
    return RetentionView(
        policy=policy.describe(),
        decisions=[
            DecisionView(d.reference, _OUTCOMES[d.outcome], d.explanation) for d in decisions
        ],
        due=sum(1 for d in decisions if d.outcome.acts),
        can_run=can(viewer, Action.RUN_RETENTION),
        done=done,
    )


def retention_done_text(outcomes: Sequence[RetentionOutcome]) -> str:
    """What a run did, case by case (a case that failed says so; the others still ran)."""
    if not outcomes:
        return "No closed case is due under the retention policy; nothing was changed."
    lines = [
        f"- {o.decision.reference}: "
        + (f"could not be processed ({o.error})" if o.error else DONE_LABELS[o.decision.outcome])
        for o in outcomes
    ]
    return "Retention policy applied:\n" + "\n".join(lines)
