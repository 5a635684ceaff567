"""What the journeys after the decision share: reaching the partners' decision, the review
card in the Hub officer's personal chat, a local CSPR taken quickly to publication, the action
plan card's buttons, the Board report's downloads, and a case recorded as an older version
of the app recorded it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text

from bot_app.keys import cipher, data_keys, trail_keys
from safeguarding import milestones as m
from safeguarding.case import Actor, Case, Stage
from safeguarding.reference import CaseReference
from storage.db import create_engine, session_factory
from storage.uow import UnitOfWork
from tests.e2e.conftest import FIXED_NOW, BotUnderTest
from tests.e2e.reminders_support import (
    HUB_CHANNEL,
    HUB_TEAM,
    PARTNERS_CHANNEL,
    Clock,
    deliver,
    register,
)
from tests.e2e.seed import ADMIN, HUB, PARTNER, demo_user
from tests.e2e.test_disputes import act
from tests.e2e.test_governance import NEITHER, notify
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
from tests.harness.activities import TeamsUser, personal_conversation_id
from tests.harness.cards import assert_valid_card, card_in_invoke_response

REF = "NL-2026-0001"
REVIEWER = demo_user("Jo Patel")  # in the directory: owns the commissioning
TOM = "tom.reed@example.org"  # Tom Reed, a practitioner who never saw the case
SAM_EMAIL = "sam.hughes@example.org"


def text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


as_text = text_of


def version_of(card: Any) -> int:
    """The review version every button of the card carries."""
    if isinstance(card, dict):
        data = card.get("data")
        if isinstance(data, dict) and "version" in data and data.get("reference") == REF:
            return int(data["version"])
        for value in card.values():
            found = version_of(value)
            if found >= 0:
                return found
    elif isinstance(card, list):
        for value in card:
            found = version_of(value)
            if found >= 0:
                return found
    return -1


async def in_channel(bot: BotUnderTest, words: str) -> tuple[Any, str]:
    """The Hub officer mentions the bot in the Hub channel: the card it answers with, and
    the thread it is in."""
    activity = bot.teams.channel_message(HUB, words, team_id=HUB_TEAM, channel_id=HUB_CHANNEL)
    await bot.send(activity)
    return bot.connector.last_card(activity["conversation"]["id"]), str(activity["id"])


class ReviewCard:
    """A review card in a personal chat (the Hub officer's, unless said): press a button,
    keep the new card."""

    def __init__(self, bot: BotUnderTest, user: TeamsUser = HUB) -> None:
        self.bot = bot
        self.user = user
        self.card: Any = None

    async def open(self) -> Any:
        await self.bot.send(self.bot.teams.personal_message(self.user, f"review {REF}"))
        self.card = self.bot.connector.last_card()
        return self.card

    async def press(self, verb: str, **data: Any) -> dict[str, Any]:
        body = await act(self.bot, self.user, verb, version=version_of(self.card), **data)
        if body["statusCode"] == 200:
            self.card = body["value"]
        return body

    async def done(self, milestone: str, day: str) -> None:
        body = await self.press(
            "review.milestone_done", milestone=milestone, **{f"done_on_{milestone}": day}
        )
        assert body["statusCode"] == 200, body


async def reach_the_vote(make_bot: Any) -> tuple[BotUnderTest, Clock]:
    """A near miss (a local learning review route) notified, its rapid review started and
    the CSPR Group's vote open (the agencies' reports not waited for)."""
    clock = Clock(FIXED_NOW)
    bot: BotUnderTest = await make_bot(now=clock)
    await register(bot, "register hub", admin=ADMIN)
    await register(bot, "register csprg", admin=ADMIN, channel_id=CSPRG_CHANNEL)
    await register(bot, "register partners", admin=ADMIN, channel_id=PARTNERS_CHANNEL)
    await notify(bot, harm={**NEITHER, "learning": "near_miss"})
    await deliver(bot, clock.now)
    await hub_action(
        bot, "rapid_review.start", {"agencies": "Riverside Primary School"}, marker=f"Case {REF}"
    )
    await deliver(bot, clock.now)
    await hub_action(bot, "rapid_review.open_vote", {"anyway": "yes"})
    await deliver(bot, clock.now)
    return bot, clock


async def partners_decide(bot: BotUnderTest, clock: Clock, choice: str, *criteria: str) -> None:
    """The CSPR Group votes ``choice``, the Hub closes the vote and the partners confirm it
    on Wednesday 2 December 2026."""
    for member in (SAM, FIONA, MARK):
        cast = await bot.send(
            vote_action(member, bot, "vote.cast", ballot(member, choice, *criteria))
        )
        assert cast.body["statusCode"] == 200, cast.body
    closed = await hub_action(bot, "rapid_review.close_vote", {"reason": "Every member voted."})
    assert closed["statusCode"] == 200, closed
    clock.set(datetime(2026, 12, 2, 10, tzinfo=UTC))
    for partner in (PARTNER, HELEN, DAVID):
        confirmed = await bot.send(
            bot.teams.card_action(partner, "partners.confirm", {"reference": REF, "round": 1})
        )
        assert confirmed.body["statusCode"] == 200, confirmed.body


async def reach_the_partners_decision(make_bot: Any) -> tuple[BotUnderTest, Clock]:
    """The governance journey: a near miss the CSPR Group recommends for a local CSPR, the
    partners confirming on Wednesday 2 December 2026, the rapid review sent to the Panel."""
    bot, clock = await reach_the_vote(make_bot)
    await partners_decide(bot, clock, "local_cspr", "multi_agency")
    notified = await act(bot, HUB, "case.panel_notified", notified_on="2026-12-02")
    assert notified["statusCode"] == 200, notified
    sent = await hub_action(bot, "rapid_review.sent", {"sent_on": "2026-12-02"})
    assert sent["statusCode"] == 200, sent
    case = await stored_case(bot)
    assert case.stage is Stage.LOCAL_REVIEW
    return bot, clock


async def agree_the_final_report(review: ReviewCard, clock: Clock, *, on: date) -> None:
    """Every milestone of the local CSPR done in order, the final report agreed ``on``."""
    clock.set(datetime(2026, 12, 10, 10, tzinfo=UTC))
    await review.open()
    await review.done("commissioned", "2026-12-10")
    await review.done("methodology", "2026-12-10")
    await review.done("practitioners", "2026-12-10")
    family = await review.press(
        "review.family", invited="true", invited_on="2026-12-10", children_invited="true", how="-"
    )
    assert family["statusCode"] == 200, family
    clock.set(datetime(on.year, on.month, on.day, 10, tzinfo=UTC))
    await review.done("draft", on.isoformat())
    await review.done("final", on.isoformat())


# -- the action plan card -----------------------------------------------------------------


async def say(bot: BotUnderTest, user: TeamsUser, words: str) -> dict[str, Any]:
    """A personal message; the card the bot answered with."""
    await bot.send(bot.teams.personal_message(user, words))
    return bot.connector.last_card(personal_conversation_id(user.id))


async def press(bot: BotUnderTest, user: TeamsUser, verb: str, **data: Any) -> dict[str, Any]:
    """Press a card button in the user's personal chat; the answer's body."""
    reply = await bot.send(bot.teams.card_action(user, verb, {"reference": REF, **data}))
    assert reply.status == 200
    card = card_in_invoke_response(reply.body)
    if card is not None:
        assert_valid_card(card)
    return dict(reply.body)


def shown(body: dict[str, Any]) -> str:
    """The card an answer put in place of the pressed one, as text."""
    assert body["statusCode"] == 200, body
    return json.dumps(body["value"], ensure_ascii=False)


def refusal(body: dict[str, Any]) -> str:
    assert body["statusCode"] == 400, body
    return str(body["value"]["message"])


def revision_of(card: dict[str, Any], number: int) -> int:
    """The revision the card's buttons carry for an action (what a real press would send)."""
    found = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            data = node.get("data")
            if (
                node.get("verb") == "action_plan.status"
                and isinstance(data, dict)
                and data.get("number") == number
            ):
                found.append(int(data["revision"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    assert found, f"no status button for action {number}"
    return found[0]


async def board_csv(
    bot: BotUnderTest, user: TeamsUser, *, never: Iterable[str] = ()
) -> list[list[str]]:
    """The Board report's three downloads (none carrying any of ``never``): the CSV's rows."""
    card = await say(bot, user, "board report")
    urls = {a["title"]: a["url"] for a in card["actions"]}
    downloads = {}
    for title, url in urls.items():
        part = urlsplit(url)
        response = await bot.client.get(f"{part.path}?{part.query}")
        assert response.status == 200, title
        assert response.headers["Cache-Control"] == "no-store"
        downloads[title] = await response.text()
    for content in downloads.values():
        for word in never:
            assert word not in content
    assert f"<td>{REF}</td>" in downloads["Printable (HTML)"]
    assert f"| {REF} |" in downloads["Markdown"]
    return list(csv.reader(io.StringIO(downloads["Spreadsheet (CSV)"])))


def board_row(rows: list[list[str]], reference: str = REF) -> dict[str, str]:
    return next(dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[0] == reference)


async def raw_rows(bot: BotUnderTest, table: str) -> str:
    """Every row of a table as stored, as text."""
    engine = create_engine(bot.settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()
    finally:
        await engine.dispose()
    assert rows
    return repr(rows)


# -- a case as an older version of the app recorded it -------------------------------------


async def store_case(bot: BotUnderTest, case: Case, details: dict[str, str]) -> None:
    """Write a case (and its sealed details) straight into the bot's database."""
    settings = bot.settings
    engine = create_engine(settings.database_url)
    try:
        keys = data_keys(settings)
        unit = UnitOfWork(
            session_factory(engine), cipher=cipher(keys), trail=trail_keys(settings, keys)
        )
        async with unit as uow:
            await uow.cases.add(case)
            await uow.details.put(str(case.reference), details, at=case.opened_at)
            await uow.commit()
    finally:
        await engine.dispose()


def published_case(reference: str = REF, *, older_layout: bool = False) -> Case:
    """A local CSPR whose report was published on 25 November 2026, as its events.

    ``older_layout``: as recorded before the review track kept its details - the review
    started without its kind, publication planned without the copy deadline, one copy event
    for all three recipients, publication without the date to keep it until.
    """
    hub = Actor(id=HUB.aad_object_id, name=HUB.name)
    case = Case.open(
        reference=CaseReference.parse(reference),
        aware_on=date(2026, 3, 2),
        incident_on=date(2026, 2, 27),
        actor=hub,
        at=datetime(2026, 3, 2, 10, tzinfo=UTC),
    )

    def step(event: str, on: str, **data: str) -> None:
        case.record(
            event,
            actor=hub,
            at=datetime.fromisoformat(f"{on}T10:00:00+00:00"),
            what=f"{event} recorded.",
            data=data,
        )

    kind = {} if older_layout else {"kind": "local"}
    copy_by = {} if older_layout else {"copy_by": "2026-11-16"}
    step(m.PANEL_NOTIFIED, "2026-03-04", notified_on="2026-03-04", notified_by=HUB.name)
    for stage in (Stage.PANEL_NOTIFIED, Stage.RAPID_REVIEW, Stage.RECOMMENDATION):
        case.move_to(stage, actor=hub, at=datetime(2026, 3, 5, 10, tzinfo=UTC))
    case.move_to(Stage.PARTNERS_DECISION, actor=hub, at=datetime(2026, 3, 20, 10, tzinfo=UTC))
    step(m.RAPID_REVIEW_SENT, "2026-03-20", sent_on="2026-03-20")
    case.move_to(Stage.LOCAL_REVIEW, actor=hub, at=datetime(2026, 3, 23, 10, tzinfo=UTC))
    step(m.REVIEW_STARTED, "2026-03-23", decided_on="2026-03-23", **kind)
    step(m.PANEL_DECIDED, "2026-04-01", decided_on="2026-04-01", decision="agreed")
    # Six months from 23 March: completed a week late.
    step(m.REVIEW_COMPLETED, "2026-09-30", completed_on="2026-09-30")
    step(m.PUBLICATION_PLANNED, "2026-10-01", publish_on="2026-11-25", **copy_by)
    step(m.REPORT_COPIED, "2026-11-10", sent_on="2026-11-10")
    step(m.PUBLISHED, "2026-11-25", published_on="2026-11-25")
    case.move_to(Stage.PUBLISHED, actor=hub, at=datetime(2026, 11, 25, 10, tzinfo=UTC))
    return case
