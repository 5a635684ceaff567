"""The weekly digest for the Hub: open cases, deadlines coming up, anything overdue.

Posted in the Hub channel, so it shows references, stages and dates only - never details of a
child. Long lists are cut (with a count of what was left out) to stay well inside Teams' card
size limit.
"""

from __future__ import annotations

from collections.abc import Sequence

from adaptive_cards import types
from adaptive_cards.card import TextBlock

from cards.base import Card, finish, heading, paragraph, subheading
from safeguarding.clocks import format_day
from safeguarding.reminders import Digest, DigestLine

MAX_LINES = 30


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _lines(lines: Sequence[DigestLine], *, overdue: bool) -> list[object]:
    shown: list[object] = [
        TextBlock(
            text=(
                f"**{line.case_reference}** · {line.clock_title} · due {format_day(line.due_on)} "
                + (
                    f"· overdue by {_plural(line.working_days, 'working day')}"
                    if overdue
                    else f"· {line.stage}"
                )
            ),
            wrap=True,
            color=types.Colors.ATTENTION if overdue else None,
            spacing=types.Spacing.SMALL,
        )
        for line in lines[:MAX_LINES]
    ]
    if len(lines) > MAX_LINES:
        shown.append(paragraph(f"… and {len(lines) - MAX_LINES} more.", subtle=True, small=True))
    return shown


def digest_card(digest: Digest) -> Card:
    body: list[object] = [
        heading(f"Weekly summary: {format_day(digest.today)}"),
        paragraph(
            f"{_plural(len(digest.open_cases), 'open case')}, "
            f"{len(digest.overdue)} overdue, {len(digest.upcoming)} due by "
            f"{format_day(digest.horizon)}.",
        ),
        subheading("Overdue"),
        *(_lines(digest.overdue, overdue=True) or [paragraph("Nothing is overdue.")]),
        subheading(f"Due in the next 10 working days (to {format_day(digest.horizon)})"),
        *(_lines(digest.upcoming, overdue=False) or [paragraph("No deadlines.")]),
        subheading("Open cases"),
    ]
    cases = [
        TextBlock(
            text=f"**{c.case_reference}** · {c.stage} · opened {format_day(c.opened_on)}",
            wrap=True,
            spacing=types.Spacing.SMALL,
        )
        for c in digest.open_cases[:MAX_LINES]
    ]
    body += cases or [paragraph("No open cases.")]
    if len(digest.open_cases) > MAX_LINES:
        body.append(
            paragraph(f"… and {len(digest.open_cases) - MAX_LINES} more.", subtle=True, small=True)
        )
    return finish(
        body,
        fallback=f"Weekly summary: {len(digest.open_cases)} open, {len(digest.overdue)} overdue",
    )
