"""Encryption and signing keys: where they come from, and rotating them.

``DATA_ENCRYPTION_KEYS`` holds comma-separated Fernet keys: the first encrypts, every one
decrypts. To rotate (README, "Security"):

1. ``python -m bot_app.keys generate`` prints a new key;
2. put it first: ``DATA_ENCRYPTION_KEYS=<new>,<old>`` and restart every worker;
3. ``python -m bot_app.keys rotate`` re-encrypts, with the new key, everything encrypted at
   rest: the cases' details, the agency reports, the trail's reasons, the ballots'
   rationales, the queued messages (outbox) and the dialog state (drafts in progress) - and
   encrypts any of these left in the clear by versions before they were encrypted;
4. remove the old key and restart.

``TRAIL_KEYS`` holds the evidence trail's HMAC keys (comma-separated, each at least 32 bytes;
``generate`` makes a good one): the first seals new entries and checkpoints, every one
verifies. Keep it apart from the database and its backups. To rotate it, put the new key
first and keep the old ones: old entries go on verifying with them. To retire an old key,
``python -m bot_app.admin.trail reseal --all`` re-seals every intact trail with the first key
(it refuses a trail that does not verify); then remove it.

Local mode (no app id) with no keys configured generates one key on first start and keeps it
in ``var/``, with a loud warning: good enough for a laptop, never for real data. The signing
key for evidence download links is ``EXPORT_SIGNING_KEY``, or else derived from the first
data key, and the trail keys are ``TRAIL_KEYS`` or (local mode only) derived from the data
keys, so a laptop has one secret to manage rather than three.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot_app.security import ConfigurationError
from bot_app.settings import Settings
from safeguarding.trail import TrailKeyError, TrailKeys
from storage.bot_state import SqlStorage
from storage.db import create_engine, session_factory
from storage.details import FernetCipher
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

LOCAL_KEY_DIR: Final = Path("var")
LOCAL_KEY_FILE: Final = "data-encryption.key"


def data_keys(settings: Settings, *, local_dir: Path = LOCAL_KEY_DIR) -> list[bytes]:
    """The configured Fernet keys, first one encrypting; or the local key (local mode only)."""
    configured = settings.data_encryption_keys.get_secret_value()
    if configured.strip():
        keys = [k.strip().encode("ascii") for k in configured.split(",") if k.strip()]
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key)
            except ValueError as exc:
                raise ConfigurationError(
                    f"DATA_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe "
                    "base64 bytes). Generate one with: python -m bot_app.keys generate"
                ) from exc
        return keys
    if settings.auth_enabled:
        raise ConfigurationError("DATA_ENCRYPTION_KEYS must be set when MICROSOFT_APP_ID is set.")
    return [_local_key(local_dir)]


def _local_key(folder: Path) -> bytes:
    path = folder / LOCAL_KEY_FILE
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: of two processes starting at once, exactly one creates the key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes().strip()
    else:
        key = Fernet.generate_key()
        with os.fdopen(descriptor, "wb") as file:
            file.write(key + b"\n")
    log.warning(
        "DATA_ENCRYPTION_KEYS is not set: case details are encrypted with a key generated for "
        "this machine and kept in %s. Anyone who can read that file can read the details. "
        "This is for local use only - set DATA_ENCRYPTION_KEYS before holding real data.",
        path,
    )
    return key


def cipher(keys: Sequence[bytes]) -> FernetCipher:
    return FernetCipher(keys)


def export_signing_key(settings: Settings, keys: Sequence[bytes]) -> bytes:
    """``EXPORT_SIGNING_KEY``, or a key derived (HKDF-SHA256) from the first data key."""
    explicit = settings.export_signing_key.get_secret_value()
    if explicit:
        return explicit.encode("utf-8")
    return _derive(keys[0], b"cspr evidence export links")


def trail_keys(settings: Settings, keys: Sequence[bytes]) -> TrailKeys:
    """``TRAIL_KEYS``, or (local mode only) keys derived from the data keys, first one sealing.

    Derived keys follow the data keys' order, so rotating a laptop's data key keeps its old
    trail verifiable for as long as the old data key is listed.
    """
    configured = settings.trail_keys.get_secret_value()
    if configured.strip():
        try:
            return TrailKeys(
                tuple(k.strip().encode("utf-8") for k in configured.split(",") if k.strip())
            )
        except TrailKeyError as error:
            raise ConfigurationError(
                f"TRAIL_KEYS: {error}. Generate one with: python -m bot_app.keys generate"
            ) from error
    if settings.auth_enabled:
        raise ConfigurationError("TRAIL_KEYS must be set when MICROSOFT_APP_ID is set.")
    return TrailKeys(tuple(_derive(key, b"cspr evidence trail") for key in keys))


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


@dataclass(frozen=True)
class Rotated:
    """How many rows of each encrypted table ``rotate`` rewrote."""

    case_details: int
    agency_reports: int
    reasons: int
    rationales: int
    messages: int
    dialog_states: int

    def describe(self) -> str:
        return (
            f"Re-encrypted with the first key: the details of {_count(self.case_details, 'case')}"
            f", {_count(self.agency_reports, 'agency report')} and "
            f"{_count(self.dialog_states, 'dialog state')}; and "
            f"{_count(self.reasons, 'reason')} in the trail, "
            f"{_count(self.rationales, 'vote rationale')} and "
            f"{_count(self.messages, 'queued message')}."
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


async def rotate(settings: Settings) -> Rotated:
    """Re-encrypt every encrypted column with the first key.

    The details, reports, reasons, rationales and queued messages in one transaction; the
    dialog state in another, as the storage the bot's turns use (it may be rewritten by them
    at the same time). Running it again is harmless.
    """
    engine = create_engine(settings.database_url)
    fernet = cipher(data_keys(settings))
    sessions = session_factory(engine)
    try:
        async with UnitOfWork(sessions, cipher=fernet) as uow:
            rotated = Rotated(
                case_details=await uow.details.rotate_all(),
                agency_reports=await uow.rapid_review.rotate_reports(),
                reasons=await uow.trail.rotate_reasons(fernet),
                rationales=await uow.rapid_review.rotate_rationales(),
                messages=await uow.outbox.rotate_activities(),
                dialog_states=0,
            )
            await uow.commit()
        states = await SqlStorage(engine, cipher=fernet).rotate_all()
    finally:
        await engine.dispose()
    return dataclasses.replace(rotated, dialog_states=states)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot_app.keys", description="Manage the encryption keys."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="print a new key (a Fernet key; also good for TRAIL_KEYS)")
    commands.add_parser(
        "rotate",
        help="re-encrypt the details, agency reports, reasons, rationales, queued messages and "
        "dialog state with the first DATA_ENCRYPTION_KEYS key",
    )
    arguments = parser.parse_args(argv)
    if arguments.command == "generate":
        print(Fernet.generate_key().decode("ascii"))
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    try:
        rotated = asyncio.run(rotate(Settings()))
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        return 2
    print(rotated.describe())
    return 0


if __name__ == "__main__":
    sys.exit(main())
