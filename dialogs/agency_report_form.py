"""Reading the agency report cards' answers (re-checked here: card validation is only polite).

Also what the dialog starts with and ends with (:class:`ReportStart`, :class:`ReportSubmission`),
so the rapid review's handlers can begin it and read its result without importing the dialog
machinery (botbuilder stays in ``dialogs/``).

A report has the parts the rapid review needs from each agency (domain.md, "The process", 3):
the facts of the agency's involvement, immediate safety actions taken or needed, potential
learning and whether staff welfare was considered - or, instead, a nil return with its reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cards.rapid_review import MAX_REPORT_CHARS, REPORT_DIALOG, REPORT_STEPS
from dialogs.inputs import flag, text_in
from safeguarding.errors import InvalidInput

DIALOG_ID: Final = REPORT_DIALOG
STEPS: Final = tuple(REPORT_STEPS)
STEP_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "involvement": ("nil_return", "nil_reason", "facts"),
    "actions": ("actions",),
    "learning": ("learning", "welfare_considered", "welfare"),
}
REQUIRED: Final[Mapping[str, str]] = {
    "facts": "the facts of your agency's involvement",
    "actions": "the immediate safety actions taken or needed (or say none are needed)",
    "learning": "the potential learning (or say you see none)",
}


def read_step(step: str, values: Mapping[str, object]) -> dict[str, str]:
    """Validate one step's inputs; returns the raw answers to keep, or ``InvalidInput``."""
    answers = {key: text_in(values, key) for key in STEP_FIELDS[step]}
    for value in answers.values():
        if len(value) > MAX_REPORT_CHARS:
            raise InvalidInput(f"Keep each answer under {MAX_REPORT_CHARS} characters.")
    if step == "involvement":
        nil = flag(answers["nil_return"])
        answers["nil_return"] = str(nil).lower()
        if nil and not answers["nil_reason"]:
            raise InvalidInput("Please give the reason for the nil return.")
        if not nil and not answers["facts"]:
            raise InvalidInput(f"Please give {REQUIRED['facts']}.")
        return answers
    if step == "learning":
        answers["welfare_considered"] = str(flag(answers["welfare_considered"])).lower()
    for key in STEP_FIELDS[step]:
        if key in REQUIRED and not answers[key]:
            raise InvalidInput(f"Please give {REQUIRED[key]}.")
    return answers


def is_nil(answers: Mapping[str, str]) -> bool:
    return flag(answers.get("nil_return", ""))


def content(answers: Mapping[str, str]) -> dict[str, str]:
    """What is stored (encrypted): a nil return keeps only its reason."""
    if is_nil(answers):
        return {"nil_reason": answers["nil_reason"]}
    return {
        "facts": answers["facts"],
        "actions": answers["actions"],
        "learning": answers["learning"],
        "welfare_considered": answers["welfare_considered"],
        "welfare": answers.get("welfare", ""),
    }


def review_pairs(answers: Mapping[str, str]) -> list[tuple[str, str]]:
    stored = content(answers)
    if is_nil(answers):
        return [("Nil return", "Yes"), ("Reason", stored["nil_reason"])]
    return [
        ("Involvement", stored["facts"]),
        ("Immediate safety actions", stored["actions"]),
        ("Potential learning", stored["learning"]),
        (
            "Staff welfare considered",
            ("Yes" if flag(stored["welfare_considered"]) else "No")
            + (f": {stored['welfare']}" if stored["welfare"] else ""),
        ),
    ]


@dataclass(frozen=True)
class ReportStart:
    """What the dialog is told when it starts: which case and agency, and the due date."""

    reference: str
    agency: str
    due: str
    late: bool
    replacing: bool


@dataclass(frozen=True)
class ReportSubmission:
    """The answers sent, with the dialog's token (a second Send carries the same one)."""

    token: str
    reference: str
    agency: str
    answers: dict[str, str]
