"""Case details encrypted at rest, key rotation (of everything encrypted), and the log of who
viewed them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot_app.keys import data_keys, rotate
from bot_app.settings import Settings
from safeguarding.case import Actor
from storage.access_log import AccessLogRepository
from storage.bot_state import SqlStorage, StateUnreadable
from storage.details import CaseDetailsRepository, DetailsUnreadable, FernetCipher
from storage.rapid_review import RapidReviewRepository
from storage.uow import UnitOfWork
from tests.integration.commands import run_module, run_process

Sessions = async_sessionmaker[AsyncSession]

CHILD = {"name": "Zebedee Quill", "date_of_birth": "2019-04-01", "summary": "Found at home."}
OLD, NEW = Fernet.generate_key(), Fernet.generate_key()


async def put(sessions: Sessions, cipher: FernetCipher, reference: str, details: dict) -> None:
    async with UnitOfWork(sessions) as uow:
        await CaseDetailsRepository(uow.session, cipher).put(
            reference, details, at=datetime(2026, 3, 2, tzinfo=UTC)
        )
        await uow.commit()


async def get(sessions: Sessions, cipher: FernetCipher, reference: str) -> dict | None:
    async with UnitOfWork(sessions) as uow:
        return await CaseDetailsRepository(uow.session, cipher).get(reference)


async def stored_bytes(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        rows = (await connection.execute(text("SELECT ciphertext FROM case_details"))).all()
    return " ".join(row[0] for row in rows)


async def test_details_come_back_as_stored_but_are_unreadable_in_the_database(
    session_factory: Sessions, engine: AsyncEngine
) -> None:
    cipher = FernetCipher([OLD])
    await put(session_factory, cipher, "NL-2026-0001", CHILD)

    assert await get(session_factory, cipher, "NL-2026-0001") == CHILD
    at_rest = await stored_bytes(engine)
    assert "Zebedee" not in at_rest
    assert "2019-04-01" not in at_rest
    assert await get(session_factory, cipher, "NL-2026-0002") is None


async def test_putting_details_again_replaces_them_and_erasing_removes_them(
    session_factory: Sessions,
) -> None:
    cipher = FernetCipher([OLD])
    await put(session_factory, cipher, "NL-2026-0001", CHILD)
    await put(session_factory, cipher, "NL-2026-0001", {"name": "Corrected"})

    assert await get(session_factory, cipher, "NL-2026-0001") == {"name": "Corrected"}
    async with UnitOfWork(session_factory) as uow:
        await CaseDetailsRepository(uow.session, cipher).erase("NL-2026-0001")
        await uow.commit()
    assert await get(session_factory, cipher, "NL-2026-0001") is None


async def put_report(sessions: Sessions, cipher: FernetCipher, facts: str) -> None:
    async with UnitOfWork(sessions) as uow:
        await RapidReviewRepository(uow.session, cipher).put_report(
            "NL-2026-0001",
            agency="Riverside Primary School",
            content={"facts": facts},
            nil_return=False,
            late=False,
            version=1,
            token="t1",
            by=Actor(id="amira", name="Amira Khan"),
            at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
        )
        await uow.commit()


async def report_facts(sessions: Sessions, cipher: FernetCipher) -> list[str]:
    async with UnitOfWork(sessions) as uow:
        reports = await RapidReviewRepository(uow.session, cipher).reports("NL-2026-0001")
    return [report.content["facts"] for report in reports]


async def test_rotation_re_encrypts_everything_with_the_new_key_so_the_old_one_can_go(
    engine: AsyncEngine, session_factory: Sessions, migrated_url: str
) -> None:
    await put(session_factory, FernetCipher([OLD]), "NL-2026-0001", CHILD)
    await put_report(session_factory, FernetCipher([OLD]), "Bruising seen on 12 November.")
    draft = {"summary": "Zebedee was found at home.", "step": "identifiers"}
    await SqlStorage(engine, cipher=FernetCipher([OLD])).write({"draft": dict(draft)})
    both = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=migrated_url,
        data_encryption_keys=f"{NEW.decode()},{OLD.decode()}",
    )

    rotated = await rotate(both)

    assert (rotated.case_details, rotated.agency_reports, rotated.dialog_states) == (1, 1, 1)
    only_new = FernetCipher([NEW])
    assert await get(session_factory, only_new, "NL-2026-0001") == CHILD
    assert await report_facts(session_factory, only_new) == ["Bruising seen on 12 November."]
    (state,) = (await SqlStorage(engine, cipher=only_new).read(["draft"])).values()
    assert isinstance(state, dict)
    assert {k: v for k, v in state.items() if k != "e_tag"} == draft
    only_old = FernetCipher([OLD])
    with pytest.raises(DetailsUnreadable, match="was a key removed"):
        await get(session_factory, only_old, "NL-2026-0001")
    with pytest.raises(DetailsUnreadable):
        await report_facts(session_factory, only_old)
    with pytest.raises(StateUnreadable):
        await SqlStorage(engine, cipher=only_old).read(["draft"])


@pytest.mark.sqlite_only  # the command line is the same program on either database
async def test_the_rotate_command_says_what_it_re_encrypted(
    session_factory: Sessions, migrated_url: str
) -> None:
    await put(session_factory, FernetCipher([OLD]), "NL-2026-0001", CHILD)
    await put_report(session_factory, FernetCipher([OLD]), "Bruising seen on 12 November.")

    done = await run_module(
        "bot_app.keys",
        "rotate",
        database_url=migrated_url,
        DATA_ENCRYPTION_KEYS=f"{NEW.decode()},{OLD.decode()}",
    )

    assert done.returncode == 0, done.stderr
    assert "the details of 1 case, 1 agency report and 0 dialog states" in done.stdout
    assert await get(session_factory, FernetCipher([NEW]), "NL-2026-0001") == CHILD


def test_without_configured_keys_local_mode_makes_one_key_and_keeps_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    local = Settings(_env_file=None)  # type: ignore[call-arg]

    first = data_keys(local, local_dir=tmp_path)
    again = data_keys(local, local_dir=tmp_path)

    assert first == again
    assert (tmp_path / "data-encryption.key").stat().st_mode & 0o077 == 0
    assert "for local use only" in caplog.text


async def test_the_access_log_lists_who_looked_at_a_case_in_order(
    session_factory: Sessions,
) -> None:
    at = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    async with UnitOfWork(session_factory) as uow:
        log = AccessLogRepository(uow.session)
        await log.record("NL-2026-0001", "hub-1", "viewed the details", at + timedelta(minutes=5))
        await log.record("NL-2026-0001", "csprg-2", "viewed the details", at)
        await log.record("NL-2026-0002", "hub-1", "viewed the details", at)
        await uow.commit()

    async with UnitOfWork(session_factory) as uow:
        case_one = await AccessLogRepository(uow.session).for_case("NL-2026-0001")
        by_hub = await AccessLogRepository(uow.session).by_person("hub-1")

    assert [(e.person_id, e.at) for e in case_one] == [
        ("csprg-2", at),
        ("hub-1", at + timedelta(minutes=5)),
    ]
    assert {e.person_name for e in case_one} == {"unknown"}, "not in the directory"
    assert len(by_hub) == 2


async def test_the_keys_command_generates_a_usable_key() -> None:
    generated = await run_process("bot_app.keys", "generate")  # the real entry point

    key = generated.stdout.strip().encode()
    assert FernetCipher([key]).decrypt(FernetCipher([key]).encrypt(b"x")) == b"x"
