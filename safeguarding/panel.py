"""The notifications the partners owe outside the partnership: the Panel, the Secretary of State
and Ofsted.

* The national Panel is told of a serious child safeguarding incident within 5 working days of
  the partners becoming aware (Working Together 2023 ch.5; the procedure, "Responsibilities of
  local safeguarding partners"). Whether the serious-case definition may apply is not fixed by
  the practitioner's first answers: the Hub may reclassify a case, and a recommendation of a
  CSPR or a national review means the CSPR Group found the definition met. So the Hub may
  record the notification on any open case where it may apply - once - or record why the Panel
  was not notified (it was notified by another area, say); either lets the rapid review go.
* The death of a care leaver up to and including 24, and of a looked-after child, is notified
  to the Secretary of State and Ofsted, whether or not abuse or neglect is suspected, each with
  its own clock (``ClockId.CARE_LEAVER_DEATH``, ``ClockId.LOOKED_AFTER_DEATH``).

Each is an event in the case's trail; the clocks (``case_clocks``) read them back. Pure: the
dates and the due day are passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Self

from safeguarding import milestones
from safeguarding.case import Actor, Case, CaseEvent, Stage
from safeguarding.clocks import ClockId, format_day
from safeguarding.errors import DomainError, IllegalTransition, InvalidInput
from safeguarding.notification import statutory_notices_of

# The Hub recorded why the Panel was not notified. why: the reason. data: {}
PANEL_NOT_NOTIFIED: Final = "panel.not_notified"
# The Secretary of State and Ofsted were notified of a death.
# data: :class:`StatutoryNotifiedData`
STATUTORY_NOTIFIED: Final = "statutory.notified"
# A refused attempt worth keeping in the trail. why: the reason. data: {"action", "reason"}
REFUSED: Final = "case.refused"

MAX_REASON_CHARS: Final = 500

NOTICE_LABELS: Final[Mapping[ClockId, str]] = {
    ClockId.CARE_LEAVER_DEATH: "death of a care leaver",
    ClockId.LOOKED_AFTER_DEATH: "death of a looked-after child",
}


class AlreadyRecorded(DomainError):
    """A notification recorded once is not recorded again; nothing was changed."""


@dataclass(frozen=True)
class PanelNotifiedData:
    """What :data:`milestones.PANEL_NOTIFIED` records (the clocks read ``notified_on``)."""

    notified_on: date
    notified_time: str
    notified_by: str
    late: bool

    def to_data(self) -> dict[str, Any]:
        return {
            "notified_on": self.notified_on.isoformat(),
            "notified_time": self.notified_time,
            "notified_by": self.notified_by,
            "late": self.late,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            notified_on=date.fromisoformat(str(data["notified_on"])),
            notified_time=str(data.get("notified_time") or ""),
            notified_by=str(data.get("notified_by") or ""),
            late=bool(data.get("late")),
        )


@dataclass(frozen=True)
class StatutoryNotifiedData:
    """What :data:`STATUTORY_NOTIFIED` records: which death, when, by whom, late or not."""

    notice: ClockId
    notified_on: date
    notified_by: str
    late: bool

    def to_data(self) -> dict[str, Any]:
        return {
            "notice": self.notice.value,
            "notified_on": self.notified_on.isoformat(),
            "notified_by": self.notified_by,
            "late": self.late,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Self:
        return cls(
            notice=ClockId(str(data["notice"])),
            notified_on=date.fromisoformat(str(data["notified_on"])),
            notified_by=str(data.get("notified_by") or ""),
            late=bool(data.get("late")),
        )


# -- reading the trail ----------------------------------------------------------------------


def panel_notification(case: Case) -> PanelNotifiedData | None:
    event = _first(case, milestones.PANEL_NOTIFIED)
    return PanelNotifiedData.from_data(event.data) if event else None


def panel_waiver(case: Case) -> CaseEvent | None:
    """The Hub's recorded reason why the Panel was not notified, if any."""
    return _first(case, PANEL_NOT_NOTIFIED)


def panel_settled(case: Case) -> bool:
    """The Panel was notified, or the Hub recorded why not: the rapid review may go."""
    return panel_notification(case) is not None or panel_waiver(case) is not None


def statutory_notices(case: Case) -> tuple[ClockId, ...]:
    """The deaths on this case to notify to the Secretary of State and Ofsted."""
    return tuple(ClockId(n) for n in statutory_notices_of(case.facts))


def statutory_notified(case: Case, notice: ClockId) -> StatutoryNotifiedData | None:
    for event in case.events:
        if event.kind == STATUTORY_NOTIFIED and event.data.get("notice") == notice.value:
            return StatutoryNotifiedData.from_data(event.data)
    return None


def _first(case: Case, kind: str) -> CaseEvent | None:
    return next((e for e in case.events if e.kind == kind), None)


# -- recording ------------------------------------------------------------------------------


