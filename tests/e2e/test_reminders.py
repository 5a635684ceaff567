"""Reminders into partner channels: at 09:00 on working days, across clock changes and bank
holidays, caught up once after downtime, acknowledged, escalated, and summarised weekly.

The tests drive time themselves: ``deliver(bot, now)`` is one scheduler tick and one outbox
pass at ``now``; what reached Teams is what the fake connector recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from safeguarding import milestones as m
from tests.e2e.conftest import BotUnderTest
from tests.e2e.reminders_support import (
    HANA,
    HUB_CHANNEL,
    HUB_TEAM,
    LEE,
    OWEN,
    PAT,
    POLICE_CHANNEL,
    Clock,
    case_events,
    default_roster,
    deliver,
    open_case,
    outbox_states,
    record_event,
    register,
    work,
)
from tests.harness.activities import personal_conversation_id
from tests.harness.cards import card_in_invoke_response


async def start(
    make_bot: Callable[..., Any], clock: Clock, *, hub: bool = True, **settings: Any
) -> BotUnderTest:
    """The bot on ``clock``, with the Hub channel registered (unless ``hub`` is False)."""
    roster = default_roster()
    bot: BotUnderTest = await make_bot(directory=roster, people=roster, now=clock, **settings)
    if hub:
        await register(bot, "register hub")
    return bot


async def follow(bot: BotUnderTest, clock: Clock, timeline: list[tuple[datetime, int]]) -> None:
    """Tick and deliver at each moment, checking how many reminders reach the Hub channel."""
    for moment, expected in timeline:
        before = len(reminders_in(bot, HUB_CHANNEL))
        await deliver(bot, clock.set(moment))
        assert len(reminders_in(bot, HUB_CHANNEL)) - before == expected, moment


def reminders_in(bot: BotUnderTest, conversation_id: str) -> list[str]:
    """Reminder cards posted to a conversation (the weekly summary left out), as text."""
    return [
        text
        for text in (
            json.dumps(card, ensure_ascii=False)
            for card in bot.connector.cards(conversation_id, include_updates=False)
        )
        if "Weekly summary" not in text
    ]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_reminders_go_out_at_nine_local_time_across_the_spring_clock_change_and_easter(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(utc(2027, 3, 22, 10))
    bot = await start(make_bot, clock)
    # The Panel must be notified by Wednesday 31 March 2027: Good Friday (26 March) and
    # Easter Monday (29 March) are bank holidays; summer time starts on Sunday 28 March.
    reference = await open_case(
        bot,
        aware_on=date(2027, 3, 22),
        facts={"child_name": "Jamie Doe", "narrative": "Found at home by a neighbour."},
    )

    timeline = [
        (utc(2027, 3, 24, 8, 59), 0),
        (utc(2027, 3, 24, 9, 0), 1),  # 09:00 GMT: 3 working days before
        (utc(2027, 3, 25, 9, 0), 0),
        (utc(2027, 3, 26, 9, 0), 0),  # Good Friday
        (utc(2027, 3, 29, 8, 0), 0),  # Easter Monday, 09:00 BST
        (utc(2027, 3, 30, 7, 59), 0),
        (utc(2027, 3, 30, 8, 0), 1),  # 09:00 BST: 1 working day before
        (utc(2027, 3, 31, 8, 0), 1),  # 09:00 BST: the due day
    ]
    await follow(bot, clock, timeline)

    first, second, third = reminders_in(bot, HUB_CHANNEL)
    assert reference in first
    assert "Notify the Panel" in first
    assert "Wednesday 31 March 2027" in first
    assert "due in 3 working days" in first
    assert "due in 1 working day" in second
    assert "Due today: Notify the Panel" in third
    for card in (first, second, third):
        assert "Jamie" not in card, "a channel post never carries a child's name"
        assert "neighbour" not in card, "nor the narrative"
        assert "Sent late" not in card


async def test_reminders_keep_to_nine_local_time_when_summer_time_ends(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(utc(2027, 10, 25, 10))
    bot = await start(make_bot, clock)
    await open_case(bot, aware_on=date(2027, 10, 25))  # due Monday 1 November 2027

    timeline = [
        (utc(2027, 10, 27, 8, 0), 1),  # 09:00 BST
        (utc(2027, 10, 29, 7, 59), 0),
        (utc(2027, 10, 29, 8, 0), 1),  # 09:00 BST, Friday
        (utc(2027, 11, 1, 8, 0), 0),  # 08:00 GMT: too early now
        (utc(2027, 11, 1, 9, 0), 1),  # 09:00 GMT
    ]
    await follow(bot, clock, timeline)


async def test_after_downtime_an_overdue_clock_is_reminded_once_marked_late(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(utc(2026, 12, 23, 12))
    bot = await start(make_bot, clock)
    reference = await open_case(bot, aware_on=date(2026, 12, 23))  # due Monday 4 January

    # The service was down from Christmas until Thursday 7 January, 11:15.
    for minute in (15, 16, 45):
        await deliver(bot, clock.set(utc(2027, 1, 7, 11, minute)))

    posted = reminders_in(bot, HUB_CHANNEL)
    assert len(posted) == 2, "one catch-up reminder and one escalation, not one per missed day"
    overdue, escalation = sorted(posted, key=lambda card: "Escalation" in card)
    assert "Overdue: Notify the Panel" in overdue
    assert "overdue by 3 working days" in overdue
    assert "Sent late" in overdue
    assert "09:00 on Thursday 7 January 2027" in overdue
    assert "Escalation" in escalation
    assert reference in escalation

    await deliver(bot, clock.set(utc(2027, 1, 8, 9, 0)))
    latest = reminders_in(bot, HUB_CHANNEL)[-1]
    assert "overdue by 4 working days" in latest
    assert "Sent late" not in latest


async def test_on_it_and_done_show_who_acknowledged_to_everyone_and_stop_the_escalation(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(utc(2026, 12, 23, 12))
    bot = await start(make_bot, clock)
    acknowledged = await open_case(bot, aware_on=date(2026, 12, 23))
    ignored = await open_case(bot, aware_on=date(2026, 12, 23))
    await deliver(bot, clock.set(utc(2027, 1, 4, 9, 0)))  # the due day

    due_cards = {
        ref: next(
            r
            for r in bot.connector.sent_activities
            if r.conversation_id == HUB_CHANNEL
            and ref in json.dumps(r.activity)
            and "Due today" in json.dumps(r.activity)
        )
        for ref in (acknowledged, ignored)
    }
    posted = due_cards[acknowledged]
    card = posted.activity["attachments"][0]["content"]
    reminder_id = card["actions"][0]["data"]["reminder"]
    assert [a["title"] for a in card["actions"]] == ["On it", "Done"]

    def press(user: Any, verb: str) -> dict[str, Any]:
        return bot.teams.card_action(
            user,
            verb,
            {"reminder": reminder_id},
            team_id=HUB_TEAM,
            channel_id=HUB_CHANNEL,
            reply_to_id=posted.activity_id,
        )

    clock.set(utc(2027, 1, 4, 9, 20))
    on_it = card_in_invoke_response((await bot.send(press(HANA, "reminder.on_it"))).body)
    refused = (await bot.send(press(PAT, "reminder.done"))).body
    await work(bot).sender.run_once(clock.now)

    assert on_it is not None
    assert "Hana Hub" in json.dumps(on_it)
    assert "09:20 on Monday 4 January 2027" in json.dumps(on_it)
    assert [a["title"] for a in on_it["actions"]] == ["Done"]
    assert refused["statusCode"] == 400
    assert "can't acknowledge reminders" in refused["value"]["message"]
    [update] = bot.connector.updates
    assert (update.conversation_id, update.activity_id) == (HUB_CHANNEL, posted.activity_id)
    assert "Hana Hub" in json.dumps(update.activity), "everyone in the channel sees who is on it"

    clock.set(utc(2027, 1, 4, 15, 0))
    done = card_in_invoke_response((await bot.send(press(HANA, "reminder.done"))).body)
    assert done is not None
    assert "actions" not in done
    assert "**Done**" in json.dumps(done)
    assert (await case_events(bot, acknowledged)).count("reminder.acknowledged") == 2

    await deliver(bot, clock.set(utc(2027, 1, 5, 9, 0)))
    await deliver(bot, clock.set(utc(2027, 1, 6, 9, 0)))  # the escalation day
    escalations = [c for c in reminders_in(bot, HUB_CHANNEL) if "Escalation" in c]
    assert len(escalations) == 1
    assert ignored in escalations[0]
    assert acknowledged not in escalations[0]


async def test_agency_reminders_go_to_the_agency_and_its_leads_and_owners_get_their_own(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(utc(2026, 12, 23, 12))
    bot = await start(make_bot, clock)
    await register(bot, "register agency Humberside Police", channel_id=POLICE_CHANNEL)
    await bot.send(bot.teams.personal_message(OWEN, "help"))  # Owen has talked to the bot
    bot.connector.clear()
    reference = await open_case(
        bot,
        aware_on=date(2026, 12, 23),
        facts={"owner_object_id": OWEN.aad_object_id},
        events=[
            (
                m.AGENCY_REQUESTED,
                utc(2026, 12, 23, 13),
                {"agency": "Humberside Police", "requested_on": "2026-12-23"},
            )
        ],
    )

    await deliver(bot, clock.set(utc(2026, 12, 29, 9, 0)))

    police = reminders_in(bot, POLICE_CHANNEL)
    assert len(police) == 1
    assert "Agency report for the rapid review (Humberside Police)" in police[0]
    assert "Agency: Humberside Police" in police[0]
    lee_chat = personal_conversation_id(LEE.aad_object_id)
    creates = [r for r in bot.connector.requests if r.operation == "create_conversation"]
    assert len(creates) == 1, "Lee never wrote to the bot: the chat is opened for him"
    assert creates[0].body["members"] == [{"id": LEE.aad_object_id}]
    assert "Humberside Police" in reminders_in(bot, lee_chat)[0]
    owen = reminders_in(bot, personal_conversation_id(OWEN.id))
    assert len(owen) == 1
    assert "Notify the Panel" in owen[0]
    assert reference in reminders_in(bot, HUB_CHANNEL)[0]

    await register(bot, "unregister", channel_id=POLICE_CHANNEL)
    await deliver(bot, clock.set(utc(2026, 12, 31, 9, 0)))
    assert len(reminders_in(bot, POLICE_CHANNEL)) == 1
    assert any("Humberside Police" in c for c in reminders_in(bot, HUB_CHANNEL)), (
        "without its own channel, an agency is chased through the Hub's"
    )
    assert len(reminders_in(bot, lee_chat)) == 2, "the chat opened before is reused"
    assert len([r for r in bot.connector.requests if r.operation == "create_conversation"]) == 1


async def test_a_deadline_met_in_time_is_never_reminded_again(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(utc(2026, 12, 23, 12))
    bot = await start(make_bot, clock)
    reference = await open_case(bot, aware_on=date(2026, 12, 23))
    await deliver(bot, clock.set(utc(2026, 12, 29, 9, 0)))
    assert len(reminders_in(bot, HUB_CHANNEL)) == 1

    await record_event(
        bot,
        reference,
        m.PANEL_NOTIFIED,
        utc(2026, 12, 30, 10),
        {"notified_on": "2026-12-30", "notified_by": "Hana Hub"},
    )
    for day in (31, 4, 5, 6):
        moment = utc(2026, 12, day, 9) if day == 31 else utc(2027, 1, day, 9)
        await deliver(bot, clock.set(moment))

    assert len(reminders_in(bot, HUB_CHANNEL)) == 1


async def test_reminders_for_a_case_shows_what_was_sent_and_what_will_be_sent_where(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(utc(2026, 12, 23, 12))
    bot = await start(make_bot, clock)
    reference = await open_case(bot, aware_on=date(2026, 12, 23))
    await deliver(bot, clock.set(utc(2026, 12, 29, 9, 0)))
    clock.set(utc(2026, 12, 29, 10, 0))

    await bot.send(bot.teams.personal_message(HANA, f"reminders {reference}"))
    await bot.send(bot.teams.personal_message(PAT, f"reminders {reference}"))
    await bot.send(bot.teams.personal_message(HANA, "reminders NL-2026-0099"))

    schedule = json.dumps(
        bot.connector.cards(personal_conversation_id(HANA.id))[-1], ensure_ascii=False
    )
    assert f"Reminders for {reference}" in schedule
    assert "09:00 on Tuesday 29 December 2026" in schedule
    assert "3 working days before · sent" in schedule
    assert "09:00 on Thursday 31 December 2026" in schedule
    assert "to the Hub channel" in schedule
    assert "escalation to the Hub" in schedule
    refused, missing = bot.connector.texts()[-2:]
    assert f"I can't find case {reference} among the cases you have access to" in refused
    assert "can't find case NL-2026-0099" in missing


async def test_the_weekly_summary_reaches_the_hub_once_a_week_even_after_downtime(
    make_bot: Callable[..., Any],
) -> None:
    clock = Clock(utc(2026, 12, 23, 12))
    bot = await start(make_bot, clock, hub=False)
    first = await open_case(bot, aware_on=date(2026, 12, 23), facts={"child_name": "Jamie Doe"})
    second = await open_case(bot, aware_on=date(2026, 12, 23))
    # Hana never wrote to the bot, so her chat is opened where the bot last heard from Teams.
    await bot.send(bot.teams.personal_message(PAT, "hello"))
    hana_chat = personal_conversation_id(HANA.aad_object_id)

    await deliver(bot, clock.set(utc(2026, 12, 28, 9, 0)))  # bank holiday: Tuesday instead
    await deliver(bot, clock.set(utc(2026, 12, 29, 9, 0)))
    await deliver(bot, clock.set(utc(2026, 12, 29, 9, 5)))

    summaries = [c for c in bot.connector.cards(hana_chat) if "Weekly summary" in json.dumps(c)]
    assert len(summaries) == 1, "no Hub channel yet: the Hub officer gets it personally"
    assert "**Hub** channel" in await register(bot, "register hub")

    await deliver(bot, clock.set(utc(2027, 1, 4, 8, 59)))
    await deliver(bot, clock.set(utc(2027, 1, 4, 9, 0)))
    await deliver(bot, clock.set(utc(2027, 1, 4, 17, 0)))
    await deliver(bot, clock.set(utc(2027, 1, 12, 10, 0)))  # down all Monday 11 January

    weekly = [
        json.dumps(c) for c in bot.connector.cards(HUB_CHANNEL) if "Weekly summary" in json.dumps(c)
    ]
    assert len(weekly) == 2, "\n".join(await outbox_states(bot, "digest:"))
    assert "Monday 4 January 2027" in weekly[0]
    assert first in weekly[0]
    assert second in weekly[0]
    assert "Notify the Panel" in weekly[0]
    assert "Overdue" in weekly[1]
    assert "overdue by" in weekly[1]
    assert all("Jamie" not in card for card in weekly)
