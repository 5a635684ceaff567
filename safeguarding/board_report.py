"""The Board report: every case's stage, its clocks and its open actions, on one page.

The safeguarding partners "must monitor time and quality along the way" and sign action
plans off at the Children's MARS Board (the partnership's CSPR procedure). This is what the
Board reads: per case, the reference, the stage, how each statutory clock stands (met,
missed, running, overdue) and the open actions (how many, and the oldest overdue one's due
date). It carries no child identifier and no narrative - only references, stages, dates and
counts - so it may be printed for the Board's papers.

Pure: the caller passes the cases, their clocks (derived as of ``today``) and the open
actions; the builders return rows, Markdown and CSV. A dashboard can reuse the same rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from safeguarding.action_plans import PlanAction
from safeguarding.case import Case
from safeguarding.case_clocks import CaseClock, ClockStatus
from safeguarding.clocks import ClockId, ClockRule


class ClockState(StrEnum):
    """How a clock stands, in the Board's words."""

    MET = "met"
    MISSED = "missed"  # met late
    RUNNING = "running"  # due today counts as running: there is still today
    OVERDUE = "overdue"
    STOPPED = "stopped"  # the case closed before it was met
    NOT_NEEDED = "not needed"


STATES: Final[Mapping[ClockStatus, ClockState]] = MappingProxyType(
    {
        ClockStatus.MET: ClockState.MET,
        ClockStatus.MET_LATE: ClockState.MISSED,
        ClockStatus.RUNNING: ClockState.RUNNING,
        ClockStatus.DUE_TODAY: ClockState.RUNNING,
        ClockStatus.OVERDUE: ClockState.OVERDUE,
        ClockStatus.STOPPED: ClockState.STOPPED,
        ClockStatus.WAIVED: ClockState.NOT_NEEDED,
    }
)

# Several clocks of one kind (one per agency asked for a report) show as the worst of them.
_SEVERITY: Final = (
    ClockState.OVERDUE,
    ClockState.MISSED,
    ClockState.RUNNING,
    ClockState.MET,
    ClockState.STOPPED,
    ClockState.NOT_NEEDED,
)


@dataclass(frozen=True)
class BoardRow:
    reference: str
    stage: str  # its label
    clocks: Mapping[ClockId, ClockState]  # only the clocks the case has started
    open_actions: int
    oldest_overdue: date | None  # the due date of the oldest overdue open action
    closed: bool


@dataclass(frozen=True)
class BoardReport:
    today: date
    columns: tuple[ClockRule, ...]  # the clocks, in process order
    rows: tuple[BoardRow, ...]

    def counts(self) -> dict[ClockState, int]:
        """How many clocks stand in each state across every case."""
        counted = dict.fromkeys(ClockState, 0)
        for row in self.rows:
            for state in row.clocks.values():
                counted[state] += 1
        return counted


def board_report(
    cases: Iterable[Case],
    *,
    clocks_of: Mapping[str, Sequence[CaseClock]],
    open_actions: Iterable[PlanAction],
    table: Sequence[ClockRule],
    today: date,
) -> BoardReport:
    """The report as of ``today``: open cases first (oldest reference first), then closed."""
    actions: dict[str, list[PlanAction]] = {}
    for action in open_actions:
        if action.is_open:
            actions.setdefault(action.case_reference, []).append(action)
    rows = []
    for case in cases:
        reference = str(case.reference)
        states: dict[ClockId, ClockState] = {}
        for clock in clocks_of.get(reference, ()):
            state = STATES[clock.status]
            current = states.get(clock.rule.id)
            if current is None or _SEVERITY.index(state) < _SEVERITY.index(current):
                states[clock.rule.id] = state
        mine = actions.get(reference, [])
        overdue = [a.due_on for a in mine if a.due_on < today]
        rows.append(
            BoardRow(
                reference=reference,
                stage=case.stage.label,
                clocks=MappingProxyType(states),
                open_actions=len(mine),
                oldest_overdue=min(overdue) if overdue else None,
                closed=not case.is_open,
            )
        )
    rows.sort(key=lambda r: (r.closed, r.reference))
    used = {clock_id for row in rows for clock_id in row.clocks}
    columns = tuple(rule for rule in table if rule.id in used)
    return BoardReport(today=today, columns=columns, rows=tuple(rows))


def headers(report: BoardReport) -> list[str]:
    return [
        "Reference",
        "Stage",
        *(rule.title for rule in report.columns),
        "Open actions",
        "Oldest overdue action due",
    ]


def cells(report: BoardReport) -> list[list[str]]:
    """Each row as text: a clock the case has not started is left blank."""
    return [
        [
            row.reference,
            row.stage,
            *(str(row.clocks.get(rule.id, "")) for rule in report.columns),
            str(row.open_actions),
            row.oldest_overdue.isoformat() if row.oldest_overdue else "",
        ]
        for row in report.rows
    ]


def to_csv(report: BoardReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers(report))
    writer.writerows(_safe(row) for row in cells(report))
    return out.getvalue()


def to_markdown(report: BoardReport, *, partnership: str) -> str:
    counts = report.counts()
    lines = [
        f"# Board report: {partnership}",
        "",
        f"As of {report.today.isoformat()}. Case references, stages, clocks and open actions "
        "only: no child's details.",
        "",
        "Clocks: " + ", ".join(f"{counts[state]} {state.value}" for state in _SEVERITY[:4]) + ".",
        "",
    ]
    head = headers(report)
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    for row in cells(report):
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in row) + " |")
    if not report.rows:
        lines.append("")
        lines.append("There are no cases yet.")
    return "\n".join(lines) + "\n"


def _safe(row: Sequence[str]) -> list[str]:
    """Spreadsheets run a cell that starts with = + - @ as a formula: quote it as text."""
    return ["'" + cell if cell[:1] in {"=", "+", "-", "@"} else cell for cell in row]
