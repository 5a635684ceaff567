"""Shared pieces for the channels, reminders and outbox end-to-end tests.

* :class:`Roster`: a tiny in-test directory (object id → roles), also answering "who holds this
  role" for reminders, passed to ``make_bot(directory=..., people=...)``;
* :class:`Clock`: the bot's clock, moved by the test (``make_bot(now=clock)``);
* cases are created with the domain and a unit of work, as the notification journey would;
* ``work(bot)`` reaches the scheduler and the outbox sender, which tests drive with
  ``tick(now)`` and ``run_once(now)`` - no background loop runs in these tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot_app.background import REMINDERS, BackgroundWork
from safeguarding.case import Actor, Case
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage.db import create_engine, session_factory
from storage.outbox import OutboxRow
from storage.uow import UnitOfWork
from tests.e2e.conftest import BotUnderTest
from tests.harness.activities import TeamsUser, make_user, thread_id

HANA = make_user("Hana Hub")  # Hub officer
ADA = make_user("Ada Admin")  # administrator
PAT = make_user("Pat Practitioner")  # no role beyond practitioner
LEE = make_user("Lee Lead")  # Humberside Police's safeguarding lead
OWEN = make_user("Owen Owner")  # named owner of a case
HUB_TEAM = thread_id("Safeguarding Hub team")
HUB_CHANNEL = thread_id("Safeguarding Hub channel")
POLICE_CHANNEL = thread_id("Humberside Police channel")
PARTNERS_CHANNEL = thread_id("Partners channel")
HUB_ACTOR = Actor(id=HANA.aad_object_id, name=HANA.name)


def person(user: TeamsUser, *roles: Role, agency: str = "") -> Person:
    return Person(
        object_id=user.aad_object_id, name=user.name, agency=agency, roles=frozenset(roles)
    )


class Roster:
    """Who is who in a test: a directory and the reminders' people source in one."""

    def __init__(self, *people: Person) -> None:
        self._people = {p.object_id: p for p in people}

    async def resolve(self, object_id: str, name: str) -> Person:
        found = self._people.get(object_id)
        if found is not None:
            return found
        return Person(object_id=object_id, name=name, roles=frozenset({Role.PRACTITIONER}))

    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return [
            p
            for p in self._people.values()
            if p.has(role) and (agency is None or p.agency.casefold() == agency.casefold())
        ]


def default_roster() -> Roster:
    return Roster(
        person(HANA, Role.HUB_OFFICER),
        person(ADA, Role.ADMIN),
        person(LEE, Role.AGENCY_LEAD, agency="Humberside Police"),
    )


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> datetime:
        assert moment >= self.now, "time only moves forward in these tests"
        self.now = moment
        return moment

    def advance(self, **delta: float) -> datetime:
        return self.set(self.now + timedelta(**delta))


def work(bot: BotUnderTest) -> BackgroundWork:
    return bot.client.app[REMINDERS]


async def open_case(
    bot: BotUnderTest,
    *,
    aware_on: date,
    at: datetime | None = None,
    facts: Mapping[str, Any] | None = None,
    events: Iterable[tuple[str, datetime, Mapping[str, Any]]] = (),
) -> str:
    """A case opened by the Hub, with milestone events ``(kind, at, data)``; its reference."""
    engine = create_engine(bot.settings.database_url)
    try:
        sessions = session_factory(engine)
        async with UnitOfWork(sessions) as uow:
            opened = at or datetime.combine(aware_on, datetime.min.time(), tzinfo=UTC) + timedelta(
                hours=12
            )
            reference = await uow.cases.next_reference("NL", aware_on.year)
            case = Case.open(
                reference=reference,
                aware_on=aware_on,
                incident_on=aware_on,
                actor=HUB_ACTOR,
                at=opened,
                facts=dict(facts or {}),
            )
            for kind, when, data in events:
                case.record(kind, actor=HUB_ACTOR, at=when, what=f"{kind} recorded.", data=data)
            await uow.cases.add(case)
            await uow.commit()
        return str(reference)
    finally:
        await engine.dispose()


async def record_event(
    bot: BotUnderTest, reference: str, kind: str, at: datetime, data: Mapping[str, Any]
) -> None:
    engine = create_engine(bot.settings.database_url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            case = await uow.cases.get(CaseReference.parse(reference))
            case.record(kind, actor=HUB_ACTOR, at=at, what=f"{kind} recorded.", data=data)
            await uow.cases.save(case)
            await uow.commit()
    finally:
        await engine.dispose()


async def case_events(bot: BotUnderTest, reference: str) -> list[str]:
    engine = create_engine(bot.settings.database_url)
    try:
        async with UnitOfWork(session_factory(engine)) as uow:
            case = await uow.cases.get(CaseReference.parse(reference))
        return [event.kind for event in case.events]
    finally:
        await engine.dispose()


async def outbox_states(bot: BotUnderTest, key_prefix: str) -> list[str]:
    """Where each queued message whose key starts with ``key_prefix`` stands, one line each:
    what a failed assertion about delivered messages should show."""
    engine = create_engine(bot.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(
                    OutboxRow.key,
                    OutboxRow.status,
                    OutboxRow.conversation_id,
                    OutboxRow.attempts,
                    OutboxRow.next_attempt_at,
                    OutboxRow.last_error,
                )
                .where(OutboxRow.key.startswith(key_prefix))
                .order_by(OutboxRow.id)
            )
            return [" | ".join(map(str, row)) for row in rows]
    finally:
        await engine.dispose()


async def register(
    bot: BotUnderTest,
    words: str,
    *,
    channel_id: str = HUB_CHANNEL,
    team_id: str = HUB_TEAM,
    admin: TeamsUser = ADA,
) -> str:
    """An administrator registers a channel; returns the bot's answer."""
    activity = bot.teams.channel_message(admin, words, team_id=team_id, channel_id=channel_id)
    await bot.send(activity)
    return bot.connector.texts(activity["conversation"]["id"])[-1]


async def deliver(bot: BotUnderTest, now: datetime) -> None:
    """One scheduler tick and one outbox pass at ``now``."""
    await work(bot).scheduler.tick(now)
    await work(bot).sender.run_once(now)


def cards_to(bot: BotUnderTest, conversation_id: str) -> list[str]:
    """Every card posted (not updated) to a conversation, as JSON text for assertions."""
    return [
        json.dumps(card, ensure_ascii=False)
        for card in bot.connector.cards(conversation_id, include_updates=False)
    ]
