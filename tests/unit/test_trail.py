"""The keyed chain over a case's trail: what it proves, and every kind of tampering it catches."""

from __future__ import annotations

import dataclasses
import importlib.util
import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from safeguarding.case import Actor, Case, CaseEvent
from safeguarding.reference import CaseReference
from safeguarding.trail import (
    ANONYMISED,
    GENESIS,
    ChainedEvent,
    TrailKeyError,
    TrailKeys,
    canonical_event,
    chain,
    checkpoint,
    legacy_fingerprint,
    legacy_text_digest,
    parse_checkpoints,
    reseal,
    text_digest,
    verify_chain,
)

HUB = Actor(id="hub-1", name="Priya Shah")
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
REFERENCE = "NL-2026-0007"
KEYS = TrailKeys((b"k" * 32,))
OTHER_KEY = TrailKeys((b"x" * 32,))


def chain_of(events_: list[CaseEvent], *, after: str = GENESIS) -> list[ChainedEvent]:
    return chain(events_, reference=REFERENCE, keys=KEYS, after=after)


def legacy_chain(events_: list[CaseEvent]) -> list[ChainedEvent]:
    """The unkeyed chain anyone can compute (format 1): what an attacker without the key has."""
    linked: list[ChainedEvent] = []
    prev = GENESIS
    for event in events_:
        digest = legacy_text_digest(event.why)
        current = legacy_fingerprint(event, prev_hash=prev, why_digest=digest)
        linked.append(ChainedEvent(event=event, why_digest=digest, prev_hash=prev, hash=current))
        prev = current
    return linked


def events() -> list[CaseEvent]:
    case = Case.open(
        reference=CaseReference.parse(REFERENCE),
        aware_on=date(2026, 11, 2),
        incident_on=date(2026, 10, 30),
        actor=HUB,
        at=T0,
    )
    case.record("note", actor=HUB, at=T0 + timedelta(hours=1), what="Police asked.", why="Policy")
    case.record(
        "vote", actor=HUB, at=T0 + timedelta(hours=2), what="Voted: local CSPR.", why="Two agencies"
    )
    case.record("note", actor=HUB, at=T0 + timedelta(hours=3), what="Agenda set.", data={"n": 1.5})
    return list(case.events)


def replace(link: ChainedEvent, **changes: object) -> ChainedEvent:
    return dataclasses.replace(link, event=dataclasses.replace(link.event, **changes))


def test_an_untouched_trail_verifies_and_its_head_is_the_last_fingerprint() -> None:
    links = chain_of(events())

    report = verify_chain(REFERENCE, links, keys=KEYS, last_changed_at=links[-1].event.at)

    assert report.intact
    assert report.events == 4
    assert report.head == links[-1].hash
    assert links[0].prev_hash == GENESIS
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(links))
    assert "intact" in report.summary()


def test_the_canonical_form_is_fixed_so_old_trails_verify_forever() -> None:
    """A golden value: if this changes, every stored trail would read as tampered."""
    event = CaseEvent(
        seq=1,
        at=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        actor=Actor(id="a", name="Zoë"),
        kind="k",
        what="w",
        why="y",
        data={"b": [1, 2.5, None], "a": "é"},
    )

    digest = text_digest("y", KEYS.sealing)
    assert (
        canonical_event(event, reference=REFERENCE, prev_hash=GENESIS, why_digest=digest)
        == (
            '{"actor":{"id":"a","name":"Zoë"},"at":"2026-01-02T03:04:05.000006Z",'
            '"data":{"a":"é","b":[1,2.5,null]},"kind":"k","prev":"' + GENESIS + '",'
            '"ref":"NL-2026-0007","seq":1,"v":2,"what":"w","why":"' + str(digest) + '"}'
        ).encode()
    )
    assert (
        canonical_event(event, reference=None, prev_hash=GENESIS, why_digest="d")
        == (
            '{"actor":{"id":"a","name":"Zoë"},"at":"2026-01-02T03:04:05.000006Z",'
            '"data":{"a":"é","b":[1,2.5,null]},"kind":"k","prev":"' + GENESIS + '","seq":1,'
            '"v":1,"what":"w","why":"d"}'
        ).encode()
    ), "format 1, as the first migration wrote it"


