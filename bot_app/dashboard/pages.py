"""The dashboard's HTML: the frame every page shares, and the small pages (sign-in, the tab's
configuration, a message).

Every value is escaped where it is drawn; the view models carry text, never markup. Each page
has the same landmarks (a skip link, banner, navigation, main, footer), one ``h1``, labelled
form controls and tables with captions and header cells (WCAG 2.2 AA). No inline script or
style: the Content-Security-Policy allows only this service's own files. The larger pages are
apart: the open cases (``overview_page.py``), one case (``case_page.py``) and the Board
(``board_pages.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from bot_app.dashboard import charts
from bot_app.dashboard.views import CaseRow
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


# -- a case's clocks, on the overview and on the case's page -------------------------------


def clock_list(row: CaseRow, today: date) -> str:
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
