"""Repositories: load and store whole aggregates, so services never see a row or a query.

A repository works inside the caller's session and never commits; the unit of work commits
once per user action (style.md, rule 6). Writes are guarded in the database itself - a
version check in the UPDATE, an atomic upsert for reference numbers - because any number of
bot workers may act on the same case at the same instant.

Each event's reason (``why``) is sealed with the data keys (``storage/sealed.py``) and the
trail is sealed with the trail keys (``safeguarding/trail.py``): the seal covers the reason's
plaintext, the row holds its ciphertext. Every append makes a signed checkpoint of the new
head, which the unit of work writes to the log once the append is committed.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from safeguarding.case import Actor, Case, CaseEvent, Stage
from safeguarding.errors import ConcurrencyConflict, NotFound
from safeguarding.reference import CaseReference, validate_prefix
from safeguarding.trail import GENESIS, ChainedEvent, Checkpoint, TrailKeys, chain, checkpoint
from storage.details import Cipher
from storage.models import CaseEventRow, CaseRow, ReferenceCounterRow
from storage.sealed import open_text, reseal_text, seal_text

#: Where checkpoints go: keep this logger's INFO lines, and ship them somewhere the database's
#: owner cannot edit (SECURITY.md).
checkpoint_log = logging.getLogger("cspr.trail.checkpoint")

#: The trail key of a unit of work made without one (storage tests, row-counting tools). It
#: is no secret: ``verify`` with the configured keys reports entries sealed with it.
UNCONFIGURED_TRAIL: Final = TrailKeys(
    (b"cspr: no trail key was given to this unit of work - not a secret",)
)


@dataclass(frozen=True)
class CasePage:
    cases: list[Case]
    next_after: int | None  # where the next page starts; None after the last page


class CaseRepository:
    """Cases and their evidence trail, in the session of one unit of work."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        cipher: Cipher | None = None,
        trail: TrailKeys = UNCONFIGURED_TRAIL,
    ) -> None:
        self._session = session
        self._cipher = cipher
        self._trail = trail
        self._checkpoints: list[Checkpoint] = []

    def take_checkpoints(self) -> list[Checkpoint]:
        """The heads appended since the last call (the unit of work logs them on commit)."""
        taken, self._checkpoints = self._checkpoints, []
        return taken

    async def add(self, case: Case) -> None:
        """Store a new case (from ``Case.open``) and its events; the case is then at version 1."""
        if case.version != 0:
            raise ValueError(f"case {case.reference} is already stored; use save()")
        values = {**_identity_values(case), **_changeable_values(case)}
        try:
            case_id = (
                await self._session.execute(
                    insert(CaseRow).values(version=1, **values).returning(CaseRow.id)
                )
            ).scalar_one()
        except IntegrityError as exc:
            # Only the unique reference can clash. The transaction is unusable afterwards
            # (PostgreSQL aborts it), which is right: the unit of work rolls the action back.
            raise ConcurrencyConflict(
                f"Case {case.reference} already exists, so it was not created again."
            ) from exc
        await self._append_events(case_id, str(case.reference), case.pending_events)
        case.mark_saved(version=1)

    async def save(self, case: Case) -> None:
        """Store a loaded case's changes, if nobody else stored theirs since it was loaded.

        The version check is part of the UPDATE, so it is atomic on both databases: of two
        units of work that loaded the same version, exactly one matches a row. Pending events
        are inserted; existing events are never touched.
        """
        if case.version == 0:
            raise ValueError(f"case {case.reference} has never been stored; use add()")
        pending = case.pending_events
        if not pending:
            return  # every change records an event, so no events means nothing to store
        new_version = case.version + 1
        case_id = (
            await self._session.execute(
                update(CaseRow)
                .where(CaseRow.reference == str(case.reference), CaseRow.version == case.version)
                .values(version=new_version, **_changeable_values(case))
                .returning(CaseRow.id)
                .execution_options(synchronize_session=False)
            )
        ).scalar_one_or_none()
        if case_id is None:
            if await self.find(case.reference) is None:
                raise NotFound(_not_found(case.reference))
            raise ConcurrencyConflict(
                f"Someone else updated case {case.reference} at the same time; please try again."
            )
        await self._append_events(case_id, str(case.reference), pending)
        case.mark_saved(version=new_version)

    async def get(self, reference: CaseReference) -> Case:
        """The case, or ``NotFound`` with a message that can be shown as it is."""
        case = await self.find(reference)
        if case is None:
            raise NotFound(_not_found(reference))
        return case

    async def find(self, reference: CaseReference) -> Case | None:
        return (await self.find_many([reference])).get(str(reference))

    async def find_many(self, references: Iterable[CaseReference]) -> dict[str, Case]:
        """The cases of ``references`` that exist, by reference: two statements for a page of
        cases (the reminder sweep's), not two for each."""
        wanted = list(dict.fromkeys(str(reference) for reference in references))
        if not wanted:
            return {}
        rows = (
            (
                await self._session.execute(
                    select(CaseRow)
                    .where(CaseRow.reference.in_(wanted))
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        events = await self._events_of(row.id for row in rows)
        return {row.reference: _to_case(row, events.get(row.id, [])) for row in rows}

    async def list_open(self, *, limit: int = 50) -> list[Case]:
        """Open cases, most recently opened first (the Hub's working list)."""
        rows = (
            (
                await self._session.execute(
                    select(CaseRow)
                    .where(CaseRow.stage != Stage.CLOSED.value)
                    .order_by(CaseRow.opened_at.desc(), CaseRow.id.desc())
                    .limit(limit)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        events = await self._events_of([row.id for row in rows])
        return [_to_case(row, events.get(row.id, [])) for row in rows]

    async def page(
        self,
        *,
        after: int | None,
        limit: int,
        stages: Collection[Stage] | None = None,
        with_events: str | None = None,
    ) -> CasePage:
        """One page of cases in the order they were stored, for a pass over all of them.

        ``stages`` keeps the cases at those stages (closed ones too, when named);
        ``with_events`` keeps the cases with an event whose kind starts with it. Keyset
        paging on the row id: cases opened or moved while a pass pages through are neither
        skipped nor seen twice, and no page is capped out of the pass.
        """
        query = select(CaseRow).order_by(CaseRow.id).limit(limit)
        if after is not None:
            query = query.where(CaseRow.id > after)
        if stages is not None:
            query = query.where(CaseRow.stage.in_([stage.value for stage in stages]))
        if with_events is not None:
            query = query.where(
                select(CaseEventRow.id)
                .where(
                    CaseEventRow.case_id == CaseRow.id,
                    CaseEventRow.kind.startswith(with_events, autoescape=True),
                )
                .exists()
            )
        rows = (
            (await self._session.execute(query.execution_options(populate_existing=True)))
            .scalars()
            .all()
        )
        events = await self._events_of([row.id for row in rows])
        return CasePage(
            cases=[_to_case(row, events.get(row.id, [])) for row in rows],
            next_after=rows[-1].id if len(rows) == limit else None,
        )

    async def next_reference(self, prefix: str, year: int) -> CaseReference:
        """The next unused reference for ``prefix`` and ``year``, allocated atomically.

        One upsert statement both creates the year's counter and advances it, so two workers
        allocating at the same instant can never get the same number: PostgreSQL serialises
        them on the counter row, SQLite on its single writer. The allocation belongs to the
        caller's transaction, so a rolled-back case creation leaves no gap.
        """
        validate_prefix(prefix)
        CaseReference(prefix=prefix, year=year, number=1)  # validates the year
        dialect = self._session.get_bind().dialect.name
        upsert: Any
        if dialect == "postgresql":
            upsert = postgresql.insert(ReferenceCounterRow)
        elif dialect == "sqlite":
            upsert = sqlite.insert(ReferenceCounterRow)
        else:  # pragma: no cover - only the two supported databases are configured
            raise RuntimeError(f"reference allocation is not implemented for {dialect}")
        statement = (
            upsert.values(prefix=prefix, year=year, last_number=1)
            .on_conflict_do_update(
                index_elements=[ReferenceCounterRow.prefix, ReferenceCounterRow.year],
                set_={"last_number": ReferenceCounterRow.last_number + 1},
            )
            .returning(ReferenceCounterRow.last_number)
        )
        number = (await self._session.execute(statement)).scalar_one()
        return CaseReference(prefix=prefix, year=year, number=number)

    async def _append_events(
        self, case_id: int, reference: str, events: Sequence[CaseEvent]
    ) -> None:
        """Insert events, each sealed onto the one before it (safeguarding/trail.py).

        The previous fingerprint is read in the same transaction that appends; ``save``'s
        version check guarantees no other writer appends to this case meanwhile.
        """
        if not events:
            return
        after = GENESIS
        if events[0].seq > 1:
            after = (
                await self._session.execute(
                    select(CaseEventRow.hash).where(
                        CaseEventRow.case_id == case_id, CaseEventRow.seq == events[0].seq - 1
                    )
                )
            ).scalar_one()
        links = chain(events, reference=reference, keys=self._trail, after=after)
        await self._session.execute(
            insert(CaseEventRow),
            [
                {
                    "case_id": case_id,
                    "seq": link.event.seq,
                    "at": link.event.at,
                    "actor_id": link.event.actor.id,
                    "actor_name": link.event.actor.name,
                    "kind": link.event.kind,
                    "what": link.event.what,
                    "why": seal_text(self._cipher, link.event.why),
                    "data": dict(link.event.data),
                    "why_digest": link.why_digest,
                    "prev_hash": link.prev_hash,
                    "hash": link.hash,
                }
                for link in links
            ],
        )
        head = links[-1]
        self._checkpoints.append(checkpoint(reference, head.event.seq, head.hash, self._trail))

    async def _events_of(self, case_ids: Iterable[int]) -> dict[int, list[CaseEvent]]:
        ids = list(case_ids)
        if not ids:
            return {}
        rows = (
            (
                await self._session.execute(
                    select(CaseEventRow)
                    .where(CaseEventRow.case_id.in_(ids))
                    .order_by(CaseEventRow.case_id, CaseEventRow.seq)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        events: dict[int, list[CaseEvent]] = {}
        for row in rows:
            events.setdefault(row.case_id, []).append(event_from_row(row, self._cipher))
        return events


@dataclass(frozen=True)
class StoredTrail:
    """A case's events as stored (reasons opened), with their chain links, for verification."""

    reference: str
    last_changed_at: datetime
    links: list[ChainedEvent]


class TrailRepository:
    """Reads the hash-chained trail as stored, without rebuilding the case aggregate.

    Verification must see what is in the database, even rows the aggregate would refuse to
    load (a gap in the sequence, say), so it reads rows directly.
    """

    def __init__(
        self,
        session: AsyncSession,
        *,
        cipher: Cipher | None = None,
        trail: TrailKeys = UNCONFIGURED_TRAIL,
    ) -> None:
        self._session = session
        self._cipher = cipher
        self.keys = trail  # what verifies the seals and checkpoints of this database
        self._checkpoints: list[Checkpoint] = []

    def checkpoint(self, stored: StoredTrail) -> Checkpoint | None:
        """A signed checkpoint of the stored head (for an evidence bundle); None if empty."""
        if not stored.links:
            return None
        head = stored.links[-1]
        return checkpoint(stored.reference, head.event.seq, head.hash, self.keys)

    async def trail(self, reference: CaseReference | str) -> StoredTrail | None:
        case = (
            await self._session.execute(
                select(CaseRow.id, CaseRow.updated_at).where(CaseRow.reference == str(reference))
            )
        ).one_or_none()
        if case is None:
            return None
        rows = (
            (
                await self._session.execute(
                    select(CaseEventRow)
                    .where(CaseEventRow.case_id == case.id)
                    .order_by(CaseEventRow.seq)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
        links = [
            ChainedEvent(
                event=event_from_row(row, self._cipher),
                why_digest=row.why_digest,
                prev_hash=row.prev_hash,
                hash=row.hash,
            )
            for row in rows
        ]
        return StoredTrail(reference=str(reference), last_changed_at=case.updated_at, links=links)

    async def replace_seals(self, reference: str, links: Sequence[ChainedEvent]) -> None:
        """Store new seals for existing entries (``python -m bot_app.admin.trail reseal``):
        the only update of an event row outside retention, and only of its chain columns."""
        case_id = select(CaseRow.id).where(CaseRow.reference == reference).scalar_subquery()
        for link in links:
            await self._session.execute(
                update(CaseEventRow)
                .where(CaseEventRow.case_id == case_id, CaseEventRow.seq == link.event.seq)
                .values(why_digest=link.why_digest, prev_hash=link.prev_hash, hash=link.hash)
                .execution_options(synchronize_session=False)
            )
        if links:
            head = links[-1]
            self._checkpoints.append(checkpoint(reference, head.event.seq, head.hash, self.keys))

    def take_checkpoints(self) -> list[Checkpoint]:
        """The heads re-sealed since the last call (the unit of work logs them on commit)."""
        taken, self._checkpoints = self._checkpoints, []
        return taken

    async def rotate_reasons(self, cipher: Cipher) -> int:
        """Seal every reason with the first data key (``python -m bot_app.keys rotate``):
        rotated if sealed, sealed if stored in the clear by an older version."""
        rows = (
            await self._session.execute(
                select(CaseEventRow.id, CaseEventRow.why).where(CaseEventRow.why.is_not(None))
            )
        ).all()
        for row in rows:
            await self._session.execute(
                update(CaseEventRow)
                .where(CaseEventRow.id == row.id, CaseEventRow.why == row.why)
                .values(why=reseal_text(cipher, row.why))
                .execution_options(synchronize_session=False)
            )
        return len(rows)

    async def references(self) -> list[str]:
        """Every stored case reference, in the order the cases were opened."""
        return list(
            (await self._session.execute(select(CaseRow.reference).order_by(CaseRow.id)))
            .scalars()
            .all()
        )


def event_from_row(row: CaseEventRow, cipher: Cipher | None) -> CaseEvent:
    return CaseEvent(
        seq=row.seq,
        at=row.at,
        actor=Actor(id=row.actor_id, name=row.actor_name),
        kind=row.kind,
        what=row.what,
        why=open_text(cipher, row.why),
        data=row.data,
    )


def log_checkpoints(checkpoints: Iterable[Checkpoint]) -> None:
    """Write committed heads to the log: the trail's anchor outside the database."""
    for point in checkpoints:
        checkpoint_log.info("%s", point.line())


def _identity_values(case: Case) -> dict[str, Any]:
    """Columns fixed when the case is opened."""
    return {
        "reference": str(case.reference),
        "prefix": case.reference.prefix,
        "year": case.reference.year,
        "number": case.reference.number,
        "aware_on": case.aware_on,
        "incident_on": case.incident_on,
        "opened_at": case.opened_at,
    }


def _changeable_values(case: Case) -> dict[str, Any]:
    """Columns the domain can change after opening (``version`` is the repository's)."""
    return {
        "stage": case.stage.value,
        "closed_at": case.closed_at,
        "facts": case.facts,
        # The time of the latest change, taken from the evidence trail rather than a clock.
        "updated_at": case.events[-1].at if case.events else case.opened_at,
    }


def _to_case(row: CaseRow, events: list[CaseEvent]) -> Case:
    return Case(
        reference=CaseReference(prefix=row.prefix, year=row.year, number=row.number),
        stage=Stage(row.stage),
        version=row.version,
        aware_on=row.aware_on,
        incident_on=row.incident_on,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        facts=row.facts,
        events=events,
    )


def _not_found(reference: CaseReference) -> str:
    return f"I can't find case {reference}. Check the reference and try again."
