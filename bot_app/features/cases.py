"""The notification journey and the case queries: notify, status, cases, deadlines.

Each user action is one function that runs inside one unit of work: load, check the actor,
call the domain, save, queue what must be posted, commit. Channel posts are built from
``CaseCardView`` only (reference, route, stage, agency, dates); details go to personal chats,
and every view of them is written to the access log.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from botbuilder.core import InvokeResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.invoke import card_response, error_response, message_response
from bot_app.notify import People, post_to_hub, post_to_person, update_message
from bot_app.payloads import date_in, reference_in
from bot_app.replies import send_card, send_text
from bot_app.routing import Router, Turn
from cards.base import Card
from cards.case import (
    MAX_REASON_CHARS,
    VERB_DETAILS,
    VERB_NOT_MET,
    VERB_PANEL_NOTIFIED,
    CaseCardView,
    CaseListItem,
    ClockLine,
    DeadlineItem,
    DetailsView,
    StatusView,
    cases_card,
    deadlines_card,
    details_card,
    hub_card,
    status_card,
)
from cards.notification import ConfirmationView, confirmation_card
from dialogs.notification import Submission
from safeguarding import disputes, milestones
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.case import Actor, Case, Stage
from safeguarding.case_clocks import CaseClock, ClockStatus, case_clocks
from safeguarding.clocks import ClockId, ClockRule, clock_rule, compute_deadline, format_day
from safeguarding.disputes import DisputePolicy
from safeguarding.errors import InvalidInput
from safeguarding.notification import LABELS, Route, decide_route
from safeguarding.policy import Action, can, may_see_case, require_case_access
from safeguarding.rapid_review import can_start as can_start_rapid_review
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.access_log import AccessLogRepository
from storage.details import CaseDetailsRepository, Cipher
from storage.submissions import SubmissionRepository
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

DEADLINE_HORIZON_WORKING_DAYS = 10
# Offered when the partnership's directory file lists no agencies.
DEFAULT_AGENCIES = (
    "Children's social care (council)",
    "Health (ICB)",
    "Hospital trust",
    "GP / primary care",
    "Police",
    "School or college",
    "Early years",
    "Voluntary sector",
    "Other",
)


@dataclass(frozen=True)
class CaseSettings:
    reference_prefix: str
    calendar: WorkingDayCalendar
    clocks: tuple[ClockRule, ...]
    convention: CountingConvention
    hub_contact: str
    # Issue 7: stage targets, for the case card's "open difference of opinion" line.
    dispute_policy: DisputePolicy = field(default_factory=DisputePolicy)


HUB_CARD_POSTED = "hub_card.posted"  # data: {"keys": outbox keys of every copy of the card}


def hub_card_key(reference: str) -> str:
    """The outbox key of a case's Hub card, so later changes update that message in place."""
    return f"hub-card:{reference}"


def actor_of(person: Person) -> Actor:
    return Actor(id=person.object_id, name=person.name or "Unknown")


