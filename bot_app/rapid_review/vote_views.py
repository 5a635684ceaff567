"""The vote's cards: the vote card, the voting pack and the partners' card.

Pure, like the rest of the rapid review's views: the caller reads the case, the round's
ballots and the agency reports and passes them in. ``VoteViews`` is part of
``RapidReviewViews``, which gives it the partnership's time and clocks, so a moment or a
deadline reads the same on the vote's cards as on the tracker.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import date, datetime

from bot_app.cases.views import CaseViews, details_view
from cards.base import ClockLine
from cards.rapid_review import PartnersView
from cards.vote import MyVote, PackReport, SeatLine, VoteCardView, VotingPackView
from safeguarding import rapid_review as rr
from safeguarding.case import Case
from safeguarding.case_clocks import CaseClock
from safeguarding.clocks import ClockId, format_day
from safeguarding.errors import InvalidInput
from storage.channels import agency_key
from storage.rapid_review import AgencyReport


class VoteViews(ABC):
    """What the CSPR Group and the partners see of a round of the vote."""

    _cases: CaseViews

    @abstractmethod
    def when(self, moment: datetime) -> str:
        """A moment in the partnership's time (``RapidReviewViews.when``)."""

    @abstractmethod
    def clocks(self, case: Case, today: date) -> list[CaseClock]:
        """The case's clocks on the partnership's calendar (``RapidReviewViews.clocks``)."""

    def vote(
        self,
        case: Case,
        number: int,
        ballots: Sequence[rr.Ballot],
        *,
        viewer: str | None = None,
        user_ids: Sequence[str] = (),
        notice: str | None = None,
    ) -> VoteCardView:
        """The vote card: ``viewer`` (a seat) sees their own vote; ``user_ids`` are the Teams
        ids that refresh the shared card to their own view."""
        reference = str(case.reference)
        current = rr.state_of(case).round_number(number)
        if current is None:
            raise InvalidInput(f"There is no round {number} of the vote on case {reference}.")
        by_seat = {b.seat: b for b in ballots}
        closed = current.closed

        def cast_at(ballot: rr.Ballot | None) -> str:
            return self.when(ballot.cast_at) if ballot and ballot.cast_at else ""

        seats = [
            SeatLine(
                member=name,
                voted=seat in by_seat,
                by=by_seat[seat].voter_name
                if seat in by_seat and by_seat[seat].voter_id != seat
                else "",
                choice=by_seat[seat].choice.value if closed and seat in by_seat else "",
                criteria=[c.label for c in by_seat[seat].criteria]
                if closed and seat in by_seat
                else (),
                when=f"at {cast_at(by_seat.get(seat))}" if seat in by_seat else "",
            )
            for seat, name in current.seats.items()
        ]
        mine = by_seat.get(viewer) if viewer else None
        missing = rr.missing_reports(case)
        asked = len(rr.state_of(case).agencies)
        reports = f"Agency reports: {asked - len(missing)} of {asked} in" + (
            f" (not in yet: {', '.join(missing)})." if missing else "."
        )
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
            name=rr.vote_name(case, number),
            closes_on=format_day(current.closes_on),
            seats=seats,
            closed=closed,
            outcome=outcome,
            reports=reports if asked else "",
            user_ids=user_ids,
            can_vote=viewer is None or viewer in current.seats,
            mine=MyVote(
                mine.choice.value,
                [c.value for c in mine.criteria],
                mine.rationale,
                when=cast_at(mine),
            )
            if mine
            else None,
            notice=notice,
        )

    def voting_pack(
        self,
        case: Case,
        stored: dict[str, str],
        reports: Sequence[AgencyReport],
        today: date,
    ) -> VotingPackView:
        """What a member reads before voting: the case, the deadlines, the agency reports."""
        state = rr.state_of(case)
        lines = [
            self._cases.clock_line(c, today)
            for c in self.clocks(case, today)
            if c.rule.id is ClockId.RAPID_REVIEW
        ]
        current = state.round
        if current is not None and not current.closed:
            lines.append(ClockLine("The CSPR Group vote closes", format_day(current.closes_on), ""))
        # A case opened by the notification journey has its facts; one stored by other means
        # may lack them, and then only the summary is shown.
        details = details_view(case, stored) if "incident_on" in case.facts else None
        by_agency = {agency_key(r.agency): r for r in reports}
        received = []
        for status in state.agencies.values():
            report = by_agency.get(agency_key(status.agency))
            if report is None or status.submitted_on is None:
                continue
            when = format_day(status.submitted_on) + (" (late)" if status.late else "")
            received.append(
                PackReport(
                    agency=status.agency,
                    status=("Nil return, " if report.nil_return else "Submitted ") + when,
                    sections=_report_sections(report),
                )
            )
        return VotingPackView(
            reference=str(case.reference),
            facts=details.facts if details else [],
            summary=details.summary if details else stored.get("summary", ""),
            clocks=lines,
            reports=received,
            missing=rr.missing_reports(case),
        )

    def partners(self, case: Case, number: int, required: int) -> PartnersView:
        """The partners' card: the round's recommendation, each vote, and who confirmed."""
        state = rr.state_of(case)
        current = state.round_number(number)
        closed = rr.vote_closed(case, number)
        votes = [
            (b.member, rr.describe_choice(b.choice)) for b in (closed.ballots if closed else ())
        ]
        this_round = state.round is not None and state.round.number == number
        decided = None
        if state.confirmed is not None and this_round:
            decided = f"Confirmed by the partners: {state.confirmed.label}."
        challenged = rr.partner_challenge(case, number)
        if challenged is not None and decided is None:
            event, data = challenged
            decided = f"Challenged by {event.actor.name}: " + (
                "referred as a difference of opinion."
                if data.referred
                else "returned to the CSPR Group."
            )
        recommendation = current.recommendation if current else None
        return PartnersView(
            reference=str(case.reference),
            round=number,
            recommendation=recommendation.label if recommendation else "-",
            basis=current.reason if current else "",
            votes=votes,
            confirmed_by=list(state.confirmations.values()) if this_round else [],
            required=required,
            decided=decided,
        )


_REPORT_SECTIONS = (
    ("nil_reason", "Reason for the nil return"),
    ("facts", "Facts of the agency's involvement"),
    ("actions", "Immediate safety actions"),
    ("learning", "Potential learning"),
    ("welfare", "Staff welfare"),
)


def _report_sections(report: AgencyReport) -> list[tuple[str, str]]:
    """The report's answers under the headings the lead wrote them to."""
    content = report.content
    return [(title, content[key]) for key, title in _REPORT_SECTIONS if content.get(key)] or [
        ("Report", "No text was given.")
    ]
