"""Helpers for end-to-end tests of the security features: demo people and stored cases.

The bot under test loads the demo directory (no ``DIRECTORY_FILE``), so these are real
people to it: a test acts as Priya (Hub officer) or Chris (administrator) by posting as the
Teams user carrying their Entra object id.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot_app.admin.directory_file import DEMO_DIRECTORY, load_directory_file
from bot_app.keys import cipher, data_keys, trail_keys
from bot_app.settings import Settings
from safeguarding.case import Actor, Case, Stage
from safeguarding.reference import CaseReference
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork
from tests.harness.activities import TeamsUser, make_user

_DEMO = {person.name: person for person in load_directory_file(DEMO_DIRECTORY).people}


def demo_user(name: str) -> TeamsUser:
    """The Teams user for a person of the demo directory (their real Entra object id)."""
    return dataclasses.replace(make_user(name), aad_object_id=_DEMO[name].object_id)


HUB = demo_user("Priya Shah")  # Hub officer
PRACTITIONER = demo_user("Tom Reed")
MEMBER = demo_user("Sam Hughes")  # CSPR Group core member
PARTNER = demo_user("Grace Okafor")
ADMIN = demo_user("Chris Lane")

OPENED = datetime(2019, 1, 7, 9, 0, tzinfo=UTC)


async def seed_case(
    settings: Settings,
    number: int = 1,
    *,
    year: int = 2026,
    closed: bool = False,
    why: str | None = None,
    details: dict[str, Any] | None = None,
) -> str:
    """Store a case as the notification journey would, with optional details and a reason."""
    reference = CaseReference(prefix=settings.reference_prefix, year=year, number=number)
    opened = OPENED.replace(year=year) if year < 2026 else datetime(2026, 11, 2, 9, tzinfo=UTC)
    hub = Actor(id=HUB.aad_object_id, name=HUB.name)
    case = Case.open(
        reference=reference,
        aware_on=opened.date(),
        incident_on=date(opened.year, 1, 1),
        actor=hub,
        at=opened,
    )
    case.record("note", actor=hub, at=opened, what="Hub notified.", why=why)
    if closed:
        case.move_to(Stage.CLOSED, actor=hub, at=opened + timedelta(days=3))
    engine = create_engine(settings.database_url)
    try:
        keys = data_keys(settings)
        unit = UnitOfWork(
            session_factory(engine), cipher=cipher(keys), trail=trail_keys(settings, keys)
        )
        async with unit as uow:
            await uow.cases.add(case)
            if details is not None:
                await uow.details.put(str(reference), details, at=opened)
            await uow.commit()
    finally:
        await engine.dispose()
    return str(reference)
