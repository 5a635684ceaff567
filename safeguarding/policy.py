"""Who may do what: the one place every dialog step and card action asks.

The table is by role. Checks that depend on a particular case (is this person one of the
voters, a party to this dispute, the lead of an agency that was asked?) belong to the
aggregate that knows the case, and are made *as well as* this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from safeguarding.case import Case
from safeguarding.errors import DomainError
from safeguarding.milestones import AGENCY_REQUESTED
from safeguarding.roles import Person, Role, role_label


class Forbidden(DomainError):
    """The person's role does not allow the action; nothing was changed."""


class Action(StrEnum):
    USE_ASSISTANT = "use_assistant"  # help, clock: general guidance, no case data
    NOTIFY = "notify"
    VIEW_CASE = "view_case"  # reference, stage, clocks: no identifiers or narrative
    VIEW_CASE_DETAILS = "view_case_details"  # identifiers and narrative, personal chat only
    LIST_ALL_CASES = "list_all_cases"
    RECORD_PANEL_NOTIFICATION = "record_panel_notification"
    CLOSE_CRITERIA_NOT_MET = "close_criteria_not_met"  # propose it: the representatives decide
    CONFIRM_CLOSURE = "confirm_closure"  # the partners' representatives decide on a proposal
    CORRECT_CASE = "correct_case"  # reclassify the route, correct the notified facts
    RECORD_STATUTORY_NOTIFICATION = "record_statutory_notification"  # Secretary of State, Ofsted
    START_RAPID_REVIEW = "start_rapid_review"
    SUBMIT_AGENCY_REPORT = "submit_agency_report"
    VOTE = "vote"
    DECIDE_RECOMMENDATION = "decide_recommendation"
    RECORD_PANEL_EXCHANGE = "record_panel_exchange"
    RAISE_DISPUTE = "raise_dispute"
    MEDIATE_DISPUTE = "mediate_dispute"
    RESPOND_DISPUTE = "respond_dispute"  # the dispute checks the person is a party to it
    MANAGE_ACTION_PLAN = "manage_action_plan"
    ACKNOWLEDGE_REMINDER = "acknowledge_reminder"
    EXPORT_EVIDENCE = "export_evidence"
    REGISTER_CHANNEL = "register_channel"
    MANAGE_DIRECTORY = "manage_directory"
    VIEW_DIRECTORY = "view_directory"  # whois: professionals' names, emails, agencies, roles
    VERIFY_TRAIL = "verify_trail"
    RUN_RETENTION = "run_retention"
    MANAGE_LEGAL_HOLD = "manage_legal_hold"  # hold / release a case against retention
    # An action's owner updates their own action (the plan checks whose it is).
    UPDATE_OWN_ACTION = "update_own_action"
    VIEW_ACTIONS = "view_actions"  # one's own and one's agency's actions; the plans they are in
    SIGN_OFF_ACTION_PLAN = "sign_off_action_plan"  # the partners, at the Board
    VIEW_BOARD_REPORT = "view_board_report"  # every case's clocks and open actions, no child data


_EVERYONE: Final = frozenset(Role)
_HUB: Final = frozenset({Role.HUB_OFFICER})
_CSPRG: Final = frozenset({Role.CSPRG_MEMBER, Role.CSPRG_DEPUTY})
_PARTNERS: Final = frozenset({Role.PARTNER})
_CASE_READERS: Final = _HUB | _CSPRG | _PARTNERS | {Role.AGENCY_LEAD, Role.SCRUTINY_OFFICER}

