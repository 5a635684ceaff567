"""The evidence trail's tamper evidence: a hash chain over each case's events.

Every event is fingerprinted (SHA-256) over a canonical JSON of its contents *and the
fingerprint of the event before it*, so changing, removing or inserting any entry breaks
every link after it. Anyone can recompute the chain from the stored events alone, years
later, without the code that wrote them: the canonical form below is the whole contract.

The narrative (``why``: reasons and rationales) enters the fingerprint through its own
SHA-256 digest rather than as text. That lets the retention policy erase the narrative of a
closed case while keeping the digest, so the anonymised trail still verifies - and erasing a
reason *without* a recorded retention event is still reported as tampering.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from safeguarding.case import CaseEvent

#: The ``prev`` of a case's first event: nothing came before it.
GENESIS: Final = "0" * 64
#: Bumped if the canonical form ever changes; old events keep verifying under version 1.
FORMAT_VERSION: Final = 1
#: The event kind the retention policy records when it erases a closed case's narrative.
ANONYMISED: Final = "retention.anonymised"


def text_digest(text: str | None) -> str | None:
    """The SHA-256 of a piece of narrative (UTF-8), or None when there is none."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_at(moment: datetime) -> str:
    """An instant as fixed-width ISO 8601 UTC with microseconds: one spelling per instant."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_event(event: CaseEvent, *, prev_hash: str, why_digest: str | None) -> bytes:
    """The exact bytes an event's fingerprint is computed over.

    Keys sorted, no whitespace, UTF-8 as is (no ``\\u`` escapes), no NaN: the same event
    always gives the same bytes, whichever database or Python version stored it.
    """
    document: dict[str, Any] = {
        "v": FORMAT_VERSION,
        "seq": event.seq,
        "at": canonical_at(event.at),
        "actor": {"id": event.actor.id, "name": event.actor.name},
        "kind": event.kind,
        "what": event.what,
        "why": why_digest,
        "data": dict(event.data),
        "prev": prev_hash,
    }
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def event_hash(event: CaseEvent, prev_hash: str) -> str:
    """The fingerprint of ``event`` (narrative included, by digest) following ``prev_hash``."""
    return fingerprint(event, prev_hash=prev_hash, why_digest=text_digest(event.why))


def fingerprint(event: CaseEvent, *, prev_hash: str, why_digest: str | None) -> str:
    """The fingerprint with the narrative digest given explicitly (as stored)."""
    canonical = canonical_event(event, prev_hash=prev_hash, why_digest=why_digest)
    return hashlib.sha256(canonical).hexdigest()


@dataclass(frozen=True)
class ChainedEvent:
    """An event as stored: its contents, its narrative digest and its two chain links."""

    event: CaseEvent
    why_digest: str | None
    prev_hash: str
    hash: str


def chain(events: Sequence[CaseEvent], *, after: str = GENESIS) -> list[ChainedEvent]:
    """Link ``events`` (in order) onto a trail whose last fingerprint is ``after``."""
    linked: list[ChainedEvent] = []
    prev = after
    for event in events:
        digest = text_digest(event.why)
        current = fingerprint(event, prev_hash=prev, why_digest=digest)
        linked.append(ChainedEvent(event=event, why_digest=digest, prev_hash=prev, hash=current))
        prev = current
    return linked


@dataclass(frozen=True)
class TrailProblem:
    """One thing wrong with a trail: which entry, and what, in plain English."""

    seq: int
    message: str


@dataclass(frozen=True)
class TrailReport:
    """The result of recomputing one case's chain."""

    reference: str
    events: int
    problems: tuple[TrailProblem, ...]
    head: str  # the last fingerprint: what an inspector can quote to pin the trail down
    anonymised: bool

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.intact:
            erased = " (narrative erased under the retention policy)" if self.anonymised else ""
            return (
                f"The evidence trail of {self.reference} is intact: {self.events} entries, "
                f"every fingerprint matches{erased}."
            )
        count = len(self.problems)
        return (
            f"The evidence trail of {self.reference} has been TAMPERED WITH: {count} "
            f"problem{'s' if count != 1 else ''} found."
        )


def verify_chain(
    reference: str,
    stored: Sequence[ChainedEvent],
    *,
    last_changed_at: datetime | None = None,
) -> TrailReport:
    """Recompute a case's chain from its stored events and report every problem found.

    ``last_changed_at`` is when the case row says it last changed; a trail that ends earlier
    has lost entries from its end, which no link inside the chain could reveal.
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
        problems.extend(_narrative_problems(link, anonymised_at))
        # The stored digest stands in for the narrative, so an erased reason still verifies.
        recomputed = fingerprint(event, prev_hash=link.prev_hash, why_digest=link.why_digest)
        if recomputed != link.hash:
            problems.append(
                TrailProblem(
                    event.seq,
                    f"entry {event.seq} ({event.kind}, {canonical_at(event.at)}) was changed "
                    "after it was recorded: its contents no longer match its fingerprint.",
                )
            )
        prev = link.hash
    if stored and last_changed_at is not None and stored[-1].event.at < last_changed_at:
        problems.append(
            TrailProblem(
                stored[-1].event.seq + 1,
                f"the case last changed at {canonical_at(last_changed_at)} but its trail ends "
                f"at {canonical_at(stored[-1].event.at)}: entries were removed from the end.",
            )
        )
    return TrailReport(
        reference=reference,
        events=len(stored),
        problems=tuple(problems),
        head=stored[-1].hash if stored else GENESIS,
        anonymised=anonymised_at is not None,
    )


def _narrative_problems(link: ChainedEvent, anonymised_at: int | None) -> list[TrailProblem]:
    event = link.event
    if event.why is not None:
        if text_digest(event.why) != link.why_digest:
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
