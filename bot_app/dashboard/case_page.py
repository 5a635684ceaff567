"""One case as HTML: its facts, clocks, timeline, votes, disputes and action plan, and the
child's details only when asked for (the viewing is logged by the service, not here).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

from bot_app.dashboard.pages import Chrome, clock_list, layout
from bot_app.dashboard.views import CasePage


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
        f"{clock_list(row, today)}</section>",
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
