"""The open cases as HTML: the filters, the counts by urgency, and a row per case with its
clocks, the most urgent first - forty cases and their clocks at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from urllib.parse import urlencode

from bot_app.dashboard.pages import Chrome, clock_list, layout
from bot_app.dashboard.views import CaseRow, Option, Overview
from safeguarding.board import Urgency
from safeguarding.clocks import format_day


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
        f"<td>{escape(row.owner)}</td><td>{clock_list(row, ov.today)}</td></tr>"
    )


def filters_query(stage: str, agency: str, owner: str) -> str:
    return urlencode(
        {k: v for k, v in (("stage", stage), ("agency", agency), ("owner", owner)) if v}
    )
