"""The dashboard's pages as HTML: the overview, a case, the Board, sign-in.

Every value is escaped here; the view models carry text, never markup. Each page has the
same landmarks (a skip link, banner, navigation, main, footer), one ``h1``, labelled form
controls and tables with captions and header cells (WCAG 2.2 AA). No inline script or
style: the Content-Security-Policy allows only this service's own files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from urllib.parse import urlencode

from bot_app.dashboard import charts
from bot_app.dashboard.views import (
    Board,
    CasePage,
    CaseRow,
    Option,
    Overview,
)
from safeguarding.board import AGE_BANDS, Urgency
from safeguarding.board_report import cells, headers
from safeguarding.clocks import format_day
from safeguarding.roles import Person

_CURRENT = ' aria-current="page"'


@dataclass(frozen=True)
class Chrome:
    """What every page's frame shows: the partnership, who is signed in, and how."""

    partnership: str
    person: Person | None
    development: bool  # signed in through the development page (local mode)


def layout(chrome: Chrome, title: str, body: str, *, current: str = "", scripts: str = "") -> str:
    nav = ""
    who = ""
    if chrome.person is not None:
        links = (("cases", "/tab", "Open cases"), ("board", "/tab/board", "Board report"))
        nav = (
            '<nav aria-label="Dashboard"><ul>'
            + "".join(
                f'<li><a href="{href}"{_CURRENT if key == current else ""}>{escape(label)}</a></li>'
                for key, href, label in links
            )
            + "</ul></nav>"
        )
        roles = ", ".join(chrome.person.role_labels()) or "no role"
        who = (
            f'<p class="who">Signed in as <strong>{escape(chrome.person.name or "someone")}'
            f"</strong> ({escape(roles)})"
            + (' <span class="dev-badge">development sign-in</span>' if chrome.development else "")
            + '</p><form method="post" action="/tab/signout" class="inline">'
            '<button type="submit" class="link">Sign out</button></form>'
        )
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} - CSPR dashboard</title>"
        '<link rel="stylesheet" href="/tab/static/tab.css"></head><body>'
        '<a class="skip" href="#main">Skip to main content</a>'
        f'<header><p class="brand">{escape(chrome.partnership)}: case dashboard</p>{who}</header>'
        f'{nav}<main id="main" tabindex="-1">{body}</main>'
        "<footer><p>Child safeguarding practice reviews: Working Together 2023 and the "
        "Child Safeguarding Practice Review and Relevant Agency (England) Regulations 2018. "
        "Case pages show only what your role permits.</p></footer>"
        f"{scripts}</body></html>"
    )


# -- the overview --------------------------------------------------------------------------


def overview_page(chrome: Chrome, ov: Overview) -> str:
    today = format_day(ov.today)
    counts = (
        f'<ul class="counts" aria-label="Summary">'
        f'<li class="u-overdue">{ov.count(Urgency.OVERDUE)} overdue</li>'
        f'<li class="u-soon">{ov.count(Urgency.SOON)} due within 3 working days</li>'
        f'<li class="u-on_track">{ov.count(Urgency.ON_TRACK)} on track</li></ul>'
    )
    body = (
        f"<h1>Open cases</h1><p>Today is {escape(today)}. Each bar runs from the day a clock "
        "started to its due day; the dashed line is today.</p>"
        + _filters(ov)
        + counts
        + _cases_table(ov.rows, ov)
    )
    return layout(chrome, "Open cases", body, current="cases")


def _filters(ov: Overview) -> str:
    def select(name: str, label: str, options: Sequence[Option], chosen: str) -> str:
        items = '<option value="">All</option>' + "".join(
            f'<option value="{escape(o.value)}"{" selected" if o.value == chosen else ""}>'
            f"{escape(o.label)}</option>"
            for o in options
        )
        return (
            f'<div class="field"><label for="f-{name}">{label}</label>'
            f'<select id="f-{name}" name="{name}">{items}</select></div>'
        )

    f = ov.filters
    return (
        '<form method="get" action="/tab" class="filters" role="search" '
        'aria-label="Filter the cases">'
        + select("stage", "Stage", ov.stages, f.stage)
        + select("agency", "Agency", ov.agencies, f.agency)
        + select("owner", "Owner", ov.owners, f.owner)
        + '<div class="field buttons"><button type="submit">Apply filters</button>'
        + ('<a href="/tab">Clear filters</a>' if f.any else "")
        + "</div></form>"
    )


