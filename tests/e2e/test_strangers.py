"""A stranger gets nothing from any command or button, and cannot tell a real case from none.

The router checks access to the case a command or button names before any handler runs
(``bot_app/core/access.py``). This walks EVERY verb and command the running bot registered -
so a new one is covered the day it is added - as people with no link to a real case (a
practitioner who did not notify it; the lead of an agency nobody asked, who holds the roles to
report, acknowledge reminders and take part in disputes), each with a well-formed payload
naming that case (its reminder, its difference of opinion, its vote round) and again naming
a case that does not exist. The answers must be identical, carry no card about the case,
and change nothing.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot_app.core.payloads import MALFORMED, CardPayload
from bot_app.core.routing import CommandSpec, VerbSpec
from bot_app.keys import cipher, data_keys
from bot_app.settings import Settings
from bot_app.teams.components import COMPONENTS
from cards.base import CARD_CONTENT_TYPE
from safeguarding import disputes
from safeguarding import rapid_review as rr
from safeguarding.case import Actor, Case, Stage
from safeguarding.reference import CaseReference
from safeguarding.reminders import ReminderKey
from storage.db import create_engine, session_factory
from storage.models import CaseEventRow
from storage.outbox import OutboxRow
from storage.reminders import ReminderRow, ReminderStatus
from storage.uow import UnitOfWork
from tests.e2e.conftest import BotUnderTest
from tests.e2e.seed import HUB, MEMBER, demo_user
from tests.harness.activities import TeamsUser

# The Teams edge behaves the same on either database (the journeys run on both).
pytestmark = pytest.mark.sqlite_only

TOM = demo_user("Tom Reed")  # practitioner; did not notify the case
AMIRA = demo_user("Amira Khan")  # a school's safeguarding lead; the school was not asked
STRANGERS = (TOM, AMIRA)

POSITION = "CANARY-POSITION the criteria are met"
REASONS = "CANARY-REASONS the decision overlooked the school's referral"
OPENED = datetime(2026, 11, 2, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Target:
    reference: str
    reminder: int


async def seed(settings: Settings) -> Target:
    """A case in its CSPR Group vote, with a difference of opinion and a reminder sent."""
    reference = CaseReference(prefix=settings.reference_prefix, year=2026, number=7)
    hub = Actor(id=HUB.aad_object_id, name=HUB.name)
    case = Case.open(
        reference=reference,
        aware_on=OPENED.date(),
        incident_on=date(2026, 11, 1),
        actor=hub,
        at=OPENED,
        facts={"agency": "Humberside Police"},
    )
    case.move_to(Stage.PANEL_NOTIFIED, actor=hub, at=OPENED + timedelta(hours=1))
    rr.start(
        case,
        ["Humberside Police"],
        requested_on=date(2026, 11, 3),
        actor=hub,
        at=OPENED + timedelta(days=1),
    )
    rr.open_vote(
        case,
        {MEMBER.aad_object_id: MEMBER.name},
        closes_on=date(2026, 12, 3),
        actor=hub,
        at=OPENED + timedelta(days=10),
    )
    disputes.raise_dispute(
        case,
        actor=hub,
        topic=disputes.Topic.CRITERIA,
        position=POSITION,
        reasons=REASONS,
        at=OPENED + timedelta(days=11),
    )
    engine = create_engine(settings.database_url)
    try:
        async with UnitOfWork(session_factory(engine), cipher=cipher(data_keys(settings))) as uow:
            await uow.cases.add(case)
            reminder = await uow.reminders.record(
                ReminderKey(str(reference), "panel_notification", "due", date(2026, 11, 9)),
                send_at=datetime(2026, 11, 9, 9, tzinfo=UTC),
                status=ReminderStatus.SENT,
                late=False,
                clock_title="Notify the Panel",
                outbox_key=None,
                now=datetime(2026, 11, 9, 9, tzinfo=UTC),
            )
            await uow.commit()
    finally:
        await engine.dispose()
    assert reminder is not None
    return Target(str(reference), reminder)


MISSING = Target("NL-2026-0099", 999_999)


def payload_for(model: type[CardPayload], target: Target) -> dict[str, Any]:
    """A well-formed payload for ``model``, naming ``target``'s case and objects."""
    data: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        shown = str(field.annotation)
        if name == "reference":
            data[name] = target.reference
        elif name == "reminder":
            data[name] = target.reminder
        elif shown == "<class 'int'>":
            data[name] = 1  # a dispute's number and stage, a vote round: the real ones
        elif "date" in shown:
            data[name] = "2026-11-20"
        else:
            data[name] = "x"
    return data


