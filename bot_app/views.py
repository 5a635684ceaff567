"""View models for the cards, built from the domain.

Card builders stay pure and dumb; the domain stays free of presentation. This is where the
two meet for read-only answers that need no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from cards.clock import ClockView
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import ClockRule, ClockTrigger, deadlines_for


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
