"""The evidence trail's tamper evidence: a keyed chain over each case's events.

Every event is sealed with an HMAC-SHA256 over a canonical JSON of its contents - the case
reference and the entry's number included - *and the seal of the event before it*, so
changing, removing or inserting any entry breaks every link after it, and an entry cannot be
moved to another case or another position. The key (``TRAIL_KEYS``) is kept outside the
database: whoever can write to the database but does not hold the key cannot recompute the
seals after editing an entry, so re-chaining an edited trail is reported like any other edit.

What no link inside the database can show is that its *end* was cut off, or that the whole
trail was rewritten by someone holding the key. For that, every append also writes a signed
**checkpoint** (reference, entry number, head seal) to the log, and every evidence bundle
carries one: :func:`verify_chain` compares the stored trail with any checkpoints it is given.

The narrative (``why``: reasons and rationales) enters the seal through its own keyed digest
rather than as text. That lets the retention policy erase the narrative of a closed case while
keeping the digest, so the anonymised trail still verifies - and erasing a reason *without* a
recorded retention event is still reported as tampering. The digest is keyed too, so a short
reason cannot be confirmed by guessing it and hashing the guess.

Keys rotate: the first of ``TRAIL_KEYS`` seals new entries, every one verifies. Entries sealed
before the trail was keyed (format 1, a plain SHA-256) are reported until they are re-sealed
(``python -m bot_app.admin.trail reseal``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from safeguarding.case import CaseEvent

#: The ``prev`` of a case's first event: nothing came before it.
GENESIS: Final = "0" * 64
#: The canonical form of a keyed entry (with the case reference inside).
FORMAT_VERSION: Final = 2
#: The unkeyed canonical form of the first versions: verified only to explain what it is.
LEGACY_FORMAT: Final = 1
#: The event kind the retention policy records when it erases a closed case's narrative.
ANONYMISED: Final = "retention.anonymised"
#: A trail key shorter than this is refused (the size of the HMAC-SHA256 output).
MIN_KEY_BYTES: Final = 32

_CHECKPOINT_PREFIX: Final = "trail-checkpoint"
_CHECKPOINT = re.compile(
    _CHECKPOINT_PREFIX + r" (?P<reference>[A-Z0-9]{2,8}-\d{4}-\d{4,}) seq=(?P<seq>\d+) "
    r"head=(?P<head>[0-9a-f]{64}) sig=(?P<sig>[0-9a-f]{64})"
)


class TrailKeyError(ValueError):
    """A trail key that is missing or too short to be a secret."""


@dataclass(frozen=True)
class TrailKeys:
    """The trail's HMAC keys: the first seals new entries and checkpoints, every one verifies."""

    keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise TrailKeyError("at least one trail key is needed")
        for position, key in enumerate(self.keys, start=1):
            if len(key) < MIN_KEY_BYTES:
                raise TrailKeyError(
                    f"trail key {position} is {len(key)} bytes long; at least {MIN_KEY_BYTES} "
                    "are needed"
                )

    @property
    def sealing(self) -> bytes:
        return self.keys[0]


def _mac(key: bytes, message: bytes) -> str:
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def text_digest(text: str | None, key: bytes) -> str | None:
    """The keyed digest of a piece of narrative (UTF-8), or None when there is none."""
    return None if text is None else _mac(key, b"why\x00" + text.encode("utf-8"))


def legacy_text_digest(text: str | None) -> str | None:
    """The unkeyed SHA-256 digest of format 1."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_at(moment: datetime) -> str:
    """An instant as fixed-width ISO 8601 UTC with microseconds: one spelling per instant."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(
    event: CaseEvent,
    *,
    reference: str | None,
    prev_hash: str,
    why_digest: str | None,
) -> bytes:
    """The exact bytes an event's seal is computed over.

    Keys sorted, no whitespace, UTF-8 as is (no ``\\u`` escapes), no NaN: the same event
    always gives the same bytes, whichever database or Python version stored it. With
    ``reference=None`` this is format 1, which had no reference and no key.
    """
    document: dict[str, Any] = {
        "v": LEGACY_FORMAT if reference is None else FORMAT_VERSION,
        "seq": event.seq,
        "at": canonical_at(event.at),
        "actor": {"id": event.actor.id, "name": event.actor.name},
        "kind": event.kind,
        "what": event.what,
        "why": why_digest,
        "data": dict(event.data),
        "prev": prev_hash,
    }
    if reference is not None:
        document["ref"] = reference
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def seal(
    event: CaseEvent, *, reference: str, key: bytes, prev_hash: str, why_digest: str | None
) -> str:
    """The keyed seal of ``event`` of case ``reference`` following ``prev_hash``."""
    canonical = canonical_event(
        event, reference=reference, prev_hash=prev_hash, why_digest=why_digest
    )
    return _mac(key, canonical)


def legacy_fingerprint(event: CaseEvent, *, prev_hash: str, why_digest: str | None) -> str:
    """Format 1: the unkeyed SHA-256 anyone could recompute (kept to recognise old entries)."""
    return hashlib.sha256(
        canonical_event(event, reference=None, prev_hash=prev_hash, why_digest=why_digest)
    ).hexdigest()


