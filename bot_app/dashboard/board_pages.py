"""The Board report as HTML: in the tab, and on its own for printing or saving as PDF.

Both draw the same sections; each chart has its figures in a table below it, so the report
reads the same without the pictures.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from bot_app.dashboard import charts
from bot_app.dashboard.pages import Chrome, layout
from bot_app.dashboard.views import Board
from safeguarding.board import AGE_BANDS
from safeguarding.board_report import cells, headers
from safeguarding.clocks import format_day


def board_page(chrome: Chrome, board: Board) -> str:
    body = (
        "<h1>Board report</h1>"
        f"<p>Figures as at {escape(format_day(board.today))}, over every case (open and "
        "closed). Each chart has its figures in a table below it.</p>"
        '<p class="actions"><a class="button" href="/tab/board.csv" download>Download the '
        'Board report (CSV)</a> <a class="button" href="/tab/board/print" target="_blank" '
        'rel="noopener">Printable Board report (opens in a new window)</a></p>'
        + board_sections(board)
    )
    return layout(chrome, "Board report", body, current="board")


def board_sections(board: Board) -> str:
    kept = (
        '<section aria-labelledby="h-kept"><h2 id="h-kept">Clocks met and missed per quarter'
        "</h2><p>Each clock counts in the quarter of its due day; a clock still running counts "
        "once it is met or missed.</p>"
        + charts.quarters_chart(board.tallies)
        + _table(
            "Clocks met and missed per quarter",
            ("Quarter", "Met", "Missed"),
            [(t.quarter.label, str(t.met), str(t.missed)) for t in board.tallies],
            "No clock has been met or missed yet.",
        )
        + "</section>"
    )

    def days(e: object) -> str:
        if e is None:
            return "Not needed"
        return f"{e.days}" + ("" if e.done else " so far (not yet)")  # type: ignore[attr-defined]

    panel = (
        '<section aria-labelledby="h-panel"><h2 id="h-panel">Time from awareness to the Panel'
        "</h2><p>Working days from the partners becoming aware to the Panel notification "
        "(target 5) and to the rapid review reaching the Panel (target 15).</p>"
        + charts.time_to_panel_chart(board.times)
        + _table(
            "Working days from awareness, per case",
            ("Case", "Partners aware on", "To the Panel notification", "To the rapid review"),
            [
                (t.reference, format_day(t.aware_on), days(t.notification), days(t.rapid_review))
                for t in board.times
            ],
            "No case has needed a Panel notification yet.",
        )
        + "</section>"
    )
    if board.actions_available:
        action_body = charts.actions_chart(board.actions) + _table(
            "Open actions by agency and age",
            ("Agency", *(b.label for b in AGE_BANDS), "Total"),
            [(a.agency, *(str(c) for c in a.counts), str(a.total)) for a in board.actions],
            "There are no open actions.",
        )
    else:
        action_body = "<p>Action plans: not yet available.</p>"
    actions = (
        '<section aria-labelledby="h-actions"><h2 id="h-actions">Open actions by agency and '
        f"age</h2>{action_body}</section>"
    )
    return kept + panel + actions


def _table(caption: str, head: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    if not rows:
        return f"<p>{escape(empty)}</p>"
    return (
        f'<table class="figures"><caption>{escape(caption)}</caption><thead><tr>'
        + "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
        + "</tr></thead><tbody>"
        + "".join(
            "<tr>"
            + f'<th scope="row">{escape(r[0])}</th>'
            + "".join(f"<td>{escape(c)}</td>" for c in r[1:])
            + "</tr>"
            for r in rows
        )
        + "</tbody></table>"
    )


def printable_board(partnership: str, board: Board) -> str:
    """The Board report on its own, for printing or saving as PDF."""
    cases = _table(
        "Every case: its stage, how each clock stands, and its open actions",
        headers(board.report),
        cells(board.report),
        "There are no cases yet.",
    )
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        "<title>Board report - CSPR dashboard</title>"
        '<link rel="stylesheet" href="/tab/static/tab.css"></head><body class="print">'
        f'<main id="main"><h1>Board report: {escape(partnership)}</h1>'
        f"<p>Child safeguarding practice reviews, as at {escape(format_day(board.today))}. No "
        "child's details are included.</p>"
        + board_sections(board)
        + f'<section aria-labelledby="h-cases"><h2 id="h-cases">Every case</h2>{cases}</section>'
        "</main></body></html>"
    )
