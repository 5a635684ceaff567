"""The clock and help cards' view models, built from the domain, and the closest commands.

Card builders stay pure and dumb; the domain stays free of presentation. This is where the
two meet for read-only answers that need no database.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from cards.clock import ClockView
from cards.help import CommandHelp, HelpView, TaskHelp
from safeguarding.calendar import CountingConvention, WorkingDayCalendar
from safeguarding.clocks import ClockRule, ClockTrigger, deadlines_for
from safeguarding.policy import POLICY, Action
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


# -- help: what this person can do, by task ------------------------------------------------


@dataclass(frozen=True)
class HelpEntry:
    """One command the person may use: its name, how to type it, what it does, and the
    policy action that guards it (which task it serves)."""

    name: str
    usage: str
    description: str
    action: Action


# The tasks, in the order help shows them, and the policy actions (safeguarding/policy.py)
# whose commands serve each. Notifying comes first: it must never wait for anything.
TASKS: Final[tuple[tuple[str, frozenset[Action]], ...]] = (
    ("Tell the Hub about a child", frozenset({Action.NOTIFY})),
    (
        "Follow cases",
        frozenset(
            {
                Action.VIEW_CASE,
                Action.LIST_ALL_CASES,
                Action.VIEW_CASE_DETAILS,
                Action.ACKNOWLEDGE_REMINDER,
            }
        ),
    ),
    (
        "Rapid review",
        frozenset(
            {
                Action.SUBMIT_AGENCY_REPORT,
                Action.START_RAPID_REVIEW,
                Action.RECORD_PANEL_NOTIFICATION,
                Action.RECORD_PANEL_EXCHANGE,
                Action.VOTE,
                Action.DECIDE_RECOMMENDATION,
            }
        ),
    ),
    (
        "Differences of opinion",
        frozenset({Action.RAISE_DISPUTE, Action.RESPOND_DISPUTE, Action.MEDIATE_DISPUTE}),
    ),
    (
        "Reviews and action plans",
        frozenset(
            {
                Action.MANAGE_REVIEW,
                Action.RESPOND_NATIONAL_FINDINGS,
                Action.MANAGE_ACTION_PLAN,
                Action.UPDATE_OWN_ACTION,
                Action.SIGN_OFF_ACTION_PLAN,
                Action.VIEW_ACTIONS,
                Action.VIEW_BOARD_REPORT,
            }
        ),
    ),
    ("People and roles", frozenset({Action.MANAGE_DIRECTORY, Action.VIEW_DIRECTORY})),
    ("Channels", frozenset({Action.REGISTER_CHANNEL})),
    (
        "Records",
        frozenset(
            {
                Action.EXPORT_EVIDENCE,
                Action.VERIFY_TRAIL,
                Action.RUN_RETENTION,
                Action.MANAGE_LEGAL_HOLD,
            }
        ),
    ),
    ("Deadlines", frozenset({Action.USE_ASSISTANT})),
)
OTHER_TASK: Final = "Other"
# How many commands help shows before "More commands": with its heading, the date picker and
# the buttons, that still fits a laptop's chat pane without scrolling.
FIRST_SCREEN: Final = 6
# Within a task, the command a newcomer needs first leads ("cases" lists what "status" needs
# a reference for); the others follow in the order the features registered them.
_LEADS: Final = (
    "notify", "cases", "report", "disagree", "actions", "grant", "register", "verify", "clock",
)  # fmt: skip
# "help" itself is not listed on the help card: the person has just typed it.
_NOT_LISTED: Final = frozenset({"help"})


def _task_of(action: Action) -> str:
    for title, actions in TASKS:
        if action in actions:
            return title
    return OTHER_TASK


def _by_task(entries: Sequence[HelpEntry]) -> list[tuple[str, list[HelpEntry]]]:
    titles = [title for title, _ in TASKS] + [OTHER_TASK]
    grouped: dict[str, list[HelpEntry]] = {title: [] for title in titles}
    for entry in entries:
        if entry.name not in _NOT_LISTED:
            grouped[_task_of(entry.action)].append(entry)
    for commands in grouped.values():
        # Lead commands first; then the commands few roles may use (the person's own work)
        # before those everyone has; otherwise as registered (sorted() is stable).
        commands.sort(
            key=lambda e: (
                _LEADS.index(e.name) if e.name in _LEADS else len(_LEADS),
                len(POLICY.get(e.action, ())),
            )
        )
    return [(title, commands) for title, commands in grouped.items() if commands]


def split_first_screen(
    entries: Sequence[HelpEntry], limit: int = FIRST_SCREEN
) -> tuple[list[HelpEntry], list[tuple[str, list[HelpEntry]]]]:
    """The commands help shows first, and the rest by task (behind "More commands").

    Each task the person has gets its lead command on the first screen, in task order, as
    long as there is room; leftover room goes to the tasks' next commands, in the same order.
    """
    tasks = _by_task(entries)
    first: set[str] = set()
    for depth in range(max((len(commands) for _, commands in tasks), default=0)):
        for _, commands in tasks:
            if len(first) < limit and depth < len(commands):
                first.add(commands[depth].name)
    shown = [e for _, commands in tasks for e in commands if e.name in first]
    rest = [
        (title, [e for e in commands if e.name not in first])
        for title, commands in tasks
        if any(e.name not in first for e in commands)
    ]
    return shown, rest


def help_view(
    *, person: Person, partnership: str, commands: Sequence[HelpEntry], today: date
) -> HelpView:
    """What ``person`` may do here: ``commands`` are the ones their roles allow."""
    shown, rest = split_first_screen(commands)
    return HelpView(
        user_name=person.name or "there",
        partnership=partnership,
        roles=person.role_labels(),
        commands=tuple(CommandHelp(e.usage, e.description) for e in shown),
        today=today,
        more=tuple(
            TaskHelp(title, tuple(CommandHelp(e.usage, e.description) for e in entries))
            for title, entries in rest
        ),
    )


# -- unknown text: the closest commands ------------------------------------------------------

_WORD: Final = re.compile(r"[a-z][a-z-]*")
_MIN_TYPO: Final = 3


def closest_commands(text: str, names: Mapping[str, str], *, limit: int = 3) -> list[str]:
    """The commands someone who typed ``text`` most likely meant, best first.

    ``names`` maps every word the person may type (aliases included) to its command's main
    name. The first word is compared for typos ("stauts" -> status), with the main names
    first (so "stauts" is not also taken for "start", an alias of help); a later word that is
    a command exactly ("how do I notify") counts too.
    """
    words = _WORD.findall(text.lower())
    if not words:
        return []
    found: list[str] = []
    first = words[0] if len(words[0]) >= _MIN_TYPO else ""  # "I", "a": too short to be a typo
    main = sorted(set(names.values()))
    close = difflib.get_close_matches(first, main, n=limit, cutoff=0.6)
    for word in close or difflib.get_close_matches(first, list(names), n=limit, cutoff=0.6):
        if names[word] not in found:
            found.append(names[word])
    for word in words[1:]:
        if word in names and names[word] not in found:
            found.append(names[word])
    return found[:limit]
