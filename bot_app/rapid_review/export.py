"""The rapid review document's download route: ``GET /rapid-review/{reference}.md|html?token=...``.

Delivered like the evidence bundle (``bot_app/evidence/http.py``): the links a Hub officer got
in their personal chat (``document.py``) carry a signed token; a download checks the token,
checks the person's role again, writes the access log, and answers with the document as a
Markdown file or a printable page.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from aiohttp import web

from bot_app.core.html_pages import SECURITY_HEADERS, html_response, page, refusal_page, table
from bot_app.core.signed_links import Directory, admit_download
from bot_app.core.transactions import Transactions
from bot_app.rapid_review import services
from bot_app.rapid_review.document import (
    SCOPE,
    Document,
    DocumentLinks,
    DocumentSettings,
    to_markdown,
)
from bot_app.rapid_review.views import RapidReviewViews
from safeguarding.policy import Action

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentDownloads:
    """What the download route needs, built by the composition root.

    ``now`` is the application's clock: a plain GET has no turn, so the request's moment is
    read here, at the edge, and passed down.
    """

    tx: Transactions
    directory: Directory
    links: DocumentLinks
    views: RapidReviewViews
    settings: DocumentSettings
    now: Callable[[], datetime]


def to_html(document: Document) -> str:
    parts = [
        f"<h1>{html.escape(document.title)}</h1>",
        f'<p class="small">{html.escape(document.subtitle)}</p>',
    ]
    for section in document.sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, str):
                text = html.escape(block)
                while "**" in text:  # the only Markdown the paragraphs use: bold
                    text = text.replace("**", "<strong>", 1).replace("**", "</strong>", 1)
                parts.append(f"<p>{text}</p>")
            else:
                parts.append(table(block[0], block[1], "None recorded."))
    return page(document.title, "".join(parts))


DOWNLOADS = web.AppKey("rapid_review_document", DocumentDownloads)


def add_document_routes(app: web.Application, downloads: DocumentDownloads) -> None:
    app[DOWNLOADS] = downloads
    app.router.add_get(r"/rapid-review/{reference:[A-Za-z0-9-]+}.{format:md|html}", download)


async def download(request: web.Request) -> web.Response:
    downloads = request.app[DOWNLOADS]
    as_markdown = request.match_info["format"] == "md"
    now = downloads.now()
    admitted = await admit_download(
        request,
        what="rapid review",
        signing_key=downloads.links.signing_key,
        scope=SCOPE,
        now=now,
        directory=downloads.directory,
        action=Action.RECORD_PANEL_EXCHANGE,
        refuse=_refuse,
        expired=lambda reference, _refused: (
            "This download link is not valid, or has expired (links last 15 minutes). Ask for "
            f"a new one with rapid-review {reference}."
        ),
        role_lost="You no longer hold a role that may send the rapid review.",
    )
    if isinstance(admitted, web.Response):
        return admitted
    reference, person = admitted.reference, admitted.person
    command = services.DownloadDocument(reference=reference, by=person, printable=not as_markdown)
    document = await downloads.tx.run(
        partial(
            services.download_document,
            command,
            now=now,
            views=downloads.views,
            settings=downloads.settings,
        )
    )
    if document is None:
        return _refuse(404, "There is no such case.")
    log.info("rapid review document of %s downloaded by %s", reference, person.object_id)
    if as_markdown:
        return web.Response(
            text=to_markdown(document),
            content_type="text/markdown",
            headers={
                **SECURITY_HEADERS,
                "Content-Disposition": f'attachment; filename="{reference}-rapid-review.md"',
            },
        )
    return html_response(to_html(document))


def _refuse(status: int, message: str) -> web.Response:
    return refusal_page("Rapid review document unavailable", message, status=status)
