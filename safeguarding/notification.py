"""A practitioner's notification, and which route it takes.

The definition (domain.md, Working Together 2023 ch.5): a *serious child safeguarding case*
is one where abuse or neglect of a child is known or suspected **and** the child has died or
been seriously harmed. Cases that fall short may still merit a Local Learning Review (a near
miss, or exceptional practice, good or poor). Since 2023 the death of a care leaver up to and
including age 24 is notified to the Secretary of State and Ofsted. The assistant advises;
the Hub decides - so every outcome says what happens next, never "no".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Final

from safeguarding.errors import InvalidInput

MAX_SUMMARY_CHARS: Final = 1000
# The care-leaver rule covers care leavers "up to and including the age of 24" (Working
# Together 2023 ch.5); a care leaver is 16 or over (Children (Leaving Care) Act 2000).
CARE_LEAVER_MIN_AGE: Final = 16
CARE_LEAVER_MAX_AGE: Final = 24

# The procedure's own words on serious harm ("Definition of a serious child safeguarding
# case"), shown where the practitioner (or the Hub) chooses what happened to the child.
SERIOUS_HARM_GUIDANCE: Final = (
    "Serious harm includes (but is not limited to) serious and/or long-term impairment of a "
    "child's mental health or intellectual, emotional, social or behavioural development, and "
    "impairment of physical health. Use judgement where impairment is likely to be long-term, "
    "even if this is not immediately certain. Even if a child recovers, including from a "
    "one-off incident, serious harm may still have occurred."
)
MAX_SHORT_TEXT_CHARS: Final = 120
MAX_INITIALS: Final = 4


class Outcome(StrEnum):
    DIED = "died"
    SERIOUSLY_HARMED = "seriously_harmed"
    NEITHER = "neither"


class AbuseOrNeglect(StrEnum):
    KNOWN = "known"
    SUSPECTED = "suspected"
    NOT_SUSPECTED = "not_suspected"


class HarmType(StrEnum):
    NEGLECT = "neglect"
    PHYSICAL = "physical"
    SEXUAL = "sexual"
    EMOTIONAL = "emotional"
    EXPLOITATION = "exploitation"
    OTHER = "other"


class LearningReason(StrEnum):
    """Why a case that is not serious may still teach something (an LLR)."""

    NEAR_MISS = "near_miss"
    GOOD_PRACTICE = "good_practice"
    POOR_PRACTICE = "poor_practice"
    NONE = "none"


class AgeBand(StrEnum):
    UNDER_1 = "under_1"
    AGE_1_4 = "1_4"
    AGE_5_10 = "5_10"
    AGE_11_15 = "11_15"
    AGE_16_17 = "16_17"
    AGE_18_24 = "18_24"  # care leavers only

    @property
    def is_child(self) -> bool:
        return self is not AgeBand.AGE_18_24


class ParallelProcess(StrEnum):
    CRIMINAL = "criminal_investigation"
    CORONER = "coroner"
    DISCIPLINARY = "professional_disciplinary"
    DHR = "domestic_homicide_review"
    MAPPA = "mappa_review"
    SAR = "safeguarding_adults_review"


LABELS: Final[Mapping[str, str]] = {
    Outcome.DIED: "The child died",
    Outcome.SERIOUSLY_HARMED: "The child was seriously harmed",
    Outcome.NEITHER: "Neither (near miss or exceptional practice)",
    AbuseOrNeglect.KNOWN: "Known",
    AbuseOrNeglect.SUSPECTED: "Suspected",
    AbuseOrNeglect.NOT_SUSPECTED: "Not known or suspected",
    HarmType.NEGLECT: "Neglect",
    HarmType.PHYSICAL: "Physical abuse",
    HarmType.SEXUAL: "Sexual abuse",
    HarmType.EMOTIONAL: "Emotional abuse",
    HarmType.EXPLOITATION: "Exploitation",
    HarmType.OTHER: "Other",
    LearningReason.NEAR_MISS: "A near miss",
    LearningReason.GOOD_PRACTICE: "Exceptionally good practice",
    LearningReason.POOR_PRACTICE: "Exceptionally poor practice",
    LearningReason.NONE: "None of these",
    AgeBand.UNDER_1: "Under 1",
    AgeBand.AGE_1_4: "1 to 4",
    AgeBand.AGE_5_10: "5 to 10",
    AgeBand.AGE_11_15: "11 to 15",
    AgeBand.AGE_16_17: "16 or 17",
    AgeBand.AGE_18_24: "18 to 24 (care leaver)",
    ParallelProcess.CRIMINAL: "Criminal investigation",
    ParallelProcess.CORONER: "Coroner's investigation",
    ParallelProcess.DISCIPLINARY: "Professional disciplinary",
    ParallelProcess.DHR: "Domestic Homicide Review",
    ParallelProcess.MAPPA: "MAPPA review",
    ParallelProcess.SAR: "Safeguarding Adults Review",
}


class Route(StrEnum):
    SERIOUS = "serious"  # notify the Panel within 5 working days; rapid review in 15
    CARE_LEAVER = "care_leaver"  # notify the Secretary of State and Ofsted
    LEARNING_REVIEW = "llr"  # for the CSPR Group to consider a Local Learning Review
    OUTSIDE = "outside"  # neither, with the reason; the Hub still reviews it

    @property
    def label(self) -> str:
        return _ROUTE_LABELS[self]


_ROUTE_LABELS: Final[Mapping[Route, str]] = {
    Route.SERIOUS: "Serious child safeguarding case",
    Route.CARE_LEAVER: "Death of a care leaver",
    Route.LEARNING_REVIEW: "For consideration of a Local Learning Review",
    Route.OUTSIDE: "Outside the criteria (for the Hub to confirm)",
}


@dataclass(frozen=True)
class ChildContext:
    age_band: AgeBand
    looked_after: bool = False
    child_protection_plan: bool = False  # on, or recently removed from, a plan
    educated_otherwise: bool = False
    child_perpetrator: bool = False
    care_leaver: bool = False
    care_leaver_age: int | None = None


@dataclass(frozen=True)
class CrossBoundary:
    other_councils: bool = False
    other_police_areas: bool = False
    other_health_boards: bool = False

    @property
    def any(self) -> bool:
        return self.other_councils or self.other_police_areas or self.other_health_boards


@dataclass(frozen=True)
class SensitiveDetails:
    """What identifies a child: shown only in personal chat, encrypted at rest."""

    initials: str = ""
    full_name: str = ""
    summary: str = ""


@dataclass(frozen=True)
class Notification:
    """The facts the assistant needs to run the clocks and advise on the route.

    It never needs the child's name; identifiers are kept apart in ``SensitiveDetails``.
    """

    agency: str
    notifier_role: str
    lead_consulted: bool
    incident_on: date
    aware_on: date
    outcome: Outcome
    abuse_or_neglect: AbuseOrNeglect
    harm_types: frozenset[HarmType]
    learning_reason: LearningReason
    child: ChildContext
    cross_boundary: CrossBoundary = field(default_factory=CrossBoundary)
    parallel_processes: frozenset[ParallelProcess] = frozenset()
    # A child normally resident here who died or was seriously harmed outside England: the
    # partners where the child lives still notify the Panel (Children Act 2004 s.16C(1)(b)).
    harmed_outside_england: bool = False

    def facts(self) -> dict[str, Any]:
        """JSON facts for the case record (no identifiers, no narrative)."""
        raw = asdict(self)
        raw["incident_on"] = self.incident_on.isoformat()
        raw["aware_on"] = self.aware_on.isoformat()
        raw["harm_types"] = sorted(self.harm_types)
        raw["parallel_processes"] = sorted(self.parallel_processes)
        return raw


@dataclass(frozen=True)
class RouteDecision:
    route: Route
    reasons: tuple[str, ...]

    @property
    def needs_panel_notification(self) -> bool:
        return self.route is Route.SERIOUS


def decide_route(n: Notification) -> RouteDecision:
    """Apply the definition; the reasons are written for the practitioner to read."""
    abuse = n.abuse_or_neglect is not AbuseOrNeglect.NOT_SUSPECTED
    grave = n.outcome in {Outcome.DIED, Outcome.SERIOUSLY_HARMED}
    if abuse and grave and n.child.age_band.is_child:
        what = "died" if n.outcome is Outcome.DIED else "was seriously harmed"
        reasons = [
            f"Abuse or neglect is {n.abuse_or_neglect.value} and the child {what}: this meets "
            "the definition of a serious child safeguarding case.",
        ]
        if n.child.child_perpetrator:
            reasons.append("A child perpetrator can also be the subject of a review.")
        if n.harmed_outside_england:
            reasons.append(OUTSIDE_ENGLAND_REASON)
        return RouteDecision(Route.SERIOUS, tuple(reasons))
    if n.child.care_leaver and n.outcome is Outcome.DIED and _care_leaver_age_ok(n.child):
        return RouteDecision(
            Route.CARE_LEAVER,
            (
                "The death of a care leaver up to and including age 24 is notified to the "
                "Secretary of State and Ofsted (Working Together 2023). A rapid review is not "
                "needed unless the serious-case definition is met for a child under 18.",
            ),
        )
    if n.learning_reason is not LearningReason.NONE or (grave and not abuse):
        why = (
            LABELS[n.learning_reason].lower()
            if n.learning_reason is not LearningReason.NONE
            else "serious harm or death without known or suspected abuse or neglect"
        )
        return RouteDecision(
            Route.LEARNING_REVIEW,
            (
                "This does not meet the serious-case definition, but it shows "
                f"{why}: the CSPR Group may consider a Local Learning Review.",
            ),
        )
    missing = []
    if not abuse:
        missing.append("abuse or neglect is not known or suspected")
    if not grave:
        missing.append("the child neither died nor was seriously harmed")
    if grave and abuse and not n.child.age_band.is_child:
        missing.append("the person was not a child (under 18) at the time")
    return RouteDecision(
        Route.OUTSIDE,
        (
            "This appears to fall outside both the serious-case definition and a Local "
            f"Learning Review because {' and '.join(missing) or 'no criterion is met'}. "
            "The Hub will still look at it and may decide otherwise.",
        ),
    )


OUTSIDE_ENGLAND_REASON: Final = (
    "The child normally lives in this area and was harmed outside England: the partners here "
    "notify the Panel."
)


def _care_leaver_age_ok(child: ChildContext) -> bool:
    return child.care_leaver_age is None or child.care_leaver_age <= CARE_LEAVER_MAX_AGE


def statutory_notices_of(facts: Mapping[str, Any]) -> tuple[str, ...]:
    """Which deaths must be notified to the Secretary of State and Ofsted, from the case facts.

    A care leaver up to and including 24, and a looked-after child, whether or not abuse or
    neglect is known or suspected (Working Together 2023 ch.5). Values are
    ``safeguarding.clocks.ClockId`` values, so each gets its own clock.
    """
    if facts.get("outcome") != Outcome.DIED.value:
        return ()
    child = facts.get("child") or {}
    notices = []
    if child.get("looked_after"):
        notices.append("looked_after_death")
    age = child.get("care_leaver_age")
    if child.get("care_leaver") and (age is None or int(age) <= CARE_LEAVER_MAX_AGE):
        notices.append("care_leaver_death")
    return tuple(notices)


# --- validation of what people typed or picked ------------------------------------------


def check_dates(*, incident_on: date, aware_on: date, today: date) -> None:
    """The dates start every clock, so impossible ones are refused, not stored."""
    if incident_on > today:
        raise InvalidInput("The incident date can't be in the future. Check the date.")
    if aware_on > today:
        raise InvalidInput(
            "The date the partners became aware can't be in the future. Check the date."
        )
    if aware_on < incident_on:
        raise InvalidInput(
            "The partners can't have become aware before the incident happened. Check both dates."
        )


def check_short_text(value: str, what: str, *, required: bool = True) -> str:
    cleaned = " ".join(value.split())
    if required and not cleaned:
        raise InvalidInput(f"Please give {what}.")
    if len(cleaned) > MAX_SHORT_TEXT_CHARS:
        raise InvalidInput(
            f"{what[0].upper()}{what[1:]} is too long: keep it under "
            f"{MAX_SHORT_TEXT_CHARS} characters."
        )
    return cleaned


def check_initials(raw: str) -> str:
    """A child's initials, as capitals ("J.S.", "j s" -> "JS"), or refused with the reason.

    Initials are letters only, at most :data:`MAX_INITIALS`; what looks like a name (words
    separated by spaces) is refused rather than cut short, so nobody's name is recorded as if
    it were initials, and the person is told what to type instead.
    """
    text = " ".join(raw.replace(".", " ").split())
    if not text:
        return ""
    if any(ch.isdigit() for ch in text):
        raise InvalidInput(
            "Initials are letters only, with no digits: for example JS. Check what you typed."
        )
    words = text.split(" ")
    if len(words) > 1 and any(len(word) > 1 for word in words):
        raise InvalidInput(
            "That looks like a name, not initials. Give the initials only, one letter for "
            "each name - for example JS - or leave the box empty."
        )
    letters = "".join(words).replace("-", "").replace("'", "")
    if not letters.isalpha():
        raise InvalidInput("Initials are letters only: for example JS.")
    if len(letters) > MAX_INITIALS:
        raise InvalidInput(
            f"Initials are at most {MAX_INITIALS} letters, one for each name: for example JS. "
            f"You typed {len(letters)} letters - if that is a name, give its initials instead."
        )
    return letters.upper()


# Capitalised words that start sentences or name services, not people: a summary mentioning
# "Humberside Police" or "The Hospital" is not warned about.
_NOT_NAME_WORDS: Final = (
    "a an the on at in after before when while during this that his her their our my mum dad "
    "mother father parent parents carer grandmother grandfather brother sister baby child "
    "police school college hospital council trust nhs icb gp health social care services "
    "service team unit ward department emergency accident a&e ambulance paramedics court "
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december north south east west "
    "lincolnshire humberside goole scunthorpe hull england children childrens family early "
    "years safeguarding hub panel review partnership primary secondary academy nursery centre "
    "street road house home "
)
_NOT_NAMES: Final = frozenset(_NOT_NAME_WORDS.split())
_CAPITALISED_RUN: Final = re.compile(r"\b[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+){1,3}\b")


def possible_names(text: str) -> tuple[str, ...]:
    """Runs of capitalised words in ``text`` that may be a person's full name.

    A warning, not a refusal: the summary is special category data kept encrypted, but the
    procedure needs only initials, and a name is easy to type from habit. Common words that
    start a sentence or name a service are skipped (``_NOT_NAMES``).
    """
    found: list[str] = []
    for match in _CAPITALISED_RUN.finditer(text):
        words = [w for w in match.group(0).split() if w.lower().strip("'’") not in _NOT_NAMES]
        if len(words) >= 2:
            name = " ".join(words)
            if name not in found:
                found.append(name)
    return tuple(found)


def check_details(
    *, initials: str, full_name: str, summary: str, names_allowed: bool
) -> SensitiveDetails:
    initials = check_initials(initials)
    full_name = " ".join(full_name.split())
    if full_name and not names_allowed:
        raise InvalidInput("This partnership records initials only; please remove the full name.")
    if len(full_name) > MAX_SHORT_TEXT_CHARS:
        raise InvalidInput("The name is too long.")
    summary = summary.strip()
    if len(summary) > MAX_SUMMARY_CHARS:
        raise InvalidInput(
            f"The summary is {len(summary)} characters; keep it under {MAX_SUMMARY_CHARS}. "
            "Give the facts only - the rapid review gathers the rest."
        )
    return SensitiveDetails(initials=initials, full_name=full_name, summary=summary)


def check_care_leaver_age(age: int | None, *, care_leaver: bool) -> int | None:
    if not care_leaver:
        return None
    if age is None:
        return None
    if age > CARE_LEAVER_MAX_AGE:
        raise InvalidInput(
            f"At {age}, a care leaver is outside the rule, which covers care leavers up to and "
            f"including the age of {CARE_LEAVER_MAX_AGE}. Check the age, or contact the Hub."
        )
    if age < CARE_LEAVER_MIN_AGE:
        raise InvalidInput(
            f"A care leaver is {CARE_LEAVER_MIN_AGE} or over, so {age} can't be a care "
            "leaver's age. Check the age, or untick 'A care leaver'."
        )
    return age


_CHILD_BANDS: Final = frozenset(
    {AgeBand.UNDER_1, AgeBand.AGE_1_4, AgeBand.AGE_5_10, AgeBand.AGE_11_15}
)


def check_child_context(
    age_band: AgeBand, *, care_leaver: bool, care_leaver_age: int | None, looked_after: bool
) -> int | None:
    """Refuse an age and a care-leaver status that can't both be true, saying why.

    A care leaver is 16 or over and, for this rule, 24 at most; ages 18 to 24 are asked about
    only for care leavers; a care leaver's age must fall in the age band chosen; and an adult
    care leaver is no longer looked after. Returns the checked care leaver's age.
    """
    age = check_care_leaver_age(care_leaver_age, care_leaver=care_leaver)
    if care_leaver and age_band in _CHILD_BANDS:
        raise InvalidInput(
            f"A child aged {LABELS[age_band].lower()} can't be a care leaver: care leavers are "
            f"{CARE_LEAVER_MIN_AGE} or over. Check the age, or untick 'A care leaver'."
        )
    if age_band is AgeBand.AGE_18_24 and not care_leaver:
        raise InvalidInput(
            "Ages 18 to 24 apply to care leavers only: tick 'A care leaver' or choose the "
            "child's age."
        )
    if age is not None:
        band = AgeBand.AGE_16_17 if age < 18 else AgeBand.AGE_18_24
        if band is not age_band:
            raise InvalidInput(
                f"A care leaver aged {age} is in the age band '{LABELS[band]}', not "
                f"'{LABELS[age_band]}'. Check the age or the band."
            )
    if looked_after and age_band is AgeBand.AGE_18_24:
        raise InvalidInput(
            "A care leaver aged 18 to 24 is no longer looked after: untick 'Looked after by a "
            "local authority', or check the age."
        )
    return age