def test_the_first_migration_fingerprinted_events_in_format_one() -> None:
    migration = _migration()
    event = events()[2]
    row = {
        "seq": event.seq,
        "at": event.at.replace(tzinfo=None),  # as SQLite hands it back
        "actor_id": event.actor.id,
        "actor_name": event.actor.name,
        "kind": event.kind,
        "what": event.what,
        "data": dict(event.data),
    }

    digest = legacy_text_digest(event.why)
    assert migration._fingerprint(row, "ab" * 32, digest) == legacy_fingerprint(
        event, prev_hash="ab" * 32, why_digest=digest
    )


def test_changing_what_an_event_says_is_caught_at_that_event() -> None:
    links = chain_of(events())
    links[2] = replace(links[2], what="Voted: no review.")

    report = verify_chain(REFERENCE, links, keys=KEYS)

    assert not report.intact
    assert [p.seq for p in report.problems] == [3]
    assert "changed after it was recorded" in report.problems[0].message
    assert "TAMPERED" in report.summary()


@pytest.mark.parametrize(
    "change",
    [
        {"at": T0 + timedelta(minutes=5)},
        {"actor": Actor(id="someone-else", name="Priya Shah")},
        {"kind": "vote.withdrawn"},
        {"data": {"n": 2}},
    ],
    ids=["time", "actor", "kind", "data"],
)
def test_any_field_changed_breaks_the_fingerprint(change: dict[str, object]) -> None:
    links = chain_of(events())
    links[3] = replace(links[3], **change)

    assert [p.seq for p in verify_chain(REFERENCE, links, keys=KEYS).problems] == [4]


def test_a_rewritten_reason_is_reported_as_a_changed_reason() -> None:
    links = chain_of(events())
    links[2] = replace(links[2], why="No agency was involved")

    problems = verify_chain(REFERENCE, links, keys=KEYS).problems

    assert [p.seq for p in problems] == [3]
    assert "reason recorded for entry 3 was changed" in problems[0].message


def test_re_fingerprinting_an_edited_event_still_breaks_the_next_link() -> None:
    links = chain_of(events())
    forged = replace(links[1], what="Nothing happened.")
    links[1] = chain_of([forged.event], after=links[0].hash)[0]

    problems = verify_chain(REFERENCE, links, keys=KEYS).problems

    assert [p.seq for p in problems] == [3]
    assert "not linked to the entry before it" in problems[0].message


def test_a_removed_event_is_reported_as_missing() -> None:
    links = chain_of(events())
    del links[1]

    messages = [p.message for p in verify_chain(REFERENCE, links, keys=KEYS).problems]

    assert any("entry 2 is missing" in m for m in messages)
    assert any("not linked" in m for m in messages)


def test_removing_the_last_events_is_caught_against_the_cases_last_change() -> None:
    links = chain_of(events())
    last_changed = links[-1].event.at

    report = verify_chain(REFERENCE, links[:-1], keys=KEYS, last_changed_at=last_changed)

    assert not report.intact
    assert "removed from the end" in report.problems[0].message


def test_a_reason_erased_without_the_retention_policy_is_tampering() -> None:
    links = chain_of(events())
    links[2] = replace(links[2], why=None)

    problems = verify_chain(REFERENCE, links, keys=KEYS).problems

    assert [p.seq for p in problems] == [3]
    assert "erased without the retention policy" in problems[0].message


def test_reasons_erased_by_the_retention_policy_still_verify() -> None:
    original = events()
    anonymised = CaseEvent(
        seq=5,
        at=T0 + timedelta(days=3000),
        actor=HUB,
        kind=ANONYMISED,
        what="Anonymised.",
        why="7 years",
    )
    links = chain_of([*original, anonymised])
    links[:4] = [replace(link, why=None) for link in links[:4]]

    report = verify_chain(REFERENCE, links, keys=KEYS)

    assert report.intact, report.problems
    assert report.anonymised
    assert "narrative erased" in report.summary()


def test_an_empty_trail_is_reported_without_error() -> None:
    report = verify_chain(REFERENCE, [], keys=KEYS)

    assert report.intact
    assert report.head == GENESIS


