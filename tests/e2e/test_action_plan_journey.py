"""A published review's action plan is followed to the end, and the case closes with it.

Through the real app, adapter, scheduler and outbox, on SQLite and PostgreSQL, with the demo
directory's people: Priya Shah (Hub officer) draws up the plan; Tom Reed (a practitioner who
never saw the case) and Sam Hughes (CSPR Group, police) own actions; Grace Okafor
(safeguarding partner) records the Board's sign-off. The case's review is published (its
events stored as the reviews record them), and the child's name never reaches the plan's
lists or the Board report.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.e2e.after_decision_support import (
    REF,
    SAM_EMAIL,
    TOM,
    as_text,
    board_csv,
    press,
    published_case,
    raw_rows,
    refusal,
    revision_of,
    say,
    shown,
    store_case,
)
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.reminders_support import Clock, deliver
from tests.e2e.seed import HUB, MEMBER, PARTNER, PRACTITIONER
from tests.harness.activities import personal_conversation_id

CHILD = "Zebedee Quill"
SAM = SAM_EMAIL


async def seed_published_case(bot: BotUnderTest) -> None:
    """A local CSPR whose report was published: the events the reviews record."""
    await store_case(bot, published_case(REF), {"name": CHILD})


async def test_an_action_plan_is_followed_to_the_end_and_the_case_closes(make_bot: Any) -> None:
    clock = Clock(FIXED_NOW)  # Thursday 26 November 2026, 10:00
    bot: BotUnderTest = await make_bot(now=clock)
    await seed_published_case(bot)
    for user in (HUB, PRACTITIONER, MEMBER, PARTNER):
        await bot.send(bot.teams.personal_message(user, "hello"))

    # -- Priya opens the plan and adds the actions -----------------------------------------
    plan = as_text(await say(bot, HUB, f"action plan {REF}"))
    assert f"Action plan: {REF}" in plan
    assert "No actions have been added yet." in plan
    assert "Oversight" in plan
    assert "CSPR Group" in plan

    added = shown(
        await press(
            bot,
            HUB,
            "action_plan.add",
            description="Health visitors to check the referral pathway at every contact",
            owner_email=TOM,
            agency="",
            due_on="2026-12-10",
            national="false",
        )
    )
    assert (
        "Action 1 added for Tom Reed (Northern Lincolnshire and Goole NHS Foundation Trust) "
        "by Priya Shah at 10:00 on Thursday 26 November 2026." in added
    )
    national = shown(
        await press(
            bot,
            HUB,
            "action_plan.add",
            description="Adopt the national review's guidance on home visits",
            owner_email=SAM,
            agency="Humberside Police",
            due_on="2027-01-15",
            national="true",
        )
    )
    assert "Action 2 · from the national review" in national

    # Bad input: refused, with nothing changed.
    assert "directory" in refusal(
        await press(
            bot,
            HUB,
            "action_plan.add",
            description="x",
            owner_email="nobody@example.org",
            due_on="2026-12-10",
        )
    )
    assert "in the past" in refusal(
        await press(
            bot, HUB, "action_plan.add", description="x", owner_email=TOM, due_on="2026-11-25"
        )
    )
    assert "manage the action plan" in refusal(
        await press(
            bot,
            PRACTITIONER,
            "action_plan.add",
            description="x",
            owner_email=TOM,
            due_on="2026-12-10",
        )
    )
    refused = refusal(await press(bot, HUB, "action_plan.close"))
    assert "action 1 (Northern Lincolnshire and Goole NHS Foundation Trust, due Thursday 10 " in (
        refused
    )
    assert "action 2 (Humberside Police, due Friday 15 January 2027) is open" in refused
    assert "not yet signed the plan off" in refused

    # -- follow-ups: Tom, five working days before his action is due, once -----------------
    clock.set(datetime(2026, 12, 3, 9, 1, tzinfo=UTC))
    await deliver(bot, clock.now)
    await deliver(bot, clock.now + timedelta(minutes=5))
    tom_chats = {
        personal_conversation_id(PRACTITIONER.aad_object_id),
        personal_conversation_id(PRACTITIONER.id),
    }
    follow_ups = [
        json.dumps(c, ensure_ascii=False)
        for chat in tom_chats
        for c in bot.connector.cards(chat)
        if "Action due in 5 working days" in as_text(c)
    ]
    assert len(follow_ups) == 1
    assert f"{REF} action 1" in follow_ups[0]

    # -- the views across cases -----------------------------------------------------------
    clock.set(datetime(2026, 12, 11, 10, tzinfo=UTC))  # action 1 is overdue
    mine = as_text(await say(bot, PRACTITIONER, "actions"))
    assert "Your actions" in mine
    assert f"{REF} · action 1" in mine
    assert "action 2" not in mine
    overdue = as_text(await say(bot, HUB, "actions overdue"))
    assert f"{REF} · action 1" in overdue
    assert "overdue" in overdue
    agency = as_text(await say(bot, MEMBER, "actions agency"))
    assert f"{REF} · action 2" in agency
    assert "action 1" not in agency

    rows = await board_csv(bot, HUB, never=(CHILD, "Zebedee"))
    assert rows[0][:2] == ["Reference", "Stage"]
    assert rows[0][-2:] == ["Open actions", "Oldest overdue action due"]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Reference"], row["Stage"]) == (REF, "Action plan")
    assert (row["Open actions"], row["Oldest overdue action due"]) == ("2", "2026-12-10")
    assert row["Notify the Panel"] == "met"
    assert row["Complete the local CSPR"] == "missed"  # completed a week after six months
    assert row["Send the final report to the Panel, Secretary of State and Ofsted"] == "met"

    # -- Tom, who never saw the case, updates his own action ------------------------------
    opened = await press(bot, PRACTITIONER, "action_plan.open")
    tom_card = opened["value"]
    revision = revision_of(tom_card, 1)
    assert "evidence" in refusal(
        await press(
            bot, PRACTITIONER, "action_plan.status", number=1, revision=revision, status="done"
        )
    )
    evidence = shown(
        await press(
            bot,
            PRACTITIONER,
            "action_plan.evidence",
            number=1,
            revision=revision,
            evidence="Audit of 40 contacts: pathway used every time",
        )
    )
    assert "Evidence of completion recorded for action 1 by Tom Reed" in evidence
    assert "out of date" in refusal(  # the card he had before recording the evidence
        await press(
            bot, PRACTITIONER, "action_plan.status", number=1, revision=revision, status="done"
        )
    )
    done = shown(
        await press(
            bot,
            PRACTITIONER,
            "action_plan.status",
            number=1,
            revision=revision + 1,
            status="done",
        )
    )
    assert "Action 1 marked 'Done' by Tom Reed" in done
    assert "Sorry" in refusal(  # not his action
        await press(
            bot, PRACTITIONER, "action_plan.status", number=2, revision=1, status="in_progress"
        )
    )

    # -- Priya closes the national action with a reason; Grace records the sign-off ---------
    closed_action = shown(
        await press(
            bot,
            HUB,
            "action_plan.close_action",
            number=2,
            revision=1,
            reason="Superseded by the police force's own national action plan",
        )
    )
    assert "Action 2 closed with a reason by Priya Shah" in closed_action
    assert "Board's sign-off" in refusal(
        await press(bot, HUB, "action_plan.sign_off", board_on="2026-12-10")
    )
    signed = shown(await press(bot, PARTNER, "action_plan.sign_off", board_on="2026-12-10"))
    assert "The Board's sign-off of the action plan recorded by Grace Okafor" in signed
    assert "Signed off at the Children's MARS Board on Thursday 10 December 2026" in signed

    # -- the plan closes, and the case with it ----------------------------------------------
    closed = shown(await press(bot, HUB, "action_plan.close"))
    assert f"Action plan closed, and case {REF} closed with it by Priya Shah" in closed

    status = as_text(await say(bot, HUB, f"status {REF}"))
    assert "Closed" in status
    history = as_text(await say(bot, HUB, f"plan {REF}"))
    assert "Audit of 40 contacts" in history  # a closed case keeps its full history
    assert "Superseded by the police" in history
    assert "Add an action" not in history

    # Done and closed actions get no more follow-ups.
    sent_before = len(bot.connector.sent_activities)
    clock.set(datetime(2026, 12, 14, 9, 1, tzinfo=UTC))
    await deliver(bot, clock.now)
    assert not any(
        "Action overdue" in json.dumps(r.activity)
        for r in bot.connector.sent_activities[sent_before:]
    )

    rows = await board_csv(bot, PARTNER, never=(CHILD, "Zebedee"))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Reference"], row["Stage"], row["Open actions"]) == (REF, "Closed", "0")
    assert row["Oldest overdue action due"] == ""

    # What people typed about the actions is sealed at rest, like every other free text.
    stored = await raw_rows(bot, "action_plan_actions")
    assert "Audit of 40 contacts" not in stored
    assert "Health visitors to check" not in stored
    assert "Superseded by the police" not in stored

    # A practitioner may not have the Board report.
    await bot.send(bot.teams.personal_message(PRACTITIONER, "board report"))
    assert "Board report" in bot.connector.texts(personal_conversation_id(PRACTITIONER.id))[-1]
