"""The dispute's cards as each person sees them: buttons only for a party, dates in the
partnership's time zone, and the narrative only on the personal card."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, tzinfo
from typing import Final

from cards.base import Card
from cards.dispute import (
    DisputeItem,
    DisputeView,
    HistoryLine,
    NoticeView,
    dispute_card,
)
from cards.reminder import when
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.clocks import format_day
from safeguarding.disputes import ERASED, Dispute, DisputePolicy, Entry
from safeguarding.roles import Person

RAISE_OUTSIDE_PERSONAL: Final = (
    "I've sent you a personal message to raise it there, so your position and reasons are "
    "not shared here."
)
START_SENT: Final = "I've sent you a personal message to raise it there."
OPEN_SENT: Final = "I've sent it to you in a personal chat."
RESPONDED: Final = "Your response was recorded and the other parties can see it."
ESCALATED: Final = "Escalated: the next stage's parties have been told."
RESOLVED: Final = "Resolved: the outcome is on the case record."
REOPENED: Final = (
    "Resolved: the outcome is on the case record. Where the difference of opinion was about the "
    "decision that the criteria are not met, upholding it reopened the case."
)


class DisputeViews:
    """Cards and notices of disputes, with the partnership's calendar and stage targets."""

    def __init__(self, *, calendar: WorkingDayCalendar, policy: DisputePolicy) -> None:
        self.calendar = calendar
        self.policy = policy

    def target(self, dispute: Dispute) -> date:
        return dispute.target(self.calendar, self.policy)

    def raised_notice(self, dispute: Dispute) -> str:
        """What the raiser is told on their new dispute's card."""
        return (
            f"Raised. The partners' representatives and the Hub have been told; the target for "
            f"stage 1 is {format_day(self.target(dispute))}."
        )

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
        self, dispute: Dispute, person: Person, today: date, *, notice: str | None = None
    ) -> Card:
        """``person``'s personal card: the history, and the buttons they may press."""
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
                target=format_day(target),
                status=status,
                raised_by=dispute.raised_by.name,
                history=history(dispute.history, self.calendar.timezone),
                can_act=party,
                can_escalate=party and dispute.stage.next is not None,
                can_resolve=dispute.is_open and dispute.may_resolve(person),
                notice=notice,
                on_decision=dispute.on_decision,
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
