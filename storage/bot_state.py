"""botbuilder ``Storage`` on our own database, so dialogs survive restarts and scale-out.

``ConversationState`` keeps each conversation's dialog stack (``DialogState`` holding
``DialogInstance`` objects, whose ``state`` dicts hold prompt options, waterfall step values
and so on) in a ``Storage``. botbuilder's ``MemoryStorage`` loses all of it on a restart,
cannot be shared by two workers, and only half-enforces e-tags (teams-platform.md, known
defect 8). This one keeps the items in the ``bot_state`` table with e-tag checks done by the
database itself.

Semantics, matching botbuilder's own stores (``MemoryStorage``, and the Azure Blob and Cosmos
storages in botbuilder-azure):

* ``read`` returns only the keys that exist, each item carrying its current e-tag
  (``item["e_tag"]`` for dicts - what ``BotState`` stores - or ``item.e_tag`` for objects).
* ``write`` with no e-tag or ``"*"`` overwrites unconditionally. With an e-tag, the write only
  succeeds if the stored item still has that e-tag; otherwise it raises
  :class:`StateConflict` and changes nothing. A conditional write whose key has been deleted
  meanwhile fails the same way: the version it was based on no longer exists.
* Every successful write gets a new e-tag, which is also put on the written item so that a
  second save in the same turn is still checked against the right version.
* ``delete`` removes the keys, ignoring ones that do not exist.

Values are serialised with ``jsonpickle``, exactly as botbuilder's Blob and Cosmos storages
do, because the dialog stack is made of plain Python objects (``DialogState``,
``DialogInstance``, ``PromptOptions`` with an ``Activity``) that must come back as the same
classes. Decoding jsonpickle instantiates the classes named in the data, which would be unsafe
for data from an untrusted source. It is acceptable here because only this service writes the
``bot_state`` table, and what users send cannot smuggle a class name in: their text is only
ever a JSON string value, and jsonpickle drops reserved ``py/...`` keys from plain dicts when
encoding, so even a card payload stored verbatim in a dialog's state decodes as plain data.
Anyone who can write to the table directly can run code in the bot, so database write access
must be treated like deploy access.

The stored document is encrypted with the same cipher as the case details
(``storage/details.py``): while a practitioner fills in a notification or an agency lead a
report, the draft answers - a child's initials or name, the narrative - sit in the dialog
state, and are special category data like the case details they become. Rows written in the
clear by versions before this one are still read (a JSON document where a token was expected)
and are encrypted the next time the conversation saves its state, or by ``python -m
bot_app.keys rotate``. That is simpler than a migration, which would need the encryption keys
inside Alembic; and a row that is neither a token nor JSON is refused, not guessed at.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

import jsonpickle
from botbuilder.core import Storage, StoreItem
from jsonpickle.unpickler import Unpickler
from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from safeguarding.errors import ConcurrencyConflict
from storage.db import once_more_on_disconnect
from storage.details import Cipher, DetailsUnreadable
from storage.models import BOT_STATE_KEY_LENGTH, BotStateRow
from storage.upserts import insert_or_update

_HASH_MARK = "#sha256:"

# The two statements of almost every turn, built once on the table: an ORM ``update`` of the
# mapped class is planned again at each call (which objects in the session to synchronise,
# what RETURNING maps to), and a statement built at each call is walked again for its cache
# key. Both showed in a dialog turn's profile.
_TABLE: Table = BotStateRow.__table__  # type: ignore[assignment]
_READ = select(_TABLE.c.key, _TABLE.c.etag, _TABLE.c.data).where(
    _TABLE.c.key.in_(bindparam("keys", expanding=True))
)
_REPLACE = (
    update(_TABLE)
    .where(_TABLE.c.key == bindparam("stored_key"), _TABLE.c.etag == bindparam("expected"))
    .values(etag=bindparam("etag"), data=bindparam("data"), updated_at=bindparam("updated_at"))
    .returning(_TABLE.c.key)
)

# Items read ahead for the turn running in this task (``SqlStorage.reading_ahead``), by key; a
# key absent from the database is there as None.
_AHEAD: ContextVar[dict[str, object | None] | None] = ContextVar("bot_state_ahead", default=None)


class StateConflict(ConcurrencyConflict):
    """Another turn of the same conversation saved its state first.

    A ``ConcurrencyConflict``, so the bot's error handler can tell the user in plain English;
    ``str()`` carries the technical detail for the log.
    """

    def __init__(self, key: str, expected_etag: str) -> None:
        super().__init__(
            "Two messages in this conversation arrived at the same moment and only one could "
            "be kept; please send your last message again."
        )
        self.key = key
        self.expected_etag = expected_etag

    def __str__(self) -> str:
        return (
            f"bot state {self.key!r} was changed or deleted since it was read "
            f"(expected e-tag {self.expected_etag!r}); the write was refused"
        )


class StateUnreadable(RuntimeError):
    """A stored item is neither decryptable with the configured keys nor legacy plaintext."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"bot state {key!r} cannot be decrypted with the configured keys (was a key "
            "removed from DATA_ENCRYPTION_KEYS before 'python -m bot_app.keys rotate' ran?)"
        )