def _cases_table(rows: Sequence[CaseRow], ov: Overview) -> str:
    if not rows:
        text = (
            "No open case matches these filters."
            if ov.filters.any and ov.visible
            else "There are no open cases you can see."
        )
        return f'<p class="empty">{escape(text)}</p>'
    shown = f"{len(rows)} of {ov.visible}" if ov.filters.any else str(len(rows))
    head = "".join(
        f'<th scope="col">{h}</th>' for h in ("Case", "Stage", "Agency", "Owner", "Clocks")
    )
    body = "".join(_case_line(row, ov) for row in rows)
    return (
        f'<table class="cases"><caption>Open cases ({shown}), the most urgent first</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _case_line(row: CaseRow, ov: Overview) -> str:
    ref = escape(row.reference)
    return (
        f'<tr><th scope="row"><a href="/tab/cases/{ref}">{ref}</a>'
        f'<br><span class="tag u-{row.urgency.value}">{escape(row.urgency.label)}</span></th>'
        f"<td>{escape(row.stage)}</td><td>{escape(row.agency or '-')}</td>"
        f"<td>{escape(row.owner)}</td><td>{_clock_list(row, ov.today)}</td></tr>"
    )


def _clock_list(row: CaseRow, today: date) -> str:
    if not row.clocks:
        return "No statutory clock is running."
    items = []
    for bar in row.clocks:
        items.append(
            f'<li class="clock u-{bar.urgency.value}">'
            f"{charts.clock_bar(bar, today)}"
            f'<span class="clock-text"><strong>{escape(bar.title)}</strong>: due '
            f"{escape(bar.due_text)}. {escape(bar.status)}"
            f' <span class="tag u-{bar.urgency.value}">{escape(bar.urgency.label)}</span></span>'
            "</li>"
        )
    return f'<ul class="clocks">{"".join(items)}</ul>'


# -- a case --------------------------------------------------------------------------------


def case_page(chrome: Chrome, page: CasePage, today: date) -> str:
    row = page.row
    ref = escape(row.reference)
    facts = _pairs(
        [
            ("Stage", row.stage),
            ("Notifying agency", row.agency or "-"),
            ("Owner", row.owner),
            ("Partners aware on", page.aware_on),
            ("Opened", page.opened),
        ]
    )
    sections = [
        f'<p><a href="/tab">Back to open cases</a></p><h1>Case {ref}</h1>',
        facts,
        _actions(page),
        '<section aria-labelledby="h-clocks"><h2 id="h-clocks">Statutory clocks</h2>'
        f"{_clock_list(row, today)}</section>",
        _details(page),
        _timeline(page),
        _votes(page),
        _disputes(page),
        _plan(page),
    ]
    return layout(chrome, f"Case {row.reference}", "".join(sections), current="cases")


def _pairs(pairs: Sequence[tuple[str, str]]) -> str:
    return (
        '<dl class="facts">'
        + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in pairs)
        + "</dl>"
    )


def _actions(page: CasePage) -> str:
    ref = escape(page.row.reference)
    links = []
    if page.may_export:
        links.append(
            f'<a class="button" href="/tab/cases/{ref}/evidence" target="_blank" '
            'rel="noopener">Evidence bundle (opens in a new window)</a>'
        )
    if page.may_see_details and page.details is None:
        links.append(
            f'<a class="button" href="/tab/cases/{ref}?details=1">Show the child\'s details</a>'
        )
    return f'<p class="actions">{" ".join(links)}</p>' if links else ""


def _details(page: CasePage) -> str:
    if page.details is None:
        return ""
    return (
        '<section aria-labelledby="h-details" class="details"><h2 id="h-details">The child\'s '
        "details</h2><p>Your viewing is recorded in the case's access log. Do not share "
        "these details in a channel.</p>" + _pairs(page.details) + "</section>"
    )


