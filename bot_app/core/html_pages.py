"""Printable pages served by link: the evidence bundle and the rapid review document.

Both are downloaded with a signed token in the URL and hold case material, so they share
the headers that keep them out of caches and other sites, and one plain, printable style.
Every value is escaped here; callers pass text, never markup, to ``table``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Final

from aiohttp import web

SECURITY_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # The token is in the URL: never hand it to another site in a Referer header.
    "Referrer-Policy": "no-referrer",
}
HTML_POLICY: Final = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

_STYLE: Final = """
body { font-family: Segoe UI, Arial, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #eee; } .bad { color: #a00; font-weight: bold; } .ok { color: #060; }
.small { font-size: 0.8em; color: #555; } code { font-size: 0.8em; word-break: break-all; }
@media print { body { margin: 0; } a { color: inherit; } }
"""


def page(title: str, body: str) -> str:
    """A whole HTML page around ``body`` (markup the caller has escaped)."""
    return (
        '<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    """A table of escaped text; the ``empty`` sentence instead when there are no rows."""
    if not rows:
        return f"<p>{html.escape(empty)}</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_response(text: str, *, status: int = 200) -> web.Response:
    """A page as a response, with the headers every printable page carries."""
    return web.Response(
        text=text,
        status=status,
        content_type="text/html",
        headers={**SECURITY_HEADERS, "Content-Security-Policy": HTML_POLICY},
    )


def refusal_page(title: str, message: str, *, status: int) -> web.Response:
    """A short, plain refusal (the log says why)."""
    return html_response(page(title, f"<p>{html.escape(message)}</p>"), status=status)
