"""Case governance through the real app, on SQLite and PostgreSQL: the Hub corrects and
reclassifies a case, no route escapes the Panel's clocks, "criteria not met" is the
representatives' decision and can be disputed, a local CSPR's clock starts with the
partners' decision, and a care leaver's death gets its own notification clock.

Today is Thursday 26 November 2026; the partners became aware on Monday 23 November.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from safeguarding import closure, panel
from safeguarding import rapid_review as rr
from safeguarding.case import Stage
from safeguarding.clocks import ClockId, format_day
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.disputes_support import raise_dispute
from tests.e2e.reminders_support import PARTNERS_CHANNEL, Clock, deliver, register
from tests.e2e.seed import ADMIN, HUB, PARTNER, PRACTITIONER, demo_user
from tests.e2e.test_disputes import act, clocks, personal_cards, refusal
from tests.e2e.test_notification_journey import STEPS, press, shown
from tests.e2e.test_rapid_review import (
    CSPRG_CHANNEL,
    DAVID,
    FIONA,
    HELEN,
    MARK,
    SAM,
    ballot,
    hub_action,
    stored_case,
    vote_action,
)

REF = "NL-2026-0001"
SCHOOL = "Riverside Primary School"
AMIRA = demo_user("Amira Khan")  # Riverside Primary School's safeguarding lead
NEITHER = {"outcome": "neither", "abuse": "not_suspected", "harm_types": "", "learning": "none"}


def text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def notify(bot: BotUnderTest, **steps: dict[str, str]) -> None:
    """Tom Reed (Riverside's practitioner) notifies, with some steps' answers changed."""
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    for step, values in STEPS.items():
        await press(bot, PRACTITIONER, **{**values, **steps.get(step, {})})
    await press(bot, PRACTITIONER, "submit")


def due(clock_list: list[Any], clock_id: ClockId) -> date:
    return next(c.deadline.due for c in clock_list if c.rule.id is clock_id)


async def test_a_case_entered_as_neither_is_reclassified_and_corrected_by_the_hub(
    make_bot: Any,
) -> None:
    bot: BotUnderTest = await make_bot()
    await notify(bot, harm=NEITHER)
    today = FIXED_NOW.date()
    assert not await clocks(bot, today), "outside the criteria as notified: no clock runs"

    # Refused with the reason, nothing changed, the attempt in the trail.
    no_reason = refusal(await act(bot, HUB, "case.correct", route="serious", reason=" "))
    assert "reason" in no_reason
    future = refusal(
        await act(bot, HUB, "case.correct", aware_on="2026-11-30", reason="Typed wrongly.")
    )
    assert "in the future" in future
    case = await stored_case(bot)
    assert case.facts["route"] == "outside"
    assert case.aware_on == date(2026, 11, 23)
    assert [e.kind for e in case.events][-2:] == [panel.REFUSED, panel.REFUSED]

    # Reclassified: the Panel's clocks run from the awareness date as first notified.
    shown = await act(
        bot, HUB, "case.correct", route="serious", reason="Fractures found on a skeletal survey."
    )
    assert "Saved" in text_of(shown["value"])
    running = await clocks(bot, today)
    assert due(running, ClockId.PANEL_NOTIFICATION) == date(2026, 11, 30)
    await bot.send(bot.teams.personal_message(HUB, f"status {REF}"))
    status = text_of(bot.connector.last_card())
    assert "Notify the Panel" in status
    assert format_day(date(2026, 11, 30)) in status
    assert "Reclassified by Priya Shah" in status or "Serious child safeguarding case" in status

    # A corrected awareness date moves every deadline, and the card says so.
    await act(bot, HUB, "case.correct", aware_on="2026-11-20", reason="The police knew first.")
    running = await clocks(bot, today)
    assert due(running, ClockId.PANEL_NOTIFICATION) == date(2026, 11, 27)
    hub_card = await act(bot, HUB, "case.panel_notified", notified_on="2026-11-26")
    card = text_of(hub_card["value"])
    assert "from Monday 23 November 2026 to Friday 20 November 2026" in card
    assert "Met on Thursday 26 November 2026" in card
    again = refusal(await act(bot, HUB, "case.panel_notified", notified_on="2026-11-26"))
    assert "already recorded" in again
    case = await stored_case(bot)
    corrected = [e for e in case.events if e.kind == "case.corrected"]
    assert corrected[0].data["changes"]["route"] == {"from": "outside", "to": "serious"}
    assert corrected[1].data["changes"]["aware_on"]["from"] == "2026-11-23", "history kept"
    assert [e.kind for e in case.events].count("panel.notified") == 1
    assert case.events[-1].kind == panel.REFUSED


async def test_an_llr_case_recommended_for_a_cspr_needs_the_panel_and_its_review_runs_from_the_partners(  # noqa: E501
    make_bot: Any,
) -> None:
    clock = Clock(FIXED_NOW)
    bot: BotUnderTest = await make_bot(now=clock)
    await register(bot, "register hub", admin=ADMIN)
    await register(bot, "register csprg", admin=ADMIN, channel_id=CSPRG_CHANNEL)
    await register(bot, "register partners", admin=ADMIN, channel_id=PARTNERS_CHANNEL)
    await notify(bot, harm={**NEITHER, "learning": "near_miss"})
    await deliver(bot, clock.now)
    assert (await stored_case(bot)).facts["route"] == "llr"
    await hub_action(bot, "rapid_review.start", {"agencies": SCHOOL}, marker=f"Case {REF}")
    await deliver(bot, clock.now)
    await hub_action(bot, "rapid_review.open_vote", {"anyway": "yes"})
    await deliver(bot, clock.now)
    for member in (SAM, FIONA, MARK):
        await bot.send(
            vote_action(member, bot, "vote.cast", ballot(member, "local_cspr", "multi_agency"))
        )
    await hub_action(bot, "rapid_review.close_vote", {"reason": "Every member has voted."})

    # The partners decide on Wednesday 2 December 2026: the local CSPR starts that day.
    clock.set(datetime(2026, 12, 2, 10, tzinfo=UTC))
    for partner in (PARTNER, HELEN, DAVID):
        await bot.send(
            bot.teams.card_action(partner, "partners.confirm", {"reference": REF, "round": 1})
        )
    running = await clocks(bot, date(2026, 12, 2))
    assert due(running, ClockId.LOCAL_REVIEW) == date(2027, 6, 2), "6 months from the partners"
    assert due(running, ClockId.PANEL_NOTIFICATION) == date(2026, 11, 30), "no route escapes"

    # The rapid review can't go to the Panel until the Panel has been notified.
    refused = await hub_action(bot, "rapid_review.sent", {"sent_on": "2026-12-02"})
    assert refused["statusCode"] == 400
    assert "no Panel notification is recorded" in refused["value"]["message"]
    case = await stored_case(bot)
    assert case.stage is Stage.PARTNERS_DECISION
    assert case.events[-1].kind == rr.REFUSED

    await act(bot, HUB, "case.panel_notified", notified_on="2026-12-02")
    await hub_action(bot, "rapid_review.sent", {"sent_on": "2026-12-02"})
    case = await stored_case(bot)
    assert case.stage is Stage.LOCAL_REVIEW, "the review does not wait for the Panel's answer"
    assert rr.awaiting_panel(case), "the Panel's answer is still tracked"
    other = await hub_action(
        bot,
        "rapid_review.panel_decided",
        {"decision": "other", "decided_on": "2026-12-02", "note": "The Panel asks for more."},
    )
    assert "record the Panel's decision when it is final" in text_of(other["value"])
    assert due(await clocks(bot, date(2026, 12, 2)), ClockId.LOCAL_REVIEW) == date(2027, 6, 2)


async def test_criteria_not_met_is_the_representatives_decision_and_can_be_disputed(
    make_bot: Any,
) -> None:
    bot: BotUnderTest = await make_bot(closure_confirmations=2)
    await notify(bot, reporter={"agency": SCHOOL})
    for someone in (SAM, FIONA, AMIRA):  # they have talked to the bot
        await bot.send(bot.teams.personal_message(someone, "help"))

    proposed = await act(bot, HUB, "case.not_met", reason="Accidental injury, no concerns.")
    assert "waiting for the partners' representatives" in text_of(proposed["value"])
    assert (await stored_case(bot)).stage is Stage.NOTIFIED, "one Hub officer does not close it"
    await deliver(bot, FIXED_NOW)
    assert any("Criteria not met? Case" in c for c in personal_cards(bot, SAM))

    refusal(await act(bot, HUB, "closure.confirm", number=1))  # the Hub has no seat
    first = await act(bot, SAM, "closure.confirm", number=1)
    assert "1 of 2 needed" in text_of(first["value"])
    await act(bot, SAM, "closure.confirm", number=1)  # twice: counted once
    decided = await act(bot, FIONA, "closure.confirm", number=1)
    assert "the case is closed" in text_of(decided["value"])
    case = await stored_case(bot)
    assert case.stage is Stage.CLOSED
    assert closure.closed_as_not_met(case) is not None
    await deliver(bot, FIXED_NOW)
    told = [c for c in personal_cards(bot, PRACTITIONER) if "criteria not met" in c]
    assert told, "the notifier is told"
    assert "Accidental injury" in told[-1], "with the reason"
    lead = [c for c in personal_cards(bot, AMIRA) if "criteria not met" in c]
    assert lead
    assert "Disagree (personal chat)" in lead[-1]

    # The school's lead disputes the decision; upheld, the case reopens.
    await raise_dispute(
        bot, AMIRA, REF, position="It meets the definition.", reasons="Long-term harm."
    )
    resolved = await act(
        bot, HUB, "dispute.resolve", number=1, stage=1, outcome="Agreed: reopen.", upheld="true"
    )
    assert resolved["statusCode"] == 200, resolved
    case = await stored_case(bot)
    assert case.stage is Stage.NOTIFIED
    assert case.closed_at is None
    assert closure.REOPENED in [e.kind for e in case.events]


async def test_a_care_leavers_death_gets_its_notification_clock(make_bot: Any) -> None:
    bot: BotUnderTest = await make_bot()
    await bot.send(bot.teams.personal_message(PRACTITIONER, "notify"))
    for step in ("reporter", "dates"):
        await press(bot, PRACTITIONER, **STEPS[step])
    await press(bot, PRACTITIONER, **{**STEPS["harm"], "abuse": "not_suspected"})
    young = {**STEPS["child"], "age_band": "5_10", "care_leaver": "true"}
    await press(bot, PRACTITIONER, **young)
    assert "can't be a care leaver" in text_of(shown(bot, PRACTITIONER))
    old = {**STEPS["child"], "age_band": "18_24", "care_leaver": "true", "care_leaver_age": "25"}
    await press(bot, PRACTITIONER, **old)
    assert "At 25, a care leaver is outside the rule" in text_of(shown(bot, PRACTITIONER))
    await press(bot, PRACTITIONER, **{**old, "cp_plan": "false", "care_leaver_age": "20"})
    for step in ("context", "identifiers"):
        await press(bot, PRACTITIONER, **STEPS[step])
    await press(bot, PRACTITIONER, "submit")

    running = await clocks(bot, FIXED_NOW.date())
    assert [c.rule.id for c in running] == [ClockId.CARE_LEAVER_DEATH]
    assert running[0].deadline.due == date(2026, 11, 30)
    recorded = await act(
        bot, HUB, "case.statutory_notified", notice="care_leaver_death", notified_on="2026-11-26"
    )
    assert "Met on Thursday 26 November 2026" in text_of(recorded["value"])
    twice = refusal(
        await act(
            bot,
            HUB,
            "case.statutory_notified",
            notice="care_leaver_death",
            notified_on="2026-11-26",
        )
    )
    assert "already recorded" in twice
    case = await stored_case(bot)
    assert [e.kind for e in case.events].count(panel.STATUTORY_NOTIFIED) == 1
