"""The export card's view model: the links, and when they stop working in local time."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot_app.evidence.services import ExportLinks
from cards.evidence import ExportView


def export_view(links: ExportLinks, zone: ZoneInfo) -> ExportView:
    local = links.expires_at.astimezone(zone)
    return ExportView(
        reference=str(links.reference),
        html_url=links.html_url,
        json_url=links.json_url,
        expires=f"{local:%H:%M} on {local.day} {local:%B %Y}",
    )
