"""The dashboard's queries: the overview, a case page, the Board's figures and the exports.

No HTTP here: the routes (``handlers.py``) resolve the person and read the moment, then call
in. Every query shows only what the person's role permits - the same policy as the bot
(``safeguarding.policy``): the cases they may see, reasons and votes to the roles that may
see a case in full, the child's details only when asked for, to those roles, and logged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from urllib.parse import quote

from bot_app.cases.views import CaseViews, detail_pairs
from bot_app.core.case_pages import OPEN_STAGES, cases_in
from bot_app.dashboard.action_plans import ActionPlans
from bot_app.dashboard.views import (
    Board,
    CasePage,
    CaseRow,
    DisputeLine,
    Filters,
    Option,
    Overview,
    VoteLine,
    case_row,
    local_time,
    timeline,
)
from bot_app.security import EXPORT_LINK_LIFETIME, sign_export_token
from safeguarding import rapid_review as rr
from safeguarding.board import OpenAction, actions_by_agency_and_age, clocks_kept, time_to_panel
from safeguarding.board_report import board_report, to_csv
from safeguarding.calendar import WorkingDayCalendar
from safeguarding.case import Case, Stage
from safeguarding.case_clocks import CaseClock
from safeguarding.clocks import format_day
from safeguarding.disputes import disputes_of
from safeguarding.errors import InvalidInput
from safeguarding.policy import Action, can, may_see_case
from safeguarding.reference import CaseReference
from safeguarding.roles import Person
from storage.uow import UnitOfWork

NO_OWNER: Final = "Not named"


@dataclass(frozen=True)
class DashboardSettings:
    partnership: str
    calendar: WorkingDayCalendar
    views: CaseViews
    signing_key: bytes


# -- the overview --------------------------------------------------------------------------


async def overview(
    viewer: Person,
    filters: Filters,
    uow: UnitOfWork,
    *,
    now: datetime,
    settings: DashboardSettings,
) -> Overview:
    """The open cases this person may see, worst clock first, filtered as asked."""
    today = settings.calendar.local_date(now)
    cases = [c for c in await cases_in(uow, stages=OPEN_STAGES) if may_see_case(viewer, c)]
    owners = await _owner_names(uow, cases)
    rows = [_row(c, today, settings, owners) for c in cases]
    shown = [
        r
        for r in rows
        if (not filters.stage or r.stage_key == filters.stage)
        and (not filters.agency or r.agency == filters.agency)
        and (not filters.owner or r.owner == filters.owner)
    ]
    order = {"overdue": 0, "soon": 1, "on_track": 2, "done": 3}
    shown.sort(key=lambda r: (order[r.urgency.value], r.reference))
    return Overview(
        today=today,
        rows=tuple(shown),
        filters=filters,
        stages=tuple(
            Option(s.value, s.label) for s in Stage if any(r.stage_key == s for r in rows)
        ),
        agencies=_options(r.agency for r in rows),
        owners=_options(r.owner for r in rows),
        visible=len(rows),
    )


def _options(values: Iterable[str]) -> tuple[Option, ...]:
    found = sorted({v for v in values if v}, key=str.casefold)
    return tuple(Option(v, v) for v in found)


async def _owner_names(uow: UnitOfWork, cases: Sequence[Case]) -> dict[str, str]:
    names: dict[str, str] = {}
    for case in cases:
        owner = case.facts.get("owner_object_id")
        if isinstance(owner, str) and owner and owner not in names:
            entry = await uow.people.person(owner)
            names[owner] = entry.name if entry is not None else "Someone no longer listed"
    return names


def _clocks(case: Case, today: date, settings: DashboardSettings) -> list[CaseClock]:
    return settings.views.clocks(case, today)


def _row(case: Case, today: date, settings: DashboardSettings, owners: dict[str, str]) -> CaseRow:
    owner_id = case.facts.get("owner_object_id")
    owner = owners.get(owner_id, NO_OWNER) if isinstance(owner_id, str) else NO_OWNER
    return case_row(
        case,
        _clocks(case, today, settings),
        today=today,
        views=settings.views,
        calendar=settings.calendar,
        owner=owner,
    )


# -- a case --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShowCase:
    viewer: Person
    reference: str
    with_details: bool  # the person pressed "Show the child's details"


async def case_page(
    cmd: ShowCase,
    uow: UnitOfWork,
    *,
    now: datetime,
    settings: DashboardSettings,
    plans: ActionPlans,
) -> CasePage | None:
    """The case, or ``None`` - the same for a case that does not exist and one this person
    may not see (references are sequential: a difference would let anyone count cases)."""
    case = await _visible_case(cmd.viewer, cmd.reference, uow)
    if case is None:
        return None
    today = settings.calendar.local_date(now)
    owners = await _owner_names(uow, [case])
    in_full = can(cmd.viewer, Action.VIEW_CASE_DETAILS)
    zone = settings.calendar.timezone
    details = None
    if cmd.with_details and in_full:
        reference = str(case.reference)
        await uow.access_log.record(reference, cmd.viewer.object_id, "details (dashboard)", now)
        details = tuple(detail_pairs(await uow.details.get(reference) or {}))
    disputes = tuple(
        DisputeLine(
            title=d.title,
            topic=d.topic.label,
            stage=d.stage.label,
            status="Open"
            if d.is_open
            else f"Resolved {local_time(d.resolved_at, zone)}"
            if d.resolved_at
            else "Resolved",
        )
        for d in disputes_of(case)
        if in_full or d.is_party(cmd.viewer)
    )
    return CasePage(
        row=_row(case, today, settings, owners),
        aware_on=format_day(case.aware_on),
        opened=local_time(case.opened_at, zone),
        timeline=timeline(case.events, zone=zone, with_reasons=in_full),
        reasons_shown=in_full,
        votes=_votes(case) if in_full else None,
        disputes=disputes,
        plan=await plans.plan(uow, case, cmd.viewer),
        details=details,
        may_see_details=in_full,
        may_export=can(cmd.viewer, Action.EXPORT_EVIDENCE),
    )


def _votes(case: Case) -> tuple[VoteLine, ...]:
    state = rr.state_of(case)
    lines = []
    for round_ in state.rounds:
        closed = rr.vote_closed(case, round_.number)
        if closed is None:
            voted = len(state.voters) if round_ is state.round else 0
            lines.append(
                VoteLine(
                    round_.number,
                    f"Open until {format_day(round_.closes_on)}: {voted} of "
                    f"{len(round_.seats)} seats have voted",
                    (),
                )
            )
            continue
        outcome = closed.recommendation.label if closed.recommendation else "No recommendation"
        lines.append(
            VoteLine(
                round_.number,
                f"Closed: {outcome}" + (f" ({closed.reason})" if closed.reason else ""),
                tuple((b.voter, rr.describe_choice(b.choice)) for b in closed.ballots),
            )
        )
    return tuple(lines)


async def _visible_case(viewer: Person, reference: str, uow: UnitOfWork) -> Case | None:
    try:
        parsed = CaseReference.parse(reference)
    except InvalidInput:
        return None
    case = await uow.cases.find(parsed)
    if case is None or not may_see_case(viewer, case):
        return None
    return case


# -- the evidence bundle -------------------------------------------------------------------


async def evidence_link(
    viewer: Person, reference: str, uow: UnitOfWork, *, now: datetime, settings: DashboardSettings
) -> str | None:
    """A signed link to the case's printable evidence bundle (the ``export`` command's,
    served by the evidence download route, which checks and logs it); ``None`` when the
    person may not export it or there is no such case."""
    if not can(viewer, Action.EXPORT_EVIDENCE):
        return None
    case = await _visible_case(viewer, reference, uow)
    if case is None:
        return None
    token = sign_export_token(
        settings.signing_key,
        reference=str(case.reference),
        person_id=viewer.object_id,
        expires_at=now + EXPORT_LINK_LIFETIME,
    )
    return f"/evidence/{quote(str(case.reference))}.html?token={token}"


# -- the Board -----------------------------------------------------------------------------


async def board(
    viewer: Person,
    uow: UnitOfWork,
    *,
    now: datetime,
    settings: DashboardSettings,
    plans: ActionPlans,
) -> Board | None:
    """The Board's figures over every case, open and closed; ``None`` for someone whose role
    does not read the Board report (the figures are about every case)."""
    if not can(viewer, Action.VIEW_BOARD_REPORT):
        return None
    today = settings.calendar.local_date(now)
    cases = await cases_in(uow)
    clocks = {str(c.reference): _clocks(c, today, settings) for c in cases}
    open_actions = await plans.open_actions(uow)
    times = [
        t
        for c in sorted(cases, key=lambda c: (c.aware_on, str(c.reference)))
        if (
            t := time_to_panel(c, clocks[str(c.reference)], today=today, calendar=settings.calendar)
        )
    ]
    return Board(
        today=today,
        tallies=tuple(clocks_kept((k for ks in clocks.values() for k in ks), today=today)),
        times=tuple(times),
        actions=tuple(
            actions_by_agency_and_age(
                (
                    OpenAction(a.agency, settings.calendar.local_date(a.added_at))
                    for a in open_actions
                ),
                today=today,
            )
        ),
        actions_available=plans.available,
        report=board_report(
            cases,
            clocks_of=clocks,
            open_actions=open_actions,
            table=settings.views.settings.clocks,
            today=today,
        ),
    )


def board_csv(figures: Board) -> str:
    """The Board report as CSV: the action plans feature's builder, so the file is the same
    whether it is downloaded here or from the ``board report`` command's link."""
    return to_csv(figures.report)