def record_panel_notification(
    case: Case,
    *,
    notified_on: date,
    notified_time: str,
    due: date,
    may_apply: bool,
    actor: Actor,
    at: datetime,
    today: date,
) -> PanelNotifiedData:
    """Record when the Panel was told, late or not, once; a new case moves on to the Panel stage.

    ``may_apply`` is whether the serious-case definition may apply as the case now stands
    (``rapid_review.may_be_serious``).
    """
    _require_open(case)
    if notified_on > today:
        raise InvalidInput("The Panel can't have been notified in the future.")
    already = panel_notification(case)
    if already is not None:
        raise AlreadyRecorded(
            f"The Panel notification for case {case.reference} was already recorded: "
            f"{format_day(already.notified_on)}, by {already.notified_by}. Nothing was changed."
        )
    if panel_waiver(case) is not None:
        raise AlreadyRecorded(
            f"The Hub has recorded why the Panel was not notified of case {case.reference}. "
            "Nothing was changed."
        )
    if not may_apply:
        raise IllegalTransition(
            f"As case {case.reference} stands, the serious-case definition does not apply, so "
            "there is no Panel notification to record. If it may apply, reclassify the case "
            "first. Nothing was changed."
        )
    if notified_on < case.aware_on:
        raise InvalidInput(
            f"The Panel can't have been notified before the partners became aware "
            f"({format_day(case.aware_on)})."
        )
    late = notified_on > due
    data = PanelNotifiedData(notified_on, notified_time, actor.name, late)
    case.record(
        milestones.PANEL_NOTIFIED,
        actor=actor,
        at=at,
        what=f"Panel notified on {format_day(notified_on)}"
        f"{' at ' + notified_time if notified_time else ''} by {actor.name}"
        + (f" - late (due {format_day(due)})." if late else "."),
        data=data.to_data(),
    )
    if case.stage is Stage.NOTIFIED:
        case.move_to(Stage.PANEL_NOTIFIED, actor=actor, at=at)
    return data


def record_panel_not_notified(
    case: Case, *, reason: str, may_apply: bool, actor: Actor, at: datetime
) -> CaseEvent:
    """Record why the Panel was not (and will not be) notified of a case that may be serious."""
    _require_open(case)
    text = check_reason(reason, "why the Panel was not notified")
    if panel_settled(case):
        raise AlreadyRecorded(
            f"The Panel notification for case {case.reference} is already settled (recorded, or "
            "why not). Nothing was changed."
        )
    if not may_apply:
        raise IllegalTransition(
            f"As case {case.reference} stands, the serious-case definition does not apply, so no "
            "Panel notification is expected. Nothing was changed."
        )
    return case.record(
        PANEL_NOT_NOTIFIED,
        actor=actor,
        at=at,
        what=f"{actor.name} recorded why the Panel was not notified.",
        why=text,
    )


def record_statutory_notification(
    case: Case,
    notice: ClockId,
    *,
    notified_on: date,
    due: date,
    actor: Actor,
    at: datetime,
    today: date,
) -> StatutoryNotifiedData:
    """The Secretary of State and Ofsted were told of the death, late or not - once."""
    _require_open(case)
    what = NOTICE_LABELS.get(notice)
    if what is None or notice not in statutory_notices(case):
        raise IllegalTransition(
            f"Case {case.reference} is not recorded as the death of a care leaver or of a "
            "looked-after child, so there is no such notification to record. If it is, correct "
            "the case first. Nothing was changed."
        )
    if notified_on > today:
        raise InvalidInput("The Secretary of State and Ofsted can't have been told in the future.")
    if notified_on < case.aware_on:
        raise InvalidInput(
            "The Secretary of State and Ofsted can't have been told before the council became "
            f"aware ({format_day(case.aware_on)})."
        )
    already = statutory_notified(case, notice)
    if already is not None:
        raise AlreadyRecorded(
            f"The notification of the {what} on case {case.reference} was already recorded: "
            f"{format_day(already.notified_on)}, by {already.notified_by}. Nothing was changed."
        )
    late = notified_on > due
    data = StatutoryNotifiedData(notice, notified_on, actor.name, late)
    case.record(
        STATUTORY_NOTIFIED,
        actor=actor,
        at=at,
        what=f"Secretary of State and Ofsted notified of the {what} on "
        f"{format_day(notified_on)} by {actor.name}"
        + (f" - late (due {format_day(due)})." if late else "."),
        data=data.to_data(),
    )
    return data


def refusal(case: Case, *, action: str, reason: str, actor: Actor, at: datetime) -> CaseEvent:
    """A refused attempt on the case, kept in the trail: who tried what, and why it was refused."""
    return case.record(
        REFUSED,
        actor=actor,
        at=at,
        what=f"Refused: {action}.",
        why=reason,
        data={"action": action, "reason": reason},
    )


def check_reason(text: str, what: str, limit: int = MAX_REASON_CHARS) -> str:
    cleaned = " ".join(str(text).split())
    if not cleaned:
        raise InvalidInput(f"Please give {what}: it is required. Nothing was changed.")
    if len(cleaned) > limit:
        raise InvalidInput(f"Keep {what} under {limit} characters. Nothing was changed.")
    return cleaned


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise IllegalTransition(f"Case {case.reference} is closed. Nothing was changed.")
