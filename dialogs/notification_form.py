"""Reading the notification cards' answers into the domain's types.

Card inputs arrive as strings ("true", "a,b", "2026-12-23"); anything a client could send
is re-checked here, because client-side validation is only a convenience. Answers are kept
in the dialog state as these raw strings (so a card can be shown again exactly as the person
left it) and turned into a ``Notification`` only when needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, TypeVar

from dialogs.inputs import flag, text_in
from safeguarding.errors import InvalidInput
from safeguarding.notification import (
    LABELS,
    AbuseOrNeglect,
    AgeBand,
    ChildContext,
    CrossBoundary,
    HarmType,
    LearningReason,
    Notification,
    Outcome,
    ParallelProcess,
    SensitiveDetails,
    check_child_context,
    check_dates,
    check_details,
    check_short_text,
)

STEP_FIELDS: Final[Mapping[str, tuple[str, ...]]] = {
    "reporter": ("agency", "role", "lead_consulted"),
    "dates": ("incident_on", "aware_on"),
    "harm": ("outcome", "abuse", "harm_types", "learning"),
    "child": (
        "age_band",
        "looked_after",
        "cp_plan",
        "eotas",
        "child_perpetrator",
        "care_leaver",
        "care_leaver_age",
    ),
    "context": ("other_councils", "other_police", "other_health", "outside_england", "parallel"),
    "identifiers": ("initials", "full_name", "summary"),
}

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class FormOptions:
    agencies: Sequence[str]
    names_allowed: bool


def _one(enum: type[E], raw: str, what: str) -> E:
    try:
        return enum(raw)
    except ValueError:
        raise InvalidInput(f"Please choose {what}.") from None


def _many(enum: type[E], raw: str, what: str) -> frozenset[E]:
    return frozenset(_one(enum, part.strip(), what) for part in raw.split(",") if part.strip())


def _iso(raw: str, what: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"Please choose {what} with the date picker.") from None


def read_step(
    step: str, values: Mapping[str, object], *, today: date, options: FormOptions
) -> dict[str, str]:
    """Validate one step's inputs; returns the raw answers to keep, or raises ``InvalidInput``."""
    answers = {key: text_in(values, key) for key in STEP_FIELDS[step]}
    if step == "reporter":
        if answers["agency"] not in options.agencies:
            raise InvalidInput("Please choose your agency from the list.")
        answers["role"] = check_short_text(answers["role"], "your role")
        answers["lead_consulted"] = str(flag(answers["lead_consulted"])).lower()
    elif step == "dates":
        check_dates(
            incident_on=_iso(answers["incident_on"], "the incident date"),
            aware_on=_iso(answers["aware_on"], "the date the partners became aware"),
            today=today,
        )
    elif step == "harm":
        _one(Outcome, answers["outcome"], "what happened to the child")
        _one(AbuseOrNeglect, answers["abuse"], "whether abuse or neglect is known or suspected")
        _many(HarmType, answers["harm_types"], "the nature of the harm")
        _one(
            LearningReason,
            answers["learning"],
            "whether it shows a near miss or exceptional practice",
        )
    elif step == "child":
        band = _one(AgeBand, answers["age_band"], "the child's age")
        age = answers["care_leaver_age"]
        try:
            number = int(float(age)) if age else None
        except ValueError:
            raise InvalidInput("The care leaver's age must be a number.") from None
        # An age and a care-leaver status that can't both be true are refused, with why.
        number = check_child_context(
            band,
            care_leaver=flag(answers["care_leaver"]),
            care_leaver_age=number,
            looked_after=flag(answers["looked_after"]),
        )
        answers["care_leaver_age"] = "" if number is None else str(number)
    elif step == "context":
        _many(ParallelProcess, answers["parallel"], "the parallel processes")
    elif step == "identifiers":
        details = check_details(
            initials=answers["initials"],
            full_name=answers["full_name"],
            summary=answers["summary"],
            names_allowed=options.names_allowed,
        )
        answers.update(initials=details.initials, full_name=details.full_name)
    return answers


