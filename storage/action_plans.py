"""Action plans as stored for reading across cases, and the follow-ups already sent.

The plan itself lives in the case's evidence trail (``safeguarding/action_plans.py``): every
step is a case event. These tables are its current state, written in the same transaction
as the events, so "my actions", "my agency's actions", "overdue actions" and the Board
report read one indexed table instead of folding every case's trail:

* ``action_plans``: one row per case with a plan - who oversees it, the Board's sign-off,
  when it closed;
* ``action_plan_actions``: one row per action, with ``next_follow_up_at`` (indexed with the
  id): when the follow-up sweep next needs to look at it, NULL once it is done or closed.
  The sweep reads only the rows due, a keyset page at a time (:meth:`ActionPlanRepository.due`);
* ``action_follow_ups``: the follow-ups sent, under the unique key ``(case reference, action
  number, kind, day)``. Inserting is ``ON CONFLICT DO NOTHING``: of two workers deriving the
  same follow-up exactly one inserts it and only that one queues the messages - so a
  follow-up is sent once, never twice (the reminders' pattern, ``storage/reminders.py``).

What people typed (the description, evidence, a reason for closing) is sealed at rest like
every other free text (``storage/sealed.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.action_plans import ActionPlan, ActionStatus, FollowUp, PlanAction, PlanOwner
from safeguarding.case import Actor
from storage.channels import agency_key
from storage.details import Cipher
from storage.models import Base, UTCDateTime
from storage.outbox import insert_for
from storage.sealed import open_text, seal_text

_OPEN = (ActionStatus.OPEN.value, ActionStatus.IN_PROGRESS.value)


class ActionPlanRow(Base):
    __tablename__ = "action_plans"

    case_reference: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner: Mapped[str] = mapped_column(String(8))
    actions: Mapped[int] = mapped_column(Integer)
    signed_off_on: Mapped[date | None] = mapped_column(Date)
    signed_off_by: Mapped[str | None] = mapped_column(String(256))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ActionRow(Base):
    __tablename__ = "action_plan_actions"
    __table_args__ = (
        UniqueConstraint("case_reference", "number"),
        Index("ix_action_plan_actions_next_follow_up_at_id", "next_follow_up_at", "id"),
        Index("ix_action_plan_actions_owner_id_status", "owner_id", "status"),
        Index("ix_action_plan_actions_agency_key_status", "agency_key", "status"),
        Index("ix_action_plan_actions_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_reference: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer)
    description: Mapped[str | None] = mapped_column(Text)
    agency: Mapped[str] = mapped_column(String(256))
    agency_key: Mapped[str] = mapped_column(String(256))
    owner_id: Mapped[str] = mapped_column(String(128))
    owner_name: Mapped[str] = mapped_column(String(256))
    added_by_id: Mapped[str] = mapped_column(String(128))
    added_by_name: Mapped[str] = mapped_column(String(256))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    national: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[str | None] = mapped_column(Text)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_follow_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FollowUpRow(Base):
    __tablename__ = "action_follow_ups"
    __table_args__ = (UniqueConstraint("case_reference", "action_number", "kind", "on_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_reference: Mapped[str] = mapped_column(String(32))
    action_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    on_date: Mapped[date] = mapped_column(Date)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    late: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class PlanRecord:
    """A case's plan as stored: for lists, the Board report and dashboards."""

    case_reference: str
    owner: PlanOwner
    actions: int
    signed_off_on: date | None
    signed_off_by: str | None
    closed_at: datetime | None


@dataclass(frozen=True, order=True)
class DueAction:
    """An action the follow-up sweep must look at now (its place in the keyset)."""

    next_follow_up_at: datetime
    id: int
    case_reference: str
    number: int
    revision: int


FirstFollowUp = Callable[[PlanAction], datetime | None]


