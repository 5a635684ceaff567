"""A local CSPR through the real app, on SQLite and PostgreSQL: from the partners' decision
to publication.

The partners decide on Wednesday 2 December 2026 and the review starts that day (due
Wednesday 2 June 2027). The Hub runs it on the review card in a personal chat: owners from
the directory, milestones in order (one out of order is refused), the family's involvement,
a parallel process. The 6-month clock goes overdue and is reminded in the partners' channel
each working day until the final report is agreed - then the reminders stop. A publication
date that breaks the 7-working-day copy rule is caught and shown before anything is kept;
a later one is recorded with its copy deadline, the three copies and the content checklist
are recorded, and the report is published and kept for a year. Channels never see a name, a
contact or the family's views.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from safeguarding import milestones as m
from safeguarding import panel
from safeguarding import reviews as rv
from safeguarding.case import Stage
from safeguarding.case_clocks import ClockStatus
from safeguarding.clocks import ClockId
from tests.e2e.after_decision_support import (
    REF,
    REVIEWER,
    ReviewCard,
    in_channel,
    reach_the_partners_decision,
    text_of,
    version_of,
)
from tests.e2e.conftest import BotUnderTest
from tests.e2e.reminders_support import HUB_CHANNEL, HUB_TEAM, PARTNERS_CHANNEL, cards_to, deliver
from tests.e2e.seed import HUB, PRACTITIONER
from tests.e2e.test_disputes import clocks, refusal
from tests.e2e.test_governance import NEITHER, notify
from tests.e2e.test_rapid_review import stored_case
from tests.harness.activities import personal_conversation_id
from tests.harness.canary import assert_no_canaries, log_records

__all__ = ["log_records"]

FAMILY_VIEWS = "Mother described the night visits; her words open chapter 3."
CONTACT = "DS Rowe, Major Crimes"


async def test_a_local_cspr_from_the_partners_decision_to_publication(
    make_bot: Any, log_records: list[logging.LogRecord]
) -> None:
    bot, clock = await reach_the_partners_decision(make_bot)
    review = ReviewCard(bot)

    # The card in a personal chat; in a channel only the reference, stage and deadline.
    card = text_of(await review.open())
    assert "Review: case NL-2026-0001" in card
    assert "Wednesday 2 June 2027" in card, "6 calendar months from the partners' decision"
    for label in ("Reviewer(s) commissioned", "Draft report received", "Final report agreed"):
        assert label in card
    posted, thread = await in_channel(bot, f"review {REF}")
    notice = text_of(posted)
    assert "Wednesday 2 June 2027" in notice
    assert "Reviewer(s) commissioned" not in notice
    assert "Open in personal chat" in notice
    opened = await bot.send(
        bot.teams.card_action(
            HUB,
            "review.open",
            {"reference": REF},
            team_id=HUB_TEAM,
            channel_id=HUB_CHANNEL,
            thread_root_id=thread,
        )
    )
    assert "sent the review card to you in a personal chat" in text_of(opened.body)
    await deliver(bot, clock.now)
    private = text_of(bot.connector.last_card(personal_conversation_id(HUB.id)))
    assert "Reviewer(s) commissioned" in private
    in_the_channel = await bot.send(
        bot.teams.card_action(
            HUB,
            "review.milestone_done",
            {"reference": REF, "version": version_of(review.card), "milestone": "commissioned"},
            team_id=HUB_TEAM,
            channel_id=HUB_CHANNEL,
            thread_root_id=thread,
        )
    )
    assert "from its card in your personal chat" in refusal(in_the_channel.body)

    # Owners come from the directory; a practitioner cannot manage the review.
    outsider = refusal(
        await review.press(
            "review.plan_milestone",
            milestone="commissioned",
            owner_commissioned="not-in-the-directory",
            target_on_commissioned="2026-12-16",
        )
    )
    assert "not in it" in outsider
    planned = await review.press(
        "review.plan_milestone",
        milestone="commissioned",
        owner_commissioned=REVIEWER.aad_object_id,
        target_on_commissioned="2026-12-16",
    )
    assert "owner Jo Patel, target Wednesday 16 December 2026 - Priya Shah" in text_of(planned)
    stranger = await bot.send(
        bot.teams.card_action(
            PRACTITIONER,
            "review.milestone_done",
            {"reference": REF, "version": version_of(review.card), "milestone": "commissioned"},
        )
    )
    assert stranger.body["statusCode"] == 400

    # Milestones in order; the final report before the draft is refused, and audited.
    clock.set(datetime(2026, 12, 10, 10, tzinfo=UTC))
    await review.done("commissioned", "2026-12-10")
    early = refusal(
        await review.press("review.milestone_done", milestone="final", done_on_final="2026-12-10")
    )
    assert "'Final report agreed' can't be done before 'Draft report received'" in early
    assert (await stored_case(bot)).events[-1].kind == panel.REFUSED
    clock.set(datetime(2026, 12, 17, 10, tzinfo=UTC))
    await review.done("methodology", "2026-12-17")
    clock.set(datetime(2027, 1, 14, 10, tzinfo=UTC))
    await review.done("practitioners", "2027-01-14")
    family = await review.press(
        "review.family",
        invited="true",
        invited_on="2027-01-12",
        children_invited="true",
        how=FAMILY_VIEWS,
    )
    assert FAMILY_VIEWS in text_of(family["value"]), "the Hub sees it, in a personal chat"
    process = await review.press(
        "review.process",
        process="criminal",
        lead_agency="Humberside Police",
        contact=CONTACT,
        status="ongoing",
    )
    assert CONTACT in text_of(process["value"])

    # The 6-month clock goes overdue: reminded in the partners' channel each working day.
    clock.set(datetime(2027, 6, 3, 10, tzinfo=UTC))
    await deliver(bot, clock.now)
    clock.set(datetime(2027, 6, 4, 10, tzinfo=UTC))
    await deliver(bot, clock.now)
    overdue = [
        c for c in cards_to(bot, PARTNERS_CHANNEL) if "Overdue: Complete the local CSPR" in c
    ]
    assert len(overdue) == 2

    # The draft and the final report: the review is complete and its clock met (late).
    await review.open()
    await review.done("draft", "2027-06-04")
    clock.set(datetime(2027, 6, 7, 10, tzinfo=UTC))
    final = await review.press(
        "review.milestone_done", milestone="final", done_on_final="2027-06-07"
    )
    assert "the review is complete, and its clock is met" in text_of(final["value"])
    local = next(
        c for c in await clocks(bot, date(2027, 6, 7)) if c.rule.id is ClockId.LOCAL_REVIEW
    )
    assert local.status is ClockStatus.MET_LATE
    assert m.REVIEW_COMPLETED in [e.kind for e in (await stored_case(bot)).events]

    # ...and its overdue reminders stop.
    for day in (7, 8, 9, 10):
        clock.set(datetime(2027, 6, day, 10, tzinfo=UTC))
        await deliver(bot, clock.now)
    still = [c for c in cards_to(bot, PARTNERS_CHANNEL) if "Overdue: Complete the local CSPR" in c]
    assert still == overdue, "no overdue reminder once the review is recorded complete"

    # A publication date in the past is refused; one that breaks the 7-working-day rule is
    # shown with a warning and kept only if confirmed.
    past = refusal(await review.press("review.plan_publication", publish_on="2027-06-04"))
    assert "in the past" in past
    events = len((await stored_case(bot)).events)
    warned = text_of(await review.press("review.plan_publication", publish_on="2027-06-14"))
    assert "breaks the 7-working-day rule" in warned
    assert "Record this date anyway" in warned
    assert len((await stored_case(bot)).events) == events, "nothing kept yet"
    planned = text_of(await review.press("review.plan_publication", publish_on="2027-07-01"))
    assert "by Tuesday 22 June 2027" in planned
    case = await stored_case(bot)
    plan = rv.review_of(case).publication  # type: ignore[union-attr]
    assert plan is not None
    assert plan.publish_on == date(2027, 7, 1)
    copy = next(c for c in await clocks(bot, date(2027, 6, 10)) if c.rule.id is ClockId.REPORT_COPY)
    assert copy.deadline.due == date(2027, 6, 22)

    # Copies to the three recipients, each with its date; the content checklist first.
    for recipient in ("panel", "secretary_of_state", "ofsted"):
        sent = await review.press("review.copy", recipient=recipient, sent_on="2027-06-10")
        assert sent["statusCode"] == 200, sent
    refused = refusal(await review.press("review.checklist", improvements="true", systemic="false"))
    assert "analysis of the systemic or underlying reasons" in refused
    confirmed = await review.press("review.checklist", improvements="true", systemic="true")
    assert "Record publication" in text_of(confirmed["value"])
    copy = next(c for c in await clocks(bot, date(2027, 6, 10)) if c.rule.id is ClockId.REPORT_COPY)
    assert copy.status is ClockStatus.MET

    # Publication, kept for at least a year.
    clock.set(datetime(2027, 7, 1, 10, tzinfo=UTC))
    published = text_of(await review.press("review.publish", published_on="2027-07-01"))
    assert "stays published until at least Saturday 1 July 2028" in published
    assert (await stored_case(bot)).stage is Stage.PUBLISHED

    # ``status`` shows the track without names, contacts or the family's views.
    status = text_of((await in_channel(bot, f"status {REF}"))[0])
    assert "Local child safeguarding practice review" in status
    assert "6 of 6 done" in status
    assert "Criminal investigation (ongoing)" in status
    assert "Thursday 1 July 2027" in status

    await deliver(bot, clock.now)
    assert_no_canaries(
        bot.connector, log_records, [FAMILY_VIEWS, CONTACT, "Jo Patel", "Mother described"]
    )


async def test_a_case_without_a_review_says_how_the_review_track_starts(make_bot: Any) -> None:
    bot: BotUnderTest = await make_bot()
    await notify(bot, harm={**NEITHER, "learning": "near_miss"})
    await bot.send(bot.teams.personal_message(HUB, f"review {REF}"))
    assert "No review has been started on case NL-2026-0001" in bot.connector.texts()[-1]
    pressed = await bot.send(
        bot.teams.card_action(
            HUB,
            "review.milestone_done",
            {"reference": REF, "version": 0, "milestone": "draft", "done_on": "2026-11-26"},
        )
    )
    assert "No review has been started" in refusal(pressed.body)
    malformed = await bot.send(
        bot.teams.card_action(
            HUB, "review.milestone_done", {"reference": REF, "version": 0, "milestone": "x"}
        )
    )
    assert "couldn't read" in refusal(malformed.body)