class Cases:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        settings: CaseSettings,
        people: People,
        cipher: Cipher,
    ) -> None:
        self._sessions = sessions
        self._s = settings
        self._people = people
        self._cipher = cipher

    def register(self, router: Router) -> None:
        router.add_command(
            ["status"],
            self.status,
            usage="status <reference>",
            description="A case's stage, clocks and next step, e.g. status NL-2026-0001.",
            action=Action.VIEW_CASE,
        )
        router.add_command(
            ["cases"],
            self.cases,
            usage="cases",
            description="Open cases you can see, newest first.",
            action=Action.VIEW_CASE,
        )
        router.add_command(
            ["deadlines"],
            self.deadlines,
            usage="deadlines",
            description=f"Everything due in the next {DEADLINE_HORIZON_WORKING_DAYS} working "
            "days, and anything overdue.",
            action=Action.VIEW_CASE,
        )
        router.add_verb(VERB_DETAILS, self.details_button, action=Action.VIEW_CASE_DETAILS)
        router.add_verb(
            VERB_PANEL_NOTIFIED,
            self.panel_notified_button,
            action=Action.RECORD_PANEL_NOTIFICATION,
        )
        router.add_verb(VERB_NOT_MET, self.not_met_button, action=Action.CLOSE_CRITERIA_NOT_MET)
        router.orphan_submit_handlers.append(self.already_submitted)

    def panel_due(self, aware_on: date) -> date:
        rule = clock_rule(ClockId.PANEL_NOTIFICATION, self._s.clocks)
        return compute_deadline(rule, aware_on, self._s.calendar, self._s.convention).due

    # --- notification ------------------------------------------------------------------

    async def submit(self, turn: Turn, submission: Submission) -> None:
        """Create the case, queue the Hub's card, confirm to the practitioner - once."""
        n, details = submission.notification, submission.details
        decision = decide_route(n)
        actor = actor_of(turn.actor)
        async with UnitOfWork(self._sessions) as uow:
            submissions = SubmissionRepository(uow.session)
            existing = await submissions.reference_for(submission.token)
            if existing is not None:
                await send_text(turn.context, _already_sent(existing))
                return
            reference = await uow.cases.next_reference(self._s.reference_prefix, turn.today.year)
            facts = {
                **n.facts(),
                "route": decision.route.value,
                "notifier_object_id": turn.actor.object_id,
                "notifier_name": turn.actor.name,
            }
            case = Case.open(
                reference=reference,
                aware_on=n.aware_on,
                incident_on=n.incident_on,
                actor=actor,
                at=turn.now,
                facts=facts,
                today=turn.today,
            )
            case.record(
                "notification.route_advised",
                actor=actor,
                at=turn.now,
                what=f"Route advised on submission: {decision.route.label}.",
                data={"route": decision.route.value, "reasons": list(decision.reasons)},
            )
            if not n.lead_consulted:
                case.record(
                    "notification.lead_not_consulted",
                    actor=actor,
                    at=turn.now,
                    what="Notified before the agency's safeguarding lead was consulted.",
                )
            await uow.cases.add(case)
            if not await submissions.claim(submission.token, str(reference), turn.now):
                await send_text(
                    turn.context,
                    _already_sent(
                        await submissions.reference_for(submission.token) or str(reference)
                    ),
                )
                return
            await CaseDetailsRepository(uow.session, self._cipher).put(
                str(reference), _details_dict(details)
            )
            copies = await post_to_hub(
                uow,
                hub_card(self.card_view(case, turn.today)),
                hub_card_key(str(reference)),
                str(reference),
                people=self._people,
                now=turn.now,
            )
            case.record(
                HUB_CARD_POSTED,
                actor=actor,
                at=turn.now,
                what="Case card queued for the Hub."
                if copies
                else "No Hub channel or Hub officer to send the case card to.",
                data={"keys": copies},
            )
            await uow.cases.save(case)
            await uow.commit()
        log.info("case %s opened (%s)", reference, decision.route.value)
        await send_card(
            turn.context,
            confirmation_card(self._confirmation(case, decision.route, decision.reasons)),
        )

    async def already_submitted(self, turn: Turn, value: dict[str, Any]) -> bool:
        token = value.get("token")
        if not isinstance(token, str):
            return False
        async with UnitOfWork(self._sessions) as uow:
            reference = await SubmissionRepository(uow.session).reference_for(token)
        if reference is None:
            await send_text(
                turn.context,
                "That notification was cancelled or has expired, so nothing was sent. "
                "Type **notify** to start a new one.",
            )
        else:
            await send_text(turn.context, _already_sent(reference))
        return True

    def _confirmation(self, case: Case, route: Route, reasons: Sequence[str]) -> ConfirmationView:
        clocks = self._clocks(case, case.opened_at.date())
        steps = {
            Route.SERIOUS: [
                "The Hub will notify the national Panel by the date below and start a rapid "
                "review.",
                "Your agency's safeguarding lead may be asked for a report within 5 working days.",
            ],
            Route.CARE_LEAVER: [
                "The Hub will notify the Secretary of State and Ofsted and decide whether a "
                "review is needed.",
            ],
            Route.LEARNING_REVIEW: [
                "The Hub will put this to the CSPR Group, who may recommend a Local Learning "
                "Review.",
            ],
            Route.OUTSIDE: [
                "The Hub will look at it and tell you if they see it differently.",
            ],
        }[route]
        steps.append(f"Type **status {case.reference}** at any time to see where it is.")
        return ConfirmationView(
            reference=str(case.reference),
            route_label=route.label,
            route_reasons=reasons,
            next_steps=steps,
            deadlines=[(c.title, format_day(c.deadline.due)) for c in clocks],
            contact=self._s.hub_contact,
        )

    # --- Hub actions on the card -------------------------------------------------------

    async def details_button(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        reference = reference_in(data)
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
            require_case_access(turn.actor, case)
            card = await self._details_card(uow.session, case, turn)
            if turn.is_personal:
                await uow.commit()
                return card_response(card)
            await post_to_person(
                uow,
                turn.actor.object_id,
                card,
                f"details:{reference}:{turn.actor.object_id}:{turn.context.activity.id}",
                str(reference),
                now=turn.now,
            )
            await uow.commit()
        return message_response("I've sent the details to you in a personal chat.")

    async def panel_notified_button(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        reference = reference_in(data)
        notified_on = date_in(data, "notified_on", "the date the Panel was notified")
        time = str(data.get("notified_time") or "").strip()
        if notified_on > turn.today:
            raise InvalidInput("The Panel can't have been notified in the future.")
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
            if any(e.kind == milestones.PANEL_NOTIFIED for e in case.events):
                return card_response(hub_card(self.card_view(case, turn.today)))
            if notified_on < case.aware_on:
                raise InvalidInput(
                    f"The Panel can't have been notified before the partners became aware "
                    f"({format_day(case.aware_on)})."
                )
            due = self.panel_due(case.aware_on)
            late = notified_on > due
            actor = actor_of(turn.actor)
            case.record(
                milestones.PANEL_NOTIFIED,
                actor=actor,
                at=turn.now,
                what=f"Panel notified on {format_day(notified_on)}{' at ' + time if time else ''}"
                f" by {actor.name}" + (f" - late (due {format_day(due)})." if late else "."),
                data={
                    "notified_on": notified_on.isoformat(),
                    "notified_time": time,
                    "notified_by": actor.name,
                    "late": late,
                },
            )
            case.move_to(Stage.PANEL_NOTIFIED, actor=actor, at=turn.now)
            card = await self._refresh_hub_card(uow, case, turn)
            await uow.commit()
        return card_response(card)

    async def not_met_button(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        reference = reference_in(data)
        reason = " ".join(str(data.get("reason") or "").split())
        if not reason:
            return error_response(
                "InvalidInput", "Please give the reason the criteria are not met."
            )
        if len(reason) > MAX_REASON_CHARS:
            raise InvalidInput(f"Keep the reason under {MAX_REASON_CHARS} characters.")
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
            if not case.is_open:
                return card_response(hub_card(self.card_view(case, turn.today)))
            actor = actor_of(turn.actor)
            case.record(
                "case.criteria_not_met",
                actor=actor,
                at=turn.now,
                what="The Hub decided the criteria are not met.",
                why=reason,
            )
            case.move_to(Stage.CLOSED, actor=actor, at=turn.now, why=reason)
            card = await self._refresh_hub_card(uow, case, turn)
            await uow.commit()
        return card_response(card)

    # --- queries -----------------------------------------------------------------------

    async def status(self, turn: Turn, args: str) -> None:
        if not args:
            await send_text(turn.context, "Which case? For example **status NL-2026-0001**.")
            return
        reference = CaseReference.parse(args, prefix=self._s.reference_prefix)
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
            require_case_access(turn.actor, case)
            details = None
            if turn.is_personal and can(turn.actor, Action.VIEW_CASE_DETAILS):
                stored = await self._read_details(uow.session, case, turn, "status")

                details = _detail_pairs(stored)
            await uow.commit()
        view = self.card_view(case, turn.today)
        await send_card(
            turn.context,
            status_card(
                StatusView(
                    reference=view.reference,
                    route=view.route,
                    stage=view.stage,
                    agency=view.agency,
                    opened=format_day(self._s.calendar.local_date(case.opened_at)),
                    clocks=view.clocks,
                    next_step=_next_step(case),
                    details=details,
                )
            ),
        )

    async def cases(self, turn: Turn, _args: str) -> None:
        async with UnitOfWork(self._sessions) as uow:
            visible = [
                c for c in await uow.cases.list_open(limit=200) if may_see_case(turn.actor, c)
            ]
        items = []
        for case in visible:
            open_clocks = [c for c in self._clocks(case, turn.today) if c.status.is_open]
            next_due = min(open_clocks, key=lambda c: c.deadline.due, default=None)
            items.append(
                CaseListItem(
                    reference=str(case.reference),
                    stage=case.stage.label,
                    route=_route_label(case),
                    next_due=f"{next_due.title}, {format_day(next_due.deadline.due)}"
                    if next_due
                    else "nothing",
                )
            )
        scope = (
            "Every open case."
            if can(turn.actor, Action.LIST_ALL_CASES)
            else "Cases you notified or your agency is involved in."
        )
        await send_card(turn.context, cases_card(items, scope=scope))

    async def deadlines(self, turn: Turn, _args: str) -> None:
        horizon = self._s.calendar.add_working_days(turn.today, DEADLINE_HORIZON_WORKING_DAYS)
        async with UnitOfWork(self._sessions) as uow:
            visible = [
                c for c in await uow.cases.list_open(limit=200) if may_see_case(turn.actor, c)
            ]
        due: list[tuple[date, DeadlineItem]] = []
        for case in visible:
            for clock in self._clocks(case, turn.today):
                if clock.status.is_open and clock.deadline.due <= horizon:
                    line = self.clock_line(clock, turn.today)
                    due.append(
                        (
                            clock.deadline.due,
                            DeadlineItem(
                                reference=str(case.reference),
                                clock=clock.title,
                                due=line.due,
                                state=line.state,
                                alarming=line.alarming,
                            ),
                        )
                    )
        due.sort(key=lambda pair: pair[0])
        await send_card(
            turn.context,
            deadlines_card(
                [item for _, item in due],
                horizon=f"Due by {format_day(horizon)} ({DEADLINE_HORIZON_WORKING_DAYS} working "
                "days), and anything overdue.",
            ),
        )

    # --- helpers -----------------------------------------------------------------------

    async def _details_card(self, session: AsyncSession, case: Case, turn: Turn) -> Card:
        stored = await self._read_details(session, case, turn, "details")
        facts = case.facts
        child = facts.get("child", {})
        return details_card(
            DetailsView(
                reference=str(case.reference),
                pairs=_detail_pairs(stored),
                facts=[
                    ("Incident", format_day(date.fromisoformat(facts["incident_on"]))),
                    ("What happened", LABELS.get(facts.get("outcome", ""), "-")),
                    ("Abuse or neglect", LABELS.get(facts.get("abuse_or_neglect", ""), "-")),
                    (
                        "Nature of harm",
                        ", ".join(LABELS.get(h, h) for h in facts.get("harm_types", [])) or "-",
                    ),
                    ("Age", LABELS.get(child.get("age_band", ""), "-")),
                    (
                        "Notified by",
                        f"{facts.get('notifier_name', '-')}, {facts.get('notifier_role', '-')}",
                    ),
                ],
                summary=stored.get("summary", ""),
            )
        )

    async def _read_details(
        self, session: AsyncSession, case: Case, turn: Turn, what: str
    ) -> dict[str, str]:
        """The decrypted details, with the reading written to the access log first."""
        reference = str(case.reference)
        await AccessLogRepository(session).record(reference, turn.actor.object_id, what, turn.now)
        return await CaseDetailsRepository(session, self._cipher).get(reference) or {}

    async def _refresh_hub_card(self, uow: UnitOfWork, case: Case, turn: Turn) -> Card:
        return await self.refresh_hub_card(uow, case, today=turn.today, now=turn.now)

    async def refresh_hub_card(
        self, uow: UnitOfWork, case: Case, *, today: date, now: datetime
    ) -> Card:
        """Save the case and update every copy of its Hub card in place (for everyone).

        Public for other features whose changes show on the card (differences of opinion).
        """
        card = hub_card(self.card_view(case, today))
        posted = next((e for e in reversed(case.events) if e.kind == HUB_CARD_POSTED), None)
        for original in posted.data.get("keys", []) if posted else []:
            await update_message(
                uow,
                original,
                card,
                f"{original}:update:{len(case.events)}",
                now=now,
                case_reference=str(case.reference),
            )
        await uow.cases.save(case)
        return card

    def _clocks(self, case: Case, today: date) -> list[CaseClock]:
        return case_clocks(
            case,
            today=today,
            calendar=self._s.calendar,
            table=self._s.clocks,
            convention=self._s.convention,
        )

    def clock_line(self, clock: CaseClock, today: date) -> ClockLine:
        """How one deadline stands today; the rapid review's tracker shows the same lines."""
        due = format_day(clock.deadline.due)
        status = clock.status
        if status is ClockStatus.MET and clock.met_on:
            return ClockLine(clock.title, due, f"Met on {format_day(clock.met_on)}")
        if status is ClockStatus.MET_LATE and clock.met_on:
            return ClockLine(clock.title, due, f"Met late, on {format_day(clock.met_on)}", True)
        if status is ClockStatus.STOPPED:
            return ClockLine(clock.title, due, "Stopped (case closed)")
        left = clock.deadline.working_days_left(today, self._s.calendar)
        if status is ClockStatus.DUE_TODAY:
            return ClockLine(clock.title, due, "Due today", True)
        if status is ClockStatus.OVERDUE:
            return ClockLine(
                clock.title, due, f"Overdue by {-left} working day{'s' if left < -1 else ''}", True
            )
        return ClockLine(clock.title, due, f"{left} working day{'s' if left != 1 else ''} left")

    def card_view(self, case: Case, today: date) -> CaseCardView:
        """The Hub card's view; other features answer a stale or repeated press with it."""
        notified = next((e for e in case.events if e.kind == milestones.PANEL_NOTIFIED), None)
        closed = next((e for e in case.events if e.kind == "case.criteria_not_met"), None)
        note = notified.what if notified else None
        if closed is not None:
            note = f"Closed by {closed.actor.name}: criteria not met."
        return CaseCardView(
            reference=str(case.reference),
            route=_route_label(case),
            stage=case.stage.label,
            agency=str(case.facts.get("agency", "")),
            clocks=[self.clock_line(c, today) for c in self._clocks(case, today)],
            today=today.isoformat(),
            can_record_panel=case.stage is Stage.NOTIFIED
            and case.facts.get("route") == Route.SERIOUS.value,
            can_close_not_met=case.stage is Stage.NOTIFIED,
            can_start_rapid_review=can_start_rapid_review(case),
            note=note,
            disputes=disputes.case_card_line(case, self._s.calendar, self._s.dispute_policy),
            can_disagree=case.is_open,
        )


def _route_label(case: Case) -> str:
    try:
        return Route(case.facts.get("route", "")).label
    except ValueError:
        return "Not recorded"


def _next_step(case: Case) -> str:
    route = case.facts.get("route")
    if case.stage is Stage.NOTIFIED and route == Route.SERIOUS.value:
        return "The Hub notifies the Panel and records it here."
    if case.stage is Stage.NOTIFIED:
        return "The Hub decides how to proceed."
    if case.stage is Stage.PANEL_NOTIFIED:
        return "The Hub starts the rapid review and asks the agencies for their reports."
    if case.stage is Stage.RAPID_REVIEW:
        return "The agencies send their reports; the Hub then opens the CSPR Group vote."
    if case.stage is Stage.RECOMMENDATION:
        return "The CSPR Group votes a recommendation (the Hub closes the vote)."
    if case.stage is Stage.PARTNERS_DECISION:
        return (
            "The safeguarding partners confirm or challenge the recommendation; the Hub then "
            "sends the rapid review to the Panel."
        )
    if case.stage is Stage.WITH_PANEL:
        return "The Panel answers; the Hub records its decision."
    if case.stage is Stage.CLOSED:
        return "None: the case is closed."
    return f"Continue the {case.stage.label.lower()}."


def _already_sent(reference: str) -> str:
    return (
        f"This notification was already sent as **{reference}**, so nothing was created "
        f"twice. Type **status {reference}** to see where it is."
    )


def _details_dict(details: Any) -> dict[str, str]:
    return {
        "initials": details.initials,
        "full_name": details.full_name,
        "summary": details.summary,
    }


def _detail_pairs(stored: dict[str, str]) -> list[tuple[str, str]]:
    pairs = [("Initials", stored.get("initials") or "Not given")]
    if stored.get("full_name"):
        pairs.append(("Full name", stored["full_name"]))
    pairs.append(("Summary", stored.get("summary") or "Not given"))
    return pairs