def normalised(answer: Any, target: Target) -> str:
    """An answer with the case reference, and random tokens, written the same way."""
    text = json.dumps(answer, sort_keys=True, ensure_ascii=False)
    text = text.replace(target.reference, "<reference>")
    return re.sub(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", "<id>", text)


async def press(bot: BotUnderTest, who: TeamsUser, spec: VerbSpec, target: Target) -> Any:
    reply = await bot.send(bot.teams.card_action(who, spec.verb, payload_for(spec.payload, target)))
    assert reply.status == 200, (spec.verb, reply.text)
    return reply.body


async def say(bot: BotUnderTest, who: TeamsUser, spec: CommandSpec, target: Target) -> Any:
    """What the bot answers to ``<command> <reference>`` in a conversation of its own (so a
    dialog one command begins doesn't swallow the next)."""
    activity = bot.teams.personal_message(who, f"{spec.names[0]} {target.reference}")
    conversation = f"a:1{uuid.uuid4().hex}"
    activity["conversation"]["id"] = conversation
    reply = await bot.send(activity)
    assert reply.status == 200, (spec.names[0], reply.text)
    return [
        {"text": a.get("text"), "attachments": a.get("attachments")}
        for a in bot.connector.activities_to(conversation)
    ]


async def state(settings: Settings) -> tuple[int, int, int]:
    """Trail entries, queued messages, acknowledged reminders: what a stranger must not move."""
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            counted = [
                (await connection.execute(select(func.count()).select_from(table))).scalar_one()
                for table in (CaseEventRow, OutboxRow)
            ]
            acknowledged = (
                await connection.execute(
                    select(func.count())
                    .select_from(ReminderRow)
                    .where(ReminderRow.acknowledged.is_not(None))
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    return counted[0], counted[1], acknowledged


async def test_a_stranger_gets_the_same_nothing_from_every_verb_and_command(
    make_bot: Callable[..., Any],
) -> None:
    bot: BotUnderTest = await make_bot()
    real = await seed(bot.settings)
    router = bot.client.app[COMPONENTS].router
    verbs, commands = router.verbs, router.commands
    assert {"vote.refresh", "reminder.on_it", "reminder.done", "dispute.respond"} <= {
        spec.verb for spec in verbs
    }
    assert {"status", "reminders", "report", "export", "disagree"} <= {
        name for spec in commands for name in spec.names
    }
    for stranger in STRANGERS:
        await bot.send(bot.teams.personal_message(stranger, "help"))  # the welcome, once
    before = await state(bot.settings)

    for stranger in STRANGERS:
        for verb in verbs:
            seen, none = [await press(bot, stranger, verb, t) for t in (real, MISSING)]
            where = f"{stranger.name} pressing {verb.verb}"
            assert normalised(seen, real) == normalised(none, MISSING), where
            assert seen["type"] != CARD_CONTENT_TYPE, f"{where} got a card"
            assert MALFORMED not in json.dumps(seen), f"{where}: the payload should be well-formed"
        for command in commands:
            seen, none = [await say(bot, stranger, command, t) for t in (real, MISSING)]
            where = f"{stranger.name} saying {command.names[0]}"
            assert normalised(seen, real) == normalised(none, MISSING), where
            assert POSITION not in json.dumps(seen), where
            assert REASONS not in json.dumps(seen), where

    assert await state(bot.settings) == before, "a stranger changed or queued something"
    everything = json.dumps([r.body for r in bot.connector.requests])
    assert POSITION not in everything
    assert REASONS not in everything


async def test_the_buttons_a_stranger_is_refused_do_work_for_those_the_case_concerns(
    make_bot: Callable[..., Any],
) -> None:
    """The payloads above are the real thing: the Hub and a voter get the vote card, the
    reminder and the dispute from them, so the refusals are about who asks."""
    bot: BotUnderTest = await make_bot()
    real = await seed(bot.settings)
    verbs = {spec.verb: spec for spec in bot.client.app[COMPONENTS].router.verbs}

    vote = await press(bot, MEMBER, verbs["vote.refresh"], real)
    done = await press(bot, HUB, verbs["reminder.done"], real)
    dispute = await press(bot, HUB, verbs["dispute.open"], real)
    stranger = await press(bot, AMIRA, verbs["reminder.done"], real)

    assert vote["type"] == CARD_CONTENT_TYPE
    assert MEMBER.name in json.dumps(vote)
    assert done["type"] == CARD_CONTENT_TYPE
    assert "Done" in json.dumps(done)
    assert dispute["type"] == CARD_CONTENT_TYPE
    assert POSITION in json.dumps(dispute)
    assert stranger["value"]["message"] == (
        "I can't find that reminder among the reminders of cases you have access to. "
        "Nothing was changed."
    )
