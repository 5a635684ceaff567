"""A case's details - the child's identifiers and the summary - encrypted at rest.

Everything else about a case (reference, stage, dates, facts, the trail) is needed to run the
process and is stored in the clear; the details are needed only by the few people whose role
lets them see a case in full, so they are kept apart, as one encrypted JSON document per case,
and erased on their own when the retention policy anonymises the case.

Encryption is Fernet (AES-128-CBC with HMAC-SHA256) through ``MultiFernet``: the first key
encrypts, every key decrypts, so keys rotate without downtime (``python -m bot_app.keys
rotate`` re-encrypts every row with the first key - and the agency reports and the dialog
state, which use the same cipher; see the README).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import String, Text, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, UTCDateTime


class CaseDetailsRow(Base):
    """One case's details, as a Fernet token of their JSON. Never readable without a key."""

    __tablename__ = "case_details"

    reference: Mapped[str] = mapped_column(String(32), primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DetailsUnreadable(RuntimeError):
    """Stored details cannot be decrypted with the configured keys (an operator's problem)."""


class Cipher(Protocol):
    def encrypt(self, plaintext: bytes) -> str: ...

    def decrypt(self, token: str) -> bytes: ...

    def rotate(self, token: str) -> str: ...


class FernetCipher:
    """``MultiFernet`` over the configured keys: the first encrypts, all decrypt."""

    def __init__(self, keys: Sequence[bytes | str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is needed")
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, plaintext: bytes) -> str:
        return self._fernet.encrypt(plaintext).decode("ascii")

    def decrypt(self, token: str) -> bytes:
        try:
            return self._fernet.decrypt(token.encode("ascii"))
        except InvalidToken as exc:
            raise DetailsUnreadable(
                "stored case details cannot be decrypted with the configured keys; was a key "
                "removed from DATA_ENCRYPTION_KEYS before 'python -m bot_app.keys rotate' ran?"
            ) from exc

    def rotate(self, token: str) -> str:
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken as exc:
            raise DetailsUnreadable("a stored token cannot be decrypted to rotate it") from exc


class CaseDetailsRepository:
    """Put, get and erase a case's details, in the session of one unit of work."""

    def __init__(self, session: AsyncSession, cipher: Cipher) -> None:
        self._session = session
        self._cipher = cipher

    async def put(self, reference: str, details: dict[str, Any], *, at: datetime) -> None:
        """Store (or replace) the details of case ``reference``, as changed at ``at``."""
        plaintext = json.dumps(details, sort_keys=True, ensure_ascii=False).encode("utf-8")
        values = {"ciphertext": self._cipher.encrypt(plaintext), "updated_at": at}
        changed = await self._session.execute(
            update(CaseDetailsRow)
            .where(CaseDetailsRow.reference == str(reference))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(changed, "rowcount", 0) == 0:
            await self._session.execute(
                insert(CaseDetailsRow).values(reference=str(reference), **values)
            )

    async def get(self, reference: str) -> dict[str, Any] | None:
        token = (
            await self._session.execute(
                select(CaseDetailsRow.ciphertext).where(CaseDetailsRow.reference == str(reference))
            )
        ).scalar_one_or_none()
        if token is None:
            return None
        details: dict[str, Any] = json.loads(self._cipher.decrypt(token))
        return details

    async def erase(self, reference: str) -> None:
        await self._session.execute(
            delete(CaseDetailsRow).where(CaseDetailsRow.reference == str(reference))
        )

    async def rotate_all(self) -> int:
        """Re-encrypt every row with the first key; returns how many rows were rewritten."""
        rows = (
            await self._session.execute(select(CaseDetailsRow.reference, CaseDetailsRow.ciphertext))
        ).all()
        for row in rows:
            # Only if unchanged since read: details put meanwhile are under the first key already.
            await self._session.execute(
                update(CaseDetailsRow)
                .where(
                    CaseDetailsRow.reference == row.reference,
                    CaseDetailsRow.ciphertext == row.ciphertext,
                )
                .values(ciphertext=self._cipher.rotate(row.ciphertext))
                .execution_options(synchronize_session=False)
            )
        return len(rows)
