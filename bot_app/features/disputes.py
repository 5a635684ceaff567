"""Differences of opinion in chat: raise, respond, escalate, resolve, and the stage timers.

Each user action is one unit of work: load the case, check the person is a party at this
stage (the policy table only says they *could* be one), change the dispute through the
domain (``safeguarding/disputes.py``), queue what must be posted, commit once.

What goes where (domain.md, "Information governance"):

* the stage's channels (1: Hub and CSPR Group; 2 and 3: Hub and safeguarding partners) get
  ``notice_card``: the case reference, dispute number, topic, stage and target date;
* the parties get ``dispute_card`` in personal chat, with the narrative and the buttons, and
  their copies are updated in place as the dispute moves on;
* the Hub's case card shows "1 open difference of opinion (stage 2, target …)".

Timers ride on the reminder scheduler's tick (``ReminderScheduler.add_pass``): each stage is
announced once, reminded of ahead of and on its target, and when the target passes the Hub
is prompted to escalate (or, if the partnership chose it, it is escalated automatically).
Every timer is stored under its key first, so a timer is sent once on any number of workers
and only the latest missed one is caught up after downtime.

For other features: :func:`open_dispute` opens a dispute inside the caller's unit of work
(the rapid review's tied vote or partners' challenge, say); the next tick announces it. A
``dispute.referred`` case event makes the tick offer the Hub a button that does the same.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Final, Protocol

from botbuilder.core import InvokeResponse
from botbuilder.dialogs import DialogSet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot_app.features.cases import actor_of
from bot_app.invoke import card_response, message_response
from bot_app.notify import (
    NoChannel,
    People,
    post_to_channel,
    post_to_hub,
    post_to_person,
    send_to_personal_chat,
)
from bot_app.notify import update_message as queue_update
from bot_app.payloads import number_in, reference_in
from bot_app.replies import send_card, send_text
from bot_app.routing import Router, Turn
from cards.base import Card
from cards.dispute import (
    VERB_ESCALATE,
    VERB_FROM_REFERRAL,
    VERB_OPEN,
    VERB_RESOLVE,
    VERB_RESPOND,
    VERB_START,
    DisputeItem,
    DisputeView,
    HistoryLine,
    NoticeView,
    ReferralView,
    dispute_card,
    disputes_card,
    notice_card,
    notice_summary,
    referral_card,
    start_card,
)
from cards.reminder import when
from dialogs.dispute import DIALOG_ID
from dialogs.dispute_form import RaiseRequest
from safeguarding import disputes as domain
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import SYSTEM, Actor, Case
from safeguarding.clocks import format_day
from safeguarding.disputes import (
    ERASED,
    Dispute,
    DisputePolicy,
    DisputeStage,
    DisputeTimer,
    TimerKey,
    TimerKind,
    Topic,
)
from safeguarding.errors import IllegalTransition, InvalidInput, NotFound
from safeguarding.policy import Action, Forbidden, require_case_access
from safeguarding.reference import CaseReference
from safeguarding.reminders import ChannelPurpose
from safeguarding.roles import Person, Role
from storage.disputes import DisputeTimerRepository, TimerStatus
from storage.outbox import OutboxRepository
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_OPEN_CASES: Final = 10_000
STAGE_CHANNELS: Final = {
    DisputeStage.LIAISON: (ChannelPurpose.HUB, ChannelPurpose.CSPRG),
    DisputeStage.PARTNERS: (ChannelPurpose.HUB, ChannelPurpose.PARTNERS),
    DisputeStage.MEDIATION: (ChannelPurpose.HUB, ChannelPurpose.PARTNERS),
}
# Who is told personally at each stage (CSPR Group deputies may act, but are not pinged).
STAGE_PEOPLE: Final = {
    DisputeStage.LIAISON: (Role.HUB_OFFICER, Role.CSPRG_MEMBER),
    DisputeStage.PARTNERS: (Role.HUB_OFFICER, Role.CSPRG_MEMBER, Role.PARTNER),
    DisputeStage.MEDIATION: (
        Role.HUB_OFFICER,
        Role.CSPRG_MEMBER,
        Role.PARTNER,
        Role.SCRUTINY_OFFICER,
    ),
}


class Change(Protocol):
    """``domain.respond``, ``domain.escalate`` or ``domain.resolve``."""

    def __call__(
        self, case: Case, number: int, *, actor: Actor, text: str, at: datetime, activity: str
    ) -> Dispute: ...


class HubCards(Protocol):
    """The case feature's Hub card, refreshed when a dispute changes what it shows."""

    async def refresh_hub_card(
        self, uow: UnitOfWork, case: Case, *, today: date, now: datetime
    ) -> Card: ...


