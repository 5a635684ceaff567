"""The case aggregate: where a case is in the process, and the evidence trail of how it got there.

A case is the unit of consistency: its stage, its facts and its events change together, under
one version number, in one transaction. The aggregate enforces the process rules (which stage
may follow which) and records an event for every change - who, when, what, why - instead of
doing any I/O; the repository persists both. It never reads the clock: every method takes
``at``, which keeps the rules testable and the evidence trail honest about when things happened.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final
from zoneinfo import ZoneInfo

from safeguarding.errors import IllegalTransition, InvalidInput
from safeguarding.reference import CaseReference

# The day a person lived through is the day in England, not in UTC: a notification at 00:30
# BST on 1 June is 31 May in UTC. Only the default - callers with a configured calendar pass
# ``today=calendar.local_date(at)``.
_ENGLAND: Final = ZoneInfo("Europe/London")


class Stage(StrEnum):
    """Where a case is, from the Hub receiving the notification to closure (domain.md)."""

    NOTIFIED = "notified"
    PANEL_NOTIFIED = "panel_notified"
    RAPID_REVIEW = "rapid_review"
    RECOMMENDATION = "recommendation"
    PARTNERS_DECISION = "partners_decision"
    WITH_PANEL = "with_panel"
    LOCAL_REVIEW = "local_review"
    LEARNING_REVIEW = "learning_review"
    NATIONAL_REVIEW = "national_review"
    PUBLISHED = "published"
    ACTION_PLAN = "action_plan"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The stage as professionals name it, for messages and cards."""
        return STAGE_LABELS[self]


STAGE_LABELS: Final[Mapping[Stage, str]] = MappingProxyType(
    {
        Stage.NOTIFIED: "Notified to the Hub",
        Stage.PANEL_NOTIFIED: "Panel notified",
        Stage.RAPID_REVIEW: "Rapid review",
        Stage.RECOMMENDATION: "CSPR Group recommendation",
        Stage.PARTNERS_DECISION: "Safeguarding partners' decision",
        Stage.WITH_PANEL: "With the national Panel",
        Stage.LOCAL_REVIEW: "Local CSPR in progress",
        Stage.LEARNING_REVIEW: "Local learning review in progress",
        Stage.NATIONAL_REVIEW: "National review in progress",
        Stage.PUBLISHED: "Report published",
        Stage.ACTION_PLAN: "Action plan",
        Stage.CLOSED: "Closed",
    }
)

_S = Stage
TRANSITIONS: Final[Mapping[Stage, frozenset[Stage]]] = MappingProxyType(
    {
        # A serious case is notified to the Panel first (5 working days). A case that does not
        # need a Panel notification, such as one put forward for a local learning review, goes
        # straight to a rapid review. A notification that turns out not to meet the criteria
        # (or a care leaver's death, which needs no rapid review) is closed.
        _S.NOTIFIED: frozenset({_S.PANEL_NOTIFIED, _S.RAPID_REVIEW, _S.CLOSED}),
        # Once the Panel has been notified it expects a rapid review: there is no way around it.
        _S.PANEL_NOTIFIED: frozenset({_S.RAPID_REVIEW}),
        # Agency reports are in; the CSPR Group evaluates them and votes.
        _S.RAPID_REVIEW: frozenset({_S.RECOMMENDATION}),
        _S.RECOMMENDATION: frozenset({_S.PARTNERS_DECISION}),
        # The partners confirm the recommendation or challenge it back to the CSPR Group. The
        # rapid review and decision of a Panel-notified case go to the Panel; a local CSPR
        # starts as they do, without waiting for the Panel's answer (which is still tracked).
        # A case that was never notified can go straight to a learning review, or close with
        # no review.
        _S.PARTNERS_DECISION: frozenset(
            {_S.RECOMMENDATION, _S.WITH_PANEL, _S.LOCAL_REVIEW, _S.LEARNING_REVIEW, _S.CLOSED}
        ),
        # The Panel agrees with the partners (a local CSPR, a learning review, actions only, or
        # no review) or commissions a national review itself.
        _S.WITH_PANEL: frozenset(
            {_S.LOCAL_REVIEW, _S.LEARNING_REVIEW, _S.NATIONAL_REVIEW, _S.ACTION_PLAN, _S.CLOSED}
        ),
        # Both kinds of CSPR end in a published report (final report to the Panel, Secretary of
        # State and Ofsted at least 7 working days before publication).
        # The Panel may answer a local CSPR already under way by commissioning a national one.
        _S.LOCAL_REVIEW: frozenset({_S.PUBLISHED, _S.NATIONAL_REVIEW}),
        _S.NATIONAL_REVIEW: frozenset({_S.PUBLISHED}),
        # A learning review is not published as a CSPR: its learning becomes actions, or none.
        _S.LEARNING_REVIEW: frozenset({_S.ACTION_PLAN, _S.CLOSED}),
        # Published findings (national ones included) feed the action plan.
        _S.PUBLISHED: frozenset({_S.ACTION_PLAN}),
        # The Board signs the plan off and the actions are followed up until done.
        _S.ACTION_PLAN: frozenset({_S.CLOSED}),
        # Closed is final; anything after closure (retention, unpublishing) is an event, not a
        # stage. Only a decision overturned on a difference of opinion reopens a case
        # (``Case.reopen``).
        _S.CLOSED: frozenset(),
    }
)
del _S