def test_an_edited_entry_re_chained_with_the_public_function_is_reported() -> None:
    """Whoever can write to the database but lacks the key recomputes every fingerprint."""
    original = events()
    forged = [
        *original[:2],
        dataclasses.replace(original[2], what="Voted: no review."),
        original[3],
    ]

    report = verify_chain(REFERENCE, legacy_chain(forged), keys=KEYS)

    assert not report.intact
    assert [p.seq for p in report.problems] == [1, 2, 3, 4]
    assert "not sealed with the trail key" in report.problems[2].message


def test_an_entry_re_sealed_with_another_key_is_reported_as_changed() -> None:
    links = chain_of(events())
    forged = dataclasses.replace(links[2].event, what="Voted: no review.")
    links[2:] = chain(
        [forged, links[3].event], reference=REFERENCE, keys=OTHER_KEY, after=links[1].hash
    )

    problems = verify_chain(REFERENCE, links, keys=KEYS).problems

    assert [p.seq for p in problems] == [3, 4]
    assert "changed after it was recorded" in problems[0].message


def test_an_entry_moved_to_another_case_does_not_verify_there() -> None:
    links = chain_of(events())

    report = verify_chain("NL-2026-0008", links, keys=KEYS)

    assert [p.seq for p in report.problems] == [1, 2, 3, 4]


def test_an_old_key_still_verifies_old_entries_after_rotation() -> None:
    old = chain_of(events()[:2])
    rotated = TrailKeys((b"n" * 32, *KEYS.keys))
    links = [*old, *chain(events()[2:], reference=REFERENCE, keys=rotated, after=old[-1].hash)]

    assert verify_chain(REFERENCE, links, keys=rotated).intact
    assert not verify_chain(REFERENCE, links, keys=TrailKeys((b"n" * 32,))).intact
    resealed = reseal(links, reference=REFERENCE, keys=rotated)
    assert verify_chain(REFERENCE, resealed, keys=TrailKeys((b"n" * 32,))).intact


def test_cutting_off_the_tail_is_caught_against_a_checkpoint_from_the_log() -> None:
    links = chain_of(events())
    logged = parse_checkpoints(
        "INFO cspr.trail.checkpoint " + checkpoint(REFERENCE, 4, links[3].hash, KEYS).line()
    )

    truncated = verify_chain(REFERENCE, links[:2], keys=KEYS, checkpoints=logged)
    whole = verify_chain(REFERENCE, links, keys=KEYS, checkpoints=logged)

    assert [p.message for p in truncated.problems] == [
        "a checkpoint records entry 4 but the trail ends at entry 2: entries were removed "
        "from the end."
    ]
    assert whole.intact
    assert "matches 1 checkpoint" in whole.summary()


def test_a_trail_rewritten_by_the_key_holder_no_longer_matches_its_checkpoint() -> None:
    links = chain_of(events())
    point = checkpoint(REFERENCE, 3, links[2].hash, KEYS)
    rewritten = chain_of([*events()[:2], dataclasses.replace(events()[2], what="Nothing.")])

    problems = verify_chain(REFERENCE, rewritten, keys=KEYS, checkpoints=[point]).problems

    assert [p.seq for p in problems] == [3]
    assert "not the entry its checkpoint recorded" in problems[0].message


def test_a_forged_checkpoint_proves_nothing() -> None:
    links = chain_of(events())
    forged = checkpoint(REFERENCE, 9, "ab" * 32, OTHER_KEY)

    problems = verify_chain(REFERENCE, links, keys=KEYS, checkpoints=[forged]).problems

    assert [p.seq for p in problems] == [9]
    assert "not signed with the trail key" in problems[0].message


def test_a_checkpoint_line_holds_only_the_reference_the_number_and_two_macs() -> None:
    point = checkpoint(REFERENCE, 4, "ab" * 32, KEYS)

    assert (
        point.line()
        == f"trail-checkpoint NL-2026-0007 seq=4 head={'ab' * 32} sig={point.signature}"
    )
    assert parse_checkpoints(f"noise {point.line()} noise") == [point]


def test_a_short_trail_key_is_refused() -> None:
    with pytest.raises(TrailKeyError, match="at least 32"):
        TrailKeys((b"short",))


def _migration() -> ModuleType:
    path = (
        Path(__file__).resolve().parents[2]
        / "storage/migrations/versions/0002_directory_and_trail.py"
    )
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
