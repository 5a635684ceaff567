"""The hash chain over a case's trail: what it proves, and every kind of tampering it catches."""

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
    canonical_event,
    chain,
    event_hash,
    text_digest,
    verify_chain,
)

HUB = Actor(id="hub-1", name="Priya Shah")
T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
REFERENCE = "NL-2026-0007"


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
    links = chain(events())

    report = verify_chain(REFERENCE, links, last_changed_at=links[-1].event.at)

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

    assert (
        canonical_event(event, prev_hash=GENESIS, why_digest=text_digest("y"))
        == (
            '{"actor":{"id":"a","name":"Zoë"},"at":"2026-01-02T03:04:05.000006Z",'
            '"data":{"a":"é","b":[1,2.5,null]},"kind":"k","prev":"' + GENESIS + '","seq":1,'
            '"v":1,"what":"w","why":"' + str(text_digest("y")) + '"}'
        ).encode()
    )


def test_the_migration_fingerprints_existing_events_exactly_as_the_application_does() -> None:
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

    assert migration._fingerprint(row, "ab" * 32, text_digest(event.why)) == event_hash(
        event, "ab" * 32
    )


def test_changing_what_an_event_says_is_caught_at_that_event() -> None:
    links = chain(events())
    links[2] = replace(links[2], what="Voted: no review.")

    report = verify_chain(REFERENCE, links)

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
    links = chain(events())
    links[3] = replace(links[3], **change)

    assert [p.seq for p in verify_chain(REFERENCE, links).problems] == [4]


def test_a_rewritten_reason_is_reported_as_a_changed_reason() -> None:
    links = chain(events())
    links[2] = replace(links[2], why="No agency was involved")

    problems = verify_chain(REFERENCE, links).problems

    assert [p.seq for p in problems] == [3]
    assert "reason recorded for entry 3 was changed" in problems[0].message


def test_re_fingerprinting_an_edited_event_still_breaks_the_next_link() -> None:
    links = chain(events())
    forged = replace(links[1], what="Nothing happened.")
    links[1] = chain([forged.event], after=links[0].hash)[0]

    problems = verify_chain(REFERENCE, links).problems

    assert [p.seq for p in problems] == [3]
    assert "not linked to the entry before it" in problems[0].message


def test_a_removed_event_is_reported_as_missing() -> None:
    links = chain(events())
    del links[1]

    messages = [p.message for p in verify_chain(REFERENCE, links).problems]

    assert any("entry 2 is missing" in m for m in messages)
    assert any("not linked" in m for m in messages)


def test_removing_the_last_events_is_caught_against_the_cases_last_change() -> None:
    links = chain(events())
    last_changed = links[-1].event.at

    report = verify_chain(REFERENCE, links[:-1], last_changed_at=last_changed)

    assert not report.intact
    assert "removed from the end" in report.problems[0].message


def test_a_reason_erased_without_the_retention_policy_is_tampering() -> None:
    links = chain(events())
    links[2] = replace(links[2], why=None)

    problems = verify_chain(REFERENCE, links).problems

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
    links = chain([*original, anonymised])
    links[:4] = [replace(link, why=None) for link in links[:4]]

    report = verify_chain(REFERENCE, links)

    assert report.intact, report.problems
    assert report.anonymised
    assert "narrative erased" in report.summary()


def test_an_empty_trail_is_reported_without_error() -> None:
    report = verify_chain(REFERENCE, [])

    assert report.intact
    assert report.head == GENESIS


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