def build(answers: Mapping[str, str]) -> tuple[Notification, SensitiveDetails]:
    """The complete notification from every step's answers (all already validated)."""
    a = answers
    age = a.get("care_leaver_age", "")
    notification = Notification(
        agency=a["agency"],
        notifier_role=a["role"],
        lead_consulted=flag(a["lead_consulted"]),
        incident_on=date.fromisoformat(a["incident_on"]),
        aware_on=date.fromisoformat(a["aware_on"]),
        outcome=Outcome(a["outcome"]),
        abuse_or_neglect=AbuseOrNeglect(a["abuse"]),
        harm_types=_many(HarmType, a["harm_types"], ""),
        learning_reason=LearningReason(a["learning"]),
        child=ChildContext(
            age_band=AgeBand(a["age_band"]),
            looked_after=flag(a["looked_after"]),
            child_protection_plan=flag(a["cp_plan"]),
            educated_otherwise=flag(a["eotas"]),
            child_perpetrator=flag(a["child_perpetrator"]),
            care_leaver=flag(a["care_leaver"]),
            care_leaver_age=int(age) if age else None,
        ),
        cross_boundary=CrossBoundary(
            other_councils=flag(a["other_councils"]),
            other_police_areas=flag(a["other_police"]),
            other_health_boards=flag(a["other_health"]),
        ),
        parallel_processes=_many(ParallelProcess, a["parallel"], ""),
        harmed_outside_england=flag(a.get("outside_england", "")),
    )
    details = SensitiveDetails(
        initials=a.get("initials", ""),
        full_name=a.get("full_name", ""),
        summary=a.get("summary", ""),
    )
    return notification, details


def _yes(raw: str) -> str:
    return "Yes" if flag(raw) else "No"


def _labels(raw: str) -> str:
    parts = [LABELS.get(p.strip(), p.strip()) for p in raw.split(",") if p.strip()]
    return ", ".join(parts) or "None"


def review_sections(answers: Mapping[str, str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every answer in words, section by section, for the review card."""
    a = answers
    return [
        (
            "reporter",
            [
                ("Agency", a["agency"]),
                ("Role", a["role"]),
                ("Safeguarding lead consulted", _yes(a["lead_consulted"])),
            ],
        ),
        (
            "dates",
            [
                ("Incident", date.fromisoformat(a["incident_on"]).strftime("%d/%m/%Y")),
                ("Partners aware", date.fromisoformat(a["aware_on"]).strftime("%d/%m/%Y")),
            ],
        ),
        (
            "harm",
            [
                ("What happened", LABELS[a["outcome"]]),
                ("Abuse or neglect", LABELS[a["abuse"]]),
                ("Nature of harm", _labels(a["harm_types"])),
                ("Learning", LABELS[a["learning"]]),
            ],
        ),
        (
            "child",
            [
                ("Age", LABELS[a["age_band"]]),
                ("Looked after", _yes(a["looked_after"])),
                ("Child protection plan", _yes(a["cp_plan"])),
                ("Educated otherwise than at school", _yes(a["eotas"])),
                ("Child perpetrator", _yes(a["child_perpetrator"])),
                (
                    "Care leaver",
                    _yes(a["care_leaver"])
                    + (f" (age {a['care_leaver_age']})" if a.get("care_leaver_age") else ""),
                ),
            ],
        ),
        (
            "context",
            [
                ("Other local authorities", _yes(a["other_councils"])),
                ("Other police areas", _yes(a["other_police"])),
                ("Other health boards", _yes(a["other_health"])),
                ("Harmed outside England", _yes(a.get("outside_england", ""))),
                ("Parallel processes", _labels(a["parallel"])),
            ],
        ),
        (
            "identifiers",
            [
                ("Initials", a.get("initials") or "Not given"),
                *([("Full name", a["full_name"])] if a.get("full_name") else []),
                ("Summary", a.get("summary") or "Not given"),
            ],
        ),
    ]
