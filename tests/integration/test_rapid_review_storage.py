"""Agency reports encrypted at rest, and ballots that survive members voting at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from safeguarding.case import Actor
from safeguarding.rapid_review import make_ballot
from storage.details import FernetCipher
from storage.rapid_review import RapidReviewRepository
from storage.uow import UnitOfWork

Sessions = async_sessionmaker[AsyncSession]
AT = datetime(2026, 11, 26, 10, tzinfo=UTC)
CIPHER = FernetCipher([Fernet.generate_key()])
LEAD = Actor(id="amira", name="Amira Khan")
NARRATIVE = "The class teacher noted bruising on 12 November."


async def put_report(sessions: Sessions, version: int, facts: str, token: str) -> None:
    async with UnitOfWork(sessions) as uow:
        await RapidReviewRepository(uow.session, CIPHER).put_report(
            "NL-2026-0001",
            agency="Riverside Primary School",
            content={"facts": facts},
            nil_return=False,
            late=version > 1,
            version=version,
            token=token,
            by=LEAD,
            at=AT,
        )
        await uow.commit()


async def test_a_report_is_encrypted_and_a_new_version_replaces_it(
    session_factory: Sessions, engine: AsyncEngine
) -> None:
    await put_report(session_factory, 1, "First draft.", "t1")
    await put_report(session_factory, 2, NARRATIVE, "t2")

    async with UnitOfWork(session_factory) as uow:
        repository = RapidReviewRepository(uow.session, CIPHER)
        reports = await repository.reports("NL-2026-0001")
        token = await repository.report_token("NL-2026-0001", " riverside primary SCHOOL")
    assert [(r.version, r.late, r.content["facts"]) for r in reports] == [(2, True, NARRATIVE)]
    assert token == "t2", "agencies match whatever their case or spacing"
    async with engine.connect() as connection:
        stored = (await connection.execute(text("SELECT ciphertext FROM agency_reports"))).all()
    assert "bruising" not in str(stored)


async def test_three_members_voting_at_once_each_keep_their_vote(
    session_factory: Sessions,
) -> None:
    async def vote(seat: str, choice: str) -> None:
        ballot = make_ballot(
            seat=seat,
            voter=Actor(id=seat, name=seat.title()),
            choice=choice,
            criteria=["improvements"],
            rationale=f"{seat} thinks so.",
        )
        async with UnitOfWork(session_factory) as uow:
            await RapidReviewRepository(uow.session, CIPHER).put_ballot(
                "NL-2026-0001", 1, ballot, teams_user_id=f"29:{seat}", at=AT
            )
            await uow.commit()

    await asyncio.gather(
        vote("sam", "local_cspr"), vote("fiona", "local_cspr"), vote("mark", "no_review")
    )
    await vote("mark", "learning_review")  # a changed vote replaces the seat's row

    async with UnitOfWork(session_factory) as uow:
        repository = RapidReviewRepository(uow.session, CIPHER)
        ballots = await repository.ballots("NL-2026-0001", 1)
        ids = await repository.teams_ids("NL-2026-0001", ["sam", "fiona", "nobody"])
    assert sorted((b.seat, b.choice.value) for b in ballots) == [
        ("fiona", "local_cspr"),
        ("mark", "learning_review"),
        ("sam", "local_cspr"),
    ]
    assert ids == ["29:fiona", "29:sam"]
