"""Server-rendered SVG: a clock's bar, and the three charts the Board reads.

No JavaScript and no build step: each chart is an ``<svg role="img">`` with a ``<title>``
and a ``<desc>`` (its text alternative), and the page puts the same figures in a table next
to it. Colour is never the only signal: every bar also has a text label, and the colours
keep at least 3:1 against the white background (WCAG 2.2, 1.4.11), 4.5:1 where they are text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from typing import Final

from bot_app.dashboard.views import ClockBar
from safeguarding.board import AGE_BANDS, AgencyAges, QuarterTally, TimeToPanel, Urgency

COLOURS: Final = {
    Urgency.OVERDUE: "#B00020",
    Urgency.SOON: "#A15C00",
    Urgency.ON_TRACK: "#1D6B35",
    Urgency.DONE: "#5F6368",
}
MET: Final = "#1D6B35"
MISSED: Final = "#B00020"
NOTIFY: Final = "#1F4E99"
REVIEW: Final = "#6A3D9A"
AGE_COLOURS: Final = ("#1F4E99", "#2E7D32", "#A15C00", "#B00020")
INK: Final = "#1B1B1B"
GRID: Final = "#767676"  # 4.5:1 on white


def _svg(width: int, height: int, ident: str, title: str, desc: str, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{ident}-t {ident}-d" '
        f'class="chart">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def clock_bar(bar: ClockBar, today: date, width: int = 220) -> str:
    """One clock: a bar from its start to its due day, today as a vertical line.

    A picture of the sentence printed beside it (title, due day, status, urgency), so it is
    hidden from screen readers rather than read out twice.
    """
    height, left, right = 26, 4, 4
    first = min(bar.start, today)
    last = max(bar.due, today)
    span = max(1, (last - first).days)

    def x(day: date) -> float:
        return left + (width - left - right) * (day - first).days / span

    x0, x1, xt = x(bar.start), x(bar.due), x(today)
    colour = COLOURS[bar.urgency]
    body = (
        f'<rect x="{left}" y="11" width="{width - left - right}" height="4" fill="#E8E8E8"/>'
        f'<rect x="{x0:.1f}" y="6" width="{max(2.0, x1 - x0):.1f}" height="14" rx="2" '
        f'fill="{colour}"/>'
        f'<line x1="{xt:.1f}" x2="{xt:.1f}" y1="1" y2="25" stroke="{INK}" stroke-width="2" '
        f'stroke-dasharray="3 2"/>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" aria-hidden="true" focusable="false" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" class="bar">'
        f"{body}</svg>"
    )


def quarters_chart(tallies: Sequence[QuarterTally], ident: str = "kept") -> str:
    """Clocks met and missed per quarter: two bars per quarter."""
    if not tallies:
        return _empty(
            ident, "Clocks met and missed per quarter", "No clock has been met or missed yet."
        )
    left, bottom, top, group, bar = 40, 40, 24, 140, 40
    width = max(320, left + group * len(tallies) + 20)
    height = 240
    peak = max(max(t.met, t.missed) for t in tallies) or 1
    scale = (height - bottom - top) / peak

    parts = [_axis(left, top, width, height - bottom, peak)]
    for i, t in enumerate(tallies):
        gx = left + 10 + i * group
        for j, (value, colour, name) in enumerate(
            ((t.met, MET, "met"), (t.missed, MISSED, "missed"))
        ):
            h = value * scale
            y = height - bottom - h
            bx = gx + j * (bar + 4)
            parts.append(
                f'<rect x="{bx}" y="{y:.1f}" width="{bar}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(t.quarter.label)}: {value} {name}</title></rect>"
                f'<text x="{bx + bar / 2}" y="{y - 4:.1f}" text-anchor="middle" font-size="12" '
                f'fill="{INK}">{value}</text>'
            )
        parts.append(
            f'<text x="{gx + bar + 2}" y="{height - bottom + 16}" text-anchor="middle" '
            f'font-size="11" fill="{INK}">{escape(t.quarter.label)}</text>'
        )
    parts.append(_legend(left, height - 10, (("Met", MET), ("Missed", MISSED))))
    desc = "; ".join(f"{t.quarter.label}: {t.met} met, {t.missed} missed" for t in tallies) + "."
    return _svg(width, height, ident, "Clocks met and missed per quarter", desc, "".join(parts))


def time_to_panel_chart(times: Sequence[TimeToPanel], ident: str = "panel") -> str:
    """Working days from awareness to the Panel notification and to the rapid review, per
    case, with the 5 and 15 working-day targets as guide lines."""
    if not times:
        return _empty(
            ident,
            "Time from awareness to the Panel, per case",
            "No case has needed a Panel notification yet.",
        )
    label_w, row_h, top = 120, 34, 30
    plot_w = 420
    width, height = label_w + plot_w + 90, top + row_h * len(times) + 40
    targets = {e.target for t in times for e in (t.notification, t.rapid_review) if e}
    peak = max(
        [e.days for t in times for e in (t.notification, t.rapid_review) if e] + list(targets)
    )
    scale = plot_w / max(peak, 1)
    parts = []
    for target in sorted(targets):
        gx = label_w + target * scale
        parts.append(
            f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{top - 8}" y2="{height - 34}" stroke="{GRID}" '
            f'stroke-dasharray="4 3"/><text x="{gx:.1f}" y="{top - 12}" text-anchor="middle" '
            f'font-size="11" fill="{INK}">{target} days</text>'
        )
    lines = []
    for i, t in enumerate(times):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 18}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{escape(t.reference)}</text>'
        )
        said = []
        for j, (elapsed, colour, name) in enumerate(
            ((t.notification, NOTIFY, "Panel notified"), (t.rapid_review, REVIEW, "rapid review"))
        ):
            if elapsed is None:
                continue
            w = max(2.0, elapsed.days * scale)
            by = y + 3 + j * 14
            fill = colour if elapsed.done else "white"
            parts.append(
                f'<rect x="{label_w}" y="{by}" width="{w:.1f}" height="12" fill="{fill}" '
                f'stroke="{colour}" stroke-width="2"/>'
                f'<text x="{label_w + w + 4:.1f}" y="{by + 10}" font-size="11" fill="{INK}">'
                f"{elapsed.days}{'' if elapsed.done else ' so far'}</text>"
            )
            said.append(f"{name} {_elapsed_words(elapsed.days, elapsed.done)}")
        lines.append(f"{t.reference}: {', '.join(said)}")
    parts.append(
        _legend(label_w, height - 10, (("Panel notified", NOTIFY), ("Rapid review sent", REVIEW)))
    )
    desc = (
        "Working days from the partners becoming aware. Hollow bars are still running. "
        + "; ".join(lines)
        + "."
    )
    return _svg(
        width, height, ident, "Time from awareness to the Panel, per case", desc, "".join(parts)
    )


def _elapsed_words(days: int, done: bool) -> str:
    unit = "working day" if days == 1 else "working days"
    return f"after {days} {unit}" if done else f"not yet ({days} {unit} so far)"


def actions_chart(rows: Sequence[AgencyAges], ident: str = "actions") -> str:
    """Open actions per agency, stacked by age."""
    if not rows:
        return _empty(ident, "Open actions by agency and age", "There are no open actions.")
    label_w, row_h, top, plot_w = 220, 26, 10, 360
    width, height = label_w + plot_w + 50, top + row_h * len(rows) + 40
    peak = max(r.total for r in rows) or 1
    scale = plot_w / peak
    parts = []
    for i, r in enumerate(rows):
        y = top + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{escape(_short(r.agency))}</text>'
        )
        x = float(label_w)
        for band, count, colour in zip(AGE_BANDS, r.counts, AGE_COLOURS, strict=True):
            if not count:
                continue
            w = count * scale
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="16" fill="{colour}" '
                f'stroke="white"><title>{escape(r.agency)}: {count} {escape(band.label.lower())}'
                "</title></rect>"
            )
            x += w
        parts.append(
            f'<text x="{x + 4:.1f}" y="{y + 15}" font-size="12" fill="{INK}">{r.total}</text>'
        )
    parts.append(
        _legend(
            10,
            height - 10,
            tuple((b.label, c) for b, c in zip(AGE_BANDS, AGE_COLOURS, strict=True)),
        )
    )
    desc = (
        "; ".join(
            f"{r.agency}: {r.total} open ("
            + ", ".join(
                f"{c} {b.label.lower()}" for b, c in zip(AGE_BANDS, r.counts, strict=True) if c
            )
            + ")"
            for r in rows
        )
        + "."
    )
    return _svg(width, height, ident, "Open actions by agency and age", desc, "".join(parts))


def _short(text: str, limit: int = 32) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _axis(left: int, top: int, width: int, base: int, peak: int) -> str:
    return (
        f'<line x1="{left}" x2="{width - 10}" y1="{base}" y2="{base}" stroke="{GRID}"/>'
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{base}" stroke="{GRID}"/>'
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="{INK}">'
        f"{peak}</text>"
        f'<text x="{left - 6}" y="{base}" text-anchor="end" font-size="11" fill="{INK}">0</text>'
    )


def _legend(x: int, y: int, items: Sequence[tuple[str, str]]) -> str:
    parts, cursor = [], x
    for label, colour in items:
        parts.append(
            f'<rect x="{cursor}" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{cursor + 16}" y="{y}" font-size="12" fill="{INK}">{escape(label)}</text>'
        )
        cursor += 24 + 7 * len(label)
    return "".join(parts)


def _empty(ident: str, title: str, sentence: str) -> str:
    body = f'<text x="10" y="28" font-size="14" fill="{INK}">{escape(sentence)}</text>'
    return _svg(480, 44, ident, title, sentence, body)
