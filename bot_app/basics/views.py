"""The clock and help cards' view models, built from the domain.

Card builders stay pure and dumb; the domain stays free of presentation. This is where the
two meet for read-only answers that need no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.clock import ClockView
from cards.help import CommandHelp, HelpView
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import ClockRule, ClockTrigger, deadlines_for
from safeguarding.roles import Person


def clock_view(
    *,
    aware_on: date,
    today: date,
    calendar: WorkingDayCalendar,
    table: Sequence[ClockRule],
    convention: CountingConvention,
) -> ClockView:
    deadlines = deadlines_for(
        ClockTrigger.AWARENESS, aware_on, calendar, convention=convention, table=table
    )
    return ClockView(
        aware_on=aware_on,
        today=today,
        deadlines=deadlines,
        days_left=[d.working_days_left(today, calendar) for d in deadlines],
        later=[rule for rule in table if rule.trigger is not ClockTrigger.AWARENESS],
        region=calendar.region_label,
    )


def help_view(
    *, person: Person, partnership: str, commands: Sequence[tuple[str, str]], today: date
) -> HelpView:
    """What ``person`` may do here: ``commands`` are (usage, description) they may use."""
    return HelpView(
        user_name=person.name or "there",
        partnership=partnership,
        roles=person.role_labels(),
        commands=tuple(CommandHelp(usage, description) for usage, description in commands),
        today=today,
    )