# Reading down a column of this table answers "what can a Hub officer do?"; it is also the
# matrix the authorisation tests walk, action by action and role by role.
POLICY: Final[Mapping[Action, frozenset[Role]]] = {
    Action.USE_ASSISTANT: _EVERYONE,
    # Any professional may notify; notification must never wait for the right person.
    Action.NOTIFY: _EVERYONE,
    # Practitioners may follow the cases they notified (the case itself checks which).
    Action.VIEW_CASE: _CASE_READERS | {Role.PRACTITIONER, Role.SPLIG_MEMBER, Role.ADMIN},
    Action.VIEW_CASE_DETAILS: _HUB | _CSPRG | _PARTNERS,
    Action.LIST_ALL_CASES: _HUB | _CSPRG | _PARTNERS | {Role.ADMIN},
    Action.RECORD_PANEL_NOTIFICATION: _HUB,
    Action.CLOSE_CRITERIA_NOT_MET: _HUB,
    # The partners delegated the decision to their representatives, the CSPR Group's core
    # members (the procedure, "Decision making process"); a deputy answers in their seat.
    Action.CONFIRM_CLOSURE: _CSPRG,
    Action.CORRECT_CASE: _HUB,
    Action.RECORD_STATUTORY_NOTIFICATION: _HUB,
    Action.START_RAPID_REVIEW: _HUB,
    Action.SUBMIT_AGENCY_REPORT: frozenset({Role.AGENCY_LEAD}),
    Action.VOTE: _CSPRG,
    Action.DECIDE_RECOMMENDATION: _PARTNERS,
    Action.RECORD_PANEL_EXCHANGE: _HUB,
    Action.RAISE_DISPUTE: _PARTNERS | _CSPRG | _HUB | {Role.AGENCY_LEAD},
    Action.MEDIATE_DISPUTE: frozenset({Role.SCRUTINY_OFFICER}),
    # Everyone who can be a party to a dispute at some stage; which stage is the dispute's call.
    Action.RESPOND_DISPUTE: _PARTNERS | _CSPRG | _HUB | {Role.AGENCY_LEAD, Role.SCRUTINY_OFFICER},
    Action.MANAGE_ACTION_PLAN: _HUB | _CSPRG | {Role.SPLIG_MEMBER},
    Action.ACKNOWLEDGE_REMINDER: _CASE_READERS | {Role.SPLIG_MEMBER},
    Action.EXPORT_EVIDENCE: _HUB | {Role.ADMIN},
    Action.REGISTER_CHANNEL: frozenset({Role.ADMIN}),
    Action.MANAGE_DIRECTORY: frozenset({Role.ADMIN}),
    # The Hub runs the process, so it needs to know who holds which role.
    Action.VIEW_DIRECTORY: _HUB | {Role.ADMIN},
    Action.VERIFY_TRAIL: frozenset({Role.ADMIN}),
    Action.RUN_RETENTION: frozenset({Role.ADMIN}),
    Action.MANAGE_LEGAL_HOLD: frozenset({Role.ADMIN}),
    # Anyone in the directory may own an action; the plan checks the action is theirs.
    Action.UPDATE_OWN_ACTION: _EVERYONE,
    Action.VIEW_ACTIONS: _EVERYONE,
    # "Action plan will be signed off by the safeguarding partners at the Children's MARS
    # Board" (the procedure).
    Action.SIGN_OFF_ACTION_PLAN: _PARTNERS,
    Action.VIEW_BOARD_REPORT: _HUB | _PARTNERS,
}

