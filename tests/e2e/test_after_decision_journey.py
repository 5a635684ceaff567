"""After the decision, end to end through the real app, on SQLite and PostgreSQL.

The main journey takes a local CSPR from the partners' decision (Wednesday 2 December 2026)
through its milestones (owners from the partnership's directory), a publication date that
breaks the 7-working-day copy rule (caught, nothing kept) and then a good one, the three
copies, the content checklist and publication, to the action plan - actions added by the Hub,
their owners' evidence, a refused close while actions are open, the Board's sign-off by a
partner - and the case's closure. The closed case still reads on ``status`` and ``plan``, and
the Board report shows it closed with its clocks. Shorter journeys do the same for a local
learning review and a national review, publication deferred for proceedings, and a case
recorded before the review track kept all its details.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from safeguarding import reviews as rv
from safeguarding.case import Stage
from safeguarding.case_clocks import ClockStatus
from safeguarding.clocks import ClockId, format_day
from tests.e2e.after_decision_support import (
    REF,
    REVIEWER,
    SAM_EMAIL,
    TOM,
    ReviewCard,
    agree_the_final_report,
    as_text,
    board_csv,
    board_row,
    in_channel,
    partners_decide,
    press,
    published_case,
    reach_the_partners_decision,
    reach_the_vote,
    refusal,
    revision_of,
    say,
    shown,
    store_case,
)
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.reminders_support import HUB_CHANNEL, Clock, cards_to, deliver, register
from tests.e2e.seed import ADMIN, HUB, PARTNER, PRACTITIONER
from tests.e2e.test_disputes import act, clocks
from tests.e2e.test_notification_journey import CANARY_NAME
from tests.e2e.test_rapid_review import SAM, hub_action, stored_case
from tests.harness.activities import TeamsUser
from tests.harness.canary import assert_no_canaries, log_records

__all__ = ["log_records"]


def clock_due(found: list[Any], clock_id: ClockId) -> Any:
    return next(c for c in found if c.rule.id is clock_id)


async def events(bot: BotUnderTest) -> int:
    return len((await stored_case(bot)).events)


async def finish_an_action(bot: BotUnderTest, owner: TeamsUser, number: int, evidence: str) -> None:
    """The action's owner opens the plan in a personal chat, records evidence, marks it done."""
    card = (await press(bot, owner, "action_plan.open"))["value"]
    revision = revision_of(card, number)
    recorded = shown(
        await press(
            bot, owner, "action_plan.evidence", number=number, revision=revision, evidence=evidence
        )
    )
    assert f"Evidence of completion recorded for action {number} by {owner.name}" in recorded
    done = shown(
        await press(
            bot, owner, "action_plan.status", number=number, revision=revision + 1, status="done"
        )
    )
    assert f"Action {number} marked 'Done' by {owner.name}" in done


async def add_action(bot: BotUnderTest, owner: str, due_on: str, **more: str) -> str:
    return shown(
        await press(
            bot,
            HUB,
            "action_plan.add",
            description=more.pop("description", "Check the referral pathway at every contact"),
            owner_email=owner,
            agency=more.pop("agency", ""),
            due_on=due_on,
            national=more.pop("national", "false"),
        )
    )


async def sign_off_and_close(bot: BotUnderTest, board_on: str) -> str:
    signed = shown(await press(bot, PARTNER, "action_plan.sign_off", board_on=board_on))
    assert "The Board's sign-off of the action plan recorded by Grace Okafor" in signed
    return shown(await press(bot, HUB, "action_plan.close"))


