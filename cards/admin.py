"""Administration cards: who holds which role, and what the retention policy would do.

Buttons carry only what identifies the thing to act on (a person's object id, a role); who
presses them is always the person in the activity, never anything in the payload, and the
bot checks their role again when a button arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adaptive_cards import types
from adaptive_cards.card import ActionSet, InputText

from cards.base import Card, execute, facts, finish, heading, paragraph, subheading

VERB_REVOKE = "directory.revoke"
VERB_RETENTION_RUN = "retention.run"
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class RoleView:
    role: str  # the key, for the button
    label: str  # the partnership's name for it
    note: str = ""  # "from the directory file", "deputy for Sam Hughes"


@dataclass(frozen=True)
class PersonView:
    object_id: str
    name: str
    email: str
    agency: str
    roles: Sequence[RoleView]


@dataclass(frozen=True)
class WhoisView:
    query: str
    people: Sequence[PersonView]
    can_manage: bool
    note: str | None = None  # the result of the change just made


def whois_card(view: WhoisView) -> Card:
    body: list[object] = [heading(f"Directory: {view.query}")]
    if view.note:
        body.append(paragraph(view.note))
    if not view.people:
        body.append(paragraph("No one in the directory matches that name or email."))
    for person in view.people:
        roles = "; ".join(
            f"{role.label} ({role.note})" if role.note else role.label for role in person.roles
        )
        body += [
            subheading(person.name),
            facts(
                [
                    ("Email", person.email),
                    ("Agency", person.agency or "not recorded"),
                    ("Roles", roles or "none"),
                ]
            ),
        ]
        if view.can_manage and person.roles:
            body.append(
                ActionSet(
                    actions=[
                        execute(
                            f"Revoke {role.label}",
                            VERB_REVOKE,
                            {"object_id": person.object_id, "role": role.role},
                        )
                        for role in person.roles
                    ]
                )
            )
    if view.can_manage and any(p.roles for p in view.people):
        body.append(
            InputText(
                id="reason",
                label="Reason for any change (recorded in the directory audit)",
                is_required=True,
                max_length=MAX_REASON_CHARS,
                error_message="Say why, for the audit.",
            )
        )
        body.append(
            paragraph(
                "To give someone a role, type grant «email» «role» «reason».",
                subtle=True,
                small=True,
            )
        )
    return finish(body, fallback=f"Directory entries matching {view.query}.")


@dataclass(frozen=True)
class DecisionView:
    reference: str
    outcome: str  # "Anonymise", "Delete", "On legal hold", "Not yet due", ...
    explanation: str


@dataclass(frozen=True)
class RetentionView:
    policy: str
    decisions: Sequence[DecisionView]
    due: int  # how many the run would change
    can_run: bool
    done: str | None = None  # what the run just did


def retention_card(view: RetentionView) -> Card:
    body: list[object] = [
        heading("Retention: what would happen today"),
        paragraph(f"Policy: {view.policy}.", subtle=True),
    ]
    if view.done:
        body.append(paragraph(view.done))
    if view.decisions:
        body.append(facts([(d.reference, f"{d.outcome}: {d.explanation}") for d in view.decisions]))
    else:
        body.append(paragraph("There are no closed cases."))
    actions = []
    if view.can_run and view.due:
        body.append(
            paragraph(
                f"Running the policy changes {view.due} case{'s' if view.due != 1 else ''}. "
                "This cannot be undone; it is recorded in each case's trail.",
                small=True,
            )
        )
        button = execute(f"Run retention now ({view.due})", VERB_RETENTION_RUN)
        button.style = types.ActionStyle.DESTRUCTIVE
        actions.append(button)
    return finish(body, actions, fallback="What the retention policy would do today.")