@dataclass(frozen=True)
class ChainedEvent:
    """An event as stored: its contents, its narrative digest and its two chain links."""

    event: CaseEvent
    why_digest: str | None
    prev_hash: str
    hash: str


def chain(
    events: Sequence[CaseEvent], *, reference: str, keys: TrailKeys, after: str = GENESIS
) -> list[ChainedEvent]:
    """Seal ``events`` (in order) onto the trail of ``reference`` whose last seal is ``after``."""
    linked: list[ChainedEvent] = []
    prev = after
    for event in events:
        digest = text_digest(event.why, keys.sealing)
        current = seal(
            event, reference=reference, key=keys.sealing, prev_hash=prev, why_digest=digest
        )
        linked.append(ChainedEvent(event=event, why_digest=digest, prev_hash=prev, hash=current))
        prev = current
    return linked


def reseal(
    stored: Sequence[ChainedEvent], *, reference: str, keys: TrailKeys
) -> list[ChainedEvent]:
    """The same entries sealed again, in order, with the first key.

    For the key holder only, after :func:`verify_chain` found the trail intact under the
    keys it was sealed with (format 1, or a key being retired). A digest whose narrative was
    erased under the retention policy is kept as it is: there is no text left to digest.
    """
    linked: list[ChainedEvent] = []
    prev = GENESIS
    for link in stored:
        event = link.event
        digest = link.why_digest if event.why is None else text_digest(event.why, keys.sealing)
        current = seal(
            event, reference=reference, key=keys.sealing, prev_hash=prev, why_digest=digest
        )
        linked.append(ChainedEvent(event=event, why_digest=digest, prev_hash=prev, hash=current))
        prev = current
    return linked


# -- checkpoints ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """The head of one case's trail at one moment, signed with the trail key.

    Written to the log on every append and put in every evidence bundle: copies the database
    owner cannot rewrite alone. ``line()`` holds no narrative - a reference, a number, two MACs.
    """

    reference: str
    seq: int
    head: str
    signature: str

    def line(self) -> str:
        return (
            f"{_CHECKPOINT_PREFIX} {self.reference} seq={self.seq} head={self.head} "
            f"sig={self.signature}"
        )

    def genuine(self, keys: TrailKeys) -> bool:
        expected = (_checkpoint_mac(key, self.reference, self.seq, self.head) for key in keys.keys)
        return any(hmac.compare_digest(mac, self.signature) for mac in expected)


def _checkpoint_mac(key: bytes, reference: str, seq: int, head: str) -> str:
    return _mac(key, f"checkpoint\x00{reference}\x00{seq}\x00{head}".encode())


def checkpoint(reference: str, seq: int, head: str, keys: TrailKeys) -> Checkpoint:
    """Sign the head ``head`` of entry ``seq`` of ``reference``'s trail with the first key."""
    return Checkpoint(reference, seq, head, _checkpoint_mac(keys.sealing, reference, seq, head))


def parse_checkpoints(text: str) -> list[Checkpoint]:
    """Every checkpoint line in ``text`` (a log file, an evidence bundle), in order."""
    return [
        Checkpoint(m["reference"], int(m["seq"]), m["head"], m["sig"])
        for m in _CHECKPOINT.finditer(text)
    ]


# -- verifying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrailProblem:
    """One thing wrong with a trail: which entry, and what, in plain English."""

    seq: int
    message: str
    unsealed: bool = False  # only not sealed with the key yet (format 1): ``reseal`` fixes it


@dataclass(frozen=True)
class TrailReport:
    """The result of recomputing one case's chain."""

    reference: str
    events: int
    problems: tuple[TrailProblem, ...]
    head: str  # the last seal: what an inspector can quote to pin the trail down
    anonymised: bool
    checkpoints: int = 0  # how many checkpoints it was compared with

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.intact:
            erased = " (narrative erased under the retention policy)" if self.anonymised else ""
            compared = (
                f", and it matches {self.checkpoints} checkpoint"
                f"{'s' if self.checkpoints != 1 else ''}"
                if self.checkpoints
                else ""
            )
            return (
                f"The evidence trail of {self.reference} is intact: {self.events} entries, "
                f"every fingerprint matches{erased}{compared}."
            )
        count = len(self.problems)
        return (
            f"The evidence trail of {self.reference} has been TAMPERED WITH: {count} "
            f"problem{'s' if count != 1 else ''} found."
        )


@dataclass(frozen=True)
class _Sealed:
    """How an entry verified: with which key (None for format 1), or not at all."""

    key: bytes | None
    legacy: bool


def _sealed_by(link: ChainedEvent, reference: str, keys: TrailKeys) -> _Sealed | None:
    for key in keys.keys:
        computed = seal(
            link.event,
            reference=reference,
            key=key,
            prev_hash=link.prev_hash,
            why_digest=link.why_digest,
        )
        if hmac.compare_digest(computed, link.hash):
            return _Sealed(key=key, legacy=False)
    legacy = legacy_fingerprint(link.event, prev_hash=link.prev_hash, why_digest=link.why_digest)
    if hmac.compare_digest(legacy, link.hash):
        return _Sealed(key=None, legacy=True)
    return None