async def test_a_local_cspr_from_the_partners_decision_to_case_closure(
    make_bot: Any, log_records: list[logging.LogRecord]
) -> None:
    bot, clock = await reach_the_partners_decision(make_bot)
    await bot.send(bot.teams.personal_message(SAM, "hello"))
    review = ReviewCard(bot)
    await review.open()

    # -- the milestones: owners from the directory, in order --------------------------------
    before = await events(bot)
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
    assert "owner Jo Patel, target Wednesday 16 December 2026" in as_text(planned)
    assert await events(bot) == before + 2, "the refusal audited, the plan kept"
    drawn = rv.review_of(await stored_case(bot))
    early = refusal(
        await review.press("review.milestone_done", milestone="final", done_on_final="2026-12-02")
    )
    assert "'Final report agreed' can't be done before 'Draft report received'" in early
    now = rv.review_of(await stored_case(bot))
    assert drawn is not None
    assert now is not None
    assert now.milestones == drawn.milestones, "nothing changed"
    await agree_the_final_report(review, clock, on=date(2027, 5, 24))
    assert "the review is complete, and its clock is met" in as_text(review.card)

    # -- publication: the past refused, a date breaking the copy rule caught ---------------
    before = await events(bot)
    assert "in the past" in refusal(
        await review.press("review.plan_publication", publish_on="2027-05-21")
    )
    warned = as_text(await review.press("review.plan_publication", publish_on="2027-05-28"))
    assert "breaks the 7-working-day rule" in warned
    assert "Record this date anyway" in warned
    assert await events(bot) == before + 1, "only the refusal of the past date is kept"
    good = as_text(await review.press("review.plan_publication", publish_on="2027-06-30"))
    copy = clock_due(await clocks(bot, date(2027, 5, 24)), ClockId.REPORT_COPY)
    assert copy.deadline.due == date(2027, 6, 21)
    assert f"by {format_day(copy.deadline.due)}" in good
    for recipient in ("panel", "secretary_of_state", "ofsted"):
        sent = await review.press("review.copy", recipient=recipient, sent_on="2027-05-24")
        assert sent["statusCode"] == 200, sent
    assert "systemic" in refusal(
        await review.press("review.checklist", improvements="true", systemic="false")
    )
    assert "Record publication" in as_text(
        (await review.press("review.checklist", improvements="true", systemic="true"))["value"]
    )
    clock.set(datetime(2027, 6, 30, 10, tzinfo=UTC))
    published = as_text(await review.press("review.publish", published_on="2027-06-30"))
    assert "stays published until at least" in published
    assert (await stored_case(bot)).stage is Stage.PUBLISHED

    # -- the action plan: the Hub adds the actions ------------------------------------------
    plan = as_text(await say(bot, HUB, f"action plan {REF}"))
    assert f"Action plan: {REF}" in plan
    assert "directory" in refusal(
        await press(
            bot,
            HUB,
            "action_plan.add",
            description="x",
            owner_email="nobody@example.org",
            due_on="2027-07-14",
        )
    )
    unchanged = as_text(await say(bot, HUB, f"action plan {REF}"))
    assert "No actions have been added yet." in unchanged, "nothing changed"
    assert (await stored_case(bot)).stage is Stage.PUBLISHED
    assert "Action 1 added for Tom Reed" in await add_action(bot, TOM, "2027-07-14")
    second = await add_action(
        bot,
        SAM_EMAIL,
        "2027-07-30",
        agency="Humberside Police",
        description="Police to share strategy discussion outcomes with schools",
    )
    assert "Action 2 added for Sam Hughes" in second
    assert (await stored_case(bot)).stage is Stage.ACTION_PLAN

    # -- the owners' evidence; the plan can't close with open actions ----------------------
    clock.set(datetime(2027, 7, 7, 10, tzinfo=UTC))
    await finish_an_action(bot, PRACTITIONER, 1, "Audit of 40 contacts: pathway used every time")
    refused = refusal(await press(bot, HUB, "action_plan.close"))
    assert "action 2 (Humberside Police, due Friday 30 July 2027) is open" in refused
    assert "not yet signed the plan off" in refused
    case = await stored_case(bot)
    assert case.stage is Stage.ACTION_PLAN, "nothing changed"
    await finish_an_action(bot, SAM, 2, "Protocol agreed with the schools on 5 July")
    assert "Board's sign-off" in refusal(
        await press(bot, HUB, "action_plan.sign_off", board_on="2027-07-06")
    )

    # -- the Board signs off; the plan closes, and the case with it ------------------------
    closed = await sign_off_and_close(bot, "2027-07-06")
    assert f"Action plan closed, and case {REF} closed with it by Priya Shah" in closed
    assert (await stored_case(bot)).stage is Stage.CLOSED

    status = as_text(await say(bot, HUB, f"status {REF}"))
    assert "Closed" in status
    assert "6 of 6 done" in status
    assert "Wednesday 30 June 2027" in status  # published
    in_the_channel = as_text((await in_channel(bot, f"status {REF}"))[0])
    assert "Closed" in in_the_channel
    history = as_text(await say(bot, HUB, f"plan {REF}"))
    assert "Audit of 40 contacts" in history
    assert "Protocol agreed with the schools" in history
    assert "Add an action" not in history

    row = board_row(await board_csv(bot, PARTNER, never=(CANARY_NAME, "Zephyrine")))
    assert (row["Stage"], row["Open actions"], row["Oldest overdue action due"]) == (
        "Closed",
        "0",
        "",
    )
    assert row["Complete the local CSPR"] == "met"
    assert row["Send the final report to the Panel, Secretary of State and Ofsted"] == "met"
    local = clock_due(await clocks(bot, date(2027, 7, 7)), ClockId.LOCAL_REVIEW)
    assert local.status is ClockStatus.MET
    await deliver(bot, clock.now)
    assert not [r for r in log_records if "turn failed" in r.getMessage()]
    assert_no_canaries(
        bot.connector,
        log_records,
        [CANARY_NAME, "Audit of 40 contacts", "Protocol agreed with the schools", "Jo Patel"],
    )


