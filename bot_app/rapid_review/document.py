"""The rapid review document for the Panel: its content, and the signed links to fetch it.

The document holds what the Panel needs - the case facts, each agency's summary, immediate
actions and learning, the vote with each member's rationale, the partners' decision - and no
identifiers beyond those the Hub configured (``RAPID_REVIEW_EXPORT_INITIALS``: the child's
initials; never a name). It is built once as sections and rendered as Markdown or HTML
(``export.py`` serves it).

A Hub officer asks for it (``rapid-review <reference>`` or the tracker's button) and gets two
links in a personal chat, carrying a token signed with ``EXPORT_SIGNING_KEY``, bound to them
and to this document of this case, valid for 15 minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from bot_app.security import EXPORT_LINK_LIFETIME, sign_export_token
from cards.rapid_review import DocumentLinksView
from safeguarding import milestones
from safeguarding import rapid_review as rr
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Case
from safeguarding.case_clocks import CaseClock
from safeguarding.clocks import format_day
from safeguarding.notification import LABELS
from safeguarding.roles import Person
from storage.rapid_review import AgencyReport

# The token names this document, so an evidence-bundle link cannot fetch it (and vice versa).
SCOPE: Final = "/rapid-review"

Table = tuple[Sequence[str], Sequence[Sequence[str]]]
Block = str | Table  # a paragraph, or a table (headers, rows)


@dataclass(frozen=True)
class Section:
    title: str
    blocks: Sequence[Block]


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    sections: Sequence[Section]


@dataclass(frozen=True)
class DocumentSettings:
    partnership: str  # named in the subtitle
    include_initials: bool  # the child's initials (RAPID_REVIEW_EXPORT_INITIALS); never a name


@dataclass(frozen=True)
class DocumentLinks:
    """What the chat side needs: signed, expiring links for one person and one case."""

    signing_key: bytes
    public_base_url: str
    calendar: WorkingDayCalendar

    def links(self, reference: str, person: Person, *, now: datetime) -> DocumentLinksView:
        expires_at = now + EXPORT_LINK_LIFETIME
        token = sign_export_token(
            self.signing_key,
            reference=reference + SCOPE,
            person_id=person.object_id,
            expires_at=expires_at,
        )
        base = f"{self.public_base_url.rstrip('/')}/rapid-review/{quote(reference)}"
        local = expires_at.astimezone(self.calendar.timezone)
        return DocumentLinksView(
            reference=reference,
            html_url=f"{base}.html?token={token}",
            markdown_url=f"{base}.md?token={token}",
            expires=f"{local:%H:%M} on {local.day} {local:%B %Y}",
        )


def build_document(
    case: Case,
    *,
    reports: Sequence[AgencyReport],
    ballots: Sequence[rr.Ballot],
    clocks: Sequence[CaseClock],
    initials: str,
    subtitle: str,
) -> Document:
    """The rapid review as sections, from the case, its reports and the decisive vote."""
    state = rr.state_of(case)
    facts = case.facts
    child = facts.get("child", {})
    cross = facts.get("cross_boundary", {})

    def label(value: Any) -> str:
        return LABELS.get(str(value), str(value or "-"))

    def yes(value: Any) -> str:
        return "Yes" if value else "No"

    case_rows = [
        ("Reference", str(case.reference)),
        *([("Child's initials", initials)] if initials else []),
        ("Notifying agency", str(facts.get("agency") or "-")),
        ("Incident", format_day(case.incident_on) if case.incident_on else "not recorded"),
        ("Partners aware", format_day(case.aware_on)),
        ("What happened", label(facts.get("outcome"))),
        ("Abuse or neglect", label(facts.get("abuse_or_neglect"))),
        ("Nature of harm", ", ".join(label(h) for h in facts.get("harm_types", [])) or "-"),
        ("Age", label(child.get("age_band"))),
        ("Looked after", yes(child.get("looked_after"))),
        ("Child protection plan", yes(child.get("child_protection_plan"))),
        ("Educated otherwise than at school", yes(child.get("educated_otherwise"))),
        ("Other areas involved", yes(any(cross.values()) if isinstance(cross, dict) else False)),
        (
            "Parallel processes",
            ", ".join(label(p) for p in facts.get("parallel_processes", [])) or "None",
        ),
        ("Stage", case.stage.label),
    ]
    by_agency = {r.agency: r for r in reports}
    summaries: list[Block] = []
    actions: list[Sequence[str]] = []
    learning: list[Sequence[str]] = []
    for agency, status in state.agencies.items():
        report = by_agency.get(agency)
        requested = f"asked {format_day(status.requested_on)}"
        if report is None:
            summaries.append(f"**{agency}** ({requested}): no report received.")
            continue
        sent = f"sent {format_day(status.submitted_on)}" if status.submitted_on else "sent"
        flags = f"{requested}, {sent}{', late' if status.late else ''}, version {report.version}"
        if report.nil_return:
            summaries.append(f"**{agency}** ({flags}): nil return - {report.content['nil_reason']}")
            continue
        welfare = (
            "considered"
            if report.content.get("welfare_considered") == "true"
            else "not recorded as considered"
        )
        summaries.append(
            f"**{agency}** ({flags}): {report.content['facts']} Staff welfare {welfare}"
            + (f": {report.content['welfare']}" if report.content.get("welfare") else ".")
        )
        actions.append((agency, report.content["actions"]))
        learning.append((agency, report.content["learning"]))
    decided = next((r for r in reversed(state.rounds) if r.closed), state.round)
    vote_blocks: list[Block] = []
    if decided is None:
        vote_blocks.append("The CSPR Group has not voted yet.")
    else:
        outcome = (
            f"Recommendation: **{decided.recommendation.label}** ({decided.reason})."
            if decided.recommendation
            else ("No recommendation" + (f": {decided.reason}." if decided.reason else " yet."))
        )
        vote_blocks += [
            f"{rr.vote_name(case, decided.number)}{'' if decided.closed else ' (still open)'}. "
            f"{outcome}",
            (
                ("Member", "Voted by", "Vote", "Criteria", "Rationale"),
                [
                    (
                        decided.seats.get(b.seat, b.voter_name),
                        b.voter_name,
                        b.choice.label,
                        "; ".join(c.label for c in b.criteria) or "-",
                        b.rationale,
                    )
                    for b in ballots
                ],
            ),
        ]
    partner_rows = [
        (
            e.actor.name,
            "Confirmed" if e.kind == rr.PARTNER_CONFIRMED else "Challenged",
            format_day(e.at.date()),
            e.why or "",
        )
        for e in case.events
        if e.kind in {rr.PARTNER_CONFIRMED, rr.PARTNER_CHALLENGED}
    ]
    decision = (
        f"The safeguarding partners confirmed: **{state.confirmed.label}**."
        if state.confirmed
        else "The safeguarding partners have not confirmed a decision yet."
    )
    panel: list[Block] = []
    sent_event = next((e for e in case.events if e.kind == milestones.RAPID_REVIEW_SENT), None)
    panel.append(sent_event.what if sent_event else "Not yet sent to the Panel.")
    panel += [
        e.what + (f" Note: {e.why}" if e.why else "")
        for e in case.events
        if e.kind == milestones.PANEL_DECIDED
    ]
    return Document(
        title=f"Rapid review: case {case.reference}",
        subtitle=subtitle,
        sections=[
            Section("The case", [(("", ""), case_rows)]),
            Section(
                "Deadlines",
                [
                    (
                        ("Clock", "Due", "Status", "Met on"),
                        [
                            (
                                c.title,
                                format_day(c.deadline.due),
                                c.status.value.replace("_", " "),
                                format_day(c.met_on) if c.met_on else "",
                            )
                            for c in clocks
                        ],
                    )
                ],
            ),
            Section("Agency summaries", summaries or ["No agency was asked for a report."]),
            Section("Immediate safety actions", [(("Agency", "Taken or needed"), actions)]),
            Section("Potential learning", [(("Agency", "Learning"), learning)]),
            Section("The CSPR Group's vote", vote_blocks),
            Section(
                "The partners' decision",
                [decision, (("Partner", "Decision", "On", "Reason"), partner_rows)],
            ),
            Section("The Panel", panel),
        ],
    )


def to_markdown(document: Document) -> str:
    lines = [f"# {document.title}", "", f"_{document.subtitle}_", ""]
    for section in document.sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, str):
                lines += [block, ""]
                continue
            headers, rows = block
            if not rows:
                lines += ["None recorded.", ""]
                continue
            lines.append("| " + " | ".join(h or " " for h in headers) + " |")
            lines.append("|" + "---|" * len(headers))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