class ActionPlanRepository:
    """Plans, actions and follow-ups, in the session of one unit of work."""

    def __init__(self, session: AsyncSession, *, cipher: Cipher | None = None) -> None:
        self._session = session
        self._cipher = cipher

    # -- writing --------------------------------------------------------------------------

    async def save(
        self, plan: ActionPlan, *, now: datetime, first_follow_up: FirstFollowUp
    ) -> None:
        """Store the plan as the trail now tells it (call after ``uow.cases.save``).

        A new action is scheduled from ``first_follow_up``; a done or closed one is never
        followed up again; an open one keeps its schedule (a change of status must not skip
        a follow-up the sweep has not sent yet).
        """
        reference = plan.case_reference
        signed = plan.signed_off
        values: dict[str, Any] = {
            "owner": plan.owner.value,
            "actions": len(plan.actions),
            "signed_off_on": signed.board_on if signed else None,
            "signed_off_by": signed.signed_by.name if signed else None,
            "closed_at": plan.closed_at,
            "updated_at": now,
        }
        existing_plan = await self._session.get(ActionPlanRow, reference)
        if existing_plan is None:
            await self._session.execute(
                insert(ActionPlanRow).values(case_reference=reference, **values)
            )
        else:
            await self._session.execute(
                update(ActionPlanRow)
                .where(ActionPlanRow.case_reference == reference)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        stored = {
            number: revision
            for number, revision in (
                await self._session.execute(
                    select(ActionRow.number, ActionRow.revision).where(
                        ActionRow.case_reference == reference
                    )
                )
            ).all()
        }
        for action in plan.actions:
            columns = self._columns(action)
            if action.number not in stored:
                await self._session.execute(
                    insert(ActionRow).values(
                        case_reference=reference,
                        number=action.number,
                        next_follow_up_at=first_follow_up(action) if action.is_open else None,
                        **columns,
                    )
                )
            elif stored[action.number] != action.revision:
                if not action.is_open:
                    columns["next_follow_up_at"] = None
                await self._session.execute(
                    update(ActionRow)
                    .where(ActionRow.case_reference == reference, ActionRow.number == action.number)
                    .values(**columns)
                    .execution_options(synchronize_session=False)
                )

    def _columns(self, action: PlanAction) -> dict[str, Any]:
        return {
            "description": seal_text(self._cipher, action.description),
            "agency": action.agency,
            "agency_key": agency_key(action.agency),
            "owner_id": action.owner.id,
            "owner_name": action.owner.name,
            "added_by_id": action.added_by.id,
            "added_by_name": action.added_by.name,
            "due_on": action.due_on,
            "status": action.status.value,
            "national": action.national,
            "evidence": seal_text(self._cipher, action.evidence),
            "closed_reason": seal_text(self._cipher, action.closed_reason),
            "revision": action.revision,
            "added_at": action.added_at,
            "updated_at": action.updated_at,
        }

    async def erase_text(self, case_reference: str) -> None:
        """The retention policy anonymises a case: what people typed about its actions goes
        (as it goes from the trail); numbers, owners, agencies, dates and statuses remain."""
        await self._session.execute(
            update(ActionRow)
            .where(ActionRow.case_reference == case_reference)
            .values(description=None, evidence=None, closed_reason=None)
            .execution_options(synchronize_session=False)
        )

    # -- reading --------------------------------------------------------------------------

    async def plan(self, case_reference: str) -> PlanRecord | None:
        row = await self._session.get(ActionPlanRow, case_reference, populate_existing=True)
        return _plan(row) if row is not None else None

    async def plans(self, references: Iterable[str] | None = None) -> list[PlanRecord]:
        """Every stored plan (or those of ``references``), by case reference."""
        query = select(ActionPlanRow).order_by(ActionPlanRow.case_reference)
        if references is not None:
            query = query.where(ActionPlanRow.case_reference.in_(list(references)))
        rows = (await self._session.execute(query)).scalars().all()
        return [_plan(row) for row in rows]

    async def find(self, case_reference: str, number: int) -> PlanAction | None:
        rows = await self._actions(
            ActionRow.case_reference == case_reference, ActionRow.number == number
        )
        return rows[0] if rows else None

    async def actions_of(self, case_reference: str) -> list[PlanAction]:
        return await self._actions(ActionRow.case_reference == case_reference)

    async def owned_by(self, object_id: str, *, open_only: bool = True) -> list[PlanAction]:
        """The actions a person owns (open ones by default), soonest due first."""
        conditions: list[Any] = [ActionRow.owner_id == object_id]
        if open_only:
            conditions.append(ActionRow.status.in_(_OPEN))
        return await self._actions(*conditions)

    async def of_agency(self, agency: str, *, open_only: bool = True) -> list[PlanAction]:
        """The actions an agency owns (agencies match whatever their case and spacing)."""
        conditions: list[Any] = [ActionRow.agency_key == agency_key(agency)]
        if open_only:
            conditions.append(ActionRow.status.in_(_OPEN))
        return await self._actions(*conditions)

    async def overdue(self, today: date) -> list[PlanAction]:
        """Open actions due before ``today``, oldest due first."""
        return await self._actions(ActionRow.status.in_(_OPEN), ActionRow.due_on < today)

    async def open_actions(self) -> list[PlanAction]:
        """Every open action of every case (the Board report)."""
        return await self._actions(ActionRow.status.in_(_OPEN))

    async def has_actions(self, case_reference: str, object_id: str) -> bool:
        """Whether the person owns an action of the case (they may then open its plan)."""
        found = await self._session.execute(
            select(ActionRow.id)
            .where(ActionRow.case_reference == case_reference, ActionRow.owner_id == object_id)
            .limit(1)
        )
        return found.first() is not None

    async def _actions(self, *conditions: Any) -> list[PlanAction]:
        rows = (
            (
                await self._session.execute(
                    select(ActionRow)
                    .where(*conditions)
                    .order_by(ActionRow.due_on, ActionRow.case_reference, ActionRow.number)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        return [self._action(row) for row in rows]

    def _action(self, row: ActionRow) -> PlanAction:
        return PlanAction(
            case_reference=row.case_reference,
            number=row.number,
            description=open_text(self._cipher, row.description),
            agency=row.agency,
            owner=Actor(id=row.owner_id, name=row.owner_name),
            due_on=row.due_on,
            status=ActionStatus(row.status),
            national=row.national,
            added_by=Actor(id=row.added_by_id, name=row.added_by_name),
            added_at=row.added_at,
            updated_at=row.updated_at,
            evidence=open_text(self._cipher, row.evidence),
            closed_reason=open_text(self._cipher, row.closed_reason),
            revision=row.revision,
        )

    # -- the follow-up sweep --------------------------------------------------------------

    async def due(
        self, now: datetime, *, after: DueAction | None = None, limit: int
    ) -> list[DueAction]:
        """Up to ``limit`` actions due a look at ``now``, in (time, id) order after ``after``:
        a keyset page through the index, so none is skipped and none read twice in a tick."""
        query = select(
            ActionRow.next_follow_up_at,
            ActionRow.id,
            ActionRow.case_reference,
            ActionRow.number,
            ActionRow.revision,
        ).where(ActionRow.next_follow_up_at <= now)
        if after is not None:
            query = query.where(
                tuple_(ActionRow.next_follow_up_at, ActionRow.id)
                > tuple_(
                    bindparam("after_at", after.next_follow_up_at, type_=UTCDateTime),
                    bindparam("after_id", after.id, type_=Integer),
                )
            )
        rows = await self._session.execute(
            query.order_by(ActionRow.next_follow_up_at, ActionRow.id).limit(limit)
        )
        return [DueAction(*row) for row in rows.all()]

    async def reschedule(
        self, case_reference: str, number: int, *, revision: int, next_at: datetime | None
    ) -> bool:
        """Set when the action next needs a look, unless it changed since it was read."""
        result = await self._session.execute(
            update(ActionRow)
            .where(
                ActionRow.case_reference == case_reference,
                ActionRow.number == number,
                ActionRow.revision == revision,
            )
            .values(next_follow_up_at=next_at)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def next_follow_up_at(self, case_reference: str, number: int) -> datetime | None:
        return (
            await self._session.execute(
                select(ActionRow.next_follow_up_at).where(
                    ActionRow.case_reference == case_reference, ActionRow.number == number
                )
            )
        ).scalar_one_or_none()

    async def record_follow_up(
        self,
        case_reference: str,
        number: int,
        follow_up: FollowUp,
        *,
        late: bool,
        now: datetime,
    ) -> bool:
        """Store a follow-up under its key; False if it was stored before (sent already)."""
        statement = (
            insert_for(self._session, FollowUpRow)
            .values(
                case_reference=case_reference,
                action_number=number,
                kind=follow_up.kind.value,
                on_date=follow_up.on,
                send_at=follow_up.send_at,
                late=late,
                created_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=[
                    FollowUpRow.case_reference,
                    FollowUpRow.action_number,
                    FollowUpRow.kind,
                    FollowUpRow.on_date,
                ]
            )
            .returning(FollowUpRow.id)
        )
        return (await self._session.execute(statement)).scalar_one_or_none() is not None

    async def follow_up_keys(self, case_reference: str, number: int) -> set[str]:
        """The keys (``FollowUp.key``) of the follow-ups sent for an action."""
        rows = await self._session.execute(
            select(FollowUpRow.kind, FollowUpRow.on_date).where(
                FollowUpRow.case_reference == case_reference, FollowUpRow.action_number == number
            )
        )
        return {f"{case_reference}/{number}/{kind}/{on.isoformat()}" for kind, on in rows.all()}

    async def follow_ups_sent(self, case_reference: str) -> list[tuple[int, str, date, bool]]:
        """``(action number, kind, day, late)`` of every follow-up sent for a case's actions."""
        rows = await self._session.execute(
            select(
                FollowUpRow.action_number, FollowUpRow.kind, FollowUpRow.on_date, FollowUpRow.late
            )
            .where(FollowUpRow.case_reference == case_reference)
            .order_by(FollowUpRow.send_at, FollowUpRow.id)
        )
        return [(n, kind, on, late) for n, kind, on, late in rows.all()]


def _plan(row: ActionPlanRow) -> PlanRecord:
    return PlanRecord(
        case_reference=row.case_reference,
        owner=PlanOwner(row.owner),
        actions=row.actions,
        signed_off_on=row.signed_off_on,
        signed_off_by=row.signed_off_by,
        closed_at=row.closed_at,
    )
