"""Translating the rapid review's commands, buttons and report dialog into service calls.

Every answer is built after the service's unit of work has committed: a card that replaces
the pressed one, a refusal, or - for what must not appear in a channel (the report, the
document links) - a card queued for the person's personal chat and a line saying so. The
vote's buttons are in ``vote_handlers.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import partial
from typing import Protocol

from bot_app.core.answers import (
    BeginDialog,
    CardAnswer,
    Refusal,
    Reply,
    ShowCard,
    Toast,
    card,
    text,
)
from bot_app.core.payloads import CaseArgs, CaseData
from bot_app.core.posting import post_to_actor
from bot_app.core.routing import Router
from bot_app.core.transactions import Transactions
from bot_app.core.turn import Turn
from bot_app.rapid_review import services
from bot_app.rapid_review.document import DocumentLinks
from bot_app.rapid_review.messages import RapidReviewMessages, document_key, report_start_key
from bot_app.rapid_review.payloads import RecordPanelDecision, RecordSent, StartRapidReview
from bot_app.rapid_review.services import Outcome, Shown
from bot_app.rapid_review.views import RapidReviewViews, start_report_card
from cards.base import Card
from cards.case import VERB_START_RAPID_REVIEW
from cards.rapid_review import (
    VERB_CANCEL,
    VERB_DOCUMENT,
    VERB_PANEL_DECIDED,
    VERB_SENT,
    VERB_START,
    ReportReceiptView,
    document_card,
    report_receipt_card,
)
from dialogs.agency_report_form import (
    DIALOG_ID,
    ReportStart,
    ReportSubmission,
    content,
    is_nil,
)
from safeguarding.clocks import format_day
from safeguarding.errors import InvalidInput
from safeguarding.policy import Action
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from safeguarding.times import at_time
from storage.uow import UnitOfWork

SENT_PRIVATELY = "I've sent the links to you in a personal chat."
REPORT_PRIVATELY = (
    "I've sent you a personal message to write the report there, so nothing about the case "
    "is shared here."
)


class Acting(Protocol):
    """Who sends the report and when: what the report dialog's turn tells its callback."""

    @property
    def actor(self) -> Person: ...

    @property
    def now(self) -> datetime: ...