def next_stages(stage: Stage) -> tuple[Stage, ...]:
    """The stages a case at ``stage`` may move to, in process order (for buttons and messages)."""
    return tuple(s for s in Stage if s in TRANSITIONS[stage])


@dataclass(frozen=True)
class Actor:
    """Who did something: the Entra object id is the identity, the name is for people to read."""

    id: str
    name: str

    def __post_init__(self) -> None:
        if not self.id.strip() or not self.name.strip():
            raise InvalidInput("Every change to a case must say who made it (an id and a name).")


# The scheduler acts on its own (reminders, escalations); its events still need an author.
SYSTEM: Final = Actor(id="system", name="CSPR assistant")


@dataclass(frozen=True)
class CaseEvent:
    """One entry in a case's evidence trail: append-only, never edited.

    ``data`` holds the machine-readable detail (JSON only, because it is stored as JSON and
    replayed years later by code that may no longer have today's classes); ``what`` is the
    same fact as a sentence for the people reading the history.
    """

    seq: int
    at: datetime
    actor: Actor
    kind: str
    what: str
    why: str | None = None
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.seq < 1:
            raise ValueError(f"event sequence numbers start at 1, not {self.seq}")
        if not self.kind or not self.what.strip():
            raise ValueError("an event needs a kind and a plain-English description")
        object.__setattr__(self, "at", _utc(self.at))
        # A private deep copy, read-only: the trail must not change because a caller later
        # mutated the dict it passed in.
        object.__setattr__(self, "data", MappingProxyType(_json_copy(dict(self.data), "data")))