async def open_dispute(
    uow: UnitOfWork,
    case: Case,
    *,
    raised_by: Actor,
    topic: Topic,
    position: str,
    reasons: str,
    now: datetime,
) -> Dispute:
    """Open a difference of opinion on ``case`` inside the caller's unit of work.

    For other features (the rapid review: a tied CSPR Group vote, a partners' challenge).
    It records the ``dispute.raised`` event (the narrative in its ``why``) and saves the case;
    the caller commits. The parties and channels are told by the next scheduler tick. It is
    refused on a closed case, and never pauses a statutory clock.
    """
    dispute = domain.raise_dispute(
        case, actor=raised_by, topic=topic, position=position, reasons=reasons, at=now
    )
    await uow.cases.save(case)
    return dispute


def base_key(dispute: Dispute) -> str:
    """The outbox key of a stage's posts: channels add ``:<purpose>``, people
    ``:person:<object id>`` (what ``OutboxRepository.copies_of`` finds)."""
    return f"dispute:{dispute.case_reference}:{dispute.number}:s{int(dispute.stage)}"


class Disputes:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        calendar: WorkingDayCalendar,
        policy: DisputePolicy,
        people: People,
        dialogs: DialogSet,
        hub_cards: HubCards,
        reference_prefix: str,
    ) -> None:
        self._sessions = sessions
        self._calendar = calendar
        self._policy = policy
        self._people = people
        self._dialogs = dialogs
        self._hub_cards = hub_cards
        self._prefix = reference_prefix

    def register(self, router: Router) -> None:
        router.add_command(
            ["disagree"],
            self.disagree,
            usage="disagree <reference>",
            description="Raise a difference of opinion about a case (criteria, review type or "
            "process). It never pauses a statutory clock.",
            action=Action.RAISE_DISPUTE,
        )
        router.add_command(
            ["disputes"],
            self.list_open,
            usage="disputes",
            description="Open differences of opinion you take part in, with their stage and "
            "target date.",
            action=Action.RESPOND_DISPUTE,
        )
        router.add_verb(VERB_START, self.start_button, action=Action.RAISE_DISPUTE)
        router.add_verb(VERB_OPEN, self.open_button, action=Action.RESPOND_DISPUTE)
        router.add_verb(VERB_RESPOND, self.respond_button, action=Action.RESPOND_DISPUTE)
        router.add_verb(VERB_ESCALATE, self.escalate_button, action=Action.RESPOND_DISPUTE)
        router.add_verb(VERB_RESOLVE, self.resolve_button, action=Action.RESPOND_DISPUTE)
        router.add_verb(VERB_FROM_REFERRAL, self.from_referral, action=Action.RAISE_DISPUTE)

    # -- raising --------------------------------------------------------------------------

    async def disagree(self, turn: Turn, args: str) -> None:
        if not args.strip():
            await send_text(
                turn.context, f"Which case? For example **disagree {self._prefix}-2026-0001**."
            )
            return
        reference = CaseReference.parse(args, prefix=self._prefix)
        await self._may_raise(reference, turn.actor)
        if not turn.is_personal:
            await self._send_start_card(turn, reference)
            await send_text(
                turn.context,
                "I've sent you a personal message to raise it there, so your position and "
                "reasons are not shared here.",
            )
            return
        dialog_context = await self._dialogs.create_context(turn.context)
        await dialog_context.cancel_all_dialogs()
        await dialog_context.begin_dialog(DIALOG_ID, {"reference": str(reference)})

    async def start_button(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        """The case card's "Disagree": the raise dialog runs in personal chat."""
        reference = reference_in(data)
        await self._may_raise(reference, turn.actor)
        await self._send_start_card(turn, reference)
        return message_response("I've sent you a personal message to raise it there.")

    async def submit(self, turn: Turn, request: RaiseRequest) -> None:
        """The dialog's Raise: record the dispute, tell stage 1's parties - once."""
        reference = CaseReference.parse(request.reference)
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
            require_case_access(turn.actor, case)
            dispute = domain.raised_with_token(case, request.token)
            if dispute is None:
                dispute = domain.raise_dispute(
                    case,
                    actor=actor_of(turn.actor),
                    topic=request.topic,
                    position=request.position,
                    reasons=request.reasons,
                    at=turn.now,
                    token=request.token,
                )
                await self._announce(uow, case, dispute, now=turn.now)
                await self._hub_cards.refresh_hub_card(uow, case, today=turn.today, now=turn.now)
                await uow.commit()
                log.info("dispute %s/%d raised", reference, dispute.number)
        notice = (
            f"Raised. The partners' representatives and the Hub have been told; the target for "
            f"stage 1 is {format_day(dispute.target(self._calendar, self._policy))}."
        )
        await send_card(turn.context, self._card(dispute, turn.actor, turn.today, notice=notice))

    async def from_referral(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        """The Hub opens a dispute from a ``dispute.referred`` event of the rapid review."""
        if not turn.actor.has(Role.HUB_OFFICER):
            raise Forbidden("Sorry, only the Hub opens a referred difference of opinion.")
        reference = reference_in(data)
        seq = data.get("referral")
        if isinstance(seq, bool) or not isinstance(seq, int):
            raise InvalidInput("That button didn't say which referral it is for.")
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
            dispute = domain.opened_from_referral(case, seq)
            if dispute is None:
                referral = next(
                    (e for e in case.events if e.seq == seq and e.kind == domain.REFERRED), None
                )
                if referral is None:
                    raise NotFound(f"Case {reference} has no such referral.")
                raw_topic = referral.data.get("topic")
                dispute = domain.raise_dispute(
                    case,
                    actor=referral.actor if referral.actor != SYSTEM else actor_of(turn.actor),
                    topic=Topic(raw_topic) if raw_topic in set(Topic) else Topic.REVIEW_TYPE,
                    position=referral.what,
                    reasons=referral.why or "Referred by the rapid review: see the case record.",
                    at=turn.now,
                    referral_seq=seq,
                )
                await self._announce(uow, case, dispute, now=turn.now)
                await self._hub_cards.refresh_hub_card(uow, case, today=turn.today, now=turn.now)
                await uow.commit()
        return card_response(self._card(dispute, turn.actor, turn.today))

    # -- the parties' actions -----------------------------------------------------------

    async def open_button(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        """A notice's "Open in personal chat": the party's card, never in a channel."""
        reference, number = reference_in(data), number_in(data)
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
            dispute = domain.find_dispute(case, number)
            dispute.require_party(turn.actor)
            card = self._card(dispute, turn.actor, turn.today)
            if turn.is_personal:
                return card_response(card)
            await post_to_person(
                uow,
                turn.actor.object_id,
                card,
                f"{base_key(dispute)}:open:{turn.actor.object_id}:{turn.context.activity.id}",
                str(reference),
                now=turn.now,
            )
            await uow.commit()
        return message_response("I've sent it to you in a personal chat.")

    async def respond_button(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        done = "Your response was recorded and the other parties can see it."
        return await self._act(turn, data, domain.respond, "response", done)

    async def escalate_button(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        done = "Escalated: the next stage's parties have been told."
        return await self._act(turn, data, domain.escalate, "reason", done)

    async def resolve_button(self, turn: Turn, data: dict[str, Any]) -> InvokeResponse:
        done = "Resolved: the outcome is on the case record."
        return await self._act(turn, data, domain.resolve, "outcome", done)

    async def _act(
        self,
        turn: Turn,
        data: dict[str, Any],
        change: Change,
        field: str,
        done: str,
    ) -> InvokeResponse:
        """Respond, escalate or resolve: the card's ``field`` is the narrative ``text``."""
        reference, number = reference_in(data), number_in(data)
        activity = turn.context.activity.id or ""
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
            before = domain.find_dispute(case, number)
            before.require_party(turn.actor)
            if domain.replayed(case, activity):  # Teams redelivered the same press
                return card_response(self._card(before, turn.actor, turn.today, notice=done))
            if not before.is_open or data.get("stage") != int(before.stage):
                raise IllegalTransition(
                    f"That card is out of date: {before.title.lower()} is now "
                    f"{'resolved' if not before.is_open else f'at stage {int(before.stage)}'}. "
                    "Nothing was changed."
                )
            if change is domain.resolve and not before.may_resolve(turn.actor):
                raise Forbidden(
                    "Sorry, the outcome of a mediation is recorded by the Independent Scrutiny "
                    "Officer who facilitated it. Nothing was changed."
                )
            after = change(
                case,
                number,
                actor=actor_of(turn.actor),
                text=str(data.get(field) or ""),
                at=turn.now,
                activity=activity,
            )
            await self._after(uow, case, before, after, turn.today, turn.now)
            await uow.commit()
        log.info("dispute %s/%d: %s", reference, number, case.events[-1].kind)
        return card_response(self._card(after, turn.actor, turn.today, notice=done))

    async def _after(
        self,
        uow: UnitOfWork,
        case: Case,
        before: Dispute,
        after: Dispute,
        today: date,
        now: datetime,
    ) -> None:
        """Redraw the stage's personal copies; announce a new stage or the resolution."""
        parties = {p.object_id: p for p in await self._parties(before)}
        for original in await OutboxRepository(uow.session).copies_of(base_key(before)):
            object_id = original.rpartition(":person:")[2]
            person = parties.get(object_id) or Person(object_id=object_id, name="")
            await queue_update(
                uow,
                original,
                self._card(after, person, today),
                f"{original}:update:{len(case.events)}",
                now=now,
                case_reference=after.case_reference,
                summary=f"{after.title}: updated",
            )
        if after.stage != before.stage:
            await self._announce(uow, case, after, now=now)
        if not after.is_open:
            view = self._notice(after, f"Difference of opinion {after.number} resolved")
            await self._to_channels(uow, after, view, f"{base_key(after)}:resolved", now)
        if after.stage != before.stage or not after.is_open:
            await self._hub_cards.refresh_hub_card(uow, case, today=today, now=now)
        await uow.cases.save(case)

    # -- listing ------------------------------------------------------------------------

    async def list_open(self, turn: Turn, _args: str) -> None:
        async with UnitOfWork(self._sessions) as uow:
            cases = await uow.cases.list_open(limit=200)
        items = [
            DisputeItem(
                reference=d.case_reference,
                number=d.number,
                topic=d.topic.label,
                stage_label=d.stage.label,
                target=format_day(d.target(self._calendar, self._policy)),
                overdue=d.target(self._calendar, self._policy) < turn.today,
            )
            for case in cases
            for d in domain.open_disputes(case)
            if d.is_party(turn.actor)
        ]
        await send_card(turn.context, disputes_card(items))

    # -- the timers pass (a scheduler pass) -----------------------------------------------

    async def tick(self, now: datetime) -> int:
        """Send what each open dispute's timers call for at ``now``; how many were sent."""
        async with UnitOfWork(self._sessions) as uow:
            cases = await uow.cases.list_open(limit=MAX_OPEN_CASES)
        sent = 0
        for case in cases:
            if not any(e.kind.startswith("dispute.") for e in case.events):
                continue
            try:
                sent += await self._timers(case.reference, now)
            except Exception:
                log.exception("dispute timers of case %s failed; the others go on", case.reference)
        return sent

    async def _timers(self, reference: CaseReference, now: datetime) -> int:
        sent = 0
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)  # fresh: an escalation saves it
            timers = DisputeTimerRepository(uow.session)
            stored = await timers.keys_for(str(reference))
            for dispute in domain.open_disputes(case):
                plan = domain.plan_timers(dispute, policy=self._policy, calendar=self._calendar)
                selection = domain.select_timers(
                    plan, now=now, stored=stored, late_after=self._policy.late_after
                )
                for missed in selection.skip:
                    await timers.record(
                        missed.key,
                        send_at=missed.send_at,
                        status=TimerStatus.SKIPPED,
                        late=False,
                        now=now,
                    )
                for timer, late in selection.send:
                    sent += await self._fire(uow, case, timer, late=late, now=now)
            for referral in domain.pending_referrals(case):
                key = TimerKey(
                    str(reference),
                    f"referral/{referral.seq}",
                    "referral",
                    self._calendar.local_date(referral.at),
                )
                if await timers.record(
                    key, send_at=referral.at, status=TimerStatus.SENT, late=False, now=now
                ):
                    view = ReferralView(str(reference), referral.seq, referral.what)
                    await post_to_hub(
                        uow,
                        referral_card(view),
                        f"dispute-referral:{reference}:{referral.seq}",
                        str(reference),
                        people=self._people,
                        now=now,
                        summary=f"{reference}: a difference of opinion was referred",
                    )
                    sent += 1
            await uow.commit()
        return sent

    async def _fire(
        self, uow: UnitOfWork, case: Case, timer: DisputeTimer, *, late: bool, now: datetime
    ) -> int:
        dispute = timer.dispute
        if timer.kind is TimerKind.ANNOUNCE:
            return int(await self._announce(uow, case, dispute, now=now))
        recorded = await DisputeTimerRepository(uow.session).record(
            timer.key, send_at=timer.send_at, status=TimerStatus.SENT, late=late, now=now
        )
        if not recorded:
            return 0  # another worker sent it just now
        key = f"dispute-timer:{timer.key}"
        late_note = (
            f"Sent late: it was due at {when(timer.send_at.astimezone(self._calendar.timezone))} "
            "and the service was unavailable then."
            if late
            else None
        )
        if timer.kind is not TimerKind.PASSED:
            left = self._calendar.count_working_days(
                self._calendar.local_date(now), timer.target_on
            )
            plural = "s" if left > 1 else ""
            headline = "Target today" if left <= 0 else f"Target in {left} working day{plural}"
            view = self._notice(dispute, headline, late_note)
            await self._to_channels(uow, dispute, view, key, now)
            for person in await self._parties(dispute):
                await post_to_person(
                    uow,
                    person.object_id,
                    notice_card(view),
                    f"{key}:person:{person.object_id}",
                    dispute.case_reference,
                    now=now,
                    summary=notice_summary(view),
                )
            return 1
        if self._policy.auto_escalate and dispute.stage.next is not None:
            after = domain.escalate(
                case,
                dispute.number,
                actor=SYSTEM,
                text=f"The stage {int(dispute.stage)} target "
                f"({format_day(timer.target_on)}) passed unresolved; the partnership's policy "
                "escalates automatically.",
                at=now,
            )
            await self._after(uow, case, dispute, after, self._calendar.local_date(now), now)
            return 1
        headline = (
            "Target passed: mediation unresolved"
            if dispute.stage is DisputeStage.MEDIATION
            else "Target passed: escalate or resolve"
        )
        view = self._notice(dispute, headline, late_note)
        await post_to_hub(
            uow,
            notice_card(view),
            key,
            dispute.case_reference,
            people=self._people,
            now=now,
            summary=notice_summary(view),
        )
        return 1

    # -- telling people -----------------------------------------------------------------

    async def _announce(
        self, uow: UnitOfWork, case: Case, dispute: Dispute, *, now: datetime
    ) -> bool:
        """Tell the current stage's parties (personally) and channels - once per stage."""
        began = self._calendar.local_date(dispute.stage_started_at)
        key = TimerKey(
            dispute.case_reference,
            f"{dispute.number}/{int(dispute.stage)}",
            str(TimerKind.ANNOUNCE),
            began,
        )
        if not await DisputeTimerRepository(uow.session).record(
            key, send_at=dispute.stage_started_at, status=TimerStatus.SENT, late=False, now=now
        ):
            return False
        headline = (
            "New difference of opinion"
            if dispute.stage is DisputeStage.LIAISON
            else f"Difference of opinion escalated to stage {int(dispute.stage)}"
        )
        base = base_key(dispute)
        await self._to_channels(uow, dispute, self._notice(dispute, headline), base, now)
        today = self._calendar.local_date(now)
        for person in await self._parties(dispute):
            await post_to_person(
                uow,
                person.object_id,
                self._card(dispute, person, today),
                f"{base}:person:{person.object_id}",
                dispute.case_reference,
                now=now,
                summary=f"{dispute.title}: {headline.lower()}",
            )
        return True

    async def _to_channels(
        self, uow: UnitOfWork, dispute: Dispute, view: NoticeView, key: str, now: datetime
    ) -> None:
        for purpose in STAGE_CHANNELS[dispute.stage]:
            try:
                await post_to_channel(
                    uow,
                    purpose,
                    notice_card(view),
                    f"{key}:{purpose.value}",
                    dispute.case_reference,
                    now=now,
                    summary=notice_summary(view),
                )
            except NoChannel:
                # The parties are told personally whatever happens; a missing channel only
                # loses the shared notice.
                log.info("no %s channel for a dispute notice", purpose.value)

    async def _parties(self, dispute: Dispute) -> list[Person]:
        people: dict[str, Person] = {}
        if dispute.raised_by != SYSTEM:
            people[dispute.raised_by.id] = Person(
                object_id=dispute.raised_by.id, name=dispute.raised_by.name
            )
        for role in STAGE_PEOPLE[dispute.stage]:
            for person in await self._people.people_with(role):
                people[person.object_id] = person
        return list(people.values())

    async def _may_raise(self, reference: CaseReference, person: Person) -> None:
        async with UnitOfWork(self._sessions) as uow:
            case = await uow.cases.get(reference)
        require_case_access(person, case)
        domain.require_open_case(case)

    async def _send_start_card(self, turn: Turn, reference: CaseReference) -> None:
        await send_to_personal_chat(
            self._sessions,
            turn,
            start_card(str(reference)),
            key=f"dispute-start:{reference}:{turn.actor.object_id}",
        )

    # -- views ----------------------------------------------------------------------------

    def _notice(self, dispute: Dispute, headline: str, late_note: str | None = None) -> NoticeView:
        return NoticeView(
            reference=dispute.case_reference,
            number=dispute.number,
            topic=dispute.topic.label,
            stage_label=dispute.stage.label,
            target=format_day(dispute.target(self._calendar, self._policy)),
            headline=headline,
            late_note=late_note,
        )

    def _card(
        self, dispute: Dispute, person: Person, today: date, *, notice: str | None = None
    ) -> Card:
        target = dispute.target(self._calendar, self._policy)
        zone = self._calendar.timezone
        if dispute.resolved_at is not None:
            status = f"Resolved on {format_day(self._calendar.local_date(dispute.resolved_at))}"
        else:
            status = "Target passed" if target < today else "Open"
        party = dispute.is_open and dispute.is_party(person)
        return dispute_card(
            DisputeView(
                reference=dispute.case_reference,
                number=dispute.number,
                topic=dispute.topic.label,
                stage=int(dispute.stage),
                stage_label=dispute.stage.label,
                target=format_day(target),
                status=status,
                raised_by=dispute.raised_by.name,
                history=_history(dispute.history, zone),
                can_act=party,
                can_escalate=party and dispute.stage.next is not None,
                can_resolve=dispute.is_open and dispute.may_resolve(person),
                notice=notice,
            )
        )


def _history(entries: Sequence[domain.Entry], zone: Any) -> list[HistoryLine]:
    return [
        HistoryLine(
            when=when(entry.at.astimezone(zone)),
            who=entry.actor.name,
            what=entry.what,
            text=entry.text if entry.text is not None else ERASED,
        )
        for entry in entries
    ]