async def test_a_local_learning_review_from_its_start_to_case_closure(make_bot: Any) -> None:
    bot, clock = await reach_the_vote(make_bot)
    await partners_decide(bot, clock, "learning_review")
    assert (await stored_case(bot)).stage is Stage.LEARNING_REVIEW

    review = ReviewCard(bot)
    card = as_text(await review.open())
    assert "Approach and lead reviewer agreed" in card
    assert "Learning agreed" in card
    clock.set(datetime(2026, 12, 14, 10, tzinfo=UTC))
    await review.done("approach", "2026-12-14")
    await review.done("learning_event", "2026-12-14")
    family = await review.press(
        "review.family", invited="true", invited_on="2026-12-14", children_invited="false", how="-"
    )
    assert family["statusCode"] == 200, family
    await review.done("learning_agreed", "2026-12-14")
    learning = clock_due(await clocks(bot, date(2026, 12, 14)), ClockId.LEARNING_REVIEW)
    assert learning.status is ClockStatus.MET

    assert "Action 1 added for Tom Reed" in await add_action(bot, TOM, "2027-01-15")
    open_action = refusal(await press(bot, HUB, "action_plan.close"))
    assert "action 1 (" in open_action
    assert "is open" in open_action
    assert (await stored_case(bot)).stage is not Stage.CLOSED
    clock.set(datetime(2027, 1, 8, 10, tzinfo=UTC))
    await finish_an_action(bot, PRACTITIONER, 1, "Pathway briefing given to every team")
    closed = await sign_off_and_close(bot, "2027-01-07")
    assert f"case {REF} closed with it" in closed
    assert (await stored_case(bot)).stage is Stage.CLOSED
    status = as_text(await say(bot, HUB, f"status {REF}"))
    assert "Closed" in status
    assert "Local learning review" in status
    row = board_row(await board_csv(bot, HUB))
    assert (row["Stage"], row["Open actions"]) == ("Closed", "0")


async def test_a_national_review_from_the_panel_to_case_closure(make_bot: Any) -> None:
    bot, clock = await reach_the_partners_decision(make_bot)
    await bot.send(bot.teams.personal_message(SAM, "hello"))
    clock.set(datetime(2026, 12, 10, 10, tzinfo=UTC))
    decided = await hub_action(
        bot,
        "rapid_review.panel_decided",
        {"decision": "national_review", "decided_on": "2026-12-09"},
    )
    assert decided["statusCode"] == 200, decided
    assert (await stored_case(bot)).stage is Stage.NATIONAL_REVIEW

    review = ReviewCard(bot)
    card = as_text(await review.open())
    assert "The Child Safeguarding Practice Review Panel leads this review" in card
    clock.set(datetime(2027, 3, 2, 10, tzinfo=UTC))
    published = as_text(await review.press("review.publish", published_on="2027-03-01"))
    assert "stays published until at least" in published
    assert "2030" in published, "a national review stays published for 3 years"
    assert (await stored_case(bot)).stage is Stage.PUBLISHED

    # The partners' response to the findings: a partner's, not the Hub's.
    partner = ReviewCard(bot, PARTNER)
    await partner.open()
    response = "The partnership accepts the findings; home visits are the first priority."
    answered = await partner.press("review.respond", responded_on="2027-03-02", summary=response)
    assert answered["statusCode"] == 200, answered
    assert "Grace Okafor, Tuesday 2 March 2027" in as_text(answered["value"])
    again = refusal(  # the same button again, from the card as it stands
        await act(
            bot,
            PARTNER,
            "review.respond",
            version=rv.review_version(await stored_case(bot)),
            responded_on="2027-03-02",
            summary=response,
        )
    )
    assert "already recorded" in again

    national = await add_action(
        bot,
        SAM_EMAIL,
        "2027-04-30",
        agency="Humberside Police",
        national="true",
        description="Adopt the national review's guidance on home visits",
    )
    assert "Action 1 · from the national review" in national
    clock.set(datetime(2027, 4, 20, 10, tzinfo=UTC))
    await finish_an_action(bot, SAM, 1, "Guidance adopted in force policy on 19 April")
    closed = await sign_off_and_close(bot, "2027-04-19")
    assert f"case {REF} closed with it" in closed
    status = as_text(await say(bot, HUB, f"status {REF}"))
    assert "Closed" in status
    assert "National review" in status