def _timeline(page: CasePage) -> str:
    head = ["#", "When", "Who", "What"] + (["Why"] if page.reasons_shown else [])
    rows = "".join(
        "<tr>"
        + f'<th scope="row">{e.seq}</th><td>{escape(e.at)}</td><td>{escape(e.actor)}</td>'
        + f"<td>{escape(e.what)}</td>"
        + (f"<td>{escape(e.why or '')}</td>" if page.reasons_shown else "")
        + "</tr>"
        for e in page.timeline
    )
    note = (
        ""
        if page.reasons_shown
        else "<p>Reasons given for each step are shown to the Hub, the CSPR Group and the "
        "safeguarding partners.</p>"
    )
    return (
        '<section aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>'
        + note
        + "<table><caption>Every step of the case, oldest first</caption><thead><tr>"
        + "".join(f'<th scope="col">{h}</th>' for h in head)
        + f"</tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _votes(page: CasePage) -> str:
    if page.votes is None:
        return ""
    if not page.votes:
        inner = "<p>The CSPR Group has not voted on this case.</p>"
    else:
        inner = "".join(
            f"<h3>Round {v.round}</h3><p>{escape(v.status)}</p>"
            + (
                "<ul>"
                + "".join(f"<li>{escape(w)}: {escape(c)}</li>" for w, c in v.ballots)
                + "</ul>"
                if v.ballots
                else ""
            )
            for v in page.votes
        )
    return (
        '<section aria-labelledby="h-votes"><h2 id="h-votes">CSPR Group votes</h2>'
        f"{inner}</section>"
    )


def _disputes(page: CasePage) -> str:
    if not page.disputes:
        inner = "<p>No difference of opinion to show.</p>"
    else:
        inner = (
            "<ul>"
            + "".join(
                f"<li><strong>{escape(d.title)}</strong> ({escape(d.topic)}): {escape(d.stage)}. "
                f"{escape(d.status)}.</li>"
                for d in page.disputes
            )
            + "</ul>"
        )
    return (
        '<section aria-labelledby="h-disputes"><h2 id="h-disputes">Differences of opinion</h2>'
        f"{inner}</section>"
    )


def _plan(page: CasePage) -> str:
    plan = page.plan
    inner = f"<p>{escape(plan.summary)}</p>"
    if plan.actions:
        inner += (
            "<table><caption>Actions</caption><thead><tr>"
            + "".join(f'<th scope="col">{h}</th>' for h in ("Action", "Agency", "Due", "Status"))
            + "</tr></thead><tbody>"
            + "".join(
                f"<tr><td>{escape(a.description)}</td><td>{escape(a.agency)}</td>"
                f"<td>{escape(a.due)}</td><td>{escape(a.status)}</td></tr>"
                for a in plan.actions
            )
            + "</tbody></table>"
        )
    return f'<section aria-labelledby="h-plan"><h2 id="h-plan">Action plan</h2>{inner}</section>'


# -- the Board -----------------------------------------------------------------------------


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


# -- signing in ----------------------------------------------------------------------------


def signin_page(partnership: str, *, local: bool, next_path: str) -> str:
    """Loads the Teams client library, which asks Teams for a token and posts it
    (``/tab/static/tab.js``); outside Teams it says so, and in local mode offers the
    development sign-in."""
    dev = (
        '<p id="dev-signin"><a href="/tab/dev-login">Development sign-in (local mode only)</a></p>'
        if local
        else ""
    )
    body = (
        "<h1>Signing you in</h1>"
        f'<p id="signin-status" role="status" data-next="{escape(next_path)}">Signing you in '
        "with your Microsoft Teams account...</p>"
        '<p id="signin-help" hidden>This dashboard opens as a tab in Microsoft Teams. Open it '
        "from the CSPR Assistant app in Teams.</p>" + dev
    )
    scripts = '<script src="/tab/static/tab.js"></script>'
    return layout(Chrome(partnership, None, False), "Sign in", body, scripts=scripts)


def dev_login_page(partnership: str, people: Sequence[tuple[str, str]]) -> str:
    options = "".join(
        f'<option value="{escape(oid)}">{escape(label)}</option>' for oid, label in people
    )
    body = (
        '<div class="dev-warning" role="note"><h1>Development sign-in</h1><p>Local mode only: '
        "this bot runs without app credentials, so you choose who you are. A deployed "
        "dashboard signs people in with Teams and refuses this page.</p></div>"
        '<form method="post" action="/tab/dev-login"><div class="field">'
        '<label for="person">Sign in as</label>'
        f'<select id="person" name="person" required>{options}</select></div>'
        '<div class="field buttons"><button type="submit">Sign in</button></div></form>'
    )
    return layout(Chrome(partnership, None, False), "Development sign-in", body)


def config_page(partnership: str) -> str:
    body = (
        "<h1>Add the case dashboard to this channel</h1><p>The tab shows each person only the "
        "cases their role permits; no child's details appear unless a Hub officer, CSPR Group "
        "member or safeguarding partner asks for them on a case page.</p>"
        '<p id="config-status" role="status">Select Save to add the tab.</p>'
    )
    scripts = '<script src="/tab/static/config.js"></script>'
    return layout(Chrome(partnership, None, False), "Add the tab", body, scripts=scripts)


def message_page(partnership: str, person: Person | None, title: str, message: str) -> str:
    body = f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
    if person is not None:
        body += '<p><a href="/tab">Back to open cases</a></p>'
    return layout(Chrome(partnership, person, False), title, body)


def filters_query(stage: str, agency: str, owner: str) -> str:
    return urlencode(
        {k: v for k, v in (("stage", stage), ("agency", agency), ("owner", owner)) if v}
    )
