"""The evidence export card: two short-lived links, for one person, to one case's bundle.

Sent only in a personal chat. The links carry a signed token, so they must not be forwarded
(they stop working after 15 minutes in any case) and every download is logged.
"""

from __future__ import annotations

from dataclasses import dataclass

from adaptive_cards.card import ActionOpenUrl

from cards.base import Card, finish, heading, paragraph


@dataclass(frozen=True)
class ExportView:
    reference: str
    html_url: str
    json_url: str
    expires: str  # "10:15" (local time)


def export_card(view: ExportView) -> Card:
    body = [
        heading(f"Evidence bundle: {view.reference}"),
        paragraph(
            "Every entry of the case's trail in order - who, when, what and why - with the "
            "deadlines met or missed, who viewed the details, and a check of the trail's "
            "fingerprints. The child's identifiers are not included."
        ),
        paragraph(
            f"These links are for you only and work until {view.expires}. Every download is "
            "recorded in the case's access log.",
            subtle=True,
            small=True,
        ),
    ]
    return finish(
        body,
        [
            ActionOpenUrl(title="Open printable version", url=view.html_url),
            ActionOpenUrl(title="Download JSON", url=view.json_url),
        ],
        fallback=f"Evidence bundle links for {view.reference}.",
    )