async def test_publication_deferred_for_proceedings(make_bot: Any) -> None:
    bot, clock = await reach_the_partners_decision(make_bot)
    review = ReviewCard(bot)
    await agree_the_final_report(review, clock, on=date(2027, 5, 24))
    process = await review.press(
        "review.process",
        process="criminal",
        lead_agency="Humberside Police",
        contact="DS Rowe",
        status="ongoing",
    )
    assert process["statusCode"] == 200, process
    planned = await review.press("review.plan_publication", publish_on="2027-06-30")
    assert planned["statusCode"] == 200, planned

    before = await events(bot)
    late_review = refusal(
        await review.press(
            "review.defer",
            defer_process="criminal",
            defer_publish_on="2027-09-30",
            defer_review_on="2027-10-04",
            defer_reason="The trial is listed for September.",
        )
    )
    assert "no later than the new publication date" in late_review
    assert await events(bot) == before + 1, "the refusal audited, nothing else"
    deferred = as_text(
        await review.press(
            "review.defer",
            defer_process="criminal",
            defer_publish_on="2027-09-30",
            defer_review_on="2027-08-02",
            defer_reason="The trial is listed for September.",
        )
    )
    copy = clock_due(await clocks(bot, date(2027, 5, 24)), ClockId.REPORT_COPY)
    assert copy.deadline.due == date(2027, 9, 21), "7 working days before the new date"
    new_copy_by = format_day(copy.deadline.due)
    assert "Publication deferred to Thursday 30 September 2027" in deferred
    assert new_copy_by in deferred
    assert "reviewed on Monday 2 August 2027" in deferred
    assert "The trial is listed for September." in deferred  # the Hub, in a personal chat
    status = as_text(await say(bot, HUB, f"status {REF}"))
    assert f"by {new_copy_by} (deferred)" in status

    # The Hub is prompted on the review date, once.
    clock.set(datetime(2027, 7, 30, 9, 1, tzinfo=UTC))
    await deliver(bot, clock.now)
    prompt = f"Deferred publication to review: case {REF}"
    assert not [c for c in cards_to(bot, HUB_CHANNEL) if prompt in c]
    for day in (2, 3):
        clock.set(datetime(2027, 8, day, 9, 1, tzinfo=UTC))
        await deliver(bot, clock.now)
    prompts = [c for c in cards_to(bot, HUB_CHANNEL) if prompt in c]
    assert len(prompts) == 1
    assert "Monday 2 August 2027" in prompts[0]
    assert "The trial is listed" not in prompts[0], "the reason stays out of the channel"


async def test_a_case_recorded_before_the_review_track_kept_its_details_still_reads(
    make_bot: Any, log_records: list[logging.LogRecord]
) -> None:
    clock = Clock(FIXED_NOW)
    bot: BotUnderTest = await make_bot(now=clock)
    await register(bot, "register hub", admin=ADMIN)
    await store_case(bot, published_case(older_layout=True), {"name": "Zebedee Quill"})

    status = as_text(await say(bot, HUB, f"status {REF}"))
    assert "Report published" in status
    card = as_text(await say(bot, HUB, f"review {REF}"))
    assert "Wednesday 25 November 2026" in card  # published
    assert "Final report to the Panel, the Secretary of State and Ofsted by" in card
    plan = as_text(await say(bot, HUB, f"action plan {REF}"))
    assert f"Action plan: {REF}" in plan
    assert as_text((await in_channel(bot, f"status {REF}"))[0])
    for day in (date(2026, 11, 27), date(2026, 11, 30), date(2026, 12, 1)):
        clock.set(datetime(day.year, day.month, day.day, 9, 1, tzinfo=UTC))
        await deliver(bot, clock.now)
    row = board_row(await board_csv(bot, HUB, never=("Zebedee",)))
    assert row["Stage"] == "Report published"
    failed = [r.getMessage() for r in log_records if "turn failed" in r.getMessage()]
    assert not failed
    assert not [r for r in log_records if r.exc_info]
