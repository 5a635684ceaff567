"""Store the after-decision test's case in the running bot's database (``make e2e``).

One case that has reached the local review stage: notified by Tom Reed (the hospital
trust), owned by Priya Shah (Hub officer), the Panel notified, the rapid review sent, and
the safeguarding partners' decision to hold a local CSPR recorded today - its 6-month clock
runs from that decision. The events are the ones the journeys record
(``tests/e2e/after_decision_support.py``), written with the domain's own ``Case.record`` and
``Case.move_to`` through the unit of work, with the bot's own settings (DATABASE_URL,
DATA_ENCRYPTION_KEYS from the environment) once the bot has migrated the database.

    python e2e/after_decision_seed.py     # prints the case's reference
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot_app.keys import cipher, data_keys, trail_keys
from bot_app.settings import Settings
from safeguarding import milestones as m
from safeguarding.case import Actor, Case, Stage
from safeguarding.rapid_review import PARTNERS_CONFIRMED
from safeguarding.reference import CaseReference
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork
from tests.e2e.seed import HUB, PARTNER, PRACTITIONER

TRUST = "Northern Lincolnshire and Goole NHS Foundation Trust"


def local_review_case(settings: Settings, today: date) -> Case:
    hub = Actor(id=HUB.aad_object_id, name=HUB.name)
    partner = Actor(id=PARTNER.aad_object_id, name=PARTNER.name)
    aware = today - timedelta(days=28)

    def at(day: date, hour: int = 10) -> datetime:
        return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)

    case = Case.open(
        reference=CaseReference(prefix=settings.reference_prefix, year=today.year, number=1),
        aware_on=aware,
        incident_on=aware,
        actor=Actor(id=PRACTITIONER.aad_object_id, name=PRACTITIONER.name),
        at=at(aware, 9),
        facts={
            "route": "serious",
            "agency": TRUST,
            "notifier_object_id": PRACTITIONER.aad_object_id,
            "notifier_name": PRACTITIONER.name,
            "owner_object_id": HUB.aad_object_id,
        },
        today=aware,
    )
    notified = aware + timedelta(days=1)
    case.record(
        m.PANEL_NOTIFIED,
        actor=hub,
        at=at(notified),
        what="Panel notified.",
        data={"notified_on": notified.isoformat(), "notified_by": HUB.name},
    )
    for stage in (Stage.PANEL_NOTIFIED, Stage.RAPID_REVIEW, Stage.RECOMMENDATION):
        case.move_to(stage, actor=hub, at=at(notified, 11))
    case.move_to(Stage.PARTNERS_DECISION, actor=hub, at=at(today - timedelta(days=3)))
    sent = today - timedelta(days=1)
    case.record(
        m.RAPID_REVIEW_SENT,
        actor=hub,
        at=at(sent),
        what="Rapid review sent to the Panel.",
        data={"sent_on": sent.isoformat()},
    )
    case.record(
        PARTNERS_CONFIRMED,
        actor=partner,
        at=at(today, 9),
        what="The safeguarding partners confirmed: local CSPR.",
        data={"round": 1, "recommendation": "local_cspr", "decided_on": today.isoformat()},
    )
    case.record(
        m.REVIEW_STARTED,
        actor=partner,
        at=at(today, 9),
        what="Local CSPR started by the partners' decision.",
        data={"decided_on": today.isoformat(), "kind": "local"},
    )
    case.move_to(Stage.LOCAL_REVIEW, actor=partner, at=at(today, 9))
    return case


async def store(settings: Settings) -> str:
    # Today as the partnership counts days (and as the test does): London's date.
    case = local_review_case(settings, datetime.now(ZoneInfo("Europe/London")).date())
    engine = create_engine(settings.database_url)
    try:
        keys = data_keys(settings)
        unit = UnitOfWork(
            session_factory(engine), cipher=cipher(keys), trail=trail_keys(settings, keys)
        )
        async with unit as uow:
            await uow.cases.add(case)
            await uow.details.put(
                str(case.reference),
                {"initials": "ZQ", "summary": "Found at home."},
                at=case.opened_at,
            )
            await uow.commit()
    finally:
        await engine.dispose()
    return str(case.reference)


if __name__ == "__main__":
    sys.stdout.write(asyncio.run(store(Settings())) + "\n")