class RapidReviewHandlers:
    def __init__(
        self,
        *,
        tx: Transactions,
        views: RapidReviewViews,
        messages: RapidReviewMessages,
        links: DocumentLinks,
    ) -> None:
        self._tx = tx
        self._views = views
        self._messages = messages
        self._links = links

    def register(self, router: Router) -> None:
        router.add_command(
            ["report"],
            self.report,
            args=CaseArgs,
            usage="report <reference>",
            description="Write your agency's rapid review report (or a nil return) for a case.",
            action=Action.SUBMIT_AGENCY_REPORT,
        )
        router.add_command(
            ["rapid-review"],
            self.document,
            args=CaseArgs,
            usage="rapid-review <reference>",
            description="Links to the rapid review document for the Panel (printable, Markdown).",
            action=Action.RECORD_PANEL_EXCHANGE,
        )
        hub, panel = Action.START_RAPID_REVIEW, Action.RECORD_PANEL_EXCHANGE
        router.add_verb(VERB_START_RAPID_REVIEW, self.choose_agencies, payload=CaseData, action=hub)
        router.add_verb(VERB_START, self.start, payload=StartRapidReview, action=hub)
        router.add_verb(VERB_CANCEL, self.cancel_start, payload=CaseData, action=hub)
        router.add_verb(VERB_SENT, self.record_sent, payload=RecordSent, action=panel)
        router.add_verb(
            VERB_PANEL_DECIDED,
            self.record_panel_decision,
            payload=RecordPanelDecision,
            action=panel,
        )
        router.add_verb(VERB_DOCUMENT, self.document_button, payload=CaseData, action=panel)

    # -- starting ---------------------------------------------------------------------------

    async def choose_agencies(self, turn: Turn, payload: CaseData) -> CardAnswer:
        """The Hub pressed "Start rapid review": show the agencies to ask, on the same card."""
        shown = await self._tx.read(
            partial(services.agencies_to_ask, payload.reference, now=turn.now, views=self._views)
        )
        return ShowCard(shown)

    async def cancel_start(self, turn: Turn, payload: CaseData) -> CardAnswer:
        case = await self._tx.read(lambda uow: uow.cases.get(payload.reference))
        return ShowCard(self._views.hub_card(case, turn.today))

    async def start(self, turn: Turn, payload: StartRapidReview) -> CardAnswer:
        chosen = tuple(a.strip() for a in payload.agencies.split(",") if a.strip())
        command = services.Start(reference=payload.reference, agencies=chosen, actor=turn.actor)
        return card_answer(
            await self._tx.run(
                partial(services.start, command, now=turn.now, messages=self._messages)
            )
        )

    # -- agency reports ---------------------------------------------------------------------

    async def report(self, turn: Turn, args: CaseArgs) -> Reply:
        """``report <reference>``: the report dialog, in the lead's personal chat only."""
        reference = args.reference
        if not turn.is_personal:

            async def queue(uow: UnitOfWork) -> None:
                await post_to_actor(
                    uow,
                    turn,
                    start_report_card(str(reference)),
                    key=report_start_key(str(reference)),
                    case_reference=str(reference),
                )

            await self._tx.run(queue)
            return text(REPORT_PRIVATELY)
        found = await self._tx.read(
            partial(
                services.report_to_write, reference, turn.actor, now=turn.now, views=self._views
            )
        )
        return (
            BeginDialog(
                DIALOG_ID,
                ReportStart(
                    reference=str(found.reference),
                    agency=found.agency,
                    due=format_day(found.due),
                    late=found.late,
                    replacing=found.replacing,
                ),
            ),
        )

    async def submit_report(self, turn: Acting, submission: ReportSubmission) -> Sequence[Card]:
        """The report dialog's Send: the receipt that replaces the report card, once stored."""
        command = services.SendReport(
            reference=CaseReference.parse(submission.reference),
            actor=turn.actor,
            token=submission.token,
            content=content(submission.answers),
            nil_return=is_nil(submission.answers),
        )
        sent = await self._tx.run(
            partial(services.send_report, command, now=turn.now, messages=self._messages)
        )
        return [self._report_receipt(submission.reference, sent, turn.now)]

    async def report_receipt(self, turn: Acting, reference: str, token: str) -> Card | None:
        """A press on a report card whose dialog has ended: what it sent, and when."""
        try:
            parsed = CaseReference.parse(reference)
        except InvalidInput:
            return None
        found = await self._tx.read(partial(services.sent_from_form, parsed, turn.actor, token))
        return self._report_receipt(reference, found, turn.now) if found is not None else None

    def when(self, moment: datetime, today: date | None = None) -> str:
        """``moment`` as the partnership's local time: "at 09:41" (with the day if not today)."""
        calendar = self._views.settings.calendar
        return at_time(
            moment.astimezone(calendar.timezone),
            today=today if today is not None else calendar.local_date(moment),
        )

    def _report_receipt(self, reference: str, sent: services.ReportSent, now: datetime) -> Card:
        report = sent.report
        when = self.when(report.submitted_at, self._views.today(now))
        kind = "nil return" if report.nil_return else "report"
        if not sent.again:
            headline = sent.message
        elif sent.from_this_form:
            headline = (
                f"Your {kind} for {reference} was already sent to the Hub {when}. "
                "Nothing was sent twice."
            )
        else:
            headline = (
                f"Nothing from this form was sent. Your agency's latest {kind} for {reference} "
                f"(version {report.version}) was sent to the Hub {when}, from a newer form."
            )
        return report_receipt_card(
            ReportReceiptView(
                reference=reference,
                agency=report.agency,
                sent_by=report.submitted_by_name,
                sent=when,
                nil_return=report.nil_return,
                version=report.version,
                late=report.late,
                headline=headline,
            )
        )

    # -- the Panel --------------------------------------------------------------------------

    async def record_sent(self, turn: Turn, payload: RecordSent) -> CardAnswer:
        if payload.sent_on is None:
            raise InvalidInput(
                "Please choose the date the rapid review was sent with the date picker."
            )
        command = services.MarkSent(
            reference=payload.reference, sent_on=payload.sent_on, actor=turn.actor
        )
        return card_answer(
            await self._tx.run(
                partial(services.record_sent, command, now=turn.now, messages=self._messages)
            )
        )

    async def record_panel_decision(self, turn: Turn, payload: RecordPanelDecision) -> CardAnswer:
        if payload.decided_on is None:
            raise InvalidInput(
                "Please choose the date of the Panel's decision with the date picker."
            )
        command = services.PanelAnswer(
            reference=payload.reference,
            decided_on=payload.decided_on,
            decision=payload.decision,
            note=payload.note,
            actor=turn.actor,
        )
        return card_answer(
            await self._tx.run(
                partial(
                    services.record_panel_decision, command, now=turn.now, messages=self._messages
                )
            )
        )

    # -- the document -----------------------------------------------------------------------

    async def document(self, turn: Turn, args: CaseArgs) -> Reply:
        """``rapid-review <reference>``: the links here in a personal chat, else sent there."""
        links = await self._document_card(turn, args.reference)
        if turn.is_personal:
            return card(links)
        await self._send_privately(turn, args.reference, links)
        return text(SENT_PRIVATELY)

    async def document_button(self, turn: Turn, payload: CaseData) -> CardAnswer:
        links = await self._document_card(turn, payload.reference)
        if turn.is_personal:
            return ShowCard(links)
        await self._send_privately(turn, payload.reference, links)
        return Toast(SENT_PRIVATELY)

    async def _document_card(self, turn: Turn, reference: CaseReference) -> Card:
        await self._tx.read(partial(services.check_document, reference, turn.actor))
        return document_card(self._links.links(str(reference), turn.actor, now=turn.now))

    async def _send_privately(self, turn: Turn, reference: CaseReference, links: Card) -> None:
        async def queue(uow: UnitOfWork) -> None:
            await post_to_actor(
                uow,
                turn,
                links,
                key=document_key(str(reference), turn.actor.object_id),
                case_reference=str(reference),
            )

        await self._tx.run(queue)


def card_answer(outcome: Outcome) -> CardAnswer:
    """What a press answers: the card that replaces the pressed one, or the refusal."""
    if isinstance(outcome, Shown):
        return ShowCard(outcome.card)
    return Refusal(outcome.code, outcome.message)
