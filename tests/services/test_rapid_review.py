"""The rapid review, run as services (and handlers) on a real SQLite database: no Teams.

Each test starts from a case the Panel has been notified of, asks the agencies, and goes as
far as it needs: reports, the CSPR Group's vote (three members at the same instant), the
deadline pass, the partners and the Panel.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from bot_app.cases.messages import HubCards
from bot_app.cases.views import CaseSettings, CaseViews
from bot_app.core.answers import BeginDialog, Text, Toast
from bot_app.core.payloads import CaseArgs, CaseData
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn, Where
from bot_app.rapid_review import partner_services, services, vote_services
from bot_app.rapid_review.document import DocumentLinks, DocumentSettings, to_markdown
from bot_app.rapid_review.handlers import RapidReviewHandlers
from bot_app.rapid_review.messages import RapidReviewMessages
from bot_app.rapid_review.payloads import RecordSent
from bot_app.rapid_review.scheduled import VoteDeadlines
from bot_app.rapid_review.views import RapidReviewSettings, RapidReviewViews
from cards.base import Card
from dialogs.agency_report_form import ReportStart
from safeguarding import milestones
from safeguarding import rapid_review as rr
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.clocks import STATUTORY_CLOCKS
from safeguarding.errors import InvalidInput
from safeguarding.policy import Forbidden
from safeguarding.reference import CaseReference
from safeguarding.roles import Person, Role
from storage.outbox import ConversationTarget, OutboxRow
from storage.uow import UnitOfWork

NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)  # a Thursday
AFTER_THE_VOTE = datetime(2026, 12, 2, 10, tzinfo=UTC)  # the vote closes on 1 December
REFERENCE = CaseReference("NL", 2026, 1)
REF = str(REFERENCE)
POLICE = "Humberside Police"

HUB = Person("hub-1", "Priya Shah", roles=frozenset({Role.HUB_OFFICER}))
LEAD = Person("lead-1", "Omar Siddiqui", agency=POLICE, roles=frozenset({Role.AGENCY_LEAD}))
OTHER_LEAD = Person("lead-2", "Amira Khan", agency="Riverside School", roles=LEAD.roles)
MEMBERS = [
    Person(f"member-{n}", name, roles=frozenset({Role.CSPRG_MEMBER}))
    for n, name in enumerate(["Sam Hughes", "Fiona Grant", "Mark Ellis"], start=1)
]
PARTNER = Person("partner-1", "Helen Moss", roles=frozenset({Role.PARTNER}))
EVERYONE = [HUB, LEAD, OTHER_LEAD, *MEMBERS, PARTNER]

CASE_SETTINGS = CaseSettings(
    reference_prefix="NL",
    calendar=WorkingDayCalendar(),
    clocks=STATUTORY_CLOCKS,
    convention=CountingConvention.EXCLUDE_START,
    hub_contact="hub@example.org",
)
CASE_VIEWS = CaseViews(CASE_SETTINGS)
VIEWS = RapidReviewViews(
    RapidReviewSettings(
        reference_prefix="NL",
        calendar=CASE_SETTINGS.calendar,
        clocks=STATUTORY_CLOCKS,
        convention=CountingConvention.EXCLUDE_START,
        default_agencies=(POLICE, "Riverside School"),
        vote_rule=rr.VoteRule(),
        vote_working_days=3,
        partner_confirmations=0,
    ),
    CASE_VIEWS,
)


class Directory:
    """Everyone above, by role (and agency): the directory without a database."""

    async def people_with(
        self, uow: UnitOfWork, role: Role, agency: str | None = None
    ) -> list[Person]:
        return [
            p
            for p in EVERYONE
            if role in p.roles and (agency is None or p.agency.lower() == agency.lower())
        ]


PEOPLE = Directory()
MESSAGES = RapidReviewMessages(views=VIEWS, people=PEOPLE, hub_cards=HubCards(CASE_VIEWS, PEOPLE))


@pytest.fixture
async def tx(transactions: Transactions) -> Transactions:
    """A case the Panel has been notified of, on a fresh database."""
    await transactions.run(_notified_case)
    return transactions


async def _notified_case(uow: UnitOfWork) -> None:
    hub = Actor(id=HUB.object_id, name=HUB.name)
    case = Case.open(
        reference=REFERENCE,
        aware_on=date(2026, 11, 23),
        incident_on=date(2026, 11, 20),
        actor=hub,
        at=NOW,
        facts={"route": "serious", "agency": POLICE},
    )
    case.record(
        milestones.PANEL_NOTIFIED,
        actor=hub,
        at=NOW,
        what="Panel notified.",
        data={"notified_on": "2026-11-24"},
    )
    case.move_to(Stage.PANEL_NOTIFIED, actor=hub, at=NOW)
    await uow.cases.add(case)


# -- helpers -----------------------------------------------------------------------------------


async def start(tx: Transactions, *agencies: str) -> services.Shown:
    command = services.Start(REFERENCE, agencies or (POLICE,), HUB)
    return await tx.run(partial(services.start, command, now=NOW, messages=MESSAGES))


async def open_vote(tx: Transactions) -> None:
    await start(tx)
    command = vote_services.OpenVote(REFERENCE, HUB, anyway=True)  # no report is in yet
    await tx.run(
        partial(vote_services.open_vote, command, now=NOW, messages=MESSAGES, people=PEOPLE)
    )


async def vote(
    tx: Transactions, member: Person, choice: str = "learning_review", *, now: datetime = NOW
) -> services.Outcome:
    command = vote_services.CastBallot(
        reference=REFERENCE,
        round=1,
        choice=choice,
        criteria=("multi_agency",),
        rationale=f"{member.name}'s reasons against the criteria.",
        actor=member,
        teams_user_id=f"29:{member.object_id}",
    )
    return await tx.run(partial(vote_services.cast_vote, command, now=now, messages=MESSAGES))


async def stored(tx: Transactions) -> Case:
    return await tx.read(lambda uow: uow.cases.get(REFERENCE))


async def queued(tx: Transactions, *keys: str) -> list[str]:
    return [r.key for r in await tx.read(lambda uow: uow.outbox.find(keys))]


def words(card: Card) -> str:
    return json.dumps(card, ensure_ascii=False)


def turn(actor: Person, *, personal: bool = True, now: datetime = NOW) -> Turn:
    kind = "personal" if personal else "channel"
    return Turn(
        actor=actor,
        teams_user_id=f"29:{actor.object_id}",
        where=Where(kind, ConversationTarget(f"a:{kind}", "https://smba.example/", "t", "28:b")),
        activity_id="activity-1",
        now=now,
        today=VIEWS.today(now),
    )


def handlers(tx: Transactions) -> RapidReviewHandlers:
    links = DocumentLinks(
        signing_key=b"k" * 32,
        public_base_url="https://bot.example",
        calendar=CASE_SETTINGS.calendar,
    )
    return RapidReviewHandlers(tx=tx, views=VIEWS, messages=MESSAGES, links=links)


# -- starting and the agencies' reports --------------------------------------------------------


async def test_starting_asks_each_agencys_lead_personally_and_posts_the_tracker_to_the_hub(
    tx: Transactions,
) -> None:
    shown = await start(tx)

    assert "Not open yet" in words(shown.card)
    assert (await stored(tx)).stage is Stage.RAPID_REVIEW
    request = f"rr-request:{REF}:humberside police:person:lead-1"
    tracker = f"rapid-review:{REF}:person:hub-1"
    assert sorted(await queued(tx, request, tracker)) == sorted([request, tracker])


async def test_an_agency_not_in_the_directory_is_refused_on_the_start_card(
    tx: Transactions,
) -> None:
    shown = await start(tx, "Acme Security")

    assert "I don't know the agency 'Acme Security'." in words(shown.card)
    assert (await stored(tx)).stage is Stage.PANEL_NOTIFIED


async def test_a_report_is_thanked_once_and_a_second_press_of_send_changes_nothing(
    tx: Transactions,
) -> None:
    await start(tx)
    command = services.SendReport(
        REFERENCE, LEAD, "token-1", {"nil_reason": "Not known to us."}, nil_return=True
    )
    send = partial(services.send_report, command, now=NOW, messages=MESSAGES)

    first = await tx.run(send)
    again = await tx.run(send)

    assert first.message.startswith(f"Thank you: {POLICE}'s nil return for case {REF}")
    assert again.again, "the second press is told the report was already sent"
    assert (again.report.token, again.report.submitted_at) == ("token-1", NOW)
    status = rr.state_of(await stored(tx)).agencies[POLICE]
    assert (status.versions, status.nil_return) == (1, True)


async def test_a_lead_whose_agency_was_not_asked_cannot_write_a_report(tx: Transactions) -> None:
    await start(tx)

    with pytest.raises(Forbidden, match="Your agency was not asked"):
        await tx.read(
            partial(services.report_to_write, REFERENCE, OTHER_LEAD, now=NOW, views=VIEWS)
        )


async def test_report_opens_the_dialog_in_a_personal_chat_and_moves_there_from_a_channel(
    tx: Transactions,
) -> None:
    await start(tx)
    answers = handlers(tx)

    in_chat = await answers.report(turn(LEAD), CaseArgs(reference=REFERENCE))
    in_channel = await answers.report(turn(LEAD, personal=False), CaseArgs(reference=REFERENCE))

    assert in_chat == (
        BeginDialog(
            "agency_report",
            ReportStart(REF, POLICE, "Thursday 3 December 2026", late=False, replacing=False),
        ),
    )
    assert in_channel == (
        Text(
            "I've sent you a personal message to write the report there, so nothing about "
            "the case is shared here."
        ),
    )
    key = f"report-start:{REF}:activity-1"
    assert await queued(tx, key) == [key]


# -- the vote ----------------------------------------------------------------------------------


async def test_three_members_voting_at_the_same_instant_all_count(tx: Transactions) -> None:
    await open_vote(tx)

    results = await asyncio.gather(*(vote(tx, member) for member in MEMBERS))

    for result in results:
        assert isinstance(result, services.Shown)
        assert "Your vote was recorded: Local Learning Review, at 10:00 on" in words(result.card)
    ballots = await tx.read(lambda uow: uow.rapid_review.ballots(REF, 1))
    assert sorted(b.seat for b in ballots) == sorted(m.object_id for m in MEMBERS)
    cast = [e for e in (await stored(tx)).events if e.kind == rr.VOTE_CAST]
    assert len(cast) == 3, "each vote is in the trail once, however often it was retried"


async def test_the_same_vote_twice_is_already_recorded(tx: Transactions) -> None:
    await open_vote(tx)
    await vote(tx, MEMBERS[0])

    again = await vote(tx, MEMBERS[0])

    assert isinstance(again, services.Shown)
    assert "Already recorded at 10:00 on Thursday 26 November 2026: you voted Local Learning " in (
        words(again.card)
    )


async def test_a_vote_after_the_last_day_is_refused_and_the_attempt_kept_in_the_trail(
    tx: Transactions,
) -> None:
    await open_vote(tx)

    late = await vote(tx, MEMBERS[0], now=AFTER_THE_VOTE)

    assert isinstance(late, services.Refused)
    assert "closed at the end of Tuesday 1 December 2026" in late.message
    assert (await stored(tx)).events[-1].kind == rr.REFUSED


async def test_the_hub_closes_with_a_reason_once_the_quorum_is_in_and_refers_below_it(
    tx: Transactions,
) -> None:
    await open_vote(tx)
    await vote(tx, MEMBERS[0])

    def close(reason: str, *, refer: bool = False) -> Any:
        command = vote_services.CloseVote(REFERENCE, HUB, reason=reason, refer=refer)
        return tx.run(partial(vote_services.close_vote, command, now=NOW, messages=MESSAGES))

    below = await close("Mark is on leave.")
    with pytest.raises(InvalidInput, match="reason for closing the vote"):
        await close(" ")
    await vote(tx, MEMBERS[1])
    closed = await close("Mark Ellis is on leave until Friday.")

    assert isinstance(below, services.Refused)
    assert below.code == "BelowQuorum"
    assert "1 of the 2 votes needed is in" in below.message
    assert isinstance(closed, services.Shown)
    case = await stored(tx)
    assert case.stage is Stage.PARTNERS_DECISION
    closing = next(e for e in case.events if e.kind == rr.VOTE_CLOSED)
    assert closing.why == "Mark Ellis is on leave until Friday."
    key = f"partners:{REF}:1:person:partner-1"
    assert await queued(tx, key) == [key]


async def test_an_overdue_tied_vote_closes_on_the_next_tick_and_goes_to_the_hub(
    tx: Transactions,
) -> None:
    await open_vote(tx)
    await vote(tx, MEMBERS[0], "learning_review")
    await vote(tx, MEMBERS[1], "no_review")
    await vote(tx, MEMBERS[2], "abstain")
    deadlines = VoteDeadlines(tx=tx, messages=MESSAGES)

    assert await deadlines.close_due_votes(NOW) == 0, "not before its last day"
    assert await deadlines.close_due_votes(AFTER_THE_VOTE) == 1
    assert await deadlines.close_due_votes(AFTER_THE_VOTE) == 0, "a repeated tick"

    closed = rr.vote_closed(await stored(tx), 1)
    assert closed is not None
    assert closed.recommendation is None
    assert closed.reason == "the vote was tied"
    key = f"dispute:{REF}:vote:1:person:hub-1"
    assert await queued(tx, key) == [key]


# -- the partners and the Panel ----------------------------------------------------------------


async def _recommended(tx: Transactions) -> None:
    await open_vote(tx)
    for member in MEMBERS:
        await vote(tx, member, "local_cspr")
    close = vote_services.CloseVote(REFERENCE, HUB, reason="Every member has voted.")
    await tx.run(partial(vote_services.close_vote, close, now=NOW, messages=MESSAGES))


async def test_a_partner_challenge_raised_as_a_difference_of_opinion_is_referred_to_the_hub(
    tx: Transactions,
) -> None:
    await _recommended(tx)
    command = partner_services.Challenge(REFERENCE, 1, "Too narrow.", refer=True, actor=PARTNER)

    shown = await tx.run(partial(partner_services.challenge, command, now=NOW, messages=MESSAGES))

    assert isinstance(shown, services.Shown)
    assert "Challenged by Helen Moss: referred as a difference of opinion." in words(shown.card)
    case = await stored(tx)
    found = rr.partner_challenge(case, 1)
    assert found is not None
    assert found[1].referred
    assert any(k.startswith(f"dispute:{REF}:partners:1:") for k in await _all_keys(tx))


async def test_confirmed_then_sent_then_decided_by_the_panel(tx: Transactions) -> None:
    await _recommended(tx)
    confirm = partner_services.Confirm(REFERENCE, 1, PARTNER)
    await tx.run(partial(partner_services.confirm, confirm, now=NOW, messages=MESSAGES))
    sent = services.MarkSent(REFERENCE, date(2026, 11, 26), HUB)
    await tx.run(partial(services.record_sent, sent, now=NOW, messages=MESSAGES))
    decision = services.PanelAnswer(REFERENCE, date(2026, 11, 26), "agrees", "", HUB)

    shown = await tx.run(
        partial(services.record_panel_decision, decision, now=NOW, messages=MESSAGES)
    )

    assert "Decided: Agrees with the local decision" in words(shown.card)
    assert (await stored(tx)).stage is Stage.LOCAL_REVIEW


async def test_a_date_in_the_future_or_missing_is_refused_with_the_old_words(
    tx: Transactions,
) -> None:
    await _recommended(tx)
    future = services.MarkSent(REFERENCE, date(2026, 12, 25), HUB)

    with pytest.raises(InvalidInput, match="can't have been sent in the future"):
        await tx.run(partial(services.record_sent, future, now=NOW, messages=MESSAGES))
    with pytest.raises(
        InvalidInput,
        match=r"^Please choose the date the rapid review was sent with the date picker\.$",
    ):
        await handlers(tx).record_sent(turn(HUB), RecordSent(reference=REFERENCE))


async def test_the_document_lists_the_vote_and_its_download_is_in_the_access_log(
    tx: Transactions,
) -> None:
    await _recommended(tx)
    command = services.DownloadDocument(REFERENCE, HUB, printable=False)

    document = await tx.run(
        partial(
            services.download_document,
            command,
            now=NOW,
            views=VIEWS,
            settings=DocumentSettings(partnership="North Lincolnshire", include_initials=False),
        )
    )

    assert document is not None
    text = to_markdown(document)
    assert "Recommendation: **Local child safeguarding practice review**" in text
    assert "Sam Hughes's reasons against the criteria." in text
    log = await tx.read(lambda uow: uow.access_log.for_case(REF))
    assert [r.what for r in log] == ["downloaded the rapid review document (Markdown)"]


async def test_the_document_button_in_a_channel_sends_the_links_privately(
    tx: Transactions,
) -> None:
    await start(tx)

    answer = await handlers(tx).document_button(
        turn(HUB, personal=False), CaseData(reference=REFERENCE)
    )

    assert answer == Toast("I've sent the links to you in a personal chat.")
    key = f"rr-document:{REF}:hub-1:activity-1"
    assert await queued(tx, key) == [key]


async def _all_keys(tx: Transactions) -> Sequence[str]:
    async def keys(uow: UnitOfWork) -> list[str]:
        return list((await uow.session.execute(select(OutboxRow.key))).scalars())

    return await tx.read(keys)