_DESCRIPTIONS: Final[Mapping[Action, str]] = {
    Action.NOTIFY: "start a notification",
    Action.VIEW_CASE: "see this case",
    Action.VIEW_CASE_DETAILS: "see the details of a case",
    Action.LIST_ALL_CASES: "see every case",
    Action.RECORD_PANEL_NOTIFICATION: "record the Panel notification",
    Action.CLOSE_CRITERIA_NOT_MET: "propose closing a case as not meeting the criteria",
    Action.CONFIRM_CLOSURE: "confirm or challenge closing a case as not meeting the criteria",
    Action.CORRECT_CASE: "correct or reclassify a case",
    Action.RECORD_STATUTORY_NOTIFICATION: "record a notification to the Secretary of State "
    "and Ofsted",
    Action.START_RAPID_REVIEW: "start a rapid review",
    Action.SUBMIT_AGENCY_REPORT: "submit an agency report",
    Action.VOTE: "vote in the CSPR Group",
    Action.DECIDE_RECOMMENDATION: "confirm or challenge the CSPR Group's recommendation",
    Action.RECORD_PANEL_EXCHANGE: "record what was sent to or received from the Panel",
    Action.RAISE_DISPUTE: "raise a difference of opinion",
    Action.MEDIATE_DISPUTE: "mediate a difference of opinion",
    Action.RESPOND_DISPUTE: "take part in a difference of opinion",
    Action.MANAGE_ACTION_PLAN: "manage the action plan",
    Action.ACKNOWLEDGE_REMINDER: "acknowledge reminders",
    Action.EXPORT_EVIDENCE: "export the evidence bundle",
    Action.REGISTER_CHANNEL: "register channels",
    Action.MANAGE_DIRECTORY: "change people's roles",
    Action.VIEW_DIRECTORY: "look people up in the directory",
    Action.VERIFY_TRAIL: "verify the evidence trail",
    Action.RUN_RETENTION: "run the retention policy",
    Action.MANAGE_LEGAL_HOLD: "place or release a legal hold",
    Action.UPDATE_OWN_ACTION: "update an action",
    Action.VIEW_ACTIONS: "see actions",
    Action.SIGN_OFF_ACTION_PLAN: "record the Board's sign-off of an action plan",
    Action.VIEW_BOARD_REPORT: "see the Board report",
}


def can(person: Person, action: Action) -> bool:
    return not person.roles.isdisjoint(POLICY[action])


def require(person: Person, action: Action, role_names: Mapping[Role, str] | None = None) -> None:
    """Refuse, in words the person understands, naming who *can* do it.

    The roles are named in the partnership's own words (the person carries the directory's
    ``role_names``) unless the caller passes other names.
    """
    if can(person, action):
        return
    names = person.role_names if role_names is None else role_names
    who = ", ".join(sorted(role_label(role, names) for role in POLICY[action]))
    what = _DESCRIPTIONS.get(action, action.value.replace("_", " "))
    raise Forbidden(f"Sorry, you can't {what}: that is for {who}. Nothing was changed.")


def voting_seat(person: Person) -> str | None:
    """Whose CSPR Group seat this person votes in: their own, or the member they deputise for.

    A deputy stands in for one named core member, so a member and their deputy share one
    seat and one vote (the later vote replaces the earlier). Anyone else has no seat.
    """
    if person.has(Role.CSPRG_MEMBER):
        return person.object_id
    if person.has(Role.CSPRG_DEPUTY) and person.deputy_for:
        return person.deputy_for
    return None


def require_seat(person: Person) -> str:
    """The person's voting seat, or ``Forbidden`` when they have none (a deputy nobody named)."""
    require(person, Action.VOTE)
    seat = voting_seat(person)
    if seat is None:
        raise Forbidden(
            "Sorry, you are a CSPR Group deputy but the directory does not say whose deputy "
            "you are, so you can't vote yet. Ask an administrator to set it. Nothing was changed."
        )
    return seat


def may_see_case(person: Person, case: Case) -> bool:
    """Whether this person may see this case's reference, stage and clocks.

    Roles that list every case see all of them; a practitioner sees the cases they notified;
    an agency's safeguarding lead sees the cases their agency notified or was asked to report
    on for the rapid review.
    """
    if can(person, Action.LIST_ALL_CASES):
        return True
    facts = case.facts
    if facts.get("notifier_object_id") == person.object_id:
        return True
    if not (person.has(Role.AGENCY_LEAD) and person.agency):
        return False
    involved = {str(facts.get("agency", ""))} | {
        str(event.data.get("agency", "")) for event in case.events if event.kind == AGENCY_REQUESTED
    }
    return person.agency.casefold() in {name.casefold() for name in involved}


def require_case_access(person: Person, case: Case) -> None:
    if not may_see_case(person, case):
        raise Forbidden(
            f"You don't have access to case {case.reference}. If you need it, ask the Hub."
        )
