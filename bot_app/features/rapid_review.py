"""The rapid review journey: agencies asked, reports in, the CSPR Group's vote, the partners'
decision and the Panel (issue 6).

Each user action is one function in one unit of work, like the notification journey
(``features/cases.py``): load the case, check the actor (the policy at registration, then the
case-specific rule here), call the domain (``safeguarding/rapid_review.py``), queue what must
be posted or updated, commit once. Actions that touch the case at the same instant as others
(three members voting together) are retried when the case's version moved underneath them:
the ballots themselves are upserted rows, so a retry never loses or doubles a vote.

What is posted in channels carries references, agencies, dates and professionals' names only:
report text and rationales stay encrypted or in personal views, and in the Hub's document.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial
from typing import Any, Final, Protocol, TypeVar

from botbuilder.core import InvokeResponse
from botbuilder.dialogs import DialogSet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.directory import AGENCIES
from bot_app.features.cases import Cases, actor_of
from bot_app.invoke import card_response, error_response, message_response
from bot_app.notify import (
    NoChannel,
    People,
    channel_for,
    post_to_channel,
    post_to_hub,
    post_to_people,
    post_to_person,
    send_to_personal_chat,
    update_message,
)
from bot_app.payloads import date_in, reference_in, round_in
from bot_app.rapid_review_export import DocumentLinks
from bot_app.replies import send_card, send_text
from bot_app.routing import Router, Turn
from cards.base import Card, personal_start_card
from cards.case import VERB_START_RAPID_REVIEW, hub_card
from cards.rapid_review import (
    VERB_CANCEL,
    VERB_CHALLENGE,
    VERB_CLOSE_VOTE,
    VERB_CONFIRM,
    VERB_DOCUMENT,
    VERB_OPEN_VOTE,
    VERB_PANEL_DECIDED,
    VERB_SENT,
    VERB_START,
    AgencyLine,
    PartnersView,
    RequestView,
    StartView,
    TrackerView,
    document_card,
    partners_card,
    referral_card,
    request_card,
    start_card,
    tracker_card,
)
from cards.vote import VERB_CAST, VERB_REFRESH, MyVote, SeatLine, VoteCardView, vote_card
from dialogs.agency_report import DIALOG_ID, ReportStart, ReportSubmission
from dialogs.agency_report_form import content, is_nil
from safeguarding import rapid_review as rr
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import SYSTEM, Actor, Case, Stage
from safeguarding.case_clocks import CaseClock, case_clocks
from safeguarding.clocks import ClockId, ClockRule, clock_rule, compute_deadline, format_day
from safeguarding.errors import ConcurrencyConflict, InvalidInput
from safeguarding.policy import Action, Forbidden, require_seat, voting_seat
from safeguarding.reference import CaseReference
from safeguarding.reminders import ChannelPurpose
from safeguarding.roles import Person, Role
from storage.channels import agency_key
from storage.details import Cipher
from storage.outbox import OutboxRepository
from storage.people import PeopleRepository
from storage.rapid_review import RapidReviewRepository
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

T = TypeVar("T")
# Three members voting at once: each retry sees the others' events, so a few always suffice.
ATTEMPTS: Final = 8


@dataclass(frozen=True)
class RapidReviewSettings:
    reference_prefix: str
    calendar: WorkingDayCalendar
    clocks: tuple[ClockRule, ...]
    convention: CountingConvention
    default_agencies: Sequence[str]
    vote_rule: rr.VoteRule
    vote_working_days: int
    partner_confirmations: int  # 0: every partner in the directory


def tracker_key(reference: str) -> str:
    return f"rapid-review:{reference}"


def vote_key(reference: str, round_number: int) -> str:
    return f"vote:{reference}:{round_number}"


def partners_key(reference: str, round_number: int) -> str:
    return f"partners:{reference}:{round_number}"


class RapidReview:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        settings: RapidReviewSettings,
        people: People,
        cipher: Cipher,
        cases: Cases,
        dialogs: DialogSet,
        links: DocumentLinks,
    ) -> None:
        self._sessions = sessions
        self._s = settings
        self._people = people
        self._cipher = cipher
        self._cases = cases
        self._dialogs = dialogs
        self._links = links

    def register(self, router: Router) -> None:
        router.add_command(
            ["report"],
            self.report,
            usage="report <reference>",
            description="Write your agency's rapid review report (or a nil return) for a case.",
            action=Action.SUBMIT_AGENCY_REPORT,
        )
        router.add_command(
            ["rapid-review"],
            self.document,
            usage="rapid-review <reference>",
            description="Links to the rapid review document for the Panel (printable, Markdown).",
            action=Action.RECORD_PANEL_EXCHANGE,
        )
        hub = Action.START_RAPID_REVIEW
        router.add_verb(VERB_START_RAPID_REVIEW, self.choose_agencies, action=hub)
        router.add_verb(VERB_START, self.start, action=hub)
        router.add_verb(VERB_CANCEL, self.cancel_start, action=hub)
        router.add_verb(VERB_OPEN_VOTE, self.open_vote, action=hub)
        router.add_verb(VERB_CLOSE_VOTE, self.close_vote, action=hub)
        router.add_verb(VERB_SENT, self.record_sent, action=Action.RECORD_PANEL_EXCHANGE)
        router.add_verb(
            VERB_PANEL_DECIDED, self.record_panel_decision, action=Action.RECORD_PANEL_EXCHANGE
        )
        router.add_verb(VERB_DOCUMENT, self.document_button, action=Action.RECORD_PANEL_EXCHANGE)
        router.add_verb(VERB_CAST, self.cast_vote, action=Action.VOTE)
        router.add_verb(VERB_REFRESH, self.refresh_vote, action=Action.VIEW_CASE)
        router.add_verb(VERB_CONFIRM, self.confirm, action=Action.DECIDE_RECOMMENDATION)
        router.add_verb(VERB_CHALLENGE, self.challenge, action=Action.DECIDE_RECOMMENDATION)

    # --- 1. starting ---------------------------------------------------------------------

    async def choose_agencies(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        """The Hub pressed "Start rapid review": show the agencies to ask, on the same card."""
        reference = reference_in(data)
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
            agencies = await self._agencies(uow)
        if not rr.can_start(case) or rr.state_of(case).started:
            return card_response(hub_card(self._cases.card_view(case, turn.today)))
        notifying = str(case.facts.get("agency", ""))
        return card_response(
            start_card(
                StartView(
                    reference=str(reference),
                    agencies=agencies,
                    preselected=[a for a in agencies if agency_key(a) == agency_key(notifying)],
                    due=format_day(self._agency_due(turn.today)),
                )
            )
        )

    async def cancel_start(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference_in(data))
        return card_response(hub_card(self._cases.card_view(case, turn.today)))

    async def start(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        reference = reference_in(data)
        chosen = [a.strip() for a in str(data.get("agencies") or "").split(",") if a.strip()]

        async def attempt() -> InvokeResponse:
            async with UnitOfWork(self._sessions) as uow:
                case = await uow.cases.get(reference)
                if rr.state_of(case).started:  # a second press, or another officer first
                    return card_response(hub_card(self._cases.card_view(case, turn.today)))
                known = await self._agencies(uow)
                unknown = [a for a in chosen if a not in known]
                if unknown or not chosen:
                    return card_response(
                        start_card(
                            StartView(
                                reference=str(reference),
                                agencies=known,
                                preselected=[a for a in chosen if a in known],
                                due=format_day(self._agency_due(turn.today)),
                                error="Choose at least one agency from the list."
                                if not unknown
                                else f"I don't know the agency '{unknown[0]}'.",
                            )
                        )
                    )
                actor = actor_of(turn.actor)
                rr.start(case, chosen, requested_on=turn.today, actor=actor, at=turn.now)
                due = format_day(self._agency_due(turn.today))
                for agency in chosen:
                    await self._request(uow, str(reference), agency, due, turn)
                await post_to_hub(
                    uow,
                    tracker_card(await self._tracker_view(uow, case, turn.today)),
                    tracker_key(str(reference)),
                    str(reference),
                    people=self._people,
                    now=turn.now,
                )
                card = await self._save(uow, case, turn, tracker=False)
                await uow.commit()
            log.info("rapid review of %s started: %d agencies", reference, len(chosen))
            return card_response(card)

        return await _retrying(attempt)

    async def _request(
        self, uow: UnitOfWork, reference: str, agency: str, due: str, turn: Turn
    ) -> None:
        """Ask the agency's safeguarding leads personally, else the agency's channel (or the
        Hub's, which then passes the request on)."""
        card = request_card(RequestView(reference=reference, agency=agency, due=due))
        key = f"rr-request:{reference}:{agency_key(agency)}"
        leads = await self._people.people_with(Role.AGENCY_LEAD, agency)
        if leads:
            await post_to_people(uow, leads, card, key, reference, now=turn.now)
            return
        try:
            await post_to_channel(
                uow, ChannelPurpose.AGENCY, card, key, reference, now=turn.now, agency=agency
            )
        except NoChannel:
            log.warning("no safeguarding lead or channel to ask %s for a report", reference)

    # --- 2. agency reports ---------------------------------------------------------------

    async def report(self, turn: Turn, args: str) -> None:
        """``report <reference>``: start the report dialog, in the lead's personal chat only."""
        if not args.strip():
            raise InvalidInput(f"Which case? For example: report {self._s.reference_prefix}-2026-1")
        reference = CaseReference.parse(args, prefix=self._s.reference_prefix)
        if not turn.is_personal:
            await send_to_personal_chat(
                self._sessions,
                turn,
                _start_report_card(str(reference)),
                key=f"report-start:{reference}",
                case_reference=str(reference),
            )
            await send_text(
                turn.context,
                "I've sent you a personal message to write the report there, so nothing about "
                "the case is shared here.",
            )
            return
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
        status = self._agency_status(case, turn)
        state = rr.state_of(case)
        if state.sent_on is not None:
            raise InvalidInput(
                f"The rapid review of case {reference} has already gone to the Panel. If your "
                "agency has more to add, contact the Hub."
            )
        due = self._agency_due(status.requested_on)
        dialog_context = await self._dialogs.create_context(turn.context)
        await dialog_context.cancel_all_dialogs()
        await dialog_context.begin_dialog(
            DIALOG_ID,
            ReportStart(
                reference=str(reference),
                agency=status.agency,
                due=format_day(due),
                late=turn.today > due,
                replacing=status.submitted_on is not None,
            ),
        )

    async def submit_report(self, turn: Turn, submission: ReportSubmission) -> None:
        """The lead pressed Send: store the report encrypted, record the fact, update the
        tracker - once, however often Send is pressed."""
        reference = CaseReference.parse(submission.reference)

        async def attempt() -> str:
            async with UnitOfWork(self._sessions) as uow:
                reports = RapidReviewRepository(uow.session, self._cipher)
                case = await uow.cases.get(reference)
                status = self._agency_status(case, turn)
                if await reports.report_token(str(reference), status.agency) == submission.token:
                    return f"That report was already sent for case {reference}: nothing changed."
                due = self._agency_due(status.requested_on)
                actor = actor_of(turn.actor)
                event = rr.record_report(
                    case,
                    status.agency,
                    submitted_on=turn.today,
                    due=due,
                    nil_return=is_nil(submission.answers),
                    actor=actor,
                    at=turn.now,
                )
                await reports.put_report(
                    str(reference),
                    agency=status.agency,
                    content=content(submission.answers),
                    nil_return=is_nil(submission.answers),
                    late=bool(event.data["late"]),
                    version=int(event.data["version"]),
                    token=submission.token,
                    by=actor,
                    at=turn.now,
                )
                await self._save(uow, case, turn)
                await uow.commit()
            late = f" It was due on {format_day(due)}, so it is recorded as late." * bool(
                event.data["late"]
            )
            again = " It replaces your earlier version." * (int(event.data["version"]) > 1)
            kind = "nil return" if is_nil(submission.answers) else "report"
            return (
                f"Thank you: {status.agency}'s {kind} "
                f"for case {reference} has been sent to the Hub.{again}{late} You can send a new "
                f"version with **report {reference}**."
            )

        await send_text(turn.context, await _retrying(attempt))

    def _agency_status(self, case: Case, turn: Turn) -> rr.AgencyStatus:
        """The request to the actor's agency on this case, or ``Forbidden`` (audited in the log)."""
        mine = agency_key(turn.actor.agency)
        for status in rr.state_of(case).agencies.values():
            if mine and agency_key(status.agency) == mine:
                return status
        log.warning(
            "report refused on %s: %s's agency was not asked", case.reference, turn.actor.object_id
        )
        raise Forbidden(
            f"Your agency was not asked for a report on case {case.reference}, so you can't send "
            "one. If you think it should be, contact the Hub."
        )

    # --- 3-4. the vote -------------------------------------------------------------------

    async def open_vote(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        reference = reference_in(data)
        members = await self._people.people_with(Role.CSPRG_MEMBER)
        deputies = await self._people.people_with(Role.CSPRG_DEPUTY)
        seats = {p.object_id: p.name for p in members}
        closes_on = self._s.calendar.add_working_days(turn.today, self._s.vote_working_days)

        async def attempt() -> InvokeResponse:
            async with UnitOfWork(self._sessions) as uow:
                case = await uow.cases.get(reference)
                if rr.state_of(case).vote_open:  # pressed twice
                    return card_response(
                        tracker_card(await self._tracker_view(uow, case, turn.today))
                    )
                number = rr.open_vote(
                    case, seats, closes_on=closes_on, actor=actor_of(turn.actor), at=turn.now
                )
                ids = [*seats, *(d.object_id for d in deputies)]
                card = vote_card(await self._vote_view(uow, case, number, user_ids_of=ids))
                await _post_to_group(
                    uow,
                    ChannelPurpose.CSPRG,
                    [*members, *deputies],
                    card,
                    vote_key(str(reference), number),
                    str(reference),
                    now=turn.now,
                )
                tracker = await self._save(uow, case, turn)
                await uow.commit()
            return card_response(tracker)

        return await _retrying(attempt)

    async def cast_vote(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        reference, number = reference_in(data), round_in(data)
        seat = require_seat(turn.actor)

        async def attempt() -> InvokeResponse:
            async with UnitOfWork(self._sessions) as uow:
                votes = RapidReviewRepository(uow.session, self._cipher)
                case = await uow.cases.get(reference)
                try:
                    current = rr.check_vote_open(case, number, turn.today)
                except rr.VoteClosed as refused:
                    return await self._refuse(uow, case, turn, "vote", refused.user_message)
                if seat not in current.seats:
                    log.warning("vote refused on %s: seat not in round %d", reference, number)
                    raise Forbidden(
                        f"You don't hold one of the seats voting in round {number} on case "
                        f"{reference}. Nothing was changed."
                    )
                ballot = rr.make_ballot(
                    seat=seat,
                    voter=actor_of(turn.actor),
                    choice=str(data.get("choice") or ""),
                    criteria=str(data.get("criteria") or "").split(","),
                    rationale=str(data.get("rationale") or ""),
                )
                before = next(
                    (b for b in await votes.ballots(str(reference), number) if b.seat == seat), None
                )
                if (
                    before is not None
                    and before.same_vote(ballot)
                    and before.voter_id == ballot.voter_id
                ):
                    view = await self._vote_view(uow, case, number, viewer=seat)
                    return card_response(
                        vote_card(_noticed(view, "Your vote is already recorded."))
                    )
                await votes.put_ballot(
                    str(reference), number, ballot, teams_user_id=turn.teams_user_id, at=turn.now
                )
                rr.record_ballot(
                    case, ballot, round_number=number, changed=before is not None, at=turn.now
                )
                await self._update_vote_cards(uow, case, number, turn)
                await self._save(uow, case, turn)
                view = await self._vote_view(uow, case, number, viewer=seat)
                await uow.commit()
            log.info("vote cast on %s (round %d)", reference, number)
            return card_response(vote_card(_noticed(view, "Your vote was recorded.")))

        return await _retrying(attempt)

    async def refresh_vote(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        """Teams asks for this person's view of the vote card (refresh.userIds)."""
        reference, number = reference_in(data), round_in(data)
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
            view = await self._vote_view(uow, case, number, viewer=voting_seat(turn.actor))
        return card_response(vote_card(view))

    async def close_vote(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        """The Hub closes the vote: early once every vote needed is in, or after its date."""
        reference = reference_in(data)

        async def attempt() -> InvokeResponse:
            async with UnitOfWork(self._sessions) as uow:
                case = await uow.cases.get(reference)
                current = rr.state_of(case).round
                if current is None or current.closed:
                    view = await self._tracker_view(uow, case, turn.today)
                    return card_response(tracker_card(view))
                ballots = await RapidReviewRepository(uow.session, self._cipher).ballots(
                    str(reference), current.number
                )
                needed = self._s.vote_rule.needed(len(current.seats))
                if turn.today <= current.closes_on and len(ballots) < needed:
                    return error_response(
                        "VoteStillOpen",
                        f"{len(ballots)} of the {needed} votes needed are in. The vote stays open "
                        f"until {format_day(current.closes_on)}; you can close it early once "
                        "they are all in.",
                    )
                tracker = await self._close(uow, case, actor_of(turn.actor), turn)
                await uow.commit()
            return card_response(tracker)

        return await _retrying(attempt)

    async def close_due_votes(self, now: datetime) -> int:
        """A scheduler pass: close every vote whose last day has passed (a tie or a missing
        quorum then goes to the Hub as a difference of opinion). Returns how many closed."""
        moment = _Moment(now=now, today=self._s.calendar.local_date(now))
        async with UnitOfWork(self._sessions) as uow:
            open_cases = await uow.cases.list_open(limit=1000)
        closed = 0
        for found in open_cases:
            if _vote_due(found, moment.today) is None:
                continue
            try:
                closed += await _retrying(partial(self._close_due, found.reference, moment))
            except Exception:  # one case's failure must not stop the others
                log.exception("could not close the overdue vote on %s", found.reference)
        return closed

    async def _close_due(self, reference: CaseReference, moment: _Moment) -> int:
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
            if _vote_due(case, moment.today) is None:
                return 0
            await self._close(uow, case, SYSTEM, moment)
            await uow.commit()
        log.info("vote on %s closed at its deadline", reference)
        return 1

    async def _close(self, uow: UnitOfWork, case: Case, actor: Actor, at: Moment) -> Card:
        current = rr.state_of(case).round
        assert current is not None
        reference = str(case.reference)
        ballots = await RapidReviewRepository(uow.session, self._cipher).ballots(
            reference, current.number
        )
        result = rr.close_vote(case, ballots, rule=self._s.vote_rule, actor=actor, at=at.now)
        await self._update_vote_cards(uow, case, current.number, at)
        if result.recommendation is not None:
            await self._post_partners_card(uow, case, current.number, at)
        else:
            await self._post_referral(
                uow,
                reference,
                f"dispute:{reference}:vote:{current.number}",
                f"The CSPR Group vote (round {current.number}) ended without a recommendation: "
                f"{result.reason}. The Hub can open a new round.",
                at,
            )
        return await self._save(uow, case, at)

    # --- 5. the partners -----------------------------------------------------------------

    async def confirm(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        reference, number = reference_in(data), round_in(data)
        required = await self._partners_required()

        async def attempt() -> InvokeResponse:
            async with UnitOfWork(self._sessions) as uow:
                case = await uow.cases.get(reference)
                before = len(case.events)
                try:
                    rr.confirm(
                        case,
                        round_number=number,
                        required=required,
                        actor=actor_of(turn.actor),
                        at=turn.now,
                    )
                except rr.VoteClosed as refused:
                    return await self._refuse(
                        uow, case, turn, "partner decision", refused.user_message
                    )
                card = partners_card(await self._partners_view(case, number, required))
                if len(case.events) > before:
                    await self._update_copies(
                        uow, partners_key(str(reference), number), card, case, turn
                    )
                    await self._save(uow, case, turn)
                    await uow.commit()
            return card_response(card)

        return await _retrying(attempt)

    async def challenge(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        reference, number = reference_in(data), round_in(data)
        refer = data.get("outcome") == "dispute"
        required = await self._partners_required()

        async def attempt() -> InvokeResponse:
            async with UnitOfWork(self._sessions) as uow:
                case = await uow.cases.get(reference)
                try:
                    rr.challenge(
                        case,
                        round_number=number,
                        reason=str(data.get("reason") or ""),
                        refer=refer,
                        actor=actor_of(turn.actor),
                        at=turn.now,
                    )
                except rr.VoteClosed as refused:
                    return await self._refuse(
                        uow, case, turn, "partner decision", refused.user_message
                    )
                view = await self._partners_view(case, number, required)
                card = partners_card(view)
                await self._update_copies(
                    uow, partners_key(str(reference), number), card, case, turn
                )
                if refer:
                    await self._post_referral(
                        uow,
                        str(reference),
                        f"dispute:{reference}:partners:{number}:{len(case.events)}",
                        f"{turn.actor.name} challenged the CSPR Group's recommendation and raised "
                        "a difference of opinion. The reason is in the case's trail.",
                        turn,
                    )
                await self._save(uow, case, turn)
                await uow.commit()
            return card_response(card)

        return await _retrying(attempt)

    # --- 6. the Panel --------------------------------------------------------------------

    async def record_sent(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        reference = reference_in(data)
        sent_on = date_in(data, "sent_on", "the date the rapid review was sent")
        if sent_on > turn.today:
            raise InvalidInput("The rapid review can't have been sent in the future.")

        async def attempt() -> InvokeResponse:
            async with UnitOfWork(self._sessions) as uow:
                case = await uow.cases.get(reference)
                if rr.state_of(case).sent_on is not None:  # pressed twice
                    return card_response(
                        tracker_card(await self._tracker_view(uow, case, turn.today))
                    )
                due = next(
                    (
                        c.deadline.due
                        for c in self._clocks(case, turn.today)
                        if c.rule.id is ClockId.RAPID_REVIEW
                    ),
                    None,
                )
                rr.record_sent(
                    case, sent_on=sent_on, due=due, actor=actor_of(turn.actor), at=turn.now
                )
                tracker = await self._save(uow, case, turn)
                await uow.commit()
            return card_response(tracker)

        return await _retrying(attempt)

    async def record_panel_decision(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        reference = reference_in(data)
        decided_on = date_in(data, "decided_on", "the date of the Panel's decision")
        if decided_on > turn.today:
            raise InvalidInput("The Panel can't have decided in the future.")
        try:
            decision = rr.PanelDecision(str(data.get("decision") or ""))
        except ValueError:
            raise InvalidInput("Please choose the Panel's decision.") from None

        async def attempt() -> InvokeResponse:
            async with UnitOfWork(self._sessions) as uow:
                case = await uow.cases.get(reference)
                rr.record_panel_decision(
                    case,
                    decision,
                    decided_on=decided_on,
                    note=str(data.get("note") or ""),
                    actor=actor_of(turn.actor),
                    at=turn.now,
                )
                tracker = await self._save(uow, case, turn)
                await uow.commit()
            return card_response(tracker)

        return await _retrying(attempt)

    # --- 7. the document -----------------------------------------------------------------

    async def document(self, turn: Turn, args: str) -> None:
        if not args.strip():
            raise InvalidInput(
                f"Which case? For example: rapid-review {self._s.reference_prefix}-2026-0001"
            )
        reference = CaseReference.parse(args, prefix=self._s.reference_prefix)
        card = await self._document_card(reference, turn)
        if turn.is_personal:
            await send_card(turn.context, card)
            return
        await self._send_privately(turn, reference, card)
        await send_text(turn.context, "I've sent the links to you in a personal chat.")

    async def document_button(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        reference = reference_in(data)
        card = await self._document_card(reference, turn)
        if turn.is_personal:
            return card_response(card)
        await self._send_privately(turn, reference, card)
        return message_response("I've sent the links to you in a personal chat.")

    async def _document_card(self, reference: CaseReference, turn: Turn) -> Card:
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
        if not rr.state_of(case).started:
            raise InvalidInput(f"The rapid review of case {reference} has not started yet.")
        log.info("rapid review document links for %s issued to %s", reference, turn.actor.object_id)
        return document_card(self._links.links(str(reference), turn.actor))

    async def _send_privately(self, turn: Turn, reference: CaseReference, card: Card) -> None:
        async with UnitOfWork(self._sessions) as uow:
            await post_to_person(
                uow,
                turn.actor.object_id,
                card,
                f"rr-document:{reference}:{turn.actor.object_id}:{turn.context.activity.id}",
                str(reference),
                now=turn.now,
            )
            await uow.commit()

    # --- helpers -------------------------------------------------------------------------

    async def _save(self, uow: UnitOfWork, case: Case, at: Moment, *, tracker: bool = True) -> Card:
        """Update the tracker and the Hub's case card in place, and save the case."""
        card = tracker_card(await self._tracker_view(uow, case, at.today))
        if tracker:
            await self._update_copies(uow, tracker_key(str(case.reference)), card, case, at)
        await self._cases.refresh_hub_card(uow, case, today=at.today, now=at.now)
        return card

    async def _update_copies(
        self, uow: UnitOfWork, key: str, card: Card, case: Case, at: Moment
    ) -> None:
        for original in await OutboxRepository(uow.session).copies_of(key):
            await update_message(
                uow,
                original,
                card,
                f"{original}:update:{len(case.events)}",
                now=at.now,
                case_reference=str(case.reference),
            )

    async def _update_vote_cards(
        self, uow: UnitOfWork, case: Case, number: int, at: Moment
    ) -> None:
        deputies = await self._people.people_with(Role.CSPRG_DEPUTY)
        current = rr.state_of(case).round_number(number)
        ids = [*(current.seats if current else ()), *(d.object_id for d in deputies)]
        card = vote_card(await self._vote_view(uow, case, number, user_ids_of=ids))
        await self._update_copies(uow, vote_key(str(case.reference), number), card, case, at)

    async def _vote_view(
        self,
        uow: UnitOfWork,
        case: Case,
        number: int,
        *,
        viewer: str | None = None,
        user_ids_of: Sequence[str] = (),
    ) -> VoteCardView:
        """The vote card's view: ``viewer`` (a seat) gets their own vote; ``user_ids_of`` the
        people whose Teams ids go into ``refresh`` (the shared card)."""
        reference = str(case.reference)
        state = rr.state_of(case)
        current = state.round_number(number)
        if current is None:
            raise InvalidInput(f"There is no round {number} of the vote on case {reference}.")
        repository = RapidReviewRepository(uow.session, self._cipher)
        ballots = {b.seat: b for b in await repository.ballots(reference, number)}
        closed = current.closed
        seats = [
            SeatLine(
                member=name,
                voted=seat in ballots,
                by=ballots[seat].voter_name
                if seat in ballots and ballots[seat].voter_id != seat
                else "",
                choice=ballots[seat].choice.value if closed and seat in ballots else "",
                criteria=[c.label for c in ballots[seat].criteria]
                if closed and seat in ballots
                else (),
            )
            for seat, name in current.seats.items()
        ]
        mine = ballots.get(viewer) if viewer else None
        outcome = ""
        if closed:
            outcome = (
                f"recommendation: {current.recommendation.label} ({current.reason})"
                if current.recommendation
                else f"no recommendation ({current.reason}); referred to the Hub"
            )
        return VoteCardView(
            reference=reference,
            round=number,
            closes_on=format_day(current.closes_on),
            seats=seats,
            closed=closed,
            outcome=outcome,
            user_ids=await repository.teams_ids(reference, list(user_ids_of))
            if user_ids_of
            else (),
            can_vote=viewer is None or viewer in current.seats,
            mine=MyVote(mine.choice.value, [c.value for c in mine.criteria], mine.rationale)
            if mine
            else None,
        )

    async def _post_partners_card(
        self, uow: UnitOfWork, case: Case, number: int, at: Moment
    ) -> None:
        partners = await self._people.people_with(Role.PARTNER)
        required = await self._partners_required()
        card = partners_card(await self._partners_view(case, number, required))
        await _post_to_group(
            uow,
            ChannelPurpose.PARTNERS,
            partners,
            card,
            partners_key(str(case.reference), number),
            str(case.reference),
            now=at.now,
        )

    async def _partners_view(self, case: Case, number: int, required: int) -> PartnersView:
        state = rr.state_of(case)
        current = state.round_number(number)
        closed = next(
            (
                e
                for e in reversed(case.events)
                if e.kind == rr.VOTE_CLOSED and e.data.get("round") == number
            ),
            None,
        )
        votes = [
            (str(b["member"]), rr.describe_choice(str(b["choice"])))
            for b in (closed.data.get("ballots", []) if closed else [])
        ]
        decided = None
        if state.confirmed is not None and state.round and state.round.number == number:
            decided = f"Confirmed by the partners: {state.confirmed.label}."
        challenged = next(
            (
                e
                for e in reversed(case.events)
                if e.kind == rr.PARTNER_CHALLENGED and e.data.get("round") == number
            ),
            None,
        )
        if challenged is not None and decided is None:
            decided = f"Challenged by {challenged.actor.name}: " + (
                "referred as a difference of opinion."
                if challenged.data.get("outcome") == "dispute"
                else "returned to the CSPR Group."
            )
        recommendation = current.recommendation if current else None
        return PartnersView(
            reference=str(case.reference),
            round=number,
            recommendation=recommendation.label if recommendation else "-",
            basis=current.reason if current else "",
            votes=votes,
            confirmed_by=list(state.confirmations.values())
            if state.round and state.round.number == number
            else [],
            required=required,
            decided=decided,
        )

    async def _partners_required(self) -> int:
        if self._s.partner_confirmations > 0:
            return self._s.partner_confirmations
        return max(1, len(await self._people.people_with(Role.PARTNER)))

    async def _post_referral(
        self, uow: UnitOfWork, reference: str, key: str, what: str, at: Moment
    ) -> None:
        await post_to_hub(
            uow, referral_card(reference, what), key, reference, people=self._people, now=at.now
        )

    async def _refuse(
        self, uow: UnitOfWork, case: Case, turn: Turn, action: str, reason: str
    ) -> InvokeResponse:
        """Refuse with the reason, and keep the attempt in the trail (state otherwise unchanged)."""
        log.info("%s refused on %s for %s", action, case.reference, turn.actor.object_id)
        rr.refusal(case, action=action, reason=reason, actor=actor_of(turn.actor), at=turn.now)
        await uow.cases.save(case)
        await uow.commit()
        return error_response("Refused", reason)

    async def _tracker_view(self, uow: UnitOfWork, case: Case, today: date) -> TrackerView:
        state = rr.state_of(case)
        clocks = self._clocks(case, today)
        lines = [
            self._cases.clock_line(c, today)
            for c in clocks
            if c.rule.id in {ClockId.RAPID_REVIEW, ClockId.PANEL_RESPONSE}
        ]
        agencies = []
        for clock in clocks:
            if clock.rule.id is not ClockId.AGENCY_REPORTS or clock.subject is None:
                continue
            line = self._cases.clock_line(clock, today)
            status = state.agencies.get(clock.subject)
            extra = ""
            if status is not None and status.nil_return:
                extra += " (nil return)"
            if status is not None and status.versions > 1:
                extra += f" (version {status.versions})"
            agencies.append(AgencyLine(clock.subject, line.due, line.state + extra, line.alarming))
        current = state.round
        if current is None:
            vote = "Not open yet"
        elif not current.closed:
            ballots = await RapidReviewRepository(uow.session, self._cipher).ballots(
                str(case.reference), current.number
            )
            vote = (
                f"Round {current.number} open until {format_day(current.closes_on)}: "
                f"{len(ballots)} of {len(current.seats)} voted"
            )
        elif current.recommendation:
            vote = f"Round {current.number}: {current.recommendation.label} ({current.reason})"
        else:
            vote = f"Round {current.number}: no recommendation ({current.reason})"
        if state.confirmed:
            partners = f"Confirmed: {state.confirmed.label}"
        elif state.confirmations:
            partners = f"Confirmed by {', '.join(state.confirmations.values())}"
        elif case.stage is Stage.PARTNERS_DECISION:
            partners = "Waiting for the partners"
        else:
            partners = "Waiting for the CSPR Group"
        if state.panel_decision:
            panel = f"Decided: {rr.PanelDecision(state.panel_decision).label}"
        elif state.sent_on:
            panel = f"Sent on {format_day(state.sent_on)}"
        else:
            panel = "Not sent yet"
        return TrackerView(
            reference=str(case.reference),
            stage=case.stage.label,
            clocks=lines,
            agencies=agencies,
            vote=vote,
            partners=partners,
            panel=panel,
            today=today.isoformat(),
            can_open_vote=case.stage is Stage.RAPID_REVIEW
            or (case.stage is Stage.RECOMMENDATION and not state.vote_open),
            can_close_vote=state.vote_open,
            can_record_sent=state.confirmed is not None
            and state.sent_on is None
            and case.stage is Stage.PARTNERS_DECISION,
            can_record_decision=case.stage is Stage.WITH_PANEL,
        )

    async def _agencies(self, uow: UnitOfWork) -> list[str]:
        """The directory's agencies (as imported from the partnership's file), else defaults."""
        stored = (await PeopleRepository(uow.session).settings()).get(AGENCIES) or []
        names = [str(a.get("name")) for a in stored if isinstance(a, dict) and a.get("name")]
        return names or list(self._s.default_agencies)

    def _agency_due(self, requested_on: date) -> date:
        rule = clock_rule(ClockId.AGENCY_REPORTS, self._s.clocks)
        return compute_deadline(rule, requested_on, self._s.calendar, self._s.convention).due

    def _clocks(self, case: Case, today: date) -> list[CaseClock]:
        return case_clocks(
            case,
            today=today,
            calendar=self._s.calendar,
            table=self._s.clocks,
            convention=self._s.convention,
        )


class Moment(Protocol):
    """When an action happens: a turn, or a scheduler tick."""

    @property
    def now(self) -> datetime: ...

    @property
    def today(self) -> date: ...


@dataclass(frozen=True)
class _Moment:
    now: datetime
    today: date


def _vote_due(case: Case, today: date) -> rr.Round | None:
    """The case's open round whose last day has passed, if any."""
    current = rr.state_of(case).round
    if case.stage is Stage.RECOMMENDATION and current and not current.closed:
        return current if today > current.closes_on else None
    return None


async def _post_to_group(
    uow: UnitOfWork,
    purpose: ChannelPurpose,
    people: Sequence[Person],
    card: Card,
    key: str,
    reference: str,
    *,
    now: datetime,
) -> None:
    """The group's registered channel, or each of its people personally when it has none."""
    if await channel_for(uow, purpose) is not None:
        await post_to_channel(uow, purpose, card, key, reference, now=now)
    else:
        await post_to_people(uow, list(people), card, key, reference, now=now)


def _noticed(view: VoteCardView, notice: str) -> VoteCardView:
    return replace(view, notice=notice)


def _start_report_card(reference: str) -> Card:
    return personal_start_card(
        f"Rapid review report: case {reference}",
        "Reports belong in our personal chat.",
        f"report {reference}",
        fallback=f"Write the rapid review report for case {reference}",
    )


async def _retrying(action: Callable[[], Awaitable[T]]) -> T:
    """Run a unit of work again when the case changed underneath it (a concurrent action)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await action()
        except ConcurrencyConflict:
            if attempt == ATTEMPTS:
                raise
            log.info("case changed concurrently; retrying (attempt %d)", attempt + 1)
    raise AssertionError("unreachable")