def storage_key(key: str) -> str:
    """The key as stored: unchanged, or - if longer than the column - shortened with a hash.

    Conversation ids in Teams can be long, and botbuilder keys add channel and user ids.
    The readable start is kept for debugging; the SHA-256 of the whole key keeps it unique and
    the same on every worker and after every restart.
    """
    if len(key) <= BOT_STATE_KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    keep = BOT_STATE_KEY_LENGTH - len(_HASH_MARK) - len(digest)
    return f"{key[:keep]}{_HASH_MARK}{digest}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SqlStorage(Storage):
    """botbuilder state in the ``bot_state`` table; see the module docstring for semantics."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        cipher: Cipher,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        # A connection, not an ORM session: the state is two statements on one table, and a
        # session's set-up and tear-down cost as much again.
        self._engine = engine
        self._cipher = cipher
        self._clock = clock

    @asynccontextmanager
    async def reading_ahead(self, keys: Iterable[str]) -> AsyncIterator[None]:
        """Read ``keys`` in one statement for the work inside the block (one turn).

        botbuilder loads the conversation's state and the person's state one after the
        other, each with its own read; a turn that needs both reads them here first. Each
        item read ahead is handed out once, to the first read that asks for it - a later read
        of the same key (after a save, say) goes to the database as usual - and what is left
        is forgotten when the block ends.
        """
        wanted = list(dict.fromkeys(keys))
        items = await self._fetch(wanted)
        token = _AHEAD.set({key: items.get(key) for key in wanted})
        try:
            yield
        finally:
            _AHEAD.reset(token)

    async def read(self, keys: Iterable[str]) -> dict[str, object]:
        wanted = list(keys)
        ahead = _AHEAD.get()
        if ahead and wanted and all(key in ahead for key in wanted):
            served = {key: ahead.pop(key) for key in wanted}
            return {key: item for key, item in served.items() if item is not None}
        return await self._fetch(wanted)

    async def _fetch(self, keys: Iterable[str]) -> dict[str, object]:
        wanted = {storage_key(key): key for key in keys}
        if not wanted:
            return {}

        async def fetch() -> Sequence[Row[tuple[str, str, str]]]:
            async with self._engine.connect() as connection:
                return (await connection.execute(_READ, {"keys": list(wanted)})).all()

        rows = await once_more_on_disconnect(fetch)
        return {
            wanted[row.key]: _decode(self._plaintext(row.key, row.data), row.etag) for row in rows
        }

    async def write(self, changes: Mapping[str, object]) -> None:
        """Write all changes in one transaction: if any e-tag is stale, none is written."""
        if changes is None:
            raise ValueError("SqlStorage.write(): changes are required")
        if not changes:
            return
        now = self._clock()
        written: list[tuple[object, str]] = []
        async with self._engine.begin() as connection:
            for key, item in changes.items():
                expected = _etag_of(item)
                if expected == "":
                    raise ValueError(f"SqlStorage.write(): item {key!r} has an empty e-tag")
                new_etag = uuid.uuid4().hex
                data = self._cipher.encrypt(_encode(item).encode("utf-8"))
                values = {"etag": new_etag, "data": data, "updated_at": now}
                stored_key = storage_key(key)
                if expected is None or expected == "*":
                    upsert = insert_or_update(
                        BotStateRow, ("key", *values), ("key",), update=tuple(values)
                    )
                    await connection.execute(upsert, {"key": stored_key, **values})
                else:
                    matched = (
                        await connection.execute(
                            _REPLACE, {"stored_key": stored_key, "expected": expected, **values}
                        )
                    ).scalar_one_or_none()
                    if matched is None:
                        raise StateConflict(key, expected)
                written.append((item, new_etag))
        for item, new_etag in written:
            _set_etag(item, new_etag)

    async def delete(self, keys: Iterable[str]) -> None:
        stored = [storage_key(key) for key in keys]
        if not stored:
            return
        async with self._engine.begin() as connection:
            await connection.execute(delete(_TABLE).where(_TABLE.c.key.in_(stored)))

    async def rotate_all(self) -> int:
        """Re-encrypt every item with the first key, encrypting any left in the clear by
        earlier versions; returns how many rows were rewritten.

        The e-tag stays: the item is unchanged, so a turn that read it before may still save.
        A turn that saved meanwhile (with the first key already) wins, and its row is skipped.
        """
        rewritten = 0
        async with self._engine.begin() as connection:
            rows = (
                await connection.execute(select(_TABLE.c.key, _TABLE.c.etag, _TABLE.c.data))
            ).all()
            for row in rows:
                try:
                    data = self._cipher.rotate(row.data)
                except (DetailsUnreadable, ValueError):  # from before encryption, or unreadable
                    plaintext = self._plaintext(row.key, row.data)
                    data = self._cipher.encrypt(plaintext.encode("utf-8"))
                changed = await connection.execute(
                    update(_TABLE)
                    .where(_TABLE.c.key == row.key, _TABLE.c.etag == row.etag)
                    .values(data=data)
                )
                rewritten += int(getattr(changed, "rowcount", 0) or 0)
        return rewritten

    def _plaintext(self, key: str, data: str) -> str:
        """The stored JSON: decrypted, or - for a row from before encryption - as it is."""
        try:
            return self._cipher.decrypt(data).decode("utf-8")
        except (DetailsUnreadable, ValueError) as unreadable:  # ValueError: not even ASCII
            try:
                json.loads(data)
            except ValueError:
                raise StateUnreadable(key) from unreadable
            return data


def _etag_of(item: object) -> str | None:
    etag = item.get("e_tag") if isinstance(item, dict) else getattr(item, "e_tag", None)
    return None if etag is None else str(etag)


def _set_etag(item: object, etag: str) -> None:
    if isinstance(item, dict):
        item["e_tag"] = etag
    elif isinstance(item, StoreItem) or hasattr(item, "e_tag"):
        item.e_tag = etag


def _encode(item: object) -> str:
    """jsonpickle the item without its e-tag (the row's ``etag`` column is the truth)."""
    body: object = item
    if isinstance(item, dict):
        body = {k: v for k, v in item.items() if k != "e_tag"}
    elif "e_tag" in getattr(item, "__dict__", {}):
        body = copy.copy(item)
        del body.__dict__["e_tag"]
    return str(jsonpickle.encode(body))


def _decode(data: str, etag: str) -> object:
    """The stored item, restored to its classes, carrying the row's current e-tag."""
    document = json.loads(data)
    if isinstance(document, dict):
        # Same approach as botbuilder's BlobStorage: the e-tag joins the document before
        # restoring, so dicts get item["e_tag"] and objects get item.e_tag.
        document["e_tag"] = etag
    return Unpickler().restore(document)