def verify_chain(
    reference: str,
    stored: Sequence[ChainedEvent],
    *,
    keys: TrailKeys,
    last_changed_at: datetime | None = None,
    checkpoints: Iterable[Checkpoint] = (),
) -> TrailReport:
    """Recompute a case's chain from its stored events and report every problem found.

    ``last_changed_at`` is when the case row says it last changed; a trail that ends earlier
    has lost entries from its end. ``checkpoints`` (from the log, or a bundle) pin the head
    down outside the database: a trail shorter than a checkpoint, or with another seal at a
    checkpoint's entry, was truncated or rewritten.
    """
    problems: list[TrailProblem] = []
    anonymised_at = next((c.event.seq for c in stored if c.event.kind == ANONYMISED), None)
    prev = GENESIS
    for expected, link in enumerate(stored, start=1):
        event = link.event
        if event.seq != expected:
            problems.append(
                TrailProblem(
                    event.seq,
                    f"entry {expected} is missing: the trail jumps from entry {expected - 1} "
                    f"to entry {event.seq}.",
                )
            )
        if link.prev_hash != prev:
            problems.append(
                TrailProblem(
                    event.seq,
                    f"entry {event.seq} is not linked to the entry before it: an entry was "
                    "removed, inserted or changed before it.",
                )
            )
        sealed = _sealed_by(link, reference, keys)
        if sealed is None:
            problems.append(
                TrailProblem(
                    event.seq,
                    f"entry {event.seq} ({event.kind}, {canonical_at(event.at)}) was changed "
                    "after it was recorded: its contents no longer match its seal.",
                )
            )
        elif sealed.legacy:
            problems.append(
                TrailProblem(
                    event.seq,
                    f"entry {event.seq} is not sealed with the trail key: it was recorded "
                    "before the trail was keyed and never re-sealed, or it was re-chained by "
                    "someone without the key.",
                    unsealed=True,
                )
            )
        problems.extend(_narrative_problems(link, sealed, anonymised_at))
        prev = link.hash
    if stored and last_changed_at is not None and stored[-1].event.at < last_changed_at:
        problems.append(
            TrailProblem(
                stored[-1].event.seq + 1,
                f"the case last changed at {canonical_at(last_changed_at)} but its trail ends "
                f"at {canonical_at(stored[-1].event.at)}: entries were removed from the end.",
            )
        )
    mine = [c for c in checkpoints if c.reference == reference]
    problems.extend(_checkpoint_problems(stored, mine, keys))
    return TrailReport(
        reference=reference,
        events=len(stored),
        problems=tuple(problems),
        head=stored[-1].hash if stored else GENESIS,
        anonymised=anonymised_at is not None,
        checkpoints=len(mine),
    )


def _checkpoint_problems(
    stored: Sequence[ChainedEvent], checkpoints: Sequence[Checkpoint], keys: TrailKeys
) -> list[TrailProblem]:
    problems: list[TrailProblem] = []
    by_seq = {link.event.seq: link for link in stored}
    last = stored[-1].event.seq if stored else 0
    for point in checkpoints:
        if not point.genuine(keys):
            problems.append(
                TrailProblem(
                    point.seq,
                    f"the checkpoint given for entry {point.seq} is not signed with the trail "
                    "key, so it proves nothing.",
                )
            )
            continue
        link = by_seq.get(point.seq)
        if link is None and point.seq > last:
            problems.append(
                TrailProblem(
                    point.seq,
                    f"a checkpoint records entry {point.seq} but the trail ends at entry "
                    f"{last}: entries were removed from the end.",
                )
            )
        elif link is None or not hmac.compare_digest(link.hash, point.head):
            problems.append(
                TrailProblem(
                    point.seq,
                    f"entry {point.seq} is not the entry its checkpoint recorded: the trail "
                    "was rewritten.",
                )
            )
    return problems


def _narrative_problems(
    link: ChainedEvent, sealed: _Sealed | None, anonymised_at: int | None
) -> list[TrailProblem]:
    event = link.event
    if event.why is not None:
        if sealed is None:
            return []  # already reported: the entry does not match its seal at all
        digest = (
            legacy_text_digest(event.why)
            if sealed.key is None
            else text_digest(event.why, sealed.key)
        )
        if digest != link.why_digest:
            return [
                TrailProblem(event.seq, f"the reason recorded for entry {event.seq} was changed.")
            ]
        return []
    if link.why_digest is None:
        return []
    # The reason is gone but its digest remains: legitimate only once the retention policy
    # anonymised the case, and only for entries recorded before it did.
    if anonymised_at is None or event.seq >= anonymised_at:
        return [
            TrailProblem(
                event.seq,
                f"the reason recorded for entry {event.seq} was erased without the retention "
                "policy.",
            )
        ]
    return []