class Case:
    """A serious incident notification and everything the partnership does about it."""

    def __init__(
        self,
        *,
        reference: CaseReference,
        stage: Stage,
        version: int,
        aware_on: date,
        incident_on: date | None,
        opened_at: datetime,
        facts: Mapping[str, Any],
        events: Sequence[CaseEvent],
        closed_at: datetime | None = None,
    ) -> None:
        """Rebuild a case as stored; new cases come from :meth:`open`.

        The given ``events`` count as already persisted; only events recorded afterwards are
        ``pending_events``.
        """
        for expected, event in enumerate(events, start=1):
            if event.seq != expected:
                raise ValueError(f"case {reference} events are out of sequence at {event.seq}")
        self.reference: Final = reference
        # As stored when the case was opened; a correction is an event, read back by
        # :attr:`aware_on` and :attr:`incident_on`, so the trail keeps every earlier value.
        self._aware_on_as_opened = aware_on
        self._incident_on_as_opened = incident_on
        self.opened_at: Final = _utc(opened_at)
        self._stage = stage
        self._version = version
        self._closed_at = None if closed_at is None else _utc(closed_at)
        self._facts: dict[str, Any] = _json_copy(dict(facts), "facts")
        self._events: list[CaseEvent] = list(events)
        self._persisted = len(self._events)

    def __repr__(self) -> str:
        return f"<Case {self.reference} at {self._stage.value} v{self._version}>"

    # -- reading --------------------------------------------------------------------------

    @property
    def stage(self) -> Stage:
        return self._stage

    @property
    def aware_on(self) -> date:
        """The day the partners became aware: it starts every statutory clock.

        The latest correction recorded in the trail wins, so a corrected date moves every
        deadline derived from it, and the date as first notified stays in the history.
        """
        corrected = self._corrected("aware_on")
        return self._aware_on_as_opened if corrected is _MISSING else _as_date(corrected)

    @property
    def incident_on(self) -> date | None:
        corrected = self._corrected("incident_on")
        if corrected is _MISSING:
            return self._incident_on_as_opened
        return None if corrected is None else _as_date(corrected)

    def _corrected(self, key: str) -> Any:
        for event in reversed(self._events):
            if event.kind == CORRECTED:
                changes = event.data.get("changes", {})
                if key in changes:
                    return changes[key].get("to")
        return _MISSING

    @property
    def version(self) -> int:
        """The stored version this object was loaded at (0: never stored)."""
        return self._version

    @property
    def closed_at(self) -> datetime | None:
        return self._closed_at

    @property
    def is_open(self) -> bool:
        return self._stage is not Stage.CLOSED

    @property
    def facts(self) -> dict[str, Any]:
        """A copy: facts change only through :meth:`update_facts`, which records who and why."""
        return copy.deepcopy(self._facts)

    @property
    def events(self) -> tuple[CaseEvent, ...]:
        return tuple(self._events)

    @property
    def pending_events(self) -> tuple[CaseEvent, ...]:
        """Events recorded since the case was loaded or last saved, oldest first."""
        return tuple(self._events[self._persisted :])

    @property
    def next_stages(self) -> tuple[Stage, ...]:
        return next_stages(self._stage)

    # -- changing -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        reference: CaseReference,
        aware_on: date,
        incident_on: date | None,
        actor: Actor,
        at: datetime,
        facts: Mapping[str, Any] | None = None,
        today: date | None = None,
    ) -> Case:
        """A new case at the Hub, with its "case.opened" event pending.

        ``aware_on`` starts every statutory clock, so an impossible one is refused rather than
        stored: awareness cannot precede the incident, and neither can lie in the future.
        ``today`` is the partnership's local date at ``at`` (``calendar.local_date(at)``); it
        defaults to the date in England.
        """
        at = _utc(at)
        today = today if today is not None else at.astimezone(_ENGLAND).date()
        _check_dates(aware_on, incident_on, today)
        case = cls(
            reference=reference,
            stage=Stage.NOTIFIED,
            version=0,
            aware_on=aware_on,
            incident_on=incident_on,
            opened_at=at,
            facts=facts or {},
            events=(),
        )
        case.record(
            "case.opened",
            actor=actor,
            at=at,
            what=f"Case {reference} opened: partners aware on {_day(aware_on)}.",
            data={
                "aware_on": aware_on.isoformat(),
                "incident_on": None if incident_on is None else incident_on.isoformat(),
            },
        )
        return case

    def move_to(
        self, stage: Stage, *, actor: Actor, at: datetime, why: str | None = None
    ) -> CaseEvent:
        """Move the case on, if the process allows it from where the case is now."""
        allowed = TRANSITIONS[self._stage]
        if stage not in allowed:
            here = f"Case {self.reference} is at '{self._stage.label}'"
            if not allowed:
                raise IllegalTransition(
                    f"{here} and cannot move to '{stage.label}': a closed case stays closed."
                )
            options = ", ".join(s.label for s in self.next_stages)
            raise IllegalTransition(
                f"{here} and cannot move to '{stage.label}'. From here it can move to: {options}."
            )
        before = self._stage
        event = self.record(
            "stage.changed",
            actor=actor,
            at=at,
            what=f"Moved from '{before.label}' to '{stage.label}'.",
            why=why,
            data={"from": before.value, "to": stage.value},
        )
        self._stage = stage
        if stage is Stage.CLOSED:
            self._closed_at = event.at
        return event

    def update_facts(
        self,
        changes: Mapping[str, Any],
        *,
        actor: Actor,
        at: datetime,
        why: str | None = None,
    ) -> CaseEvent | None:
        """Change notification facts, recording each old and new value; None if nothing changed."""
        changes = _json_copy(dict(changes), "facts")
        diff = {
            key: {"from": self._facts.get(key), "to": value}
            for key, value in sorted(changes.items())
            if self._facts.get(key, _MISSING) != value
        }
        if not diff:
            return None
        event = self.record(
            "facts.updated",
            actor=actor,
            at=at,
            what=f"Notification facts updated: {', '.join(diff)}.",
            why=why,
            data={"changes": diff},
        )
        self._facts.update(changes)
        return event

    def correct(
        self,
        changes: Mapping[str, Any],
        *,
        actor: Actor,
        at: datetime,
        why: str,
        today: date | None = None,
    ) -> CaseEvent | None:
        """The Hub corrects what was notified (dates, facts, the route), with its reason.

        One ``case.corrected`` event holds every old and new value, so earlier values stay in
        the history; ``aware_on`` and ``incident_on`` in ``changes`` (ISO dates) are checked as
        :meth:`open` checks them, since every clock is derived from them. None if nothing
        would change. A closed case is not corrected: it must be reopened first.
        """
        reason = " ".join(str(why or "").split())
        if not reason:
            raise InvalidInput("Please give the reason for the change: it is required.")
        if not self.is_open:
            raise IllegalTransition(
                f"Case {self.reference} is closed, so it can't be corrected. Nothing was changed."
            )
        at = _utc(at)
        today = today if today is not None else at.astimezone(_ENGLAND).date()
        changes = _json_copy(dict(changes), "changes")
        current = {
            **self._facts,
            "aware_on": self.aware_on.isoformat(),
            "incident_on": None if self.incident_on is None else self.incident_on.isoformat(),
        }
        diff = {
            key: {"from": current.get(key), "to": value}
            for key, value in sorted(changes.items())
            if current.get(key, _MISSING) != value
        }
        if not diff:
            return None
        aware_on = _as_date(changes.get("aware_on", current["aware_on"]))
        raw_incident = changes.get("incident_on", current["incident_on"])
        incident_on = None if raw_incident is None else _as_date(raw_incident)
        _check_dates(aware_on, incident_on, today)
        names = ", ".join(_FACT_NAMES.get(key, key.replace("_", " ")) for key in diff)
        event = self.record(
            CORRECTED,
            actor=actor,
            at=at,
            what=f"Case corrected by {actor.name}: {names}.",
            why=reason,
            data={"changes": diff},
        )
        self._facts.update(changes)
        return event

    def reopen(self, *, actor: Actor, at: datetime, why: str) -> CaseEvent:
        """Reopen a closed case at the stage it closed from, with the reason.

        Closed is otherwise final (``TRANSITIONS``): only a decision overturned by the
        procedure's own route - a difference of opinion upheld - reopens a case, and the
        caller (``safeguarding.closure``) checks that it was such a decision.
        """
        if self._stage is not Stage.CLOSED:
            raise IllegalTransition(f"Case {self.reference} is not closed, so it can't reopen.")
        closing = next(
            (
                e
                for e in reversed(self._events)
                if e.kind == "stage.changed" and e.data.get("to") == Stage.CLOSED.value
            ),
            None,
        )
        back = Stage(str(closing.data.get("from"))) if closing else Stage.NOTIFIED
        event = self.record(
            "stage.changed",
            actor=actor,
            at=at,
            what=f"Reopened: moved from '{Stage.CLOSED.label}' back to '{back.label}'.",
            why=why,
            data={"from": Stage.CLOSED.value, "to": back.value, "reopened": True},
        )
        self._stage = back
        self._closed_at = None
        return event

    def record(
        self,
        kind: str,
        *,
        actor: Actor,
        at: datetime,
        what: str,
        why: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> CaseEvent:
        """Append an event to the evidence trail: the only way events are added.

        The trail's order is its sequence number, and its times never run backwards. Several
        people act on one case at about the same moment (three members voting): an action
        retried after a concurrent change carries the time its turn began, which may be just
        before the entry that won the race. Such an event is dated at the last entry's time,
        and the time the action was observed is kept in ``data["observed_at"]``.
        """
        at = _utc(at)
        data = dict(data or {})
        if self._events and at < self._events[-1].at:
            data["observed_at"] = at.isoformat()
            at = self._events[-1].at
        event = CaseEvent(
            seq=len(self._events) + 1,
            at=at,
            actor=actor,
            kind=kind,
            what=what,
            why=why,
            data=data,
        )
        self._events.append(event)
        return event

    def mark_saved(self, *, version: int) -> None:
        """For repositories: the pending events are stored and the row is now at ``version``."""
        if version <= self._version:
            raise ValueError(f"case {self.reference} cannot go back from v{self._version}")
        self._version = version
        self._persisted = len(self._events)


_MISSING: Final = object()

# The Hub corrected what was notified. why: the reason (required).
# data: {"changes": {fact: {"from": old, "to": new}}}; dates as ISO strings.
CORRECTED: Final = "case.corrected"

_FACT_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "aware_on": "date the partners became aware",
        "incident_on": "incident date",
        "route": "route",
        "outcome": "what happened to the child",
        "abuse_or_neglect": "abuse or neglect",
        "harm_types": "nature of the harm",
        "child": "the child's circumstances",
        "harmed_outside_england": "harm outside England",
    }
)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _check_dates(aware_on: date, incident_on: date | None, today: date) -> None:
    """``aware_on`` starts every statutory clock, so an impossible one is refused, not stored."""
    if incident_on is not None and incident_on > today:
        raise InvalidInput(
            f"The incident date {_day(incident_on)} is in the future (today is {_day(today)}). "
            "Check the date."
        )
    if aware_on > today:
        raise InvalidInput(
            f"The date the partners became aware, {_day(aware_on)}, is in the future "
            f"(today is {_day(today)}). Check the date."
        )
    if incident_on is not None and aware_on < incident_on:
        raise InvalidInput(
            f"The partners cannot have become aware on {_day(aware_on)}, before the incident "
            f"on {_day(incident_on)}. Check both dates."
        )


def _utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive time has no instant, so it is refused, not guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            f"The time {moment:%d %B %Y %H:%M} has no time zone, so it cannot be recorded."
        )
    return moment.astimezone(UTC)


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def _json_copy(value: dict[str, Any], where: str) -> dict[str, Any]:
    """A deep copy of JSON-compatible data, or ``TypeError`` naming the offending path.

    Checked here rather than at the database so the mistake surfaces where it was made, and so
    that what is stored is exactly what the aggregate holds (``json`` would quietly turn
    ``{1: ...}`` into ``{"1": ...}`` and a tuple into a list).
    """
    checked = _check_json(value, where)
    assert isinstance(checked, dict)
    return checked


def _check_json(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"{path} is {value}, which JSON cannot store")
        return value
    if isinstance(value, list):
        return [_check_json(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        copied: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{path} has a non-string key {key!r}, which JSON cannot store")
            copied[key] = _check_json(item, f"{path}.{key}")
        return copied
    raise TypeError(f"{path} is a {type(value).__name__}, which JSON cannot store")
