"""The dispute's cards as each person sees them: buttons only for a party, dates in the
partnership's time zone, the narrative only on the personal card, and a receipt for every
press - what was done, by whom, when."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, tzinfo
from typing import Final

from cards.base import Card
from cards.dispute import (
    DisputeItem,
    DisputeView,
    HistoryLine,
    NoticeView,
    RaisedView,
    RaiseFormView,
    StageLine,
    dispute_card,
    raise_form_card,
    raised_card,
)
from cards.reminder import when
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.clocks import format_day
from safeguarding.disputes import (
    ERASED,
    ESCALATED,
    RESOLVED,
    RESPONDED,
    Dispute,
    DisputePolicy,
    DisputeStage,
    Entry,
    stage_target,
)
from safeguarding.roles import Person

RAISE_OUTSIDE_PERSONAL: Final = (
    "I've sent you a personal message to raise it there, so your position and reasons are "
    "not shared here."
)
START_SENT: Final = "I've sent you a personal message to raise it there."
START_BELOW: Final = "The form to raise it is in this chat, below."
OPEN_SENT: Final = "I've sent it to you in a personal chat."
OPEN_ALREADY: Final = (
    "Your card for it is already in our personal chat, kept up to date as it moves on."
)
RAISE_OUTSIDE_PERSONAL_ONLY: Final = (
    "A difference of opinion is raised in our personal chat, so your position and reasons "
    "are not shared. Type **disagree <reference>** there. Nothing was changed."
)
RAISE_INCOMPLETE: Final = "Something is missing: please check this step and press Next."
RAISE_CANCELLED: Final = "Cancelled: no difference of opinion was raised, and nothing was saved."


class DisputeViews:
    """Cards and notices of disputes, with the partnership's calendar and stage targets."""

    def __init__(self, *, calendar: WorkingDayCalendar, policy: DisputePolicy) -> None:
        self.calendar = calendar
        self.policy = policy

    def target(self, dispute: Dispute) -> date:
        return dispute.target(self.calendar, self.policy)

    def at(self, moment: datetime) -> str:
        """ "10:05 on Monday 7 December 2026", in the partnership's time zone."""
        return when(moment.astimezone(self.calendar.timezone))

    def target_rule(self, dispute: Dispute) -> str:
        """Which rule produced the target: the stage's own days, from the day it began."""
        began = self.calendar.local_date(dispute.stage_started_at)
        days = self.policy.days_for(dispute.stage)
        return (
            f"{format_day(self.target(dispute))} ({days} working days after the day stage "
            f"{int(dispute.stage)} began, {format_day(began)})"
        )

    # -- receipts ------------------------------------------------------------------------

    def raised_receipt(self, dispute: Dispute) -> str:
        return (
            f"Raised by {dispute.raised_by.name} at {self.at(dispute.raised_at)}. The partners' "
            f"representatives and the Hub have been told; the target for stage 1 is "
            f"{self.target_rule(dispute)}. Your card for it follows in this chat and is kept "
            "up to date as it moves on."
        )

    def done(self, dispute: Dispute, entry: Entry) -> str:
        """The receipt for a step just recorded."""
        who, at = entry.actor.name, self.at(entry.at)
        if entry.kind == RESPONDED:
            return f"Response recorded: {who}, at {at}. The other parties' cards show it."
        if entry.kind == ESCALATED:
            told = (
                "The safeguarding partners have"
                if entry.stage is DisputeStage.PARTNERS
                else "The Independent Scrutiny Officer has"
            )
            return (
                f"Escalated to stage {int(entry.stage)} by {who}, at {at}. Its target is "
                f"{self.target_rule(dispute)}. {told} been told."
            )
        said = f"Resolved by {who}, at {at}: the outcome is on the case record."
        if dispute.upheld:
            said += (
                " Upheld: the decision that the criteria are not met is set aside and the "
                "case reopens."
            )
        return said

    def already(self, entry: Entry) -> str:
        """A repeated (or redelivered) press: the step it repeats, by whom and when."""
        who, at = entry.actor.name, self.at(entry.at)
        if entry.kind == RESPONDED:
            done = f"this response was recorded for {who}"
        elif entry.kind == ESCALATED:
            done = f"escalated to stage {int(entry.stage)} by {who}"
        elif entry.kind == RESOLVED:
            done = f"resolved by {who}"
        else:
            done = f"raised by {who}"
        return f"Already done: {done}, at {at}. Nothing was changed."

    def moved_on(self, dispute: Dispute, stage: int, what: str) -> str:
        """A press on a card drawn for an earlier stage, for a step that is not a repeat."""
        moved = dispute.latest(ESCALATED)
        how = f" (escalated by {moved.actor.name}, at {self.at(moved.at)})" if moved else ""
        return (
            f"Not recorded: this card was for stage {stage}, and the difference of opinion "
            f"has since moved to stage {int(dispute.stage)}{how}. Here it is as it stands: "
            f"{what} again if it still applies."
        )

    def latest(self, dispute: Dispute) -> str | None:
        """What the other parties read on their redrawn card: the latest step."""
        if not dispute.history:
            return None
        entry = dispute.history[-1]
        return f"Latest, at {self.at(entry.at)}: {entry.what}"

    # -- cards ---------------------------------------------------------------------------

    def notice(self, dispute: Dispute, headline: str, late_note: str | None = None) -> NoticeView:
        """A channel's notice: references, stage and dates, never the narrative."""
        return NoticeView(
            reference=dispute.case_reference,
            number=dispute.number,
            topic=dispute.topic.label,
            stage_label=dispute.stage.label,
            target=format_day(self.target(dispute)),
            headline=headline,
            late_note=late_note,
        )

    def card(
        self,
        dispute: Dispute,
        person: Person,
        today: date,
        *,
        notice: str | None = None,
        warning: bool = False,
    ) -> Card:
        """``person``'s personal card: the stages, the history, the buttons they may press."""
        target = self.target(dispute)
        if dispute.resolved_at is not None:
            status = f"Resolved on {format_day(self.calendar.local_date(dispute.resolved_at))}"
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
                target=self.target_rule(dispute)
                if dispute.is_open
                else format_day(self.target(dispute)),
                status=status,
                raised_by=dispute.raised_by.name,
                history=history(dispute.history, self.calendar.timezone),
                stages=self.stage_lines(dispute),
                can_act=party,
                can_escalate=party and dispute.stage.next is not None,
                untried=not dispute.tried,
                can_resolve=dispute.is_open and dispute.may_resolve(person),
                notice=notice,
                warning=warning,
                on_decision=dispute.on_decision,
            )
        )

    def stage_lines(self, dispute: Dispute) -> list[StageLine]:
        """Each stage reached: when it began, its own target, and how it ended."""
        lines = []
        for span in dispute.stages:
            target = stage_target(span.stage, span.started_at, self.calendar, self.policy)
            ended = None
            if span.ended_at is not None:
                day = format_day(self.calendar.local_date(span.ended_at))
                if span.stage is not dispute.stage:
                    ended = f"escalated {day}" + (
                        " without a response (reason recorded)" if span.skipped else ""
                    )
                else:
                    ended = f"resolved {day}"
            lines.append(
                StageLine(
                    label=f"Stage {int(span.stage)}",
                    began=format_day(self.calendar.local_date(span.started_at)),
                    target=format_day(target),
                    ended=ended,
                )
            )
        return lines

    def raise_form(
        self,
        reference: str,
        token: str,
        step: str,
        draft: dict[str, str],
        error: str | None = None,
    ) -> Card:
        return raise_form_card(
            RaiseFormView(
                reference=reference,
                token=token,
                step=step,
                draft=draft,
                error=error,
                stage_days=self.policy.days_for(DisputeStage.LIAISON),
            )
        )

    def raised(self, dispute: Dispute, *, again: bool = False) -> Card:
        """The raise form's last state: what was raised, by whom, when - no live buttons."""
        receipt = (
            f"Already done: raised by {dispute.raised_by.name}, at {self.at(dispute.raised_at)}. "
            "Nothing was changed."
            if again
            else self.raised_receipt(dispute)
        )
        return raised_card(
            RaisedView(
                title=dispute.title,
                topic=dispute.topic.label,
                receipt=receipt,
                target=self.target_rule(dispute),
            )
        )

    def opened(self, dispute: Dispute, person: Person, *, again: bool) -> Card:
        """The referral card once the Hub opened it: no narrative, no buttons."""
        if again:
            entry = dispute.history[0]
            receipt = (
                f"Already done: opened as {dispute.title.lower()}, at {self.at(entry.at)}. "
                "Nothing was changed."
            )
        else:
            receipt = (
                f"Opened by {person.name}, at {self.at(dispute.raised_at)}. The partners' "
                "representatives and the Hub have their cards for it in personal chat."
            )
        return raised_card(
            RaisedView(
                title=dispute.title,
                topic=dispute.topic.label,
                receipt=receipt,
                target=self.target_rule(dispute),
            )
        )

    def cancelled(self, reference: str) -> Card:
        return raised_card(
            RaisedView(
                title=f"Difference of opinion on {reference}: not raised",
                topic=None,
                receipt=RAISE_CANCELLED,
                target=None,
            )
        )

    def items(self, disputes: Iterable[Dispute], today: date) -> list[DisputeItem]:
        """The ``disputes`` list: stage and target of each, overdue ones marked."""
        return [
            DisputeItem(
                reference=d.case_reference,
                number=d.number,
                topic=d.topic.label,
                stage_label=d.stage.label,
                target=format_day(self.target(d)),
                overdue=self.target(d) < today,
            )
            for d in disputes
        ]


def history(entries: Sequence[Entry], zone: tzinfo) -> list[HistoryLine]:
    """The dispute's steps; a narrative erased by retention says so rather than vanishing."""
    return [
        HistoryLine(
            when=when(entry.at.astimezone(zone)),
            who=entry.actor.name,
            what=entry.what,
            text=entry.text if entry.text is not None else ERASED,
        )
        for entry in entries
    ]
