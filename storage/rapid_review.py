"""Agency reports (encrypted) and the CSPR Group's ballots, for the rapid review.

Reports are narrative about a child - what each agency knew and did - so, like the case
details (``storage/details.py``), their text is one encrypted JSON document per case and
agency; only the facts needed to run the process (who submitted, when, late, nil return) are
in the clear, and the case's events record only those.

A ballot's rationale is free text that may name a child, so it is sealed with the same keys
(``storage/sealed.py``); the choice and the criteria stay in the clear, to be counted.
Ballots are rows keyed by case, round and seat, written with one atomic upsert: three members
voting at the same instant each write their own row, so no vote is lost on either database,
and a member changing their vote (or their deputy voting in the seat) replaces the row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Integer,
    String,
    Text,
    UniqueConstraint,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from safeguarding.case import Actor
from safeguarding.rapid_review import Ballot, Criterion, VoteChoice
from storage.channels import agency_key
from storage.conversations import ConversationRefRow
from storage.details import Cipher
from storage.models import Base, UTCDateTime
from storage.outbox import insert_for
from storage.sealed import open_text, reseal_text, seal_text


class AgencyReportRow(Base):
    """An agency's latest report on a case; ``ciphertext`` holds the narrative."""

    __tablename__ = "agency_reports"
    __table_args__ = (UniqueConstraint("reference", "agency_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), index=True)
    agency: Mapped[str] = mapped_column(String(128))
    agency_key: Mapped[str] = mapped_column(String(128))
    ciphertext: Mapped[str] = mapped_column(Text)
    nil_return: Mapped[bool] = mapped_column(Boolean)
    late: Mapped[bool] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(64))  # the dialog that sent this version
    submitted_by: Mapped[str] = mapped_column(String(128))
    submitted_by_name: Mapped[str] = mapped_column(String(256))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VoteRow(Base):
    """One seat's ballot in one round of a case's CSPR Group vote."""

    __tablename__ = "rapid_review_votes"
    __table_args__ = (UniqueConstraint("reference", "round", "seat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), index=True)
    round: Mapped[int] = mapped_column(Integer)
    seat: Mapped[str] = mapped_column(String(128))
    voter_id: Mapped[str] = mapped_column(String(128))
    voter_name: Mapped[str] = mapped_column(String(256))
    teams_user_id: Mapped[str] = mapped_column(String(256))  # "29:...", for refresh.userIds
    choice: Mapped[str] = mapped_column(String(32))
    criteria: Mapped[list[str]] = mapped_column(JSON)
    rationale: Mapped[str] = mapped_column(Text)  # sealed; "" when none, or erased
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime)


@dataclass(frozen=True)
class AgencyReport:
    agency: str
    nil_return: bool
    late: bool
    version: int
    token: str
    submitted_by_name: str
    submitted_at: datetime
    content: dict[str, str]


@dataclass(frozen=True)
class SentReport:
    """What a receipt says of an agency's latest report (never its content)."""

    agency: str
    nil_return: bool
    late: bool
    version: int
    token: str
    submitted_by_name: str
    submitted_at: datetime


class RapidReviewRepository:
    """Reports and ballots, in the session of one unit of work; it never commits."""

    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    # -- agency reports ------------------------------------------------------------------

    async def put_report(
        self,
        reference: str,
        *,
        agency: str,
        content: dict[str, str],
        nil_return: bool,
        late: bool,
        version: int,
        token: str,
        by: Actor,
        at: datetime,
    ) -> None:
        """Store the agency's report, replacing an earlier version."""
        plaintext = json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
        values: dict[str, Any] = {
            "agency": agency,
            "ciphertext": self._cipher.encrypt(plaintext),
            "nil_return": nil_return,
            "late": late,
            "version": version,
            "token": token,
            "submitted_by": by.id,
            "submitted_by_name": by.name,
            "submitted_at": at,
        }
        statement = (
            insert_for(self._session, AgencyReportRow)
            .values(reference=reference, agency_key=agency_key(agency), **values)
            .on_conflict_do_update(
                index_elements=[AgencyReportRow.reference, AgencyReportRow.agency_key],
                set_=values,
            )
        )
        await self._session.execute(statement)

    async def report_token(self, reference: str, agency: str) -> str | None:
        """The dialog token of the latest version, to recognise a second press of Send."""
        return (
            await self._session.execute(
                select(AgencyReportRow.token).where(
                    AgencyReportRow.reference == reference,
                    AgencyReportRow.agency_key == agency_key(agency),
                )
            )
        ).scalar_one_or_none()

    async def sent_report(self, reference: str, agency: str) -> SentReport | None:
        """The agency's latest report as a receipt shows it: no content, nothing decrypted."""
        row = (
            await self._session.execute(
                select(AgencyReportRow).where(
                    AgencyReportRow.reference == reference,
                    AgencyReportRow.agency_key == agency_key(agency),
                )
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        return SentReport(
            agency=row.agency,
            nil_return=row.nil_return,
            late=row.late,
            version=row.version,
            token=row.token,
            submitted_by_name=row.submitted_by_name,
            submitted_at=row.submitted_at,
        )

    async def reports(self, reference: str) -> list[AgencyReport]:
        """Every agency's latest report on the case, decrypted (callers log the access)."""
        rows = (
            (
                await self._session.execute(
                    select(AgencyReportRow)
                    .where(AgencyReportRow.reference == reference)
                    .order_by(AgencyReportRow.agency_key)
                )
            )
            .scalars()
            .all()
        )
        return [
            AgencyReport(
                agency=row.agency,
                nil_return=row.nil_return,
                late=row.late,
                version=row.version,
                token=row.token,
                submitted_by_name=row.submitted_by_name,
                submitted_at=row.submitted_at,
                content=json.loads(self._cipher.decrypt(row.ciphertext)),
            )
            for row in rows
        ]

    async def erase_reports(self, reference: str) -> None:
        """For the retention policy: the narrative goes, the trail's facts stay."""
        await self._session.execute(
            delete(AgencyReportRow).where(AgencyReportRow.reference == reference)
        )

    async def rotate_reports(self) -> int:
        """Re-encrypt every report with the first key (``python -m bot_app.keys rotate``);
        returns how many were read. A report re-sent meanwhile is under that key already."""
        rows = (
            await self._session.execute(select(AgencyReportRow.id, AgencyReportRow.ciphertext))
        ).all()
        for row in rows:
            await self._session.execute(
                update(AgencyReportRow)
                .where(AgencyReportRow.id == row.id, AgencyReportRow.ciphertext == row.ciphertext)
                .values(ciphertext=self._cipher.rotate(row.ciphertext))
                .execution_options(synchronize_session=False)
            )
        return len(rows)

    async def rotate_rationales(self) -> int:
        """Seal every ballot's rationale with the first key: rotated if sealed, sealed if
        stored in the clear by an older version. Returns how many were read."""
        rows = (
            await self._session.execute(
                select(VoteRow.id, VoteRow.rationale).where(VoteRow.rationale != "")
            )
        ).all()
        for row in rows:
            await self._session.execute(
                update(VoteRow)
                .where(VoteRow.id == row.id, VoteRow.rationale == row.rationale)
                .values(rationale=reseal_text(self._cipher, row.rationale))
                .execution_options(synchronize_session=False)
            )
        return len(rows)

    # -- ballots -------------------------------------------------------------------------

    async def put_ballot(
        self, reference: str, round_number: int, ballot: Ballot, *, teams_user_id: str, at: datetime
    ) -> None:
        """Insert or replace the seat's ballot: one atomic statement on either database."""
        values: dict[str, Any] = {
            "voter_id": ballot.voter_id,
            "voter_name": ballot.voter_name,
            "teams_user_id": teams_user_id,
            "choice": ballot.choice.value,
            "criteria": [c.value for c in ballot.criteria],
            "rationale": seal_text(self._cipher, ballot.rationale),
            "cast_at": at,
        }
        statement = (
            insert_for(self._session, VoteRow)
            .values(reference=reference, round=round_number, seat=ballot.seat, **values)
            .on_conflict_do_update(
                index_elements=[VoteRow.reference, VoteRow.round, VoteRow.seat], set_=values
            )
        )
        await self._session.execute(statement)

    async def ballots(self, reference: str, round_number: int) -> list[Ballot]:
        rows = await self._vote_rows(reference, round_number)
        return [
            Ballot(
                seat=row.seat,
                voter_id=row.voter_id,
                voter_name=row.voter_name,
                choice=VoteChoice(row.choice),
                criteria=tuple(Criterion(c) for c in row.criteria),
                rationale=open_text(self._cipher, row.rationale) or "",
                cast_at=row.cast_at,
            )
            for row in rows
        ]

    async def teams_ids(self, reference: str, object_ids: list[str]) -> list[str]:
        """The Teams user ids (``29:``) of these people, as far as the bot has seen them:
        from their personal chats with it, and from any vote they cast on this case."""
        found: dict[str, str] = {}
        keys = [f"personal:{object_id}" for object_id in object_ids]
        rows = (
            await self._session.execute(
                select(ConversationRefRow.object_id, ConversationRefRow.user_id).where(
                    ConversationRefRow.key.in_(keys)
                )
            )
        ).all()
        for object_id, user_id in rows:
            if object_id and user_id and user_id.startswith("29:"):
                found[object_id] = user_id
        votes = (
            await self._session.execute(
                select(VoteRow.voter_id, VoteRow.teams_user_id)
                .where(VoteRow.reference == reference, VoteRow.voter_id.in_(object_ids))
                .order_by(VoteRow.cast_at)
            )
        ).all()
        for voter_id, user_id in votes:
            if user_id.startswith("29:"):
                found[voter_id] = user_id
        return sorted(set(found.values()))

    async def _vote_rows(self, reference: str, round_number: int) -> list[VoteRow]:
        return list(
            (
                await self._session.execute(
                    select(VoteRow)
                    .where(VoteRow.reference == reference, VoteRow.round == round_number)
                    .order_by(VoteRow.cast_at, VoteRow.seat)
                    .execution_options(populate_existing=True)
                )
            )
            .scalars()
            .all()
        )
